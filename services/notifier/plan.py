"""Who hears of an event, on which channel, saying what: the deliveries one event owes.

Pure (the caller unseals the reporter and loads the complaint), so every kind, language
and channel is unit-tested. An agency hears by signed webhook at its own endpoint (the
directory's liaison `webhook_url`, else the platform's default) and by e-mail at its
liaison office, when the directory has one; the national admin (`national-triage`) hears
the same way, its e-mail at PINTU_NATIONAL_ADMIN_EMAIL. The reporter hears by e-mail, or by
SMS when they gave a phone number and no address (a text costs; a letter says more).
"""

import json
from dataclasses import dataclass

from services.notifier.agency import AgencyNotification, body, letter
from services.notifier.outbox import Delivery
from services.notifier.reporter import Report, kind_of, message, text_message
from services.notifier.reports import Known
from shared.config import Settings
from shared.domain.complaint import NATIONAL_TRIAGE
from shared.domain.identity import ReporterIdentity
from shared.domain.model import DomainEvent
from shared.domain.routing import Directory

REPORTER = "reporter"  # the recipient the outbox names for a reporter: never their address


@dataclass(frozen=True)
class Endpoints:
    """Where each channel goes, from the settings."""

    webhook_url: str  # agencies without their own
    smtp: str  # the relay, one endpoint for every e-mail
    sms_gateway: str | None
    national_admin_email: str | None
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "Endpoints":
        return cls(
            webhook_url=settings.webhook_url,
            smtp=f"smtp://{settings.smtp_host}:{settings.smtp_port}",
            sms_gateway=settings.sms_gateway_url,
            national_admin_email=settings.national_admin_email,
            base_url=settings.public_base_url,
        )


def for_agency(
    notification: AgencyNotification,
    event: DomainEvent,
    event_id: str,
    tracking_id: str,
    directory: Directory,
    endpoints: Endpoints,
) -> list[Delivery]:
    agency_id = notification.agency_id
    agency = directory.agencies.get(agency_id)
    liaison = agency.liaison if agency else None
    complaint_id = str(event.originator_id)
    url = (liaison.webhook_url if liaison else None) or endpoints.webhook_url
    deliveries = [
        Delivery(
            event_id,
            agency_id,
            "webhook",
            f"webhook {url}",
            notification.kind,
            complaint_id,
            body(notification, event, event_id, tracking_id, endpoints.base_url),
            address=url,
        )
    ]
    address = liaison.email if liaison else None
    if agency_id == NATIONAL_TRIAGE and endpoints.national_admin_email:
        address = endpoints.national_admin_email
    if address:
        subject, text = letter(
            notification,
            event,
            tracking_id,
            agency.name if agency else agency_id,
            (liaison.language if liaison else None) or "id",
            endpoints.base_url,
        )
        deliveries.append(
            Delivery(
                event_id,
                agency_id,
                "email",
                endpoints.smtp,
                notification.kind,
                complaint_id,
                _letter(subject, text),
                address=address,
            )
        )
    return deliveries


def for_reporter(
    event: DomainEvent,
    event_id: str,
    known: Known,
    reporter: ReporterIdentity | None,
    directory: Directory,
    endpoints: Endpoints,
) -> list[Delivery]:
    """`reporter`: who reported, unsealed (None: anonymous to Pintu, or forgotten)."""
    if reporter is None or known.sealed_reporter is None:
        return []
    report = Report(known.tracking_id, known.title, reporter.language)
    sealed = known.sealed_reporter.model_dump_json()
    complaint_id = str(event.originator_id)
    args = (event, report, known.holder, directory.agencies, endpoints.base_url)
    if reporter.email is not None:
        mail = message(*args)
        if mail is None:
            return []
        return [
            Delivery(
                event_id,
                REPORTER,
                "email",
                endpoints.smtp,
                mail.kind,
                complaint_id,
                _letter(mail.subject, mail.body),
                sealed_to=sealed,
            )
        ]
    if reporter.phone is not None and endpoints.sms_gateway is not None:
        text, kind = text_message(*args), kind_of(event)
        if text is None or kind is None:
            return []
        return [
            Delivery(
                event_id,
                REPORTER,
                "sms",
                f"sms {endpoints.sms_gateway}",
                kind,
                complaint_id,
                text.encode(),
                sealed_to=sealed,
            )
        ]
    return []


def _letter(subject: str, text: str) -> bytes:
    return json.dumps({"subject": subject, "body": text}, ensure_ascii=False).encode()


def letter_of(payload: bytes) -> tuple[str, str]:
    """An e-mail delivery's subject and body."""
    fields = json.loads(payload)
    return str(fields["subject"]), str(fields["body"])
