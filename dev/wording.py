"""`python -m dev wording`: the sentences the code writes, against the wording catalogs.

Extracts every message marked in shared/ and services/ (gettext calls in Python, {% trans %}
and `_()` in the Jinja templates) and adds each one a catalog lacks to that catalog's .po
file, untranslated, so the unit tests name it until someone writes its translation.
"""

from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from shared.wording.catalog import DOMAIN, LANGUAGES, catalog

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("shared", "services")
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.txt", "jinja2.ext:babel_extract"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
]


def extracted(root: Path = ROOT) -> dict[tuple[str | None, str], list[str]]:
    """Each message marked in the sources, by (msgctxt, msgid): where it is (file:line)."""
    found: dict[tuple[str | None, str], list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _, context in extract_from_dir(root / source, METHODS):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault((context, msgid), []).append(f"{source}/{filename}:{lineno}")
    return found


def po_path(language: str, root: Path = ROOT) -> Path:
    return root / "shared" / "wording" / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def update(root: Path = ROOT) -> int:
    """Add the messages the catalogs lack; print how many went into each."""
    messages = extracted(root)
    for language in LANGUAGES:
        with po_path(language, root).open("rb") as po:
            current: Catalog = read_po(po, locale=language, domain=DOMAIN)
        added = 0
        for context, msgid in messages:
            if current.get(msgid, context=context) is None:
                current.add(msgid, "", context=context)
                added += 1
        if added:
            _write(po_path(language, root), current)
        print(f"{language}: {added} new message(s) to translate in {po_path(language, root)}")
    catalog.cache_clear()
    return 0


# Header fields Babel fills with placeholders; the catalogs keep only those that say something.
_PLACEHOLDERS = (
    "Project-Id-Version",
    "Report-Msgid-Bugs-To",
    "POT-Creation-Date",
    "PO-Revision-Date",
    "Last-Translator",
    "Language-Team",
)


def _write(path: Path, messages: Catalog) -> None:
    buffer = BytesIO()
    write_po(buffer, messages, width=100, no_location=True)
    lines = buffer.getvalue().decode().splitlines(keepends=True)
    path.write_text(
        "".join(x for x in lines if not x.startswith(tuple(f'"{h}:' for h in _PLACEHOLDERS)))
    )
