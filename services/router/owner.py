"""The router as each complaint's one writer after filing (docs/decisions/0001), exactly once.

For every partition number p it owns, the router reads complaints.events p (filings,
and everything else appended) and complaints.commands p (what others ask), decides
with services/router/lifecycle.py, and appends the outcome to complaints.events p in
one Kafka transaction with the input offsets: the events, each command's verdict on
complaints.outcomes, and every ComplaintRouted also onto its agencies' topics
complaints.routed.<agency_id> (decision 0006: no second hop reading the log back).
Its state, each complaint's history, is the log itself: on taking a partition over it
first fences the previous owner (whose open transaction is aborted), then reads that
partition of the log to its end. So after a crash or a rebalance nothing is lost,
nothing is done twice, and no state outside Kafka can disagree with it.

faust-streaming's tables are not written in the transaction of the output they go
with (a complaint was lost in the crash test), hence plain aiokafka transactions here.
"""

import asyncio
import contextlib
import gc
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias
from uuid import UUID

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import ConsumerRecord

from services.router.lifecycle import on_command, on_filed, rebuild, replay
from shared import clock, metrics
from shared.adapters.kafka import topics
from shared.adapters.kafka.batches import Write, send_all
from shared.adapters.kafka.clients import KafkaConnection, all_of, start
from shared.adapters.kafka.consumers import consumer, read_to_end
from shared.adapters.kafka.routing_feed import RoutingFeed
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode, encode
from shared.contracts.commands import Command, Outcome, decode_command, encode_outcome
from shared.domain.complaint import Complaint, InvalidTransition, NotHolder, deadlines_started
from shared.domain.model import DomainEvent
from shared.logs import about_complaint

log = logging.getLogger(__name__)
GROUP = "pintu-router-owner"
MAX_WAITS = 20  # rounds a command may wait for its complaint's filing to be read
SOURCE = "/pintu/router"
ROUND_RECORDS = 10_000  # records taken per poll: fewer, larger transactions
YIELD_EVERY = 1000  # records decided between two turns of the event loop (heartbeats)
MAX_BATCH_BYTES = 512 * 1024  # a round's records for one partition go in a few batches

Record: TypeAlias = ConsumerRecord[bytes, bytes]
History: TypeAlias = list[bytes]
Offsets: TypeAlias = dict[TopicPartition, int]


@dataclass
class Round:
    """What one batch of one input partition leads to, written in one transaction."""

    writes: list[Write] = field(default_factory=list)
    appended: list[DomainEvent] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)  # agency topics written to
    dead_letters: int = 0


