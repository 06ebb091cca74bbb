"""The router as each complaint's one writer after filing (docs/decisions/0001), exactly once.

For every partition number p it owns, the router reads complaints.events p (filings,
and everything else appended) and complaints.commands p (what others ask), decides
with services/router/lifecycle.py, and appends the outcome to complaints.events p in
one Kafka transaction with the input offsets: the events, each command's verdict on
complaints.outcomes, and every ComplaintRouted also onto its agencies' topics
complaints.routed.<agency_id> (decision 0006: no second hop reading the log back).

Its state is one snapshot per open complaint (services/router/state.py), kept in memory
and on the compacted topic pintu-router-state p, written in the same transaction as the
decisions it reflects (decision 0012). On taking a partition over it first fences the
previous owner (whose open transaction is aborted), then reads that partition of the state
topic, and reads the log only after the committed offset: what the snapshots do not hold
yet. A complaint closed for good leaves both (a tombstone); a late command that names one
reads its history back from the log. So after a crash or a rebalance nothing is lost,
nothing is done twice, and no state outside Kafka can disagree with it.

faust-streaming's tables are not written in the transaction of the output they go
with (a complaint was lost in the crash test), hence plain aiokafka transactions here.
"""

import asyncio
import contextlib
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

from services.router import state
from services.router.lifecycle import on_command, on_filed, rebuild
from shared import clock, metrics
from shared.adapters.kafka import topics
from shared.adapters.kafka.batches import Write, send_all
from shared.adapters.kafka.clients import KafkaConnection, all_of, start
from shared.adapters.kafka.consumers import consumer, read_to_end
from shared.adapters.kafka.routing_feed import RoutingFeed
from shared.config import Settings
from shared.contracts.chain import Link, link_of, sealed_link
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
Offsets: TypeAlias = dict[TopicPartition, int]
Snapshots: TypeAlias = dict[bytes, bytes]  # complaint id -> snapshot, for the open ones


