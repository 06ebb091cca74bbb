"""What an agency hears, and when: pure, so each kind is unit-tested.

The agency holding a complaint hears of a new complaint, its deadlines' warnings and
breaches, and the reporter's replies and reopenings; an agency sent a copy (tembusan)
hears of the copy; the agency a breach escalates to (the parent agency, or the national
admin's triage desk) hears of the escalation.
A webhook's `message` is in Bahasa Indonesia, the language of the agencies' desks; a liaison
office's e-mail is in its own language. Both come from the wording catalogs (shared/wording).
"""

import json
from dataclasses import dataclass

from services.notifier.reporter import templates
from shared.domain.complaint import NATIONAL_TRIAGE, Complaint
from shared.domain.model import DomainEvent
from shared.wording import DEFAULT_LANGUAGE, due_date, spoken, stage_name, translations

# The webhooks' summaries are read at the agencies' desks, in Bahasa Indonesia.
DESK_LANGUAGE = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class AgencyNotification:
    agency_id: str
    kind: str
    message: str


def notifications(event: DomainEvent, holder: str | None) -> list[AgencyNotification]:
    """The agencies to tell about `event`; `holder`: who holds the complaint before it."""
    _ = translations(DESK_LANGUAGE).gettext
    stage = stage_name(str(getattr(event, "stage", "")), DESK_LANGUAGE)
    match event:
        case Complaint.Routed():
            # The agency that must act, and each tembusan: a copy, for information.
            return [
                AgencyNotification(
                    event.agency_id,
                    "complaint.routed",
                    _("A new report has been disposed to your agency."),
                )
            ] + [
                AgencyNotification(
                    copy,
                    "complaint.copied",
                    _("A copy (tembusan) of a report for your agency (for information)."),
                )
                for copy in dict.fromkeys(event.copies)
                if copy != event.agency_id
            ]
        case Complaint.Escalated():
            return [
                AgencyNotification(
                    event.to_agency_id,
                    "complaint.escalated",
                    _(
                        "A report has been escalated to your agency: the holding agency "
                        "missed the deadline for %(stage)s."
                    )
                    % {"stage": stage},
                )
            ]
    if holder is None:
        return []
    match event:
        case Complaint.DeadlineWarned():
            message = _("The deadline for %(stage)s is near.") % {"stage": stage}
            return [AgencyNotification(holder, "deadline.warning", message)]
        case Complaint.DeadlineBreached():
            message = _("The deadline for %(stage)s has passed.") % {"stage": stage}
            return [AgencyNotification(holder, "deadline.breached", message)]
        case Complaint.ReporterReplied():
            return [AgencyNotification(holder, "reporter.replied", _("The reporter replied."))]
        case Complaint.Reopened():
            return [
                AgencyNotification(
                    holder, "complaint.reopened", _("The reporter reopened the report.")
                )
            ]
    return []


# Events the holding agency hears of, and events that change who holds the complaint.
TELLS_HOLDER = (
    Complaint.DeadlineWarned,
    Complaint.DeadlineBreached,
    Complaint.ReporterReplied,
    Complaint.Reopened,
)
CHANGES_HOLDER = (Complaint.Routed, Complaint.Declined)


def new_holder(event: Complaint.Routed | Complaint.Declined) -> str | None:
    return event.agency_id if isinstance(event, Complaint.Routed) else None


def inbox_link(agency_id: str, base_url: str) -> str:
    return f"{base_url}/v1/agencies/{agency_id}/inbox"


def body(
    notification: AgencyNotification,
    event: DomainEvent,
    event_id: str,
    tracking_id: str,
    base_url: str,
) -> bytes:
    """The signed webhook's JSON (docs/contract.md, Webhooks). Never the reporter, nor the
    report's words: an agency reads those in its inbox, where anonim and rahasia apply."""
    fields: dict[str, object] = {
        "event_id": event_id,
        "kind": notification.kind,
        "complaint_id": str(event.originator_id),
        "tracking_id": tracking_id,
        "agency_id": notification.agency_id,
        "message": notification.message,
        "link": inbox_link(notification.agency_id, base_url),
    }
    if isinstance(event, Complaint.Routed):
        fields["rule"] = event.rule_id
        if notification.kind == "complaint.routed":
            # By when it must act: the clocks this routing starts (ComplaintRouted v5).
            fields["deadlines"] = {d.stage: d.due_at.isoformat() for d in event.deadlines}
        else:  # a tembusan: who holds the complaint, and owes its deadlines
            fields["holder"] = event.agency_id
    if hasattr(event, "stage"):
        fields["stage"] = event.stage
    return json.dumps(fields, sort_keys=True).encode()


def letter(
    notification: AgencyNotification,
    event: DomainEvent,
    tracking_id: str,
    agency_name: str,
    language: str,
    base_url: str,
) -> tuple[str, str]:
    """The liaison office's e-mail (subject, body), in its language (Bahasa Indonesia unless
    the directory says `en`): the same facts as the webhook, nothing of the reporter."""
    lang = spoken(language)
    due: list[tuple[str, str]] = []  # by when the agency that must act must act (not a copy)
    if isinstance(event, Complaint.Routed) and notification.kind == "complaint.routed":
        due = [(stage_name(d.stage, lang), due_date(d.due_at, lang)) for d in event.deadlines]
    text = (
        templates(lang)
        .get_template("liaison.txt")
        .render(
            kind=notification.kind,
            tracking_id=tracking_id,
            agency=agency_name,
            stage=stage_name(str(getattr(event, "stage", "")), lang),
            triage=notification.agency_id == NATIONAL_TRIAGE,
            link=inbox_link(notification.agency_id, base_url),
            deadlines=due,
        )
    )
    subject, _, rest = text.partition("\n\n")
    return subject.strip(), rest.strip() + "\n"
