"""Group commit against the real broker: concurrent publishes share transactions, each
returns once its records are committed, every record is on the topic once; a batch that
fails fails every publish in it, and none of its records is ever read."""

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.publisher import MAX_BATCH, BrokerUnavailable, Publisher, Record
from tests.support.topics import read_all

TOPIC = "pintu.test.publisher"


@pytest.fixture(scope="module", autouse=True)
async def topic(kafka: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 3, 1)])
    finally:
        await admin.close()


def record(n: int, run: str) -> Record:
    return Record(TOPIC, f"{run}-{n}".encode(), f'{{"n": {n}, "run": "{run}"}}'.encode())


async def test_concurrent_publishes_share_transactions_and_each_record_lands_once(
    kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = Publisher(KafkaConnection(kafka), "test")
    transactions: list[int] = []
    commit = Publisher._commit

    async def counted(self: Publisher, records: tuple[Record, ...]) -> None:
        transactions.append(len(records))
        await commit(self, records)

    monkeypatch.setattr(Publisher, "_commit", counted)
    run = uuid.uuid4().hex
    try:
        await publisher.publish(record(-1, run))  # the producer started, as in service
        await asyncio.gather(*(publisher.publish(record(n, run)) for n in range(1200)))
    finally:
        await publisher.close()
    assert sum(transactions) == 1201
    assert len(transactions) < 1201 / 10  # shared, not one transaction each
    assert max(transactions) <= MAX_BATCH
    landed = [r.key for r in await read_all(kafka, TOPIC) if r.key.startswith(run.encode())]
    assert sorted(landed) == sorted(f"{run}-{n}".encode() for n in range(-1, 1200))


async def test_a_failed_transaction_fails_every_publish_in_it_and_none_of_its_records_lands(
    kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = Publisher(KafkaConnection(kafka), "test", timeout_seconds=5)
    commit = Publisher._commit
    failing = {"once": True}

    async def fails_after_sending(self: Publisher, records: tuple[Record, ...]) -> None:
        if failing["once"] and len(records) > 1:
            failing["once"] = False
            assert self._producer is not None
            await self._producer.begin_transaction()
            for r in records:
                await self._producer.send(r.topic, r.value, key=r.key)
            raise OSError("the broker went away mid-transaction")  # never committed
        await commit(self, records)

    monkeypatch.setattr(Publisher, "_commit", fails_after_sending)
    run = uuid.uuid4().hex
    try:
        await publisher.publish(record(-1, run))
        answers = await asyncio.gather(
            *(publisher.publish(record(n, run)) for n in range(50)), return_exceptions=True
        )
        await publisher.publish(record(50, run))  # a new producer, after the failure
    finally:
        await publisher.close()
    failed = {n for n, a in enumerate(answers) if isinstance(a, BrokerUnavailable)}
    assert failed and all(a is None or isinstance(a, BrokerUnavailable) for a in answers)
    landed = {r.key for r in await read_all(kafka, TOPIC) if r.key.startswith(run.encode())}
    expected = {f"{run}-{n}".encode() for n in (-1, *range(50), 50) if n not in failed}
    assert landed == expected  # every acknowledged publish, and none that failed
