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
from services.notifier.breakers import Breakers
from services.notifier.dead_letters import dead_letter
from services.notifier.delivery import Deliverer
from services.notifier.outbox import Delivery, Outbox
from services.notifier.queueing import Queueing
from services.notifier.reports import Reports
from services.notifier.senders import Senders
from shared import metrics
from shared.adapters.http import health_routes
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumer import consume_batches
from shared.adapters.kafka.directory import DirectoryInForce
from shared.adapters.kafka.health import BrokerProbe
from shared.adapters.kafka.publisher import Publisher
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.domain.routing import Directory, default_directory, with_liaisons

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
    keys = KeyStore(database)
    queueing = Queueing(database, Reports(database), plan.Endpoints.from_settings(settings))
    kafka = KafkaConnection.from_settings(settings)
    directories = DirectoryInForce(kafka, liaisons_of(settings))
    dead_letters = Publisher(kafka, "notifier", settings.publish_timeout_seconds)

    async def to_dead_letters(delivery: Delivery, why: str) -> None:
        await dead_letters.publish(dead_letter(delivery, why))
        metrics.DEAD_LETTERS.labels(service="notifier").inc()

    async def handle(records: list[ConsumerRecord[bytes, bytes]], deliverer: Deliverer) -> None:
        events = []
        for record in records:
            try:
                envelope = parse(record.value)
                events.append((envelope.id, event_of(envelope)))
            except PoisonMessage:
                continue  # dead-lettered by the router
        # One trip off the event loop (PostgreSQL is across the network) and one transaction
        # for the batch, committed before its offset is.
        woken = await asyncio.to_thread(queueing.queue, events, directories.current)
        for endpoint in woken:
            deliverer.wake(endpoint)

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
                    consume_batches(
                        kafka,
                        "pintu-notifier",
                        topics.EVENTS,
                        lambda records: handle(records, deliverer),
                        # A fifth of a second late, a batch of the log in one transaction,
                        # one turn at the database's writer (SQLite's is shared in make run).
                        pace_ms=200,
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
