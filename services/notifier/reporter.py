"""What the reporter (pelapor) hears, in their language: pure, so each message is tested.

Templates live in services/notifier/templates/<kind>.txt (a letter: the first line is the
subject, the rest the body) and templates/sms/<kind>.txt, one per message, rendered in the
reporter's language from the wording catalogs (shared/wording). A reporter hears of their
report's receipt, its routing, a follow-up, a question, its completion or closing, and a
missed deadline of the agency (with the Ombudsman route where the handbook gives it).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment

from shared.domain.complaint import Complaint
from shared.domain.deadlines import AGENCY_STAGES, FIRST_FOLLOW_UP
from shared.domain.model import DomainEvent
from shared.domain.routing import Agency
from shared.wording import due_date, spoken, stage_name
from shared.wording.templates import package_environment


@dataclass(frozen=True)
class ReporterMessage:
    kind: str
    subject: str
    body: str


@dataclass(frozen=True)
class Report:
    """What the notifier keeps of a filing to write to its reporter."""

    tracking_id: str
    title: str
    language: str


def templates(language: str) -> Environment:
    """The notifier's Jinja2 templates (services/notifier/templates/), written in `language`."""
    return package_environment("services.notifier", "templates", language)


def kind_of(event: DomainEvent) -> str | None:
    match event:
        case Complaint.Filed():
            return "received"
        case Complaint.Routed():
            return "routed"
        case Complaint.FollowedUp():
            return "followed_up"
        case Complaint.InformationRequested():
            return "information_requested"
        case Complaint.Resolved():
            return "resolved"
        case Complaint.AutoClosed():
            return "auto_closed"
        case Complaint.DeadlineBreached() if event.stage in AGENCY_STAGES:
            return "deadline_breached"
    return None


def message(
    event: DomainEvent,
    report: Report,
    holder: str | None,
    agencies: Mapping[str, Agency],
    base_url: str,
) -> ReporterMessage | None:
    """The letter `event` calls for, or None; `holder`: the agency holding the complaint."""
    rendered = _render(event, report, holder, agencies, base_url, "")
    if rendered is None:
        return None
    kind, text = rendered
    subject, _, body = text.partition("\n\n")
    return ReporterMessage(kind, subject.strip(), body.strip() + "\n")


def text_message(
    event: DomainEvent,
    report: Report,
    holder: str | None,
    agencies: Mapping[str, Agency],
    base_url: str,
) -> str | None:
    """The SMS `event` calls for, or None: one short line with the tracking id and the status
    link, never the report's title (a text passes through the gateway and sits on a phone)."""
    rendered = _render(event, report, holder, agencies, base_url, "sms/")
    return None if rendered is None else " ".join(rendered[1].split())


def _render(
    event: DomainEvent,
    report: Report,
    holder: str | None,
    agencies: Mapping[str, Agency],
    base_url: str,
    folder: str,
) -> tuple[str, str] | None:
    kind = kind_of(event)
    if kind is None:
        return None
    lang = spoken(report.language)
    agency_id = event.agency_id if isinstance(event, Complaint.Routed) else holder
    known = agencies.get(agency_id or "")
    text = (
        templates(lang)
        .get_template(f"{folder}{kind}.txt")
        .render(
            tracking_id=report.tracking_id,
            title=report.title,
            status_url=f"{base_url}/v1/complaints/{report.tracking_id}",
            agency=known.name if known else (agency_id or ""),
            message=getattr(event, "message", ""),
            question=getattr(event, "question", ""),
            stage=stage_name(str(getattr(event, "stage", "")), lang),
            ombudsman=bool(getattr(event, "ombudsman_route", False)),
            follow_up=next(  # by when the agency must first follow it up (a routing's clock)
                (
                    due_date(d.due_at, lang)
                    for d in getattr(event, "deadlines", ())
                    if d.stage == FIRST_FOLLOW_UP
                ),
                "",
            ),
        )
    )
    return kind, text
