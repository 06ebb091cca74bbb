"""Reading a topic whole, as an auditor does: each partition from its first record to the
end it had when the reading began, committed records only (read_committed)."""

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass

from aiokafka import TopicPartition

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumers import Reader, ReadStalled
from shared.adapters.kafka.consumers import Record as Record  # what the audit reads

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
        # An auditor's read commits nothing, joins no group and sees committed records only:
        # aborted transactions never happened.
        self._reader = Reader(connection)

    async def __aenter__(self) -> "LogReader":
        await self._reader.__aenter__()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._reader.__aexit__()

    async def extents(self) -> list[Extent]:
        """Every partition of the topic with its first offset and its end now."""
        try:
            partitions = await self._reader.partitions(self.topic)
        except LookupError:
            raise LogUnreadable(f"there is no topic {self.topic!r} on this cluster") from None
        begins = await self._reader.beginnings(partitions)
        ends = await self._reader.ends(partitions)  # read_committed: the stable end
        return [Extent(tp.partition, begins[tp], ends[tp]) for tp in partitions]

    async def records(
        self, extent: Extent, progress: Callable[[int], None] = lambda _: None
    ) -> AsyncGenerator[Record, None]:
        """The partition's records in offset order, up to its end; `progress(n)` as the
        position moves on by n offsets (transaction markers take offsets too)."""
        tp = TopicPartition(self.topic, extent.partition)
        reading = self._reader.to_end(
            [tp],
            from_offsets={tp: extent.begin},
            until={tp: extent.end},
            stall_seconds=STALL_SECONDS,
            progress=progress,
        )
        try:
            async with aclosing(reading) as batches:
                async for batch in batches:
                    for record in batch[tp]:
                        yield record
        except ReadStalled as stalled:
            raise LogUnreadable(str(stalled)) from None
