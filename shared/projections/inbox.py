"""The agency inbox and the complaint timeline: read models rebuilt from the log.

They live in the platform database (shared/adapters/sql/database.py): an SQLite file by
default, PostgreSQL when intake replicas and the projection worker run apart.
Each batch's view changes are written in the same transaction as the Kafka positions they
came from (one tracking row per partition: the last offset applied), so a redelivered event
is a no-op.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import Tracking, TrackingRecorder
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from shared import clock
from shared.adapters.sql.database import create_tables, schema_lock
from shared.contracts.cloudevents import PoisonMessage, event_of, parse
from shared.domain.calendar import working_days_between
from shared.domain.complaint import Complaint, Status
from shared.domain.identity import SealedIdentity
from shared.domain.model import DomainEvent
from shared.domain.rules_change import Facts
from shared.projections.projection import (
    OPEN_STATUSES,
    Touched,
    apply,
    insert_rows,
    load,
    save,
    utc,
)
from shared.projections.tables import (
    COMPLAINTS,
    COPIES,
    METADATA,
    SCHEMA,
    SCHEMA_VERSION,
    TIMELINE,
    TRACKING,
)


@dataclass(frozen=True)
class InboxEntry:
    tracking_id: str
    title: str
    category: str
    region_code: str
    status: Status
    filed_at: datetime
    routing_rule: str | None
    deadline_stage: str | None
    deadline_at: datetime | None
    days_left: int | None  # working days to the deadline; negative once it passed
    overdue: bool  # a deadline of the holder's passed unmet
    tembusan: bool = False  # a copy sent to this agency for information


@dataclass(frozen=True)
class TimelineEntry:
    sequence: int
    event_type: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class ComplaintView:
    complaint_id: str
    tracking_id: str
    status: Status
    agency_id: str | None
    confidential: bool
    reporter_token_hash: str | None
    deadline_at: datetime | None
    timeline: list[TimelineEntry]
    anonymous: bool = False
    reporter: SealedIdentity | None = None  # who reported, sealed; None when anonim

    def filing(self) -> dict[str, Any]:
        """What the filing said (its timeline entry's detail); {} before it is projected."""
        filed = next((e for e in self.timeline if e.event_type == "pintu.complaint.filed"), None)
        return filed.detail if filed else {}

    def attachments(self) -> list[dict[str, Any]]:
        """The files the complaint was filed with."""
        return list(self.filing().get("attachments") or [])


@dataclass(frozen=True)
class PublicRequest:
    """A complaint as anyone may see it (Open311): never a rahasia one, never who reported."""

    tracking_id: str
    complaint_id: str
    title: str
    category: str
    region_code: str
    status: Status
    description: str | None
    agency_id: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    filed_at: datetime
    updated_at: datetime
    expected_at: datetime | None = None  # the holder's first follow-up deadline
    media_url: str | None = None  # the first attachment's link


@dataclass(frozen=True)
class JustFiled:
    """A complaint exactly as the read model shows it once it has projected the filing, and
    nothing later: what intake answers from its own record of a filing while the read model
    has not caught up with it yet."""

    complaint: ComplaintView
    public: PublicRequest | None  # None: rahasia, never public


def just_filed(value: bytes) -> JustFiled:
    """The read model's views of a ComplaintFiled record, projected in memory by the very
    code the projection worker runs."""
    envelope = parse(value)
    event = event_of(envelope)
    if not isinstance(event, Complaint.Filed):
        raise ValueError(f"{envelope.type} is not a filing")
    touched = Touched(complaints={}, deadlines={}, copies=set())
    apply(touched, event, envelope.type)
    row = touched.complaints[str(event.originator_id)]
    timeline = [
        TimelineEntry(t["sequence"], t["event_type"], t["at"], json.loads(t["detail"]))
        for t in touched.timeline
    ]
    public = None if row["confidential"] else _public_request(row)
    return JustFiled(complaint=_complaint_view(row, timeline), public=public)


def position(topic: str, partition: int, offset: int) -> Tracking:
    """The tracking record of a Kafka position: stream "topic:partition", the offset."""
    return Tracking(application_name=f"{topic}:{partition}", notification_id=offset)


@dataclass(frozen=True)
class Applied:
    """An event to apply and where it was read: the unit of a batch."""

    event: DomainEvent
    event_type: str
    at: Tracking

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> "Applied | None":
        """The event a record of the log carries, with its position; None for one that is
        no event (the router dead-lettered it; every reader of the log skips it)."""
        try:
            envelope = parse(record.value)
            event = event_of(envelope)
        except PoisonMessage:
            return None
        return cls(event, envelope.type, position(record.topic, record.partition, record.offset))


class InboxStore(TrackingRecorder):
    """The read models, written only by the projection worker (and by `pintu replay` into a
    store of its own); read by intake."""

    def __init__(self, database: Engine) -> None:
        self.database = database
        create_tables(database, METADATA, rebuilt_elsewhere=True)

    def ensure_schema(self) -> bool:
        """Rebuild when the tables predate this code's shape; True if it did. Only the
        projection workers call it, at start, one at a time: a rebuilt read model is replayed
        from offset 0, and a replica that finds it rebuilt by another leaves it."""
        with schema_lock(self.database):
            with self.database.connect() as c:
                found = c.scalar(select(func.max(SCHEMA.c.version)))
                filled = c.scalar(select(func.count()).select_from(COMPLAINTS)) != 0
            if found == SCHEMA_VERSION:
                with self.database.begin() as c:
                    _compact_tracking(c)
                return False
            self._rebuild()
        return filled or found is not None

    def rebuild(self) -> None:
        """Empty the read models and forget every position: the worker replays the whole log."""
        with schema_lock(self.database):
            self._rebuild()

    def _rebuild(self) -> None:
        METADATA.drop_all(self.database)
        # Tables of an older shape (before SCHEMA_VERSION 2) under names no longer in METADATA.
        with self.database.begin() as c:
            c.exec_driver_sql("DROP TABLE IF EXISTS projection_positions")
        METADATA.create_all(self.database)
        with self.database.begin() as c:
            c.execute(SCHEMA.insert().values(version=SCHEMA_VERSION))

    # -- eventsourcing's TrackingRecorder -------------------------------------------------

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position: it becomes its stream's tracking row, replacing an earlier one."""
        with self.database.begin() as c:
            stream, offset = tracking.application_name, tracking.notification_id
            c.execute(
                delete(TRACKING).where(
                    TRACKING.c.application_name == stream, TRACKING.c.notification_id < offset
                )
            )
            c.execute(TRACKING.insert().values(application_name=stream, notification_id=offset))

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.database.connect() as c:
            last = c.scalar(_max_tracking(application_name))
        return None if last is None else int(last)

    def resume_offset(self, topic: str, partition: int) -> int | None:
        """The offset to read next, or None when this partition was never read."""
        last = self.max_tracking_id(f"{topic}:{partition}")
        return None if last is None else last + 1

    # -- the projection -------------------------------------------------------------------

    def apply(self, event: DomainEvent, event_type: str, at: Tracking) -> bool:
        """Apply one event; False when this position was already applied."""
        return self.apply_all([Applied(event, event_type, at)]) == 1

    def apply_all(self, batch: Sequence[Applied]) -> int:
        """Apply a batch in one transaction with its positions (each partition's tracking row
        moved to its last offset in the batch); positions already applied are skipped. How
        many were applied."""
        for _ in range(3):
            try:
                with self.database.begin() as c:
                    return self._apply_all(c, batch)
            except (IntegrityError, PositionMoved):
                continue  # another worker applied some of it first (a rebalance): look again
        raise RuntimeError("positions keep conflicting: two projection workers on one store?")

    def _apply_all(self, c: Connection, batch: Sequence[Applied]) -> int:
        streams = sorted({item.at.application_name for item in batch})
        known: dict[str, int | None] = dict.fromkeys(streams)
        for stream, top in c.execute(
            select(TRACKING.c.application_name, func.max(TRACKING.c.notification_id))
            .where(TRACKING.c.application_name.in_(streams))
            .group_by(TRACKING.c.application_name)
        ):
            known[stream] = top
        last = dict(known)
        fresh = []
        for item in batch:
            stream, offset = item.at.application_name, item.at.notification_id
            seen = last[stream]
            if seen is None or offset > seen:
                fresh.append(item)
                last[stream] = offset
        if not fresh:
            return 0
        moved = {s: n for s, n in last.items() if n is not None and n != known[s]}
        tracked = sum(1 for s in moved if known[s] is not None)
        if _advance(c, moved) < tracked:
            raise PositionMoved(", ".join(moved))
        touched = load(c, map(str, {item.event.originator_id for item in fresh}))
        for item in fresh:
            apply(touched, item.event, item.event_type)
        save(c, touched)
        return len(fresh)

    def inbox(
        self, agency_id: str, limit: int = 100, now: datetime | None = None
    ) -> list[InboxEntry]:
        """The agency's open complaints, oldest first."""
        page = self.complaints(
            Scope(agency_id), ComplaintFilter(open_only=True), page_size=limit, now=now
        )
        return page.entries

    def complaints(
        self,
        scope: "Scope",
        filters: "ComplaintFilter | None" = None,
        sort: "Sort" = "filed_at",
        page: int = 1,
        page_size: int = 50,
        now: datetime | None = None,
    ) -> "Page":
        """One page of the complaints `scope` may read: an agency's own and its copies, or
        every complaint for the national admin."""
        filters = filters or ComplaintFilter()
        query = filters.narrow(scope.narrow(select(COMPLAINTS)))
        counted = select(func.count()).select_from(query.subquery())
        column = COMPLAINTS.c[sort.removeprefix("-")]
        order = column.desc() if sort.startswith("-") else column.asc()
        query = query.order_by(order, COMPLAINTS.c.tracking_id)
        query = query.limit(page_size).offset((page - 1) * page_size)
        moment = now or clock.now()
        with self.database.connect() as c:
            total = int(c.scalar(counted) or 0)
            entries = [_inbox_entry(row, moment, scope) for row in c.execute(query)]
        return Page(entries=entries, total=total, page=page, page_size=page_size)

    def routing_facts(self, since: datetime) -> dict[Facts, int]:
        """How many complaints filed since `since` had each set of routing facts."""
        c_ = COMPLAINTS.c
        query = (
            select(c_.category, c_.region_code, c_.agency_hint, func.count())
            .where(c_.filed_at >= since)
            .group_by(c_.category, c_.region_code, c_.agency_hint)
        )
        with self.database.connect() as c:
            return {Facts(*row[:3]): int(row[3]) for row in c.execute(query)}

    def with_facts(
        self, facts: Facts, since: datetime, limit: int | None = None
    ) -> list[tuple[str, str]]:
        """(tracking id, title) of complaints filed since `since` with these facts, newest
        first."""
        c_ = COMPLAINTS.c
        hint = (
            c_.agency_hint.is_(None)
            if facts.agency_hint is None
            else (c_.agency_hint == facts.agency_hint)
        )
        query = (
            select(c_.tracking_id, c_.title)
            .where(
                c_.filed_at >= since,
                c_.category == facts.category,
                c_.region_code == facts.region_code,
                hint,
            )
            .order_by(c_.filed_at.desc(), c_.tracking_id)
            .limit(limit)
        )
        with self.database.connect() as c:
            return [(row.tracking_id, row.title) for row in c.execute(query)]

    def readable_by(self, agency_id: str, tracking_id: str) -> bool:
        """Whether the agency holds the complaint or got a copy of it."""
        found = self.complaints(Scope(agency_id), ComplaintFilter(tracking_id=tracking_id))
        return found.total > 0

    def complaint(self, tracking_id: str) -> ComplaintView | None:
        with self.database.connect() as c:
            row = c.execute(
                select(COMPLAINTS).where(COMPLAINTS.c.tracking_id == tracking_id)
            ).one_or_none()
            if row is None:
                return None
            # The two reads need not see one snapshot (SQLite's driver, PostgreSQL's read
            # committed): the timeline is cut at the row's version, so it never runs ahead
            # of the status beside it when the projection commits in between.
            timeline = [
                TimelineEntry(t.sequence, t.event_type, utc(t.at), json.loads(t.detail))
                for t in c.execute(
                    select(TIMELINE)
                    .where(
                        TIMELINE.c.complaint_id == row.complaint_id,
                        TIMELINE.c.sequence <= row.version,
                    )
                    .order_by(TIMELINE.c.sequence)
                )
            ]
        return _complaint_view(row._mapping, timeline)

    def public_requests(
        self,
        *,
        tracking_ids: Sequence[str] = (),
        categories: Sequence[str] = (),
        statuses: Sequence[Status] = (),
        filed_from: datetime | None = None,
        filed_to: datetime | None = None,
        limit: int = 1000,
    ) -> list[PublicRequest]:
        """Non-rahasia complaints, newest first; each empty filter matches everything."""
        c_ = COMPLAINTS.c
        query = select(COMPLAINTS).where(c_.confidential.is_(False))
        if tracking_ids:
            query = query.where(c_.tracking_id.in_(tracking_ids))
        if categories:
            query = query.where(c_.category.in_(categories))
        if statuses:
            query = query.where(c_.status.in_([s.value for s in statuses]))
        # Every instant is stored in UTC, so rows filed under any clock compare as instants.
        if filed_from is not None:
            query = query.where(c_.filed_at >= utc(filed_from))
        if filed_to is not None:
            query = query.where(c_.filed_at <= utc(filed_to))
        query = query.order_by(c_.filed_at.desc(), c_.tracking_id).limit(limit)
        with self.database.connect() as c:
            return [_public_request(row._mapping) for row in c.execute(query)]

    def public_request_by_complaint_id(self, complaint_id: str) -> PublicRequest | None:
        query = select(COMPLAINTS).where(
            COMPLAINTS.c.complaint_id == complaint_id, COMPLAINTS.c.confidential.is_(False)
        )
        with self.database.connect() as c:
            row = c.execute(query).one_or_none()
        return None if row is None else _public_request(row._mapping)


def _complaint_view(row: Mapping[Any, Any], timeline: list[TimelineEntry]) -> ComplaintView:
    return ComplaintView(
        complaint_id=row["complaint_id"],
        tracking_id=row["tracking_id"],
        status=Status(row["status"]),
        agency_id=row["agency_id"],
        confidential=row["confidential"],
        reporter_token_hash=row["reporter_token_hash"],
        deadline_at=_optional_utc(row["deadline_at"]),
        timeline=timeline,
        anonymous=bool(row["anonymous"]),
        reporter=SealedIdentity.model_validate_json(row["reporter"]) if row["reporter"] else None,
    )


def _public_request(row: Mapping[Any, Any]) -> PublicRequest:
    return PublicRequest(
        tracking_id=row["tracking_id"],
        complaint_id=row["complaint_id"],
        title=row["title"],
        category=row["category"],
        region_code=row["region_code"],
        status=Status(row["status"]),
        description=row["description"],
        agency_id=row["agency_id"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        filed_at=utc(row["filed_at"]),
        updated_at=utc(row["updated_at"]),
        expected_at=_optional_utc(row["first_follow_up_due_at"]),
        media_url=row["media_url"],
    )


def _inbox_entry(row: Row[Any], now: datetime, scope: "Scope") -> InboxEntry:
    deadline_at = None if row.deadline_at is None else utc(row.deadline_at)
    days_left = None
    if deadline_at is not None:
        ahead = deadline_at >= now
        days_left = working_days_between(*((now, deadline_at) if ahead else (deadline_at, now)))
        days_left = days_left if ahead else -days_left
    return InboxEntry(
        tracking_id=row.tracking_id,
        title=row.title,
        category=row.category,
        region_code=row.region_code,
        status=Status(row.status),
        filed_at=utc(row.filed_at),
        routing_rule=row.routing_rule,
        deadline_stage=row.deadline_stage,
        deadline_at=deadline_at,
        days_left=days_left,
        overdue=bool(row.overdue) or (deadline_at is not None and deadline_at < now),
        tembusan=scope.agency_id is not None and row.agency_id != scope.agency_id,
    )


def _optional_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


class PositionMoved(Exception):
    """A stream's tracking row changed since this transaction read it: another worker
    applied some of the batch first."""


def _advance(c: Connection, positions: dict[str, int]) -> int:
    """Make each offset, past every one recorded, its stream's tracking row (two statements
    for them all); how many earlier rows they replaced."""
    replaced = c.execute(
        delete(TRACKING).where(TRACKING.c.application_name.in_(sorted(positions)))
    ).rowcount
    insert_rows(
        c,
        TRACKING,
        [{"application_name": s, "notification_id": n} for s, n in sorted(positions.items())],
    )
    return int(replaced)


def _compact_tracking(c: Connection) -> None:
    """Each stream's last tracking row only, as the projection keeps them: earlier ones (a
    store once tracked every event) would differ from its replay's."""
    later = TRACKING.alias("later")
    c.execute(
        delete(TRACKING).where(
            exists().where(
                later.c.application_name == TRACKING.c.application_name,
                later.c.notification_id > TRACKING.c.notification_id,
            )
        )
    )


def _max_tracking(application_name: str) -> Select[Any]:
    return select(func.max(TRACKING.c.notification_id)).where(
        TRACKING.c.application_name == application_name
    )


Sort = Literal[
    "filed_at", "-filed_at", "deadline_at", "-deadline_at", "updated_at", "-updated_at", "status"
]
SORTS: tuple[Sort, ...] = get_args(Sort)


@dataclass(frozen=True)
class Scope:
    """Who reads: an agency (its own complaints and its copies) or, None, the national admin.
    A liaison limited to a unit reads the agency's of its categories and regions only, and
    any of the agency's assigned to them."""

    agency_id: str | None
    categories: tuple[str, ...] = ()  # () is every category
    regions: tuple[str, ...] = ()  # region-code prefixes; () is every region
    assigned: tuple[str, ...] = ()  # tracking ids, read whatever the unit

    def narrow(self, query: Select[Any]) -> Select[Any]:
        if self.agency_id is None:
            return query
        c_ = COMPLAINTS.c
        copied = exists().where(
            (COPIES.c.complaint_id == c_.complaint_id) & (COPIES.c.agency_id == self.agency_id)
        )
        query = query.where(or_(c_.agency_id == self.agency_id, copied))
        unit: list[ColumnElement[bool]] = []
        if self.categories:
            unit.append(c_.category.in_(self.categories))
        if self.regions:
            unit.append(or_(*(_within(prefix) for prefix in self.regions)))
        if not unit:
            return query
        return query.where(or_(and_(*unit), c_.tracking_id.in_(self.assigned)))


def _within(prefix: str) -> ColumnElement[bool]:
    """A region code in the region `prefix` ("16" holds "16.08" and "16.08.01")."""
    code = COMPLAINTS.c.region_code
    return or_(code == prefix, code.startswith(prefix + ".", autoescape=True))


@dataclass(frozen=True)
class ComplaintFilter:
    """Each empty field matches everything."""

    statuses: tuple[Status, ...] = ()
    tracking_id: str | None = None
    open_only: bool = False
    overdue: bool | None = None
    category: str | None = None
    region_code: str | None = None  # a province "16" matches its kabupaten "16.08"
    filed_from: datetime | None = None
    filed_to: datetime | None = None
    words: tuple[str, ...] = ()  # each in the title or the chronology, any case
    tracking_ids: tuple[str, ...] | None = None  # None: any; () matches none

    def narrow(self, query: Select[Any]) -> Select[Any]:
        c_ = COMPLAINTS.c
        if self.statuses:
            query = query.where(c_.status.in_([s.value for s in self.statuses]))
        if self.tracking_id:
            query = query.where(c_.tracking_id == self.tracking_id)
        if self.open_only:
            query = query.where(c_.status.in_([s.value for s in OPEN_STATUSES]))
        if self.overdue is not None:
            query = query.where(c_.overdue.is_(self.overdue))
        if self.category:
            query = query.where(c_.category == self.category)
        if self.region_code:
            query = query.where(_within(self.region_code))
        for word in self.words:
            query = query.where(
                or_(c_.title.icontains(word, autoescape=True),
                    c_.description.icontains(word, autoescape=True))
            )  # fmt: skip
        if self.tracking_ids is not None:
            query = query.where(c_.tracking_id.in_(self.tracking_ids))
        if self.filed_from is not None:
            query = query.where(c_.filed_at >= utc(self.filed_from))
        if self.filed_to is not None:
            query = query.where(c_.filed_at <= utc(self.filed_to))
        return query


@dataclass(frozen=True)
class Page:
    entries: list[InboxEntry]
    total: int
    page: int
    page_size: int
