"""Writing many records in one go: whole batches per partition, the way the router writes.

aiokafka's per-record `send` costs more than the rest of writing a record; a round of the
router writes thousands (docs/decisions/0006), so records bound for one partition are
appended to one batch and sent as a whole.
"""

from typing import NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder


class Write(NamedTuple):  # a tuple: four of them per complaint, made cheaply
    """One record a round writes, in its partition's transaction. No partition: by key."""

    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone, on a compacted topic
    partition: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


async def send_all(producer: AIOKafkaProducer, writes: list[Write]) -> None:
    """Records bound for one partition go as whole batches; those placed by key, one by
    one. Order per partition is kept."""
    open_batches: dict[tuple[str, int], BatchBuilder] = {}
    for w in writes:
        if w.partition is None:
            await producer.send(w.topic, w.value, key=w.key, headers=list(w.headers))
            continue
        where = (w.topic, w.partition)
        batch = open_batches.get(where)
        if batch is None or not _added(batch, w):
            if batch is not None:  # full: on its way, and a new one for the rest
                await producer.send_batch(batch, w.topic, partition=w.partition)
            batch = producer.create_batch()
            if not _added(batch, w):
                raise ValueError(f"a record for {w.topic} is larger than a whole batch")
            open_batches[where] = batch
    for (topic, partition), batch in open_batches.items():
        await producer.send_batch(batch, topic, partition=partition)


def _added(batch: BatchBuilder, w: Write) -> bool:
    """Whether `w` fit in `batch` (a full batch refuses it and closes)."""
    added = batch.append(timestamp=None, key=w.key, value=w.value, headers=list(w.headers))
    return added is not None
