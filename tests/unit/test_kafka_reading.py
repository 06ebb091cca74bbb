"""The Kafka reading kit (shared/adapters/kafka/consumers.py) on a fake consumer: a read
stops at the end it had when it began, judged by the position, so transaction markers,
aborted records and empty partitions cannot hold it, nor records written since slip in."""

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka import consumers
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumers import Reader, ReadStalled, read_to_end, records_of

TOPIC = "complaints.events"
A, B, EMPTY = (TopicPartition(TOPIC, p) for p in range(3))
CONNECTION = KafkaConnection("127.0.0.1:9092")
MARKER = None  # an offset a read_committed consumer passes without a record: a marker, or aborted


class FakeConsumer:
    """Each partition's offsets, a value or MARKER; a poll hands out `chunk` offsets of each
    partition asked for (records past any end too, as a prefetch would)."""

    def __init__(
        self, logs: dict[TopicPartition, list[bytes | None]], ends: dict[TopicPartition, int]
    ) -> None:
        self.logs = logs
        self.stable_ends = ends
        self.chunk = 2
        self.stuck: set[TopicPartition] = set()  # never answers for these
        self.positions: dict[TopicPartition, int] = {}
        self.paused: set[TopicPartition] = set()
        self.polls = 0
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = dict.fromkeys(partitions, 0)
        self.paused = set()

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            self.positions[tp] = 0

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.stable_ends[tp] for tp in partitions}

    async def beginning_offsets(
        self, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, 0)

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused -= set(partitions)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        self.polls += 1
        await asyncio.sleep(0.001)
        asked = partitions or tuple(self.positions)
        out = {}
        for tp in asked:
            if tp in self.paused or tp in self.stuck:
                continue
            start = self.positions[tp]
            taken = self.logs[tp][start : start + self.chunk]
            self.positions[tp] = start + len(taken)
            records = [
                _record(tp, start + i, value) for i, value in enumerate(taken) if value is not None
            ]
            if records:
                out[tp] = records
        return out


def _record(tp: TopicPartition, offset: int, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        tp.topic, tp.partition, offset, 0, 0, None, value, None, len(value), len(value), []
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeConsumer:
    consumer = FakeConsumer(
        logs={
            # a0 a1, an aborted transaction (a record and its abort marker), a2 and its commit
            # marker, then a3 written after the read began
            A: [b"a0", b"a1", MARKER, MARKER, b"a2", MARKER, b"a3"],
            B: [b"b0", b"b1", b"b2"],
            EMPTY: [],
        },
        ends={A: 6, B: 3, EMPTY: 0},
    )
    monkeypatch.setattr(consumers, "consumer", lambda *_, **__: consumer)
    return consumer


async def _read(**kwargs: Any) -> list[bytes]:
    values = []
    async for batch in read_to_end(CONNECTION, [A, B, EMPTY], **kwargs):
        assert all(batch.values()), "a batch names only partitions with records"
        values += [record.value for record in records_of(batch)]
    return values


async def test_every_committed_record_before_the_end_and_nothing_after(fake: FakeConsumer) -> None:
    values = await _read()
    assert sorted(values) == [b"a0", b"a1", b"a2", b"b0", b"b1", b"b2"]
    assert [v for v in values if v.startswith(b"a")] == [b"a0", b"a1", b"a2"]  # in order
    assert fake.started and fake.stopped


async def test_a_trailing_marker_is_passed_by_position_not_waited_for(fake: FakeConsumer) -> None:
    fake.chunk = 1  # the commit marker comes alone, in a poll with no record
    await _read()
    assert fake.positions[A] >= 6
    assert fake.polls == 6  # one poll per offset of the longest partition, none to spare


async def test_empty_partitions_end_the_read_at_once(fake: FakeConsumer) -> None:
    async for _ in read_to_end(CONNECTION, [EMPTY]):
        raise AssertionError("an empty partition has no records")
    assert fake.polls == 0


async def test_from_offsets_and_until_bound_the_read(fake: FakeConsumer) -> None:
    values = await _read(from_offsets={A: 1, B: 3}, until={A: 2})
    assert values == [b"a1"]


async def test_progress_counts_offsets_markers_included(fake: FakeConsumer) -> None:
    moved: list[int] = []
    await _read(progress=moved.append)
    assert sum(moved) == 6 + 3 and all(n > 0 for n in moved)


async def test_a_partition_that_never_moves_is_reported(fake: FakeConsumer) -> None:
    fake.stuck = {B}
    with pytest.raises(ReadStalled) as stalled:
        await _read(stall_seconds=0.0)
    assert str(stalled.value) == (
        "complaints.events partition 1 stopped at offset 0 of 3: no answer for 0 s"
    )


async def test_after_the_end_onwards_goes_on_from_the_end_exactly(fake: FakeConsumer) -> None:
    fake.chunk = 10  # the first poll fetches a3 too, past the end: it must come, once, later
    async with Reader(CONNECTION) as reader:
        before = [r.value async for batch in reader.to_end([A]) for r in records_of(batch)]
        after = reader.onwards()
        later = records_of(await anext(after))
        await after.aclose()
    assert before == [b"a0", b"a1", b"a2"]
    assert [(r.offset, r.value) for r in later] == [(6, b"a3")]


async def test_the_factory_reads_committed_records_and_commits_nothing_by_itself() -> None:
    made = consumers.consumer(
        CONNECTION, TOPIC, group_id="pintu-test", auto_offset_reset="earliest"
    )
    try:
        assert made._isolation_level == "read_committed"
        assert made._enable_auto_commit is False
        assert made._group_id == "pintu-test"
        assert made._client._bootstrap_servers == "127.0.0.1:9092"
        assert made.subscription() == {TOPIC}
    finally:
        await made.stop()
