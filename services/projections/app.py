"""Projections: keep the agency inboxes and complaint timelines up to date from the log."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from shared import metrics
from shared.adapters.http import health_routes
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumer import consume_batches
from shared.adapters.kafka.health import BrokerProbe
from shared.adapters.sql.database import open_database
from shared.config import Settings
from shared.projections.inbox import Applied, InboxStore

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    database = open_database(settings.database)
    store = InboxStore(database)
    if store.ensure_schema():
        log.warning("read models were of an older shape: rebuilt, replaying the log from 0")
    kafka = KafkaConnection.from_settings(settings)

    async def handle(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        batch = [item for item in map(Applied.of, records) if item is not None]
        # One transaction per batch; PostgreSQL is across the network: off the event loop.
        applied = await asyncio.to_thread(store.apply_all, batch)
        if applied:
            for item in batch:
                metrics.EVENTS_PROJECTED.labels(type=item.event_type).inc()
            log.debug("read model updated: %d events", applied)

    def resume_at(tp: TopicPartition) -> int | None:
        return store.resume_offset(tp.topic, tp.partition)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(
            consume_batches(kafka, "pintu-projections", topics.EVENTS, handle, resume_at)
        )
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        database.dispose()

    app = FastAPI(title="Pintu projections", lifespan=lifespan)
    app.include_router(health_routes(BrokerProbe(kafka)))
    return app
