"""The agency inbox and the complaint timeline: read models rebuilt from the log.

They live in the platform database (shared/database.py): an SQLite file by
default, PostgreSQL when intake replicas and the projection worker run apart.
Each view change is written in the same transaction as the Kafka position it
came from, so a redelivered event is a no-op.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from shared.database import create_tables
from shared.domain.complaint import Complaint, Status
from shared.domain.deadlines import FIRST_FOLLOW_UP, TRIAGE, VERIFICATION
from shared.domain.model import DomainEvent

# The deadline an inbox shows: the next step its holder owes.
HOLDER_STAGES = (VERIFICATION, TRIAGE, FIRST_FOLLOW_UP)


def status_after(event: DomainEvent) -> Status | None:
    """The status a lifecycle event leaves the complaint in; None when it changes none."""
    match event:
        case Complaint.Acknowledged() | Complaint.FollowedUp() | Complaint.Reopened():
            return Status.DISPOSED_IN_PROGRESS
        case Complaint.InformationRequested() | Complaint.Postponed():
            return Status.POSTPONED
        case Complaint.ReporterReplied():
            return event.resumed_status
        case Complaint.Resolved() | Complaint.AutoClosed():
            return Status.DISPOSED_DONE
        case Complaint.Archived():
            return Status.ARCHIVED
    return None


@dataclass(frozen=True)
class InboxEntry:
    tracking_id: str
    title: str
    category: str
    region_code: str
    status: Status
    filed_at: datetime
    routing_rule: str | None
    deadline_at: datetime | None


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


@dataclass(frozen=True)
class PublicRequest:
    """A complaint as anyone may see it (Open311): never a rahasia one, never who reported."""

    tracking_id: str
    complaint_id: str
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


METADATA = MetaData()
# One row per applied log position (topic:partition, offset): the exactly-once guard.
POSITIONS = Table(
    "projection_positions",
    METADATA,
    Column("stream", String(255), primary_key=True),
    Column("log_offset", BigInteger, primary_key=True, autoincrement=False),
)
COMPLAINTS = Table(
    "complaints",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("tracking_id", String(16), unique=True, nullable=False),
    Column("agency_id", String(120)),
    Column("status", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("category", String(80), nullable=False),
    Column("region_code", String(13), nullable=False),
    Column("address", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("confidential", Boolean, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("routing_rule", String(200)),
    Column("deadline_at", DateTime(timezone=True)),
    Column("reporter_token_hash", String(64)),
    Index("complaints_by_agency", "agency_id", "filed_at"),
)
TIMELINE = Table(
    "timeline",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("event_type", String(80), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
)


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int

    @property
    def stream(self) -> str:
        return f"{self.topic}:{self.partition}"


def position(topic: str, partition: int, offset: int) -> Position:
    return Position(topic, partition, offset)


class InboxStore:
    def __init__(self, database: Engine) -> None:
        self.database = database
        create_tables(database, METADATA)

    def rebuild(self) -> None:
        """Empty the read models and forget every position: the worker replays the whole log."""
        METADATA.drop_all(self.database)
        create_tables(self.database, METADATA)

    def resume_offset(self, topic: str, partition: int) -> int | None:
        """The offset to read next, or None when this partition was never read."""
        with self.database.connect() as c:
            last = c.scalar(
                select(func.max(POSITIONS.c.log_offset)).where(
                    POSITIONS.c.stream == f"{topic}:{partition}"
                )
            )
        return None if last is None else int(last) + 1

    def apply(self, event: DomainEvent, event_type: str, at: Position) -> bool:
        """Apply one event; False when this position was already applied."""
        try:
            with self.database.begin() as c:
                c.execute(POSITIONS.insert().values(stream=at.stream, log_offset=at.offset))
                self._project(c, event, event_type)
        except IntegrityError:
            return False
        return True

    def _project(self, c: Connection, event: DomainEvent, event_type: str) -> None:
        complaint_id = str(event.originator_id)
        at = _utc(event.timestamp)
        row = COMPLAINTS.c.complaint_id == complaint_id
        if isinstance(event, Complaint.Filed):
            if c.scalar(select(COMPLAINTS.c.complaint_id).where(row)) is None:
                c.execute(
                    COMPLAINTS.insert().values(
                        complaint_id=complaint_id,
                        tracking_id=event.tracking_id,
                        status=Status.UNVERIFIED.value,
                        title=event.title,
                        description=event.description,
                        category=event.category,
                        region_code=event.region_code,
                        address=event.address,
                        latitude=event.latitude,
                        longitude=event.longitude,
                        confidential=event.confidential,
                        filed_at=at,
                        updated_at=at,
                        reporter_token_hash=event.reporter_token_hash,
                    )
                )
        elif isinstance(event, Complaint.Routed):
            c.execute(
                COMPLAINTS.update()
                .where(row)
                .values(
                    agency_id=event.agency_id,
                    status=Status.DISPOSED_NOT_FOLLOWED_UP.value,
                    routing_rule=event.rule_id,
                )
            )
        elif isinstance(event, Complaint.Declined):
            # Out of the declining agency's inbox, back in the routing queue.
            c.execute(
                COMPLAINTS.update()
                .where(row)
                .values(agency_id=None, status=Status.UNVERIFIED.value, routing_rule=None)
            )
        elif isinstance(event, Complaint.DeadlineScheduled):
            if event.stage in HOLDER_STAGES:
                c.execute(COMPLAINTS.update().where(row).values(deadline_at=_utc(event.due_at)))
        elif isinstance(event, Complaint.DeadlineStopped | Complaint.DeadlineBreached):
            if event.stage in HOLDER_STAGES:
                c.execute(COMPLAINTS.update().where(row).values(deadline_at=None))
        elif (status := status_after(event)) is not None:
            c.execute(COMPLAINTS.update().where(row).values(status=status.value))
        c.execute(COMPLAINTS.update().where(row).values(updated_at=at))
        detail = event.model_dump_json(
            # The timeline never holds the sealed identity or the token's hash.
            exclude={
                "originator_id",
                "originator_version",
                "timestamp",
                "originator_topic",
                "reporter",
                "reporter_token_hash",
                "complaint",  # the agency view inside ComplaintRouted: already on the row
            }
        )
        sequence = event.originator_version
        seen = (TIMELINE.c.complaint_id == complaint_id) & (TIMELINE.c.sequence == sequence)
        if c.scalar(select(TIMELINE.c.sequence).where(seen)) is None:
            c.execute(
                TIMELINE.insert().values(
                    complaint_id=complaint_id,
                    sequence=sequence,
                    event_type=event_type,
                    at=at,
                    detail=detail,
                )
            )

    def inbox(self, agency_id: str, limit: int = 100) -> list[InboxEntry]:
        query = (
            select(COMPLAINTS)
            .where(COMPLAINTS.c.agency_id == agency_id)
            .order_by(COMPLAINTS.c.filed_at)
            .limit(limit)
        )
        with self.database.connect() as c:
            return [_inbox_entry(row) for row in c.execute(query)]

    def complaint(self, tracking_id: str) -> ComplaintView | None:
        with self.database.connect() as c:
            row = c.execute(
                select(COMPLAINTS).where(COMPLAINTS.c.tracking_id == tracking_id)
            ).one_or_none()
            if row is None:
                return None
            timeline = [
                TimelineEntry(t.sequence, t.event_type, _utc(t.at), json.loads(t.detail))
                for t in c.execute(
                    select(TIMELINE)
                    .where(TIMELINE.c.complaint_id == row.complaint_id)
                    .order_by(TIMELINE.c.sequence)
                )
            ]
        return ComplaintView(
            complaint_id=row.complaint_id,
            tracking_id=row.tracking_id,
            status=Status(row.status),
            agency_id=row.agency_id,
            confidential=row.confidential,
            reporter_token_hash=row.reporter_token_hash,
            deadline_at=_optional_utc(row.deadline_at),
            timeline=timeline,
        )

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
            query = query.where(c_.filed_at >= _utc(filed_from))
        if filed_to is not None:
            query = query.where(c_.filed_at <= _utc(filed_to))
        query = query.order_by(c_.filed_at.desc(), c_.tracking_id).limit(limit)
        with self.database.connect() as c:
            return [_public_request(row) for row in c.execute(query)]

    def public_request_by_complaint_id(self, complaint_id: str) -> PublicRequest | None:
        query = select(COMPLAINTS).where(
            COMPLAINTS.c.complaint_id == complaint_id, COMPLAINTS.c.confidential.is_(False)
        )
        with self.database.connect() as c:
            row = c.execute(query).one_or_none()
        return None if row is None else _public_request(row)


def _public_request(row: Row[Any]) -> PublicRequest:
    return PublicRequest(
        tracking_id=row.tracking_id,
        complaint_id=row.complaint_id,
        category=row.category,
        region_code=row.region_code,
        status=Status(row.status),
        description=row.description,
        agency_id=row.agency_id,
        address=row.address,
        latitude=row.latitude,
        longitude=row.longitude,
        filed_at=_utc(row.filed_at),
        updated_at=_utc(row.updated_at),
    )


def _inbox_entry(row: Row[Any]) -> InboxEntry:
    return InboxEntry(
        tracking_id=row.tracking_id,
        title=row.title,
        category=row.category,
        region_code=row.region_code,
        status=Status(row.status),
        filed_at=_utc(row.filed_at),
        routing_rule=row.routing_rule,
        deadline_at=_optional_utc(row.deadline_at),
    )


def _utc(moment: datetime) -> datetime:
    """Stored and returned in UTC; SQLite hands datetimes back without their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _optional_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)
