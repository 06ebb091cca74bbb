"""Days and times as people read them: in WIB (Jakarta time), the zone named with the time."""

from datetime import datetime

from babel.dates import format_date, format_datetime

from shared.domain.calendar import WIB
from shared.wording.catalog import spoken

# A moment in each language's own way (CLDR patterns), with its zone: WIB.
_MOMENT = {
    "id": "d MMMM y 'pukul' HH.mm 'WIB'",  # 9 Desember 2026 pukul 23.59 WIB
    "en": "d MMMM y, HH:mm 'WIB'",  # 9 December 2026, 23:59 WIB
}


def due_date(due_at: datetime, language: str = "id") -> str:
    """The day a deadline falls on, as people read it in `language` (see `spoken`):
    "30 November 2026". Deadlines end a working day in Jakarta time."""
    return format_date(due_at.astimezone(WIB).date(), format="long", locale=spoken(language))


def format_wib(moment: datetime, language: str = "id") -> str:
    """A moment as people read it in `language` (see `spoken`), in WIB and saying so:
    "9 Desember 2026 pukul 23.59 WIB", "9 December 2026, 23:59 WIB"."""
    lang = spoken(language)
    return format_datetime(moment.astimezone(WIB), _MOMENT[lang], tzinfo=WIB, locale=lang)
