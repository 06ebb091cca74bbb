"""How events change the read models (shared/projections/tables.py), a batch at a time.

A batch loads the rows it touches once, applies its events to them in memory (plain
Python, no SQL per event), and writes them back once, in the transaction that also
records the batch's Kafka positions: applied once or not at all, and fast enough to
replay millions of events.
"""

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    delete,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from shared.domain.complaint import Complaint, Status, deadlines_started
from shared.domain.deadlines import COMPLETION, FIRST_FOLLOW_UP, TRIAGE, VERIFICATION
from shared.domain.model import DomainEvent
from shared.projections.tables import COMPLAINTS, COPIES, DEADLINES, TIMELINE, TRANSFERS

# The deadlines an inbox shows: the steps its holder owes (the parent's escalation turn and
# the reporter's windows are not the holder's to meet).
HOLDER_STAGES = (VERIFICATION, TRIAGE, FIRST_FOLLOW_UP, COMPLETION)
OPEN_STATUSES = (
    Status.UNVERIFIED,
    Status.DISPOSED_NOT_FOLLOWED_UP,
    Status.DISPOSED_IN_PROGRESS,
    Status.POSTPONED,
)
# Never in the timeline: the sealed identity, the token's hash, and the agency view inside
# ComplaintRouted (already on the row).
PRIVATE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "reporter",
    "reporter_token_hash",
    "complaint",
}
Row = dict[str, Any]


def status_after(event: DomainEvent) -> Status | None:
    """The status a lifecycle event leaves the complaint in; None when it changes none."""
    match event:
        case Complaint.Routed():
            return Status.DISPOSED_NOT_FOLLOWED_UP
        case Complaint.Declined():
            return Status.UNVERIFIED  # back in the routing queue
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


@dataclass
class Touched:
    """The rows of the complaints a batch is about, as they stand, and what it adds."""

    complaints: dict[str, Row]
    deadlines: dict[str, dict[str, datetime]]  # complaint -> stage -> due, the open ones
    copies: set[tuple[str, str]]
    stored: set[str] = field(default_factory=set)  # the complaints already in the store
    changed: set[str] = field(default_factory=set)
    timeline: list[Row] = field(default_factory=list)
    transfers: list[Row] = field(default_factory=list)
    new_copies: list[Row] = field(default_factory=list)


def load(c: Connection, complaint_ids: Iterable[str]) -> Touched:
    touched = Touched(complaints={}, deadlines={}, copies=set())
    for some in _chunks(c, sorted(set(complaint_ids))):
        for row in c.execute(select(COMPLAINTS).where(_among(c, COMPLAINTS.c.complaint_id, some))):
            touched.complaints[row.complaint_id] = dict(row._mapping)
            touched.stored.add(row.complaint_id)
        for d in c.execute(select(DEADLINES).where(_among(c, DEADLINES.c.complaint_id, some))):
            touched.deadlines.setdefault(d.complaint_id, {})[d.stage] = utc(d.due_at)
        for copy in c.execute(select(COPIES).where(_among(c, COPIES.c.complaint_id, some))):
            touched.copies.add((copy.complaint_id, copy.agency_id))
    return touched


def _chunks(c: Connection, ids: list[str]) -> Iterator[list[str]]:
    """The ids a statement at a time: all at once on PostgreSQL (one array parameter), else
    as many as one statement may bind."""
    size = len(ids) if c.dialect.name == "postgresql" else _parameters_limit(c)
    for start in range(0, len(ids), max(size, 1)):
        yield ids[start : start + size]


