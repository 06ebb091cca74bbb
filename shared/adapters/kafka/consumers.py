"""The Kafka reading kit: the one way a Pintu process makes a consumer, and the one way it
reads a topic from its start to its committed end.

`consumer()` makes every AIOKafkaConsumer of shared/, services/ and dev/: the connection's
address and credentials (shared/adapters/kafka/clients.py), committed records only
(read_committed: an aborted transaction never happened), and no auto-commit (a group
member commits what it has handled, by hand; a reader without a group commits nothing).

`read_to_end()`, or a `Reader` for several reads on one consumer, reads partitions from
their start (or given offsets) to the end they had when the reading began (or given ends),
and then stops, without waiting for what is written meanwhile. Under read_committed that
end is the last stable offset, and the position jumps past transaction markers and aborted
records without yielding them, so a partition is done when the consumer's position reaches
its end, never by the offset of the last record seen. An empty partition is done at once.

Its readers:
- the routing feed, shared/adapters/kafka/routing_feed.py: `routing.events` to its end
  (the rules in force are known), then onwards;
- the router's take-over, services/router/owner.py: its partition of complaints.events,
  every complaint's history, before it decides anything there;
- replay, shared/projections/replay.py: the log into a fresh read model, from where that
  store stands to given ends, optionally only what happened by a day (--as-of);
- the notifier's redelivery, services/notifier/dead_letters.py: complaints.dlq.notifier;
- the audit reader, services/audit/reader.py: the log whole, partition by partition, for
  `pintu audit` to check its chain of hashes (and to say when the cluster stops answering).
"""

import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka import topics as kafka_topics
from shared.adapters.kafka.clients import KafkaConnection, start

Record: TypeAlias = ConsumerRecord[bytes, bytes]
# One poll's records, per partition, in offset order; never an empty list.
Batch: TypeAlias = dict[TopicPartition, list[Record]]
Progress = Callable[[int], None]  # told how many more offsets were passed (markers count)
POLL_MS = 1000


def consumer(
    connection: KafkaConnection,
    *topics: str,
    group_id: str | None = None,
    isolation_level: str = "read_committed",
    enable_auto_commit: bool = False,
    **options: Any,
) -> AIOKafkaConsumer:
    """A consumer of `connection` (not started: `clients.start` it, which names a refused
    sign-in); `options` are aiokafka's own (auto_offset_reset, partition_assignment_strategy,
    max_partition_fetch_bytes, ...)."""
    return AIOKafkaConsumer(
        *topics,
        **connection.client_kwargs(),
        group_id=group_id,
        enable_auto_commit=enable_auto_commit,
        isolation_level=isolation_level,
        **options,
    )


class ReadStalled(Exception):
    """No record and no progress for `seconds`: the cluster stopped answering."""

    def __init__(self, tp: TopicPartition, position: int, end: int, seconds: float) -> None:
        super().__init__(
            f"{tp.topic} partition {tp.partition} stopped at offset {position}"
            f" of {end}: no answer for {seconds:.0f} s"
        )
        self.partition = tp
        self.position = position
        self.end = end


