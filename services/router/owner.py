"""The router as each complaint's one writer after filing (docs/decisions/0001), exactly once.

For every partition number p it owns, the router reads complaints.events p (filings,
and everything else appended) and complaints.commands p (what others ask), decides
with services/router/lifecycle.py, and appends the outcome to complaints.events p in
one Kafka transaction with the input offsets. Its state, each complaint's history, is
the log itself: on taking a partition over it first fences the previous owner (whose
open transaction is aborted), then reads that partition of the log to its end. So
after a crash or a rebalance nothing is lost, nothing is done twice, and no state
outside Kafka can disagree with it.

faust-streaming's tables are not written in the transaction of the output they go
with (a complaint was lost in the crash test), hence plain aiokafka transactions here.
"""

import contextlib
import logging
from collections.abc import Sequence
from typing import TypeAlias
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import ConsumerRecord

from services.router.lifecycle import on_command, on_filed, replay
from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode, encode
from shared.contracts.commands import Outcome, decode_command, encode_outcome
from shared.domain.complaint import Complaint, InvalidTransition
from shared.domain.model import DomainEvent
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection, all_of, start
from shared.kafka.routing_feed import RoutingFeed
from shared.logs import about_complaint

log = logging.getLogger(__name__)
GROUP = "pintu-router-owner"
MAX_WAITS = 20  # rounds a command may wait for its complaint's filing to be read
SOURCE = "/pintu/router"

Record: TypeAlias = ConsumerRecord[bytes, bytes]
History: TypeAlias = list[bytes]


