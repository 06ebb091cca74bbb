"""A complaint's timeline told in the reporter's words: Bahasa Indonesia, or English."""

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from shared.domain.routing import Agency
from shared.projections.inbox import TimelineEntry

# Deadlines fall at the end of a working day; the national calendar keeps Jakarta time.
JAKARTA = ZoneInfo("Asia/Jakarta")
STAGES = {
    "id": {"first_follow_up": "tindak lanjut pertama"},
    "en": {"first_follow_up": "first follow-up"},
}


def describe(entry: TimelineEntry, lang: str, agencies: Mapping[str, Agency]) -> str:
    """One line a reporter understands; the raw event stays in `detail` for developers."""
    detail = entry.detail
    english = lang == "en"

    def agency() -> str:
        known = agencies.get(str(detail.get("agency_id")))
        return known.name if known else str(detail.get("agency_id"))

    match entry.event_type:
        case "pintu.complaint.filed":
            return "Report received" if english else "Laporan diterima"
        case "pintu.complaint.routed" if detail.get("rule_id") == "manual":
            if english:
                return f"Reassigned by the national admin to {agency()}"
            return f"Dialihkan oleh admin nasional ke {agency()}"
        case "pintu.complaint.routed":
            line = f"Forwarded to {agency()}" if english else f"Diteruskan ke {agency()}"
            copies = [str(a) for a in detail.get("copies") or []]
            if copies:
                names = ", ".join(agencies[a].name if a in agencies else a for a in copies)
                line += f" (copy to {names})" if english else f" (tembusan: {names})"
            return line
        case "pintu.complaint.declined":
            reason = detail.get("reason", "")
            if english:
                return f"{agency()} says this is not its authority ({reason}); passed on"
            return f"{agency()} menyatakan bukan wewenangnya ({reason}); diteruskan"
        case "pintu.complaint.deadline_scheduled":
            stage = STAGES[lang].get(str(detail.get("stage")), str(detail.get("stage")))
            due = _date(str(detail.get("due_at")), lang)
            return f"{stage.capitalize()} due by {due}" if english else f"Batas {stage}: {due}"
    return entry.event_type


def _date(iso: str, lang: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(JAKARTA)
    return format_date(moment.date(), format="long", locale=lang)
