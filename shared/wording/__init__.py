"""Every sentence Pintu writes to a person, in Bahasa Indonesia and English (gettext catalogs).

The catalogs are the .po files under `locale/<language>/LC_MESSAGES/pintu.po`, read with
Babel when first needed (no compiled .mo files in the tree). Each message's msgid is the
English sentence itself, with `%(name)s` for what varies, so the source reads as the text it
writes and a sentence the catalogs lack still comes out in English rather than as a key; the
`en` catalog repeats it, so both catalogs are checked the same way (`catalog.untranslated`).
A short label that could mean two things carries a msgctxt: `stage` for a deadline's stage,
`status` for a complaint's status.

Python code marks its sentences with `_ = translations(language).gettext` (or `pgettext`);
Jinja templates with `{% trans %}` or `_()` through `environment`. A person who reads neither
language reads Bahasa Indonesia (`spoken`). Times a person reads are in WIB, named as such.
"""

from shared.wording.catalog import DEFAULT_LANGUAGE, LANGUAGES, spoken, translations, untranslated
from shared.wording.dates import due_date, format_wib
from shared.wording.labels import stage_name, status_label
from shared.wording.templates import environment, html_environment, upper_first

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "due_date",
    "environment",
    "format_wib",
    "html_environment",
    "spoken",
    "stage_name",
    "status_label",
    "translations",
    "untranslated",
    "upper_first",
]