class Owner(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self, connection: KafkaConnection, routing: RoutingFeed, settings: Settings
    ) -> None:
        self._connection = connection
        self._routing = routing
        self._base_url = settings.public_base_url
        self._policy = settings.sla
        self._verification = settings.verification_required
        self._consumer = AIOKafkaConsumer(
            **connection.client_kwargs(),
            group_id=GROUP,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            # Range, not aiokafka's round-robin: partition p of the log and of the commands
            # go to the same router, the one holding p's histories and transactional id.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        self._producers: dict[int, AIOKafkaProducer] = {}
        self._histories: dict[int, dict[bytes, History]] = {}
        # Commands that came before their complaint's filing was read: how often each waited.
        self._waiting: dict[UUID, int] = {}
        # What this router appended and has not read back yet: known, no need to decode.
        self._echoes: dict[int, set[bytes]] = {}
        self._checked: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for p in {tp.partition for tp in revoked}:
            self._histories.pop(p, None)
            self._echoes.pop(p, None)
            self._checked -= {TopicPartition(topics.EVENTS, p), TopicPartition(topics.COMMANDS, p)}
            producer = self._producers.pop(p, None)
            if producer is not None:
                await producer.stop()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        pass  # ownership is taken on a partition's first batch, where a failure is not swallowed

    async def run(self) -> None:
        await self._routing.ready.wait()  # never decide before the rules in force are known
        self._consumer.subscribe([topics.EVENTS, topics.COMMANDS], listener=self)
        await start(self._consumer, self._connection)
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
                by_partition: dict[int, list[tuple[TopicPartition, list[Record]]]] = {}
                for tp, records in batches.items():
                    by_partition.setdefault(tp.partition, []).append((tp, records))
                # Partitions are independent (own histories, own producer): their
                # transactions overlap; within one, the log and the commands take turns.
                await all_of(self._partition(batch) for batch in by_partition.values())
        finally:
            for producer in self._producers.values():
                await producer.stop()
            self._producers.clear()
            await self._consumer.stop()

    async def _partition(self, batches: list[tuple[TopicPartition, list[Record]]]) -> None:
        # The log first: a command is about a complaint filed before it was sent.
        for tp, records in sorted(batches, key=lambda batch: batch[0].topic != topics.EVENTS):
            producer = await self._own(tp, records[0].offset)
            if producer is not None:
                await self._process(producer, tp, records)

    async def _own(self, tp: TopicPartition, first_offset: int) -> AIOKafkaProducer | None:
        """Partition p's producer, or None when this batch began before the committed offset."""
        p = tp.partition
        if p not in self._producers:
            producer = AIOKafkaProducer(
                **self._connection.client_kwargs(),
                transactional_id=f"{GROUP}-{p}",
                acks="all",
                enable_idempotence=True,
            )
            await start(producer, self._connection)  # fences the previous owner of p
            self._producers[p] = producer
            self._histories[p] = await self._read_log(p)
            self._echoes[p] = set()
        if tp not in self._checked:
            # Read the committed offset only now, after fencing: it can no longer move.
            committed = await self._consumer.committed(tp)
            self._checked.add(tp)
            if committed is not None and committed != first_offset:
                self._consumer.seek(tp, committed)
                return None
        return self._producers[p]

    async def _read_log(self, p: int) -> dict[bytes, History]:
        """Every complaint's history on complaints.events p, up to its committed end."""
        partition = TopicPartition(topics.EVENTS, p)
        reader = AIOKafkaConsumer(
            **self._connection.client_kwargs(), group_id=None, isolation_level="read_committed"
        )
        reader.assign([partition])
        await start(reader, self._connection)
        histories: dict[bytes, History] = {}
        try:
            await reader.seek_to_beginning(partition)
            end = (await reader.end_offsets([partition]))[partition]
            while await reader.position(partition) < end:
                batch = await reader.getmany(partition, timeout_ms=1000)
                for record in batch.get(partition, []):
                    # Poison is no one's history; it is dead-lettered when processed.
                    with contextlib.suppress(PoisonMessage):
                        _remember(histories, record)
        finally:
            await reader.stop()
        log.info("took over partition %d: %d complaints", p, len(histories))
        return histories

    async def _process(
        self, producer: AIOKafkaProducer, tp: TopicPartition, records: Sequence[Record]
    ) -> None:
        histories = self._histories[tp.partition]
        resume = records[-1].offset + 1
        async with producer.transaction():
            for record in records:
                if tp.topic == topics.COMMANDS:
                    if await self._before_its_filing(histories, record):
                        resume = record.offset  # read again once the log has caught up
                        break
                    new = await self._command(producer, histories, record)
                else:
                    new = await self._event(producer, histories, record)
                for event in new:
                    await self._append(producer, tp.partition, histories, event)
            await producer.send_offsets_to_transaction({tp: resume}, GROUP)
        if resume <= records[-1].offset:
            self._consumer.seek(tp, resume)

    async def _before_its_filing(self, histories: dict[bytes, History], record: Record) -> bool:
        """A command about a complaint this router has not read yet, while its partition of
        the log has records still unread: the filing is among them, wait for it. (With the
        log read to its end, an unknown complaint is refused.)"""
        try:
            command = decode_command(record.value)
        except PoisonMessage:
            return False  # dead-lettered by _command
        if str(command.complaint_id).encode() in histories:
            return False
        waited = self._waiting.get(command.id, 0)
        if waited >= MAX_WAITS:
            return False  # a busy log must not hold the commands behind this one for ever
        log_tp = TopicPartition(topics.EVENTS, record.partition)
        end = (await self._consumer.end_offsets([log_tp]))[log_tp]
        if await self._consumer.position(log_tp) >= end:
            return False
        self._waiting[command.id] = waited + 1
        return True

    async def _event(
        self, producer: AIOKafkaProducer, histories: dict[bytes, History], record: Record
    ) -> list[DomainEvent]:
        echoes = self._echoes[record.partition]
        if record.value in echoes:
            echoes.discard(record.value)  # our own append, read back: already in its history
            return []
        try:
            event = _remember(histories, record)
        except PoisonMessage as poison:
            await _dead_letter(producer, record, str(poison))
            return []
        history = histories[record.key or b""]
        # A filing is routed once: when nothing followed it on the log yet.
        if not isinstance(event, Complaint.Filed) or len(history) != 1:
            return []
        with about_complaint(event.originator_id):
            return on_filed(
                replay(history), self._routing.current, self._policy, self._verification
            )

    async def _command(
        self, producer: AIOKafkaProducer, histories: dict[bytes, History], record: Record
    ) -> list[DomainEvent]:
        try:
            command = decode_command(record.value)
        except PoisonMessage as poison:
            await _dead_letter(producer, record, str(poison))
            return []
        self._waiting.pop(command.id, None)
        with about_complaint(command.complaint_id):
            history = histories.get(str(command.complaint_id).encode(), [])
            try:
                complaint = replay(history)
                new = on_command(complaint, command, self._routing.current, self._policy)
            except InvalidTransition as refused:
                log.info("command %s refused: %s", command.action.kind, refused)
                await _answer(
                    producer,
                    Outcome(
                        command_id=command.id,
                        complaint_id=command.complaint_id,
                        accepted=False,
                        reason=str(refused),
                    ),
                )
                return []
            await _answer(
                producer,
                Outcome(
                    command_id=command.id,
                    complaint_id=command.complaint_id,
                    accepted=True,
                    status=complaint.status.value,
                ),
            )
            return new

    async def _append(
        self,
        producer: AIOKafkaProducer,
        p: int,
        histories: dict[bytes, History],
        event: DomainEvent,
    ) -> None:
        history = histories.setdefault(str(event.originator_id).encode(), [])
        # Sealed and chained to the complaint's last event (shared/contracts/chain.py).
        previous = history[-1] if history else None
        key, value = encode(event, SOURCE, self._base_url, previous)
        await producer.send(topics.EVENTS, value, key=key, partition=p)
        history.append(value)
        self._echoes[p].add(value)
        with about_complaint(event.originator_id):
            if isinstance(event, Complaint.Routed):
                log.info("complaint routed", extra={"agency_id": event.agency_id})
                metrics.COMPLAINTS_ROUTED.labels(agency_id=event.agency_id).inc()
            elif isinstance(event, Complaint.DeadlineScheduled):
                metrics.DEADLINES_SCHEDULED.labels(stage=event.stage).inc()
            elif isinstance(event, Complaint.DeadlineBreached):
                log.info("deadline breached", extra={"stage": event.stage})
            elif isinstance(event, Complaint.Escalated):
                log.info("escalated", extra={"to_agency_id": event.to_agency_id})


def _remember(histories: dict[bytes, History], record: Record) -> DomainEvent:
    """Decode a record of the log and add it to its complaint's history, unless known."""
    event = decode(record.value)
    history = histories.setdefault(record.key or b"", [])
    if event.originator_version == len(history) + 1:
        history.append(record.value)
    elif event.originator_version > len(history) + 1:
        log.error(
            "gap in the history of %s: #%d after #%d",
            record.key,
            event.originator_version,
            len(history),
        )
    return event


async def _answer(producer: AIOKafkaProducer, outcome: Outcome) -> None:
    """The verdict on a command, in the same transaction as what it appended."""
    key, value = encode_outcome(outcome)
    await producer.send(topics.OUTCOMES, value, key=key)


async def _dead_letter(producer: AIOKafkaProducer, record: Record, reason: str) -> None:
    log.warning("dead-lettered: %s", reason)
    await producer.send(
        topics.dead_letters("router"),
        record.value,
        key=record.key,
        headers=[(topics.DEAD_LETTER_REASON, reason.encode())],
    )
    metrics.DEAD_LETTERS.labels(service="router").inc()
