"""The one consumer loop for plain aiokafka workers (notifier, projections).

Reads only committed records (the stream processors write transactionally) and
commits offsets after the handler returns, so an acknowledged record is never
skipped; handlers make redelivery harmless (ledgers, tracking records).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka.clients import KafkaConnection, KafkaSignInFailed, start
from shared.adapters.kafka.consumers import consumer as new_consumer

log = logging.getLogger(__name__)

Handler = Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]
# A partition's records of one poll, in order: for sinks that write a batch in one transaction.
BatchHandler = Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]
ResumeAt = Callable[[TopicPartition], int | None]


class _Resume(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer, resume_at: ResumeAt) -> None:
        self.consumer = consumer
        self.resume_at = resume_at

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        for tp in assigned:
            offset = self.resume_at(tp)
            # The store's positions are the truth: one it never read is read from the start,
            # whatever the group last committed (a rebuilt read model replays the whole log).
            if offset is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, offset)


async def consume(
    connection: KafkaConnection,
    group_id: str,
    topic: str,
    handle: Handler,
    resume_at: ResumeAt | None = None,
) -> None:
    """Hand each record to `handle`, in order; see consume_batches."""

    async def each(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await handle(record)

    await consume_batches(connection, group_id, topic, each, resume_at)


async def consume_batches(
    connection: KafkaConnection,
    group_id: str,
    topic: str,
    handle: BatchHandler,
    resume_at: ResumeAt | None = None,
    pace_ms: int | None = None,
) -> None:
    """Run until cancelled; reconnects when the broker goes away, or refuses the credentials
    (they may not have reached every broker yet), saying so."""
    while True:
        # Paced: the broker answers a fetch once it holds a megabyte or `pace_ms` have passed,
        # so the handler's transaction and the offset commit are paid per batch, not per
        # record (for a worker whose lag of that much nobody waits on).
        pacing: dict[str, Any] = {}
        if pace_ms is not None:
            pacing = {"fetch_min_bytes": 1 << 20, "fetch_max_wait_ms": pace_ms}
        consumer = new_consumer(
            connection, group_id=group_id, auto_offset_reset="earliest", **pacing
        )
        try:
            listener = _Resume(consumer, resume_at) if resume_at else None
            consumer.subscribe([topic], listener=listener) if listener else consumer.subscribe(
                [topic]
            )
            await start(consumer, connection)
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                for records in batches.values():
                    await handle(records)
                if batches:
                    await consumer.commit()
        except asyncio.CancelledError:
            raise
        except KafkaSignInFailed as refused:
            log.error("consumer %s cannot start: %s; retrying in 10s", group_id, refused)
            await asyncio.sleep(10)
        except Exception:
            log.exception("consumer %s failed; reconnecting", group_id)
            await asyncio.sleep(2)
        finally:
            await consumer.stop()
