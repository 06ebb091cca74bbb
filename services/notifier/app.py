"""Notifier: turns events into deliveries (services/notifier/plan.py) to agencies, the
national admin and reporters, queues them in the outbox before the event's offset is
committed, and drains the outbox one task per endpoint (services/notifier/delivery.py).

Exactly once per recipient, channel and event: the outbox's key makes a restart, a
rebalance or a replay of the log queue nothing twice (docs/operations.md, Notifications).
"""

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from services.notifier import plan
from services.notifier.agency import CHANGES_HOLDER, TELLS_HOLDER, new_holder, notifications
from services.notifier.breakers import Breakers
from services.notifier.dead_letters import dead_letter
from services.notifier.delivery import Deliverer
from services.notifier.outbox import Delivery, Outbox
from services.notifier.reporter import kind_of
from services.notifier.reports import Reports
from services.notifier.senders import Senders
from shared import metrics
from shared.adapters.http import health_routes
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumer import consume
from shared.adapters.kafka.directory import DirectoryInForce
from shared.adapters.kafka.health import BrokerProbe
from shared.adapters.kafka.publisher import Publisher
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.domain.complaint import Complaint
from shared.domain.routing import Directory, default_directory, with_liaisons
from shared.logs import about_complaint

log = logging.getLogger(__name__)


def liaisons_of(settings: Settings) -> Callable[[Directory], Directory]:
    """The deployment's liaison contacts, laid over those of whichever directory is in force."""
    if settings.liaisons_file is None:
        return lambda directory: directory
    try:
        document = json.loads(Path(settings.liaisons_file).read_text())
        with_liaisons(default_directory(), document)  # a bad file stops the start, not a delivery
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"PINTU_LIAISONS_FILE {settings.liaisons_file}: {error}") from error
    return lambda directory: with_liaisons(directory, document)


def create_app(settings: Settings) -> FastAPI:
    database = open_database(settings.database)
    holder = f"{socket.gethostname()}:{settings.notifier_port}"
    outbox = Outbox(database, holder)
    breakers = Breakers(database, holder, settings.delivery)
    reports = Reports(database)
    keys = KeyStore(database)
    endpoints = plan.Endpoints.from_settings(settings)
    kafka = KafkaConnection.from_settings(settings)
    directories = DirectoryInForce(kafka, liaisons_of(settings))
    dead_letters = Publisher(kafka, "notifier", settings.publish_timeout_seconds)

    async def to_dead_letters(delivery: Delivery, why: str) -> None:
        await dead_letters.publish(dead_letter(delivery, why))
        metrics.DEAD_LETTERS.labels(service="notifier").inc()

    async def handle(record: ConsumerRecord[bytes, bytes], deliverer: Deliverer) -> None:
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
            tells_someone = isinstance(event, TELLS_HOLDER) or bool(notifications(event, None))
            known = None
            if for_reporter or tells_someone:  # the one read of the complaint's row
                known = await asyncio.to_thread(reports.find, complaint_id)
            if known is not None:
                directory = directories.current
                deliveries: list[Delivery] = []
                for notification in notifications(event, known.holder):
                    deliveries += plan.for_agency(
                        notification, event, envelope.id, known.tracking_id, directory, endpoints
                    )
                if for_reporter:
                    reporter = await asyncio.to_thread(reports.reporter, known)
                    deliveries += plan.for_reporter(
                        event, envelope.id, known, reporter, directory, endpoints
                    )
                for delivery in deliveries:
                    # Queued before the offset is committed: an acknowledged event is never lost.
                    if await asyncio.to_thread(outbox.add, delivery):
                        deliverer.wake(delivery.endpoint)
            if isinstance(event, CHANGES_HOLDER):
                await asyncio.to_thread(reports.hand_over, complaint_id, new_holder(event))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        timeout = settings.delivery.timeout_seconds
        async with httpx.AsyncClient(timeout=timeout) as client:
            senders = Senders(settings, client, keys)
            deliverer = Deliverer(
                outbox, breakers, senders.send, to_dead_letters, settings.delivery
            )
            tasks = [
                asyncio.create_task(deliverer.run()),
                asyncio.create_task(directories.follow()),
                asyncio.create_task(
                    consume(
                        kafka,
                        "pintu-notifier",
                        topics.EVENTS,
                        lambda record: handle(record, deliverer),
                    )
                ),
            ]
            yield
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
        await dead_letters.close()
        database.dispose()

    app = FastAPI(title="Pintu notifier", lifespan=lifespan)
    app.include_router(health_routes(BrokerProbe(kafka)))
    return app
