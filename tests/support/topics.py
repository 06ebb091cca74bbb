"""Reading what is really on a topic, the way an agency or an auditor would."""

import asyncio
import time
from collections.abc import Callable

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka.consumers import consumer as new_consumer
from tests.support.brokers import connection

Record = ConsumerRecord[bytes, bytes]


async def read_until(
    bootstrap: str, topic: str, done: Callable[[list[Record]], bool], timeout: float = 30
) -> list[Record]:
    """Every committed record of `topic` from offset 0, until `done(records)` or the timeout."""
    consumer = new_consumer(connection(bootstrap), topic, auto_offset_reset="earliest")
    await consumer.start()
    records: list[Record] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(records):
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def settle(bootstrap: str, topic: str, seconds: float = 3.0) -> list[Record]:
    """Everything on the topic after `seconds` of reading: for asserting counts (exactly once)."""
    await asyncio.sleep(0)
    return await read_until(bootstrap, topic, lambda _: False, timeout=seconds)


async def partition_ids(bootstrap: str, topic: str) -> list[int]:
    return [tp.partition for tp in await partitions_of(bootstrap, [topic])]


async def partitions_of(bootstrap: str, names: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**connection(bootstrap).client_kwargs())
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        return [
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        ]
    finally:
        await admin.close()


async def settled_ends(
    bootstrap: str, partitions: list[TopicPartition], timeout: float = 30
) -> dict[TopicPartition, int]:
    """End offsets once no transaction is open on the partitions.

    The stream processors keep a transaction open for a few seconds after they write;
    until it commits, a read_committed reader cannot see past it (the last stable offset).
    """
    committed = new_consumer(connection(bootstrap))
    everything = new_consumer(connection(bootstrap), isolation_level="read_uncommitted")
    await committed.start()
    await everything.start()
    try:
        # Assigned, each knows every topic's leaders at once, rather than topic by topic.
        committed.assign(partitions)
        everything.assign(partitions)
        deadline = time.monotonic() + timeout
        while True:
            stable = await committed.end_offsets(partitions)
            if stable == await everything.end_offsets(partitions) or time.monotonic() > deadline:
                return stable
            await asyncio.sleep(0.2)
    finally:
        await committed.stop()
        await everything.stop()


async def read_all(bootstrap: str, topic: str) -> list[Record]:
    """Every committed record of `topic` up to its end, once open transactions have settled."""
    return await read_every(bootstrap, [topic])


async def read_every(bootstrap: str, names: list[str]) -> list[Record]:
    """`read_all` of several topics with one consumer: one wait for open transactions, not one
    per topic."""
    partitions = await partitions_of(bootstrap, names)
    ends = await settled_ends(bootstrap, partitions)
    consumer = new_consumer(connection(bootstrap))
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(
                    r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)]
                )
        return records
    finally:
        await consumer.stop()
