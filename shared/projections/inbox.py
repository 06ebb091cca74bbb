"""The agency inbox and the complaint timeline, kept in SQLite (the embedded default).

Each view change is written in the same transaction as the Kafka position it
came from (eventsourcing's tracking record), so a redelivered event is a no-op.
"""

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from shared.domain.complaint import Complaint, Status
from shared.domain.model import DomainEvent


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
    description: str | None  # None on rows projected before descriptions were kept
    agency_id: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    filed_at: datetime
    updated_at: datetime


# Columns added after the first release: an existing read model gets them on open.
ADDED_COLUMNS = {
    "description": "TEXT",
    "address": "TEXT",
    "latitude": "REAL",
    "longitude": "REAL",
    "updated_at": "TEXT",
}


def position(topic: str, partition: int, offset: int) -> Tracking:
    # Tracking ids must be positive; Kafka offsets start at 0.
    return Tracking(application_name=f"{topic}:{partition}", notification_id=offset + 1)


class InboxStore(SQLiteTrackingRecorder):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(SQLiteDatastore(str(path), lock_timeout=10))
        self.create_table()

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS complaints ("
            " complaint_id TEXT PRIMARY KEY, tracking_id TEXT UNIQUE NOT NULL,"
            " agency_id TEXT, status TEXT NOT NULL, title TEXT NOT NULL, category TEXT NOT NULL,"
            " region_code TEXT NOT NULL, confidential INTEGER NOT NULL, filed_at TEXT NOT NULL,"
            " routing_rule TEXT, deadline_at TEXT, reporter_token_hash TEXT,"
            + ",".join(f" {name} {kind}" for name, kind in ADDED_COLUMNS.items())
            + ")",
            "CREATE INDEX IF NOT EXISTS complaints_by_agency ON complaints (agency_id, filed_at)",
            "CREATE TABLE IF NOT EXISTS timeline ("
            " complaint_id TEXT NOT NULL, sequence INTEGER NOT NULL, event_type TEXT NOT NULL,"
            " at TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (complaint_id, sequence))",
        ]

    def create_table(self) -> None:
        super().create_table()
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        for name, kind in ADDED_COLUMNS.items():
            if name in self._columns():
                continue
            try:
                with self.datastore.transaction(commit=True) as c:
                    c.execute(f"ALTER TABLE complaints ADD COLUMN {name} {kind}")
            except OperationalError:
                # Intake and projections open the same file at once: the other may have won.
                if name not in self._columns():
                    raise

    def _columns(self) -> set[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA table_info(complaints)")
            return {row["name"] for row in c.fetchall()}

    def resume_offset(self, topic: str, partition: int) -> int | None:
        """The offset to read next, or None when this partition was never read."""
        # The stored tracking id is the last applied offset + 1: exactly the next offset.
        return self.max_tracking_id(f"{topic}:{partition}")

    def apply(self, event: DomainEvent, event_type: str, at: Tracking) -> bool:
        """Apply one event; False when this position was already applied."""
        try:
            with self.datastore.transaction(commit=True) as c:
                self._insert_tracking(c, at)
                self._project(c, event, event_type)
        except IntegrityError:
            return False
        return True

    def _project(self, c: SQLiteCursor, event: DomainEvent, event_type: str) -> None:
        complaint_id = str(event.originator_id)
        if isinstance(event, Complaint.Filed):
            c.execute(
                "INSERT OR IGNORE INTO complaints (complaint_id, tracking_id, status, title, category,"
                " region_code, confidential, filed_at, reporter_token_hash, description, address,"
                " latitude, longitude) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    complaint_id,
                    event.tracking_id,
                    Status.UNVERIFIED.value,
                    event.title,
                    event.category,
                    event.region_code,
                    int(event.confidential),
                    event.timestamp.isoformat(),
                    event.reporter_token_hash,
                    event.description,
                    event.address,
                    event.latitude,
                    event.longitude,
                ),
            )
        elif isinstance(event, Complaint.Routed):
            c.execute(
                "UPDATE complaints SET agency_id=?, status=?, routing_rule=? WHERE complaint_id=?",
                (
                    event.agency_id,
                    Status.DISPOSED_NOT_FOLLOWED_UP.value,
                    event.rule_id,
                    complaint_id,
                ),
            )
        elif isinstance(event, Complaint.DeadlineScheduled):
            c.execute(
                "UPDATE complaints SET deadline_at=? WHERE complaint_id=?",
                (event.due_at.isoformat(), complaint_id),
            )
        c.execute(
            "UPDATE complaints SET updated_at=? WHERE complaint_id=?",
            (event.timestamp.isoformat(), complaint_id),
        )
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
        c.execute(
            "INSERT OR IGNORE INTO timeline VALUES (?,?,?,?,?)",
            (
                complaint_id,
                event.originator_version,
                event_type,
                event.timestamp.isoformat(),
                detail,
            ),
        )

    def inbox(self, agency_id: str, limit: int = 100) -> list[InboxEntry]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM complaints WHERE agency_id=? ORDER BY filed_at LIMIT ?",
                (agency_id, limit),
            )
            return [_inbox_entry(row) for row in c.fetchall()]

    def complaint(self, tracking_id: str) -> ComplaintView | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM complaints WHERE tracking_id=?", (tracking_id,))
            row = c.fetchone()
            if row is None:
                return None
            c.execute(
                "SELECT * FROM timeline WHERE complaint_id=? ORDER BY sequence",
                (row["complaint_id"],),
            )
            timeline = [
                TimelineEntry(
                    t["sequence"],
                    t["event_type"],
                    datetime.fromisoformat(t["at"]),
                    json.loads(t["detail"]),
                )
                for t in c.fetchall()
            ]
        return ComplaintView(
            tracking_id=row["tracking_id"],
            status=Status(row["status"]),
            agency_id=row["agency_id"],
            confidential=bool(row["confidential"]),
            reporter_token_hash=row["reporter_token_hash"],
            deadline_at=_optional_time(row["deadline_at"]),
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
        where: list[str] = ["confidential=0"]
        args: list[str] = []
        for column, values in (
            ("tracking_id", tracking_ids),
            ("category", categories),
            ("status", [s.value for s in statuses]),
        ):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        # julianday() reads the stored offsets, so rows filed under any clock compare as instants.
        if filed_from is not None:
            where.append("julianday(filed_at) >= julianday(?)")
            args.append(filed_from.isoformat())
        if filed_to is not None:
            where.append("julianday(filed_at) <= julianday(?)")
            args.append(filed_to.isoformat())
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT * FROM complaints WHERE {' AND '.join(where)}"
                " ORDER BY julianday(filed_at) DESC, tracking_id LIMIT ?",
                (*args, limit),
            )
            return [_public_request(row) for row in c.fetchall()]

    def public_request_by_complaint_id(self, complaint_id: str) -> PublicRequest | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM complaints WHERE complaint_id=? AND confidential=0", (complaint_id,)
            )
            row = c.fetchone()
        return None if row is None else _public_request(row)


def _public_request(row: sqlite3.Row) -> PublicRequest:
    filed_at = datetime.fromisoformat(row["filed_at"])
    return PublicRequest(
        tracking_id=row["tracking_id"],
        complaint_id=row["complaint_id"],
        category=row["category"],
        region_code=row["region_code"],
        status=Status(row["status"]),
        description=row["description"],
        agency_id=row["agency_id"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        filed_at=filed_at,
        updated_at=_optional_time(row["updated_at"]) or filed_at,
    )


def _inbox_entry(row: sqlite3.Row) -> InboxEntry:
    return InboxEntry(
        tracking_id=row["tracking_id"],
        title=row["title"],
        category=row["category"],
        region_code=row["region_code"],
        status=Status(row["status"]),
        filed_at=datetime.fromisoformat(row["filed_at"]),
        routing_rule=row["routing_rule"],
        deadline_at=_optional_time(row["deadline_at"]),
    )


def _optional_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