@dataclass(slots=True)
class Held:
    """A complaint being decided: its aggregate, and the link its next event is chained to."""

    complaint: Complaint
    link: Link


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
            # go to the same router, the one holding p's snapshots and transactional id.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        self._producers: dict[int, AIOKafkaProducer] = {}
        self._snapshots: dict[int, Snapshots] = {}
        # Complaints whose snapshot (or tombstone) goes in partition p's next transaction.
        self._changed: dict[int, set[bytes]] = {}
        # Of those, the complaints closed for good: dropped once the round is committed (until
        # then a later command of the round finds them here, with what the round appended).
        self._settled: dict[int, set[bytes]] = {}
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
                self._snapshots.pop(p, None)
                self._changed.pop(p, None)
                self._settled.pop(p, None)
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
                    p
                    for p, offsets in self._unsaved.items()
                    if (offsets or self._changed.get(p)) and p not in by_partition
                ]
                # Partitions are independent (own snapshots, own producer): their
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
            self._snapshots[p], self._changed[p] = await self._take_over(p)
            self._settled[p] = set()
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

    async def _take_over(self, p: int) -> tuple[Snapshots, set[bytes]]:
        """Partition p's open complaints, from its state topic, which its last committed
        transaction left in step with the committed offsets. Where that state is in another
        format (an older release's), from the log instead; then every snapshot is to be
        written again, and the stale ones removed. Returns the snapshots and what to write."""
        where = TopicPartition(topics.ROUTER_STATE, p)
        snapshots: Snapshots = {}
        in_format, records = False, 0
        async for batch in read_to_end(self._connection, [where]):
            for record in batch[where]:
                records += 1
                if record.key == state.PARTITION_KEY:
                    in_format = record.value is not None and state.in_format(record.value)
                elif record.value is None:
                    snapshots.pop(record.key or b"", None)
                else:
                    snapshots[record.key or b""] = record.value
        metrics.TAKEOVER_RECORDS.labels(source="state").inc(records)
        if in_format and all(state.in_format(value) for value in snapshots.values()):
            log.info("took over partition %d from its state: %d open complaints", p, len(snapshots))
            return snapshots, set()
        rebuilt = await self._rebuild(p)
        return rebuilt, {*snapshots, *rebuilt, state.PARTITION_KEY}

    async def _rebuild(self, p: int) -> Snapshots:
        """Partition p's open complaints, from its log up to the committed offset: what the
        previous owner decided. The records after it are read and decided as they come."""
        partition = TopicPartition(topics.EVENTS, p)
        complaints, records = await self._folded(p, await self._consumer.committed(partition) or 0)
        metrics.TAKEOVER_RECORDS.labels(source="log").inc(records)
        snapshots = {
            key: state.taken(held.complaint, held.link.hash)
            for key, held in complaints.items()
            if not held.complaint.settled
        }
        log.info(
            "took over partition %d from its log: %d records, %d complaints, %d open",
            p,
            records,
            len(complaints),
            len(snapshots),
        )
        return snapshots

    async def _recall(self, p: int, key: bytes) -> bytes | None:
        """The snapshot of a complaint closed for good, from its history on the log up to what
        this router has read (a read of the whole partition: rare, a late command for such a
        complaint)."""
        partition = TopicPartition(topics.EVENTS, p)
        complaints, _ = await self._folded(p, await self._consumer.position(partition), key)
        metrics.RECALLS.inc()
        held = complaints.get(key)
        log.info("read back from the log: %s", "found" if held else "no such complaint")
        return state.taken(held.complaint, held.link.hash) if held else None

    async def _folded(
        self, p: int, until: int, only: bytes | None = None
    ) -> tuple[dict[bytes, Held], int]:
        """Log partition p before offset `until`, folded complaint by complaint (only the
        complaint `only`, when given), and how many records were read."""
        partition = TopicPartition(topics.EVENTS, p)
        complaints: dict[bytes, Held] = {}
        records = 0
        async for batch in read_to_end(self._connection, [partition], until={partition: until}):
            for record in batch[partition]:
                records += 1
                if only is None or record.key == only:
                    with contextlib.suppress(PoisonMessage):  # no one's; dead-lettered later
                        _fold(complaints, record)
        return complaints, records

    async def _process(
        self, producer: AIOKafkaProducer, tp: TopicPartition, records: Sequence[Record]
    ) -> None:
        p = tp.partition
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
                key = str(command.complaint_id).encode()
                snapshot = self._snapshots[p].get(key)
                if snapshot is None:
                    if await self._before_its_filing(command, p):
                        resume = record.offset  # read again once the log has caught up
                        break
                    with about_complaint(command.complaint_id):
                        snapshot = await self._recall(p, key)
                self._command(done, p, command, snapshot)
            else:
                self._event(done, p, record, decided_at)
        self._unsaved[p][tp] = resume
        done.writes += self._state_writes(p)
        if done.writes:
            await self._commit(producer, p, done.writes)
            _recorded(done)
        if resume <= records[-1].offset:
            self._consumer.seek(tp, resume)

    def _state_writes(self, p: int) -> list[Write]:
        """The changed complaints' snapshots, or tombstones for those closed for good."""
        snapshots, settled = self._snapshots[p], self._settled[p]
        return [
            Write(
                topics.ROUTER_STATE,
                key,
                state.partition_header()
                if key == state.PARTITION_KEY
                else None
                if key in settled
                else snapshots.get(key),  # None: closed for good, or a stale one rebuilt away
                p,
            )
            for key in self._changed[p]
        ]

    async def _commit(self, producer: AIOKafkaProducer, p: int, writes: list[Write]) -> None:
        """`writes` and partition p's input offsets, in one transaction; then the complaints
        closed for good in it leave memory."""
        offsets = self._unsaved[p]
        async with producer.transaction():
            await send_all(producer, writes)
            await producer.send_offsets_to_transaction(dict(offsets), GROUP)
        offsets.clear()
        self._changed[p].clear()
        for key in self._settled[p]:
            del self._snapshots[p][key]
        self._settled[p].clear()

    async def _save(self, p: int) -> None:
        """Commit a quiet partition's pending state and the offsets of batches that wrote
        nothing."""
        async with self._round(p):
            if p in self._producers:  # still ours
                writes = self._state_writes(p)
                if writes or self._unsaved[p]:
                    await self._commit(self._producers[p], p, writes)

    async def _before_its_filing(self, command: Command, partition: int) -> bool:
        """A command about a complaint this router does not hold, while its partition of the
        log has records still unread: the filing is among them, wait for it. (With the log
        read to its end, the complaint is one closed for good, or none.)"""
        waited = self._waiting.get(command.id, 0)
        if waited >= MAX_WAITS:
            return False  # a busy log must not hold the commands behind this one for ever
        log_tp = TopicPartition(topics.EVENTS, partition)
        end = (await self._consumer.end_offsets([log_tp]))[log_tp]
        if await self._consumer.position(log_tp) >= end:
            return False
        self._waiting[command.id] = waited + 1
        return True

    def _event(self, done: Round, p: int, record: Record, decided_at: datetime) -> None:
        echoes = self._echoes[p]
        if record.value in echoes:
            echoes.discard(record.value)  # our own append, read back: already in its state
            return
        try:
            event = decode(record.value)
        except PoisonMessage as poison:
            _dead_letter(done, record, str(poison))
            return
        key = record.key or b""
        snapshot = self._snapshots[p].get(key)
        if snapshot is None:
            if isinstance(event, Complaint.Filed) and event.originator_version == 1:
                self._route(done, p, key, event, link_of(record.value).hash, decided_at)
            # Else one of our own appends, read back after a take-over, to a complaint
            # closed for good since: nothing to decide.
            return
        complaint, _ = state.restored(snapshot)
        if event.originator_version == complaint.version + 1:  # another writer's: take it in
            complaint = event.mutate(complaint)  # type: ignore[attr-defined]
            self._keep(p, key, Held(complaint, link_of(record.value)))
        elif event.originator_version > complaint.version + 1:
            log.error(
                "gap in the history of %s: #%d after #%d",
                key,
                event.originator_version,
                complaint.version,
            )
        # Else already in its snapshot: read again after a take-over, or a filing retried.

    def _route(
        self,
        done: Round,
        p: int,
        key: bytes,
        filed: Complaint.Filed,
        filed_hash: str,
        decided_at: datetime,
    ) -> None:
        """A new complaint: routed once, when its filing is first read."""
        with about_complaint(filed.originator_id):
            complaint = rebuild([filed])
            held = Held(complaint, Link(1, filed_hash))
            new = on_filed(
                complaint, self._routing.current, self._policy, self._verification, decided_at
            )
            for event in new:
                self._append(done, p, held, event)
            self._keep(p, key, held)

    def _command(self, done: Round, p: int, command: Command, snapshot: bytes | None) -> None:
        self._waiting.pop(command.id, None)
        with about_complaint(command.complaint_id):
            try:
                if snapshot is None:
                    complaint, held = rebuild([]), None  # refused: no such complaint
                else:
                    complaint, last_hash = state.restored(snapshot)
                    held = Held(complaint, Link(complaint.version, last_hash))
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
                return
            _answer(
                done,
                Outcome(
                    command_id=command.id,
                    complaint_id=command.complaint_id,
                    accepted=True,
                    status=complaint.status.value,
                ),
            )
            assert held is not None
            for event in new:
                self._append(done, p, held, event)
            self._keep(p, str(command.complaint_id).encode(), held)

    def _keep(self, p: int, key: bytes, held: Held) -> None:
        """The complaint's new state: its snapshot kept and written with the round, or, closed
        for good, a tombstone written and the snapshot dropped once the round is committed."""
        self._snapshots[p][key] = state.taken(held.complaint, held.link.hash)
        if held.complaint.settled:
            self._settled[p].add(key)
        else:
            self._settled[p].discard(key)
        self._changed[p].add(key)

    def _append(self, done: Round, p: int, held: Held, event: DomainEvent) -> None:
        """The one way an event joins complaints.events: encoded once, sealed and chained to
        its complaint's last event (shared/contracts/chain.py), and, a ComplaintRouted,
        published as it is to the agency that must act and its tembusan (copies), in the
        same transaction."""
        key, value = encode(event, SOURCE, self._base_url, held.link)
        held.link = sealed_link(value, event.originator_version)
        done.writes.append(Write(topics.EVENTS, key, value, p))
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


def _fold(complaints: dict[bytes, Held], record: Record) -> None:
    """Apply a record of the log to its complaint, unless already applied."""
    event = decode(record.value)
    key = record.key or b""
    held = complaints.get(key)
    version = held.complaint.version if held else 0
    if event.originator_version == version + 1:
        complaint = event.mutate(held.complaint if held else None)  # type: ignore[attr-defined]
        complaints[key] = Held(complaint, link_of(record.value))
    elif event.originator_version > version + 1:
        log.error("gap in the history of %s: #%d after #%d", key, event.originator_version, version)


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
