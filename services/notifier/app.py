"""Notifier: tells agencies what happened (services/notifier/agency.py) by signed webhook,
and reporters (services/notifier/reporter.py) by e-mail, once each: the delivery ledger
remembers what was sent."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from services.notifier.agency import (
    CHANGES_HOLDER,
    TELLS_HOLDER,
    AgencyNotification,
    body,
    new_holder,
    notifications,
)
from services.notifier.ledger import DeliveryLedger
from services.notifier.mail import send_mail
from services.notifier.reporter import Report, kind_of, message
from services.notifier.reports import Known, Reports
from services.notifier.retry import DeliveryFailed
from services.notifier.webhook import deliver
from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.database import open_database
from shared.domain.complaint import Complaint
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory
from shared.http import health_routes
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection
from shared.kafka.consumer import consume
from shared.kafka.health import BrokerProbe
from shared.kafka.publisher import Publisher, Record
from shared.logs import about_complaint

log = logging.getLogger(__name__)
WEBHOOK = "webhook"
EMAIL = "email"
REPORTER = "reporter"  # the ledger's recipient for the reporter: never their address


def create_app(settings: Settings) -> FastAPI:
    database = open_database(settings.database)
    ledger = DeliveryLedger(database)
    reports = Reports(database)
    directory = default_directory()
    kafka = KafkaConnection.from_settings(settings)
    dead_letters = Publisher(kafka, "notifier", settings.publish_timeout_seconds)
    secret = settings.webhook_secret.get_secret_value()

    async def handle(record: ConsumerRecord[bytes, bytes], client: httpx.AsyncClient) -> None:
        try:
            envelope = parse(record.value)
            event = event_of(envelope)
        except PoisonMessage:
            return  # dead-lettered by the router
        complaint_id = str(event.originator_id)
        with about_complaint(complaint_id):
            # PostgreSQL is across the network: the stores' calls run off the event loop.
            if isinstance(event, Complaint.Filed):
                await asyncio.to_thread(
                    reports.remember, complaint_id, event.tracking_id, event.title, event.reporter
                )
            for_reporter = kind_of(event) is not None
            known = None
            if isinstance(event, TELLS_HOLDER) or for_reporter:
                known = await asyncio.to_thread(reports.find, complaint_id)
            holder = known.holder if known else None
            for notification in notifications(event, holder):
                await notify(notification, event, envelope.id, record.key or b"", client)
            if for_reporter and known is not None:
                await write_to_reporter(event, envelope.id, known, record.key or b"")
            if isinstance(event, CHANGES_HOLDER):
                await asyncio.to_thread(reports.hand_over, complaint_id, new_holder(event))

    async def dead_letter(
        recipient: str, key: bytes, payload: bytes, failure: DeliveryFailed
    ) -> None:
        log.error("notification for %s dead-lettered: %s", recipient, failure)
        metrics.NOTIFICATIONS_FAILED.labels(agency_id=recipient).inc()
        reason = ((topics.DEAD_LETTER_REASON, str(failure).encode()),)
        await dead_letters.publish(Record(topics.dead_letters("notifier"), key, payload, reason))
        metrics.DEAD_LETTERS.labels(service="notifier").inc()

    async def write_to_reporter(
        event: DomainEvent, event_id: str, known: Known, key: bytes
    ) -> None:
        reporter = await asyncio.to_thread(reports.reporter, known)
        if reporter is None or reporter.email is None:
            return  # no address given, or the reporter was forgotten (key shredded)
        if await asyncio.to_thread(ledger.delivered, event_id, REPORTER, EMAIL):
            return
        report = Report(known.tracking_id, known.title, reporter.language)
        letter = message(event, report, known.holder, directory.agencies, settings.public_base_url)
        if letter is None:
            return
        try:
            await send_mail(settings, reporter.email, letter.subject, letter.body)
        except DeliveryFailed as failure:
            # The letter, not the address: dead letters are read by operators.
            letter_text = f"{letter.subject}\n\n{letter.body}".encode()
            await dead_letter(REPORTER, key, letter_text, failure)
        else:
            log.info("reporter notified", extra={"kind": letter.kind})
            metrics.NOTIFICATIONS_SENT.labels(agency_id=REPORTER).inc()
        await asyncio.to_thread(ledger.record, event_id, REPORTER, EMAIL)

    async def notify(
        notification: AgencyNotification,
        event: DomainEvent,
        event_id: str,
        key: bytes,
        client: httpx.AsyncClient,
    ) -> None:
        agency_id = notification.agency_id
        if await asyncio.to_thread(ledger.delivered, event_id, agency_id, WEBHOOK):
            return
        payload = body(notification, event, event_id, settings.public_base_url)
        try:
            await deliver(client, settings.webhook_url, secret, event_id, payload)
        except DeliveryFailed as failure:
            await dead_letter(agency_id, key, payload, failure)
        else:
            log.info("agency notified", extra={"agency_id": agency_id, "kind": notification.kind})
            metrics.NOTIFICATIONS_SENT.labels(agency_id=agency_id).inc()
        await asyncio.to_thread(ledger.record, event_id, agency_id, WEBHOOK)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10) as client:
            task = asyncio.create_task(
                consume(
                    kafka,
                    "pintu-notifier",
                    topics.EVENTS,
                    lambda record: handle(record, client),
                )
            )
            yield
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await dead_letters.close()
        database.dispose()

    app = FastAPI(title="Pintu notifier", lifespan=lifespan)
    app.include_router(health_routes(BrokerProbe(kafka)))
    return app
