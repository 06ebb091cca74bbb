"""A complaint's timeline told in the reporter's words: Bahasa Indonesia, or English."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.domain.routing import Agency
from shared.projections.inbox import TimelineEntry
from shared.wording import due_date, stage_name, translations, upper_first


def describe(entry: TimelineEntry, lang: str, agencies: Mapping[str, Agency]) -> str:
    """One line a reporter understands; the raw event stays in `detail` for developers."""
    detail = entry.detail
    _ = translations(lang).gettext

    def agency(field: str = "agency_id") -> str:
        known = agencies.get(str(detail.get(field)))
        return known.name if known else str(detail.get(field))

    def stage() -> str:
        return stage_name(str(detail.get("stage")), lang)

    def due() -> str:
        return due_date(datetime.fromisoformat(str(detail.get("due_at"))), lang)

    match entry.event_type:
        case "pintu.complaint.filed":
            return _("Report received")
        case "pintu.complaint.routed" if detail.get("rule_id") == "manual":
            line = _("Reassigned by the national admin to %(agency)s") % {"agency": agency()}
            return line + _clocks(detail, lang)
        case "pintu.complaint.routed":
            line = _("Forwarded to %(agency)s") % {"agency": agency()}
            copies = [str(a) for a in detail.get("copies") or []]
            if copies:
                names = ", ".join(agencies[a].name if a in agencies else a for a in copies)
                line += _(" (copy to %(agencies)s)") % {"agencies": names}
            return line + _clocks(detail, lang)
        case "pintu.complaint.declined":
            return _("%(agency)s says this is not its authority (%(reason)s); passed on") % {
                "agency": agency(),
                "reason": detail.get("reason", ""),
            }
        case "pintu.complaint.deadline_scheduled":
            return upper_first(_("%(stage)s due by %(date)s") % {"stage": stage(), "date": due()})
        case "pintu.complaint.deadline_warned":
            return _("Reminder: %(stage)s due by %(date)s") % {"stage": stage(), "date": due()}
        case "pintu.complaint.deadline_breached":
            line = upper_first(_("%(stage)s overdue") % {"stage": stage()})
            if detail.get("ombudsman_route"):
                line += _("; you may report this to the Ombudsman RI")
            return line
        case "pintu.complaint.deadline_stopped":
            return upper_first(_("%(stage)s: clock stopped") % {"stage": stage()})
        case "pintu.complaint.escalated":
            return _("Escalated to %(agency)s") % {"agency": agency("to_agency_id")}
        case "pintu.complaint.verified":
            return _("Verified by the national admin")
        case "pintu.complaint.acknowledged":
            return _("%(agency)s is working on it") % {"agency": agency()}
        case "pintu.complaint.followed_up":
            return _("Follow-up from %(agency)s: %(message)s") % {
                "agency": agency(),
                "message": detail.get("message", ""),
            }
        case "pintu.complaint.information_requested":
            return _("%(agency)s asks you: %(question)s") % {
                "agency": agency(),
                "question": detail.get("question", ""),
            }
        case "pintu.complaint.postponed":
            return _("Postponed: %(reason)s") % {"reason": detail.get("reason", "")}
        case "pintu.complaint.reporter_replied":
            return _("You replied")
        case "pintu.complaint.resolved":
            return _("Completed by %(agency)s: %(message)s") % {
                "agency": agency(),
                "message": detail.get("message", ""),
            }
        case "pintu.complaint.auto_closed":
            return _("Completed: no reply within the time given")
        case "pintu.complaint.reopened":
            return _("Reopened at your request")
        case "pintu.complaint.rated":
            return _("You rated the answer %(score)s/5") % {"score": detail.get("score")}
        case "pintu.complaint.archived":
            return _("Archived: %(reason)s") % {"reason": detail.get("reason", "")}
    return entry.event_type


def _clocks(detail: Mapping[str, Any], lang: str) -> str:
    """The deadlines a routing starts (ComplaintRouted v5), as the end of its line."""
    _ = translations(lang).gettext
    due = [
        _("%(stage)s due by %(date)s")
        % {
            "stage": stage_name(str(d.get("stage")), lang),
            "date": due_date(datetime.fromisoformat(d["due_at"]), lang),
        }
        for d in detail.get("deadlines") or []
    ]
    return "; " + ", ".join(due) if due else ""


def describe_for_officers(entry: TimelineEntry, lang: str, agencies: Mapping[str, Agency]) -> str:
    """`describe` for the agencies' officers: the reporter is "the reporter", and what they
    wrote to the agency is shown to it."""
    detail = entry.detail
    _ = translations(lang).gettext
    match entry.event_type:
        case "pintu.complaint.reporter_replied":
            return _("The reporter replied: %(message)s") % {"message": detail.get("message", "")}
        case "pintu.complaint.reopened":
            return _("The reporter reopened it: %(reason)s") % {"reason": detail.get("reason", "")}
        case "pintu.complaint.rated":
            return _("The reporter rated the answer %(score)s/5") % {"score": detail.get("score")}
    return describe(entry, lang, agencies)
