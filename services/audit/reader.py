"""Reading a topic whole, as an auditor does: each partition from its first record to the
end it had when the reading began, committed records only (read_committed)."""

import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start

Record: TypeAlias = ConsumerRecord[bytes, bytes]
STALL_SECONDS = 60.0  # no record and no progress for this long: the cluster is not answering


class LogUnreadable(Exception):
    """The topic cannot be read to its end (absent, or the cluster stopped answering)."""


@dataclass(frozen=True)
class Extent:
    """One partition's records as the reading began: offsets begin <= offset < end."""

    partition: int
    begin: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.begin


class LogReader:
    def __init__(self, connection: KafkaConnection, topic: str) -> None:
        self.topic = topic
        self._connection = connection
        self._consumer = AIOKafkaConsumer(
            **connection.client_kwargs(),
            group_id=None,  # an auditor's read commits nothing and joins no group
            enable_auto_commit=False,
            isolation_level="read_committed",  # aborted transactions never happened
        )

    async def __aenter__(self) -> "LogReader":
        try:
            await start(self._consumer, self._connection)
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def extents(self) -> list[Extent]:
        """Every partition of the topic with its first offset and its end now."""
        try:
            partitions = await topics.partitions_of(self._connection, self.topic)
        except LookupError:
            raise LogUnreadable(f"there is no topic {self.topic!r} on this cluster") from None
        begins = await self._consumer.beginning_offsets(partitions)
        ends = await self._consumer.end_offsets(partitions)  # read_committed: the stable end
        return [Extent(tp.partition, begins[tp], ends[tp]) for tp in partitions]

    async def records(
        self, extent: Extent, progress: Callable[[int], None] = lambda _: None
    ) -> AsyncGenerator[Record, None]:
        """The partition's records in offset order, up to its end; `progress(n)` as the
        position moves on by n offsets (transaction markers take offsets too)."""
        tp = TopicPartition(self.topic, extent.partition)
        self._consumer.assign([tp])
        self._consumer.seek(tp, extent.begin)
        position, last_move = extent.begin, time.monotonic()
        while position < extent.end:
            batch = await self._consumer.getmany(tp, timeout_ms=1000)
            for record in batch.get(tp, []):
                if record.offset < extent.end:
                    yield record
            now_at = min(await self._consumer.position(tp), extent.end)
            if now_at > position:
                progress(now_at - position)
                position, last_move = now_at, time.monotonic()
            elif time.monotonic() - last_move > STALL_SECONDS:
                raise LogUnreadable(
                    f"{self.topic} partition {extent.partition} stopped at offset {position}"
                    f" of {extent.end}: no answer for {STALL_SECONDS:.0f} s"
                )
