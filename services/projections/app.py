"""Projections: keep the agency inboxes and complaint timelines up to date from the log."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.database import open_database
from shared.http import health_routes
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection
from shared.kafka.consumer import consume
from shared.kafka.health import BrokerProbe
from shared.logs import about_complaint
from shared.projections.inbox import InboxStore, position

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    database = open_database(settings.database)
    store = InboxStore(database)
    kafka = KafkaConnection.from_settings(settings)

    async def handle(record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = parse(record.value)
            event = event_of(envelope)
        except PoisonMessage:
            return  # dead-lettered by the router
        with about_complaint(event.originator_id):
            at = position(record.topic, record.partition, record.offset)
            # PostgreSQL is across the network: off the event loop.
            applied = await asyncio.to_thread(store.apply, event, envelope.type, at)
            if applied:
                metrics.EVENTS_PROJECTED.labels(type=envelope.type).inc()
                log.debug("read model updated")

    def resume_at(tp: TopicPartition) -> int | None:
        return store.resume_offset(tp.topic, tp.partition)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(
            consume(kafka, "pintu-projections", topics.EVENTS, handle, resume_at)
        )
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        database.dispose()

    app = FastAPI(title="Pintu projections", lifespan=lifespan)
    app.include_router(health_routes(BrokerProbe(kafka)))
    return app