class Reader:
    """One consumer outside any group, assigned by hand, for reads to an end; an async
    context manager (started on entry, stopped on exit)."""

    def __init__(
        self,
        connection: KafkaConnection,
        *,
        isolation_level: str = "read_committed",
        **options: Any,
    ) -> None:
        self._connection = connection
        # earliest: a position the retention has deleted meanwhile goes on with what is left
        options.setdefault("auto_offset_reset", "earliest")
        self.consumer = consumer(connection, isolation_level=isolation_level, **options)

    async def __aenter__(self) -> "Reader":
        try:
            await start(self.consumer, self._connection)
        except BaseException:
            await self.consumer.stop()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def partitions(self, source: str | Iterable[TopicPartition]) -> list[TopicPartition]:
        """A topic's partitions in order (LookupError when there is no such topic), or those given."""
        if isinstance(source, str):
            return await kafka_topics.partitions_of(self._connection, source)
        return list(source)

    async def ends(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Where each partition ends now (read_committed: its last stable offset)."""
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(list(partitions))
        return ends

    async def beginnings(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's first offset still kept."""
        begins: dict[TopicPartition, int] = await self.consumer.beginning_offsets(list(partitions))
        return begins

    async def to_end(
        self,
        partitions: Iterable[TopicPartition],
        *,
        from_offsets: Mapping[TopicPartition, int] | None = None,
        until: Mapping[TopicPartition, int] | None = None,
        max_records: int | None = None,
        stall_seconds: float | None = None,
        progress: Progress | None = None,
        timeout_ms: int = POLL_MS,
    ) -> AsyncGenerator[Batch, None]:
        """Each poll's records of `partitions` with offsets before their end, from
        `from_offsets` (a partition not named there: its beginning) to `until` (a partition
        not named there, or no `until`: its end as this read begins). Stops once every
        position reaches its end; ReadStalled when `stall_seconds` pass without a move."""
        tps = list(dict.fromkeys(partitions))
        consumer = self.consumer
        consumer.assign(tps)  # a new assignment: nothing paused or buffered from a read before
        starts = dict(from_offsets or {})
        for tp in tps:
            if tp in starts:
                consumer.seek(tp, starts[tp])
        if unstarted := [tp for tp in tps if tp not in starts]:
            await consumer.seek_to_beginning(*unstarted)
        ends = dict(until or {})
        if unended := [tp for tp in tps if tp not in ends]:
            ends.update(await self.ends(unended))
        at = {tp: min(await consumer.position(tp), ends[tp]) for tp in tps}
        left = [tp for tp in tps if at[tp] < ends[tp]]
        beyond: set[TopicPartition] = set()  # fetched past its end: seek back before onwards
        last_move = time.monotonic()
        while left:
            batches = await consumer.getmany(*left, timeout_ms=timeout_ms, max_records=max_records)
            batch: Batch = {}
            for tp, records in batches.items():
                mine = [r for r in records if r.offset < ends[tp]]
                if mine:
                    batch[tp] = mine
            moved = 0
            for tp in list(left):
                position = await consumer.position(tp)
                now_at = min(position, ends[tp])
                moved += now_at - at[tp]
                at[tp] = now_at
                if now_at >= ends[tp]:
                    left.remove(tp)
                    consumer.pause(tp)  # done: fetch no more of it
                    if position > ends[tp]:
                        beyond.add(tp)
            if batch:
                yield batch
            if moved > 0:
                if progress is not None:
                    progress(moved)
                last_move = time.monotonic()
            elif stall_seconds is not None and time.monotonic() - last_move > stall_seconds:
                stuck = left[0]
                raise ReadStalled(stuck, at[stuck], ends[stuck], stall_seconds)
        for tp in beyond:
            consumer.seek(tp, ends[tp])
        consumer.resume(*tps)

    async def onwards(self, *, timeout_ms: int = POLL_MS) -> AsyncGenerator[Batch, None]:
        """After a read to its end: every record written since, as it comes; never ends."""
        while True:
            batches: Batch = await self.consumer.getmany(timeout_ms=timeout_ms)
            batch = {tp: records for tp, records in batches.items() if records}
            if batch:
                yield batch


async def read_to_end(
    connection: KafkaConnection,
    source: str | Iterable[TopicPartition],
    *,
    isolation_level: str = "read_committed",
    from_offsets: Mapping[TopicPartition, int] | None = None,
    until: Mapping[TopicPartition, int] | None = None,
    max_records: int | None = None,
    stall_seconds: float | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> AsyncGenerator[Batch, None]:
    """A topic's partitions (`source` a topic name; LookupError when there is none), or the
    partitions given, read to their end on a consumer of their own; see Reader.to_end.
    `options` are the consumer's (e.g. max_partition_fetch_bytes)."""
    async with Reader(connection, isolation_level=isolation_level, **options) as reader:
        partitions = await reader.partitions(source)
        async for batch in reader.to_end(
            partitions,
            from_offsets=from_offsets,
            until=until,
            max_records=max_records,
            stall_seconds=stall_seconds,
            progress=progress,
        ):
            yield batch


def records_of(batch: Batch) -> list[Record]:
    """A batch's records, partition after partition."""
    return [record for records in batch.values() for record in records]