def _among(c: Connection, column: Column[str], ids: list[str]) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL `= ANY(array)`: one parameter, one statement the server
    and the driver have seen before, whatever the number of ids."""
    if c.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(String)))
    return column.in_(ids)


def save(c: Connection, touched: Touched) -> None:
    """Write back every changed row: a stored complaint's rows replaced whole, a new one's
    inserted, in a few statements per batch."""
    ids = sorted(touched.changed)
    for some in _chunks(c, sorted(touched.stored.intersection(ids))):
        c.execute(delete(COMPLAINTS).where(_among(c, COMPLAINTS.c.complaint_id, some)))
        c.execute(delete(DEADLINES).where(_among(c, DEADLINES.c.complaint_id, some)))
    deadlines = [
        {"complaint_id": i, "stage": stage, "due_at": due}
        for i in ids
        for stage, due in sorted(touched.deadlines.get(i, {}).items())
    ]
    for table, added in (
        (COMPLAINTS, [touched.complaints[i] for i in ids]),
        (DEADLINES, deadlines),
        (TIMELINE, touched.timeline),
        (TRANSFERS, touched.transfers),
        (COPIES, touched.new_copies),
    ):
        insert_rows(c, table, added)


def insert_rows(c: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert rows holding every column of `table`, each value bound as SQLAlchemy binds it
    (SQLite's datetimes as text, booleans as integers) but without its per-row, per-parameter
    processing, most of a replay's time otherwise: on PostgreSQL one COPY, elsewhere one
    executemany of plain tuples."""
    if rows:
        dialect = c.dialect
        key = (table, dialect.name, dialect.driver)
        if key not in _WRITERS:
            _WRITERS[key] = _writer(table, dialect)
        _WRITERS[key](c, rows)


Writer = Callable[[Connection, Sequence[Row]], None]
_WRITERS: dict[tuple[Table, str, str], Writer] = {}


