"""The gettext catalogs: read from their .po sources, compiled in memory, cached per language."""

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "pintu"
DEFAULT_LANGUAGE = "id"  # Bahasa Indonesia, for anyone who reads no language Pintu writes
LANGUAGES = ("id", "en")


def spoken(language: str) -> str:
    """The language Pintu writes in for someone who reads `language`: that one when Pintu
    writes it (`id`, `en`), else Bahasa Indonesia."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> Catalog:
    """The catalog of `language` (one of LANGUAGES) as its .po file has it."""
    source = files("shared.wording") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """The translations to write in for a reader of `language` (see `spoken`)."""
    compiled = BytesIO()
    write_mo(compiled, catalog(spoken(language)))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def key(context: str | None, msgid: str) -> str:
    """How a message is named in reports: its msgid, after its msgctxt when it has one."""
    return msgid if context is None else f"{context}|{msgid}"


def untranslated(language: str, catalogs: Mapping[str, Catalog] | None = None) -> list[str]:
    """The messages of any catalog that `language`'s catalog lacks, leaves blank or marks
    fuzzy (see `key`), sorted. `catalogs`: by language, the loaded ones unless given."""
    every = catalogs if catalogs is not None else {lang: catalog(lang) for lang in LANGUAGES}
    own = every[language]
    wanted = {
        (m.context, str(m.id)): None for c in every.values() for m in c if m.id
    }  # the header (msgid "") is no message
    missing = []
    for context, msgid in wanted:
        found = own.get(msgid, context=context)
        if found is None or not found.string or found.fuzzy:
            missing.append(key(context, msgid))
    return sorted(missing)
