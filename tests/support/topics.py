"""Reading what is really on a topic, the way an agency or an auditor would."""

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

Record = ConsumerRecord[bytes, bytes]


async def read_until(
    bootstrap: str, topic: str, done: Callable[[list[Record]], bool], timeout: float = 30
) -> list[Record]:
    """Every committed record of `topic` from offset 0, until `done(records)` or the timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
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