class Owner(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self, connection: KafkaConnection, routing: RoutingFeed, settings: Settings
    ) -> None:
        self._connection = connection
        self._routing = routing
        self._base_url = settings.public_base_url
        self._policy = settings.sla
        self._verification = settings.verification_required
        self._consumer = consumer(
            connection,
            group_id=GROUP,
            auto_offset_reset="earliest",
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
        # Input offsets of batches that wrote nothing (our own appends read back, mostly):
        # committed with partition p's next transaction, or once p is quiet. Reading such
        # records again after a crash changes nothing, so they need no transaction of their own.
        self._unsaved: dict[int, Offsets] = {}
        self._checked: set[TopicPartition] = set()
        # Held by a partition's round: a revocation waits for it, so a producer is never
        # stopped under an open transaction (whose commit would then wait for ever).
        self._rounds: dict[int, asyncio.Lock] = {}

    def _round(self, p: int) -> asyncio.Lock:
        return self._rounds.setdefault(p, asyncio.Lock())

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for p in {tp.partition for tp in revoked}:
            async with self._round(p):
                self._histories.pop(p, None)
                self._echoes.pop(p, None)
                self._unsaved.pop(p, None)
                self._checked -= {
                    TopicPartition(topics.EVENTS, p),
                    TopicPartition(topics.COMMANDS, p),
                }
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
                batches = await self._consumer.getmany(timeout_ms=500, max_records=ROUND_RECORDS)
                by_partition: dict[int, list[tuple[TopicPartition, list[Record]]]] = {}
                for tp, records in batches.items():
                    by_partition.setdefault(tp.partition, []).append((tp, records))
                quiet = [
                    p for p, offsets in self._unsaved.items() if offsets and p not in by_partition
                ]
                # Partitions are independent (own histories, own producer): their
                # transactions overlap; within one, the log and the commands take turns.
                await all_of(
                    [self._partition(batch) for batch in by_partition.values()]
                    + [self._save(p) for p in quiet]
                )
        finally:
            for producer in self._producers.values():
                await producer.stop()
            self._producers.clear()
            await self._consumer.stop()

    async def _partition(self, batches: list[tuple[TopicPartition, list[Record]]]) -> None:
        async with self._round(batches[0][0].partition):
            # The log first: a command is about a complaint filed before it was sent.
            for tp, records in sorted(batches, key=lambda batch: batch[0].topic != topics.EVENTS):
                if tp not in self._consumer.assignment():
                    continue  # revoked since it was fetched: no longer ours to decide
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
                max_batch_size=MAX_BATCH_BYTES,
            )
            await start(producer, self._connection)  # fences the previous owner of p
            self._producers[p] = producer
            self._histories[p] = await self._read_log(p)
            # Long-lived from now on: the cyclic collector need not walk them again. Garbage
            # is collected first, or what is in cycles now would be frozen for good.
            gc.collect()
            gc.freeze()
            self._echoes[p] = set()
            self._unsaved[p] = {}
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
        histories: dict[bytes, History] = {}
        async for batch in read_to_end(self._connection, [partition]):
            for record in batch[partition]:
                # Poison is no one's history; it is dead-lettered when processed.
                with contextlib.suppress(PoisonMessage):
                    _remember(histories, record)
        log.info("took over partition %d: %d complaints", p, len(histories))
        return histories

    async def _process(
        self, producer: AIOKafkaProducer, tp: TopicPartition, records: Sequence[Record]
    ) -> None:
        histories = self._histories[tp.partition]
        resume = records[-1].offset + 1
        done = Round()
        # The moment the round's filings are decided at (each was filed before it): their
        # clocks start then, computed once for them all.
        decided_at = clock.now()
        for n, record in enumerate(records, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # a long round must not starve the group's heartbeat
            if tp.topic == topics.COMMANDS:
                try:
                    command = decode_command(record.value)
                except PoisonMessage as poison:
                    _dead_letter(done, record, str(poison))
                    continue
                if await self._before_its_filing(histories, command, record.partition):
                    resume = record.offset  # read again once the log has caught up
                    break
                new = self._command(done, histories, command)
            else:
                new = self._event(done, histories, record, decided_at)
            for event in new:
                self._append(done, tp.partition, histories, event)
        self._unsaved[tp.partition][tp] = resume
        if done.writes:
            await self._commit(producer, tp.partition, done.writes)
            _recorded(done)
        if resume <= records[-1].offset:
            self._consumer.seek(tp, resume)

    async def _commit(self, producer: AIOKafkaProducer, p: int, writes: list[Write]) -> None:
        """`writes` and partition p's input offsets, in one transaction."""
        offsets = self._unsaved[p]
        async with producer.transaction():
            await send_all(producer, writes)
            await producer.send_offsets_to_transaction(dict(offsets), GROUP)
        offsets.clear()

    async def _save(self, p: int) -> None:
        """Commit the offsets of a quiet partition's batches that wrote nothing."""
        async with self._round(p):
            if self._unsaved.get(p):  # still ours, still unsaved
                await self._commit(self._producers[p], p, [])

    async def _before_its_filing(
        self, histories: dict[bytes, History], command: Command, partition: int
    ) -> bool:
        """A command about a complaint this router has not read yet, while its partition of
        the log has records still unread: the filing is among them, wait for it. (With the
        log read to its end, an unknown complaint is refused.)"""
        if str(command.complaint_id).encode() in histories:
            return False
        waited = self._waiting.get(command.id, 0)
        if waited >= MAX_WAITS:
            return False  # a busy log must not hold the commands behind this one for ever
        log_tp = TopicPartition(topics.EVENTS, partition)
        end = (await self._consumer.end_offsets([log_tp]))[log_tp]
        if await self._consumer.position(log_tp) >= end:
            return False
        self._waiting[command.id] = waited + 1
        return True

    def _event(
        self, done: Round, histories: dict[bytes, History], record: Record, decided_at: datetime
    ) -> list[DomainEvent]:
        echoes = self._echoes[record.partition]
        if record.value in echoes:
            echoes.discard(record.value)  # our own append, read back: already in its history
            return []
        try:
            event = _remember(histories, record)
        except PoisonMessage as poison:
            _dead_letter(done, record, str(poison))
            return []
        history = histories[record.key or b""]
        # A filing is routed once: when nothing followed it on the log yet.
        if not isinstance(event, Complaint.Filed) or len(history) != 1:
            return []
        with about_complaint(event.originator_id):
            complaint = rebuild([event])  # the filing just decoded is the whole history
            return on_filed(
                complaint, self._routing.current, self._policy, self._verification, decided_at
            )

    def _command(
        self, done: Round, histories: dict[bytes, History], command: Command
    ) -> list[DomainEvent]:
        self._waiting.pop(command.id, None)
        with about_complaint(command.complaint_id):
            history = histories.get(str(command.complaint_id).encode(), [])
            try:
                complaint = replay(history)
                new = on_command(complaint, command, self._routing.current, self._policy)
            except InvalidTransition as refused:
                log.info("command %s refused: %s", command.action.kind, refused)
                _answer(
                    done,
                    Outcome(
                        command_id=command.id,
                        complaint_id=command.complaint_id,
                        accepted=False,
                        reason=str(refused),
                        refusal="not_held" if isinstance(refused, NotHolder) else "not_allowed",
                    ),
                )
                return []
            _answer(
                done,
                Outcome(
                    command_id=command.id,
                    complaint_id=command.complaint_id,
                    accepted=True,
                    status=complaint.status.value,
                ),
            )
            return new

    def _append(
        self, done: Round, p: int, histories: dict[bytes, History], event: DomainEvent
    ) -> None:
        """The one way an event joins complaints.events: encoded once, sealed and chained to
        its complaint's last event (shared/contracts/chain.py), added to its history, and, a
        ComplaintRouted, published as it is to the agency that must act and its tembusan
        (copies), in the same transaction."""
        history = histories.setdefault(str(event.originator_id).encode(), [])
        previous = history[-1] if history else None
        key, value = encode(event, SOURCE, self._base_url, previous)
        done.writes.append(Write(topics.EVENTS, key, value, p))
        history.append(value)
        self._echoes[p].add(value)
        done.appended.append(event)
        if isinstance(event, Complaint.Routed):
            # The partition follows from the complaint's log partition: one complaint, one order.
            for agency in dict.fromkeys([event.agency_id, *event.copies]):
                done.writes.append(
                    Write(topics.routed(agency), key, value, topics.agency_partition(p))
                )
                done.delivered.append(agency)


def _recorded(done: Round) -> None:
    """Metrics and logs of a committed round: per complaint at DEBUG, a summary at INFO.
    Counted per label, not per event: a labelled counter costs a lock and lookups each time."""
    routed: Counter[str] = Counter()
    scheduled: Counter[str] = Counter()
    for event in done.appended:
        scheduled.update(d.stage for d in deadlines_started(event))
        if isinstance(event, Complaint.Routed):
            routed[event.agency_id] += 1
            if log.isEnabledFor(logging.DEBUG):
                with about_complaint(event.originator_id):
                    log.debug("complaint routed", extra={"agency_id": event.agency_id})
        elif isinstance(event, Complaint.DeadlineBreached):
            with about_complaint(event.originator_id):
                log.info("deadline breached", extra={"stage": event.stage})
        elif isinstance(event, Complaint.Escalated):
            with about_complaint(event.originator_id):
                log.info("escalated", extra={"to_agency_id": event.to_agency_id})
    for agency, count in routed.items():
        metrics.COMPLAINTS_ROUTED.labels(agency_id=agency).inc(count)
    for stage, count in scheduled.items():
        metrics.DEADLINES_SCHEDULED.labels(stage=stage).inc(count)
    for agency, count in Counter(done.delivered).items():
        metrics.FANOUT_DELIVERED.labels(agency_id=agency).inc(count)
    if done.dead_letters:
        metrics.DEAD_LETTERS.labels(service="router").inc(done.dead_letters)
    if routed:
        one = [e.originator_id for e in done.appended if isinstance(e, Complaint.Routed)]
        with about_complaint(one[0]) if len(one) == 1 else contextlib.nullcontext():
            log.info(
                "complaints routed",
                extra={"count": routed.total(), "agencies": dict(routed.most_common())},
            )


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


def _answer(done: Round, outcome: Outcome) -> None:
    """The verdict on a command, in the same transaction as what it appended."""
    key, value = encode_outcome(outcome)
    done.writes.append(Write(topics.OUTCOMES, key, value))


def _dead_letter(done: Round, record: Record, reason: str) -> None:
    log.warning("dead-lettered: %s", reason)
    done.writes.append(
        Write(
            topics.dead_letters("router"),
            record.key,
            record.value,
            headers=((topics.DEAD_LETTER_REASON, reason.encode()),),
        )
    )
    done.dead_letters += 1
