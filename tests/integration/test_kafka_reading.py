"""The Kafka reading kit on a real broker: a read to the committed end yields every committed
record of every partition, none of an aborted transaction, copes with an empty partition and
a trailing commit marker, and stops at the end it had without waiting for what comes after."""

import time
from uuid import uuid4

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumers import read_to_end, records_of
from tests.support.brokers import connection


async def _topic(kafka: KafkaConnection, partitions: int) -> str:
    name = f"pintu.test.reading.{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
    return name


async def test_reads_every_committed_record_and_stops_at_the_end(kafka: str) -> None:
    conn = connection(kafka)
    topic = await _topic(conn, 3)
    producer = AIOKafkaProducer(
        **conn.client_kwargs(), transactional_id=f"reading-{topic}", enable_idempotence=True
    )
    await producer.start()
    try:
        async with producer.transaction():
            for n in range(5):
                await producer.send(topic, f"committed-{n}".encode(), partition=0)
        await producer.begin_transaction()
        for n in range(3):
            await producer.send(topic, f"aborted-{n}".encode(), partition=0)
        await producer.abort_transaction()
        async with producer.transaction():  # its commit marker is the partition's last offset
            await producer.send(topic, b"committed-5", partition=0)
            for n in range(4):
                await producer.send(topic, f"other-{n}".encode(), partition=1)
        # partition 2 stays empty

        began = time.monotonic()
        values: list[bytes] = []
        async for batch in read_to_end(conn, topic):
            if not values:  # written once the read began: beyond its end
                async with producer.transaction():
                    await producer.send(topic, b"too-late", partition=1)
                    await producer.send(topic, b"too-late", partition=2)
            values += [record.value or b"" for record in records_of(batch)]
        took = time.monotonic() - began
    finally:
        await producer.stop()

    assert [v for v in values if v.startswith(b"committed")] == [
        f"committed-{n}".encode() for n in range(6)
    ]
    assert sorted(v for v in values if v.startswith(b"other")) == [
        f"other-{n}".encode() for n in range(4)
    ]
    assert len(values) == 10, values  # nothing aborted, nothing written after the start
    assert took < 10, f"the read waited {took:.1f} s at the end"

    # The next read begins later, so its end includes what came meanwhile.
    again = [r.value async for b in read_to_end(conn, topic) for r in records_of(b)]
    assert again.count(b"too-late") == 2 and len(again) == 12


async def test_given_offsets_and_ends_bound_the_read(kafka: str) -> None:
    conn = connection(kafka)
    topic = await _topic(conn, 1)
    producer = AIOKafkaProducer(**conn.client_kwargs(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for n in range(6):
            await producer.send_and_wait(topic, str(n).encode(), partition=0)
    finally:
        await producer.stop()
    tp = TopicPartition(topic, 0)
    read = [
        r.value
        async for batch in read_to_end(conn, [tp], from_offsets={tp: 2}, until={tp: 4})
        for r in records_of(batch)
    ]
    assert read == [b"2", b"3"]