def _writer(table: Table, dialect: Dialect) -> Writer:
    columns = list(table.columns)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(col.name) for col in columns)
    values = itemgetter(*(col.name for col in columns))
    bind = [
        (i, process)
        for i, col in enumerate(columns)
        if (process := col.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]

    def bound(rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        if not bind:
            return list(map(values, rows))
        out = []
        for row in rows:
            value = list(values(row))
            for i, process in bind:
                value[i] = process(value[i])
            out.append(tuple(value))
        return out

    if dialect.driver == "psycopg":
        copy_sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"

        def copy(c: Connection, rows: Sequence[Row]) -> None:
            driver = c.connection.dbapi_connection  # the one of `c`, so in its transaction
            with driver.cursor() as cursor, cursor.copy(copy_sql) as out:  # type: ignore[union-attr]
                for value in bound(rows):
                    out.write_row(value)

        return copy
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    one = f"({', '.join(mark for _ in columns)})"
    head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "

    def multirow(c: Connection, rows: Sequence[Row]) -> None:
        # Many rows a statement, not one: SQLite's driver lets go of the GIL once a
        # statement, so a thread writing this way leaves the others to run.
        values = bound(rows)
        size = max(1, _parameters_limit(c) // len(columns))
        for start in range(0, len(values), size):
            some = values[start : start + size]
            c.exec_driver_sql(head + ", ".join([one] * len(some)), tuple(chain.from_iterable(some)))

    return multirow


def _parameters_limit(c: Connection) -> int:
    """How many parameters one statement may bind (SQLite's own limit where it says)."""
    driver = c.connection.dbapi_connection
    getlimit = getattr(driver, "getlimit", None)
    if getlimit is None:
        return 999  # SQLite's smallest default
    return min(int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)), 32766)


def apply(touched: Touched, event: DomainEvent, event_type: str) -> bool:
    """Apply one event to the touched rows; False when it changes nothing (an event of a
    complaint never filed here, or one already applied: a duplicate on the log)."""
    complaint_id = str(event.originator_id)
    at = utc(event.timestamp)
    row = touched.complaints.get(complaint_id)
    if isinstance(event, Complaint.Filed):
        if row is not None:
            return False
        row = touched.complaints[complaint_id] = _filed(event, complaint_id, at)
    elif row is None or event.originator_version <= row["version"]:
        return False
    elif isinstance(event, Complaint.Routed):
        if row["agency_id"] is not None and row["agency_id"] != event.agency_id:
            _transfer(touched, event, row["agency_id"], "reassigned")
        row.update(
            agency_id=event.agency_id,
            routing_rule=event.rule_id,
            routed_at=at,
            first_response_at=None,
            first_follow_up_due_at=None,  # the new holder's, if it owes one: below
            overdue=False,
        )
        touched.deadlines[complaint_id] = {}  # a new holder: its clocks, added below
        for agency_id in event.copies:
            if (complaint_id, agency_id) not in touched.copies:
                touched.copies.add((complaint_id, agency_id))
                touched.new_copies.append({"complaint_id": complaint_id, "agency_id": agency_id})
    elif isinstance(event, Complaint.Declined):
        _transfer(touched, event, event.agency_id, "declined")
        row.update(agency_id=None, routing_rule=None, overdue=False, first_follow_up_due_at=None)
    elif isinstance(event, Complaint.DeadlineStopped | Complaint.DeadlineBreached):
        if event.stage in HOLDER_STAGES:
            touched.deadlines.get(complaint_id, {}).pop(event.stage, None)
            _show_next_deadline(touched, row)
            if isinstance(event, Complaint.DeadlineBreached):
                row["overdue"] = True
    elif isinstance(event, Complaint.Rated):
        row["rating"] = event.score
    started = [d for d in deadlines_started(event) if d.stage in HOLDER_STAGES]
    if started or isinstance(event, Complaint.Routed):
        open_ = touched.deadlines.setdefault(complaint_id, {})
        open_.update((d.stage, utc(d.due_at)) for d in started)
        _show_next_deadline(touched, row)
        for d in started:
            if d.stage == FIRST_FOLLOW_UP:
                row["first_follow_up_due_at"] = utc(d.due_at)
    if isinstance(event, Complaint.FollowedUp | Complaint.Resolved):
        row["first_response_at"] = row["first_response_at"] or at
    if (status := status_after(event)) is not None:
        row["status"] = status.value
    row.update(updated_at=at, version=event.originator_version)
    touched.changed.add(complaint_id)
    touched.timeline.append(
        {
            "complaint_id": complaint_id,
            "sequence": event.originator_version,
            "event_type": event_type,
            "at": at,
            "detail": event.model_dump_json(exclude=PRIVATE_FIELDS),
        }
    )
    return True


def _filed(event: Complaint.Filed, complaint_id: str, at: datetime) -> Row:
    return {
        "complaint_id": complaint_id,
        "tracking_id": event.tracking_id,
        "agency_id": None,
        "status": Status.UNVERIFIED.value,
        "title": event.title,
        "description": event.description,
        "category": event.category,
        "region_code": event.region_code,
        "agency_hint": event.agency_hint,
        "address": event.address,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "confidential": event.confidential,
        "filed_at": at,
        "updated_at": at,
        "routing_rule": None,
        "routed_at": None,
        "first_response_at": None,
        "deadline_stage": None,
        "deadline_at": None,
        "first_follow_up_due_at": None,
        "media_url": event.attachments[0].url if event.attachments else None,
        "overdue": False,
        "rating": None,
        "reporter_token_hash": event.reporter_token_hash,
        "anonymous": event.anonymous,
        "reporter": event.reporter.model_dump_json() if event.reporter else None,
        "version": event.originator_version,
    }


def _transfer(touched: Touched, event: DomainEvent, from_agency_id: str, why: str) -> None:
    touched.transfers.append(
        {
            "complaint_id": str(event.originator_id),
            "sequence": event.originator_version,
            "from_agency_id": from_agency_id,
            "why": why,
            "at": utc(event.timestamp),
        }
    )


def _show_next_deadline(touched: Touched, row: Row) -> None:
    """The row shows the earliest open deadline of its holder, and its stage."""
    open_ = touched.deadlines.get(row["complaint_id"], {})
    if not open_:
        row.update(deadline_at=None, deadline_stage=None)
        return
    stage, due = min(open_.items(), key=lambda item: (item[1], item[0]))
    row.update(deadline_at=due, deadline_stage=stage)


def utc(moment: datetime) -> datetime:
    """Stored and returned in UTC; SQLite hands datetimes back without their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
