"""Notifier: tells agencies what happened, once, through a signed webhook."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from services.notifier.ledger import DeliveryLedger
from services.notifier.webhook import DeliveryFailed, deliver
from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.database import open_database
from shared.domain.complaint import Complaint
from shared.http import health_routes
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection
from shared.kafka.consumer import consume
from shared.kafka.health import BrokerProbe
from shared.kafka.publisher import Publisher, Record
from shared.logs import about_complaint

log = logging.getLogger(__name__)
WEBHOOK = "webhook"


def agency_notification(routed: Complaint.Routed, event_id: str, base_url: str) -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "kind": "complaint.routed",
            "complaint_id": str(routed.originator_id),
            "agency_id": routed.agency_id,
            "rule": routed.rule_id,
            "message": "Laporan baru didisposisikan ke instansi Anda.",
            "link": f"{base_url}/v1/agencies/{routed.agency_id}/inbox",
        },
        sort_keys=True,
    ).encode()


def create_app(settings: Settings) -> FastAPI:
    database = open_database(settings.database)
    ledger = DeliveryLedger(database)
    kafka = KafkaConnection.from_settings(settings)
    dead_letters = Publisher(kafka, "notifier", settings.publish_timeout_seconds)
    secret = settings.webhook_secret.get_secret_value()

    async def handle(record: ConsumerRecord[bytes, bytes], client: httpx.AsyncClient) -> None:
        try:
            envelope = parse(record.value)
            event = event_of(envelope)
        except PoisonMessage:
            return  # dead-lettered by the router
        if not isinstance(event, Complaint.Routed):
            return
        event_id = envelope.id
        with about_complaint(event.originator_id):
            # PostgreSQL is across the network: the ledger's calls run off the event loop.
            if await asyncio.to_thread(ledger.delivered, event_id, event.agency_id, WEBHOOK):
                return
            body = agency_notification(event, event_id, settings.public_base_url)
            try:
                await deliver(client, settings.webhook_url, secret, event_id, body)
            except DeliveryFailed as failure:
                log.error("notification dead-lettered: %s", failure)
                metrics.NOTIFICATIONS_FAILED.labels(agency_id=event.agency_id).inc()
                await dead_letters.publish(
                    Record(
                        topics.dead_letters("notifier"),
                        record.key or b"",
                        body,
                        ((topics.DEAD_LETTER_REASON, str(failure).encode()),),
                    )
                )
                metrics.DEAD_LETTERS.labels(service="notifier").inc()
            else:
                log.info("agency notified", extra={"agency_id": event.agency_id})
                metrics.NOTIFICATIONS_SENT.labels(agency_id=event.agency_id).inc()
            await asyncio.to_thread(ledger.record, event_id, event.agency_id, WEBHOOK)

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
