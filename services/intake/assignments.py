"""Assignments (penugasan): which officer of the agency holding a complaint works it.

The agency's own division of its work, kept beside the officers' accounts in the platform
database (docs/decisions/0015), not on the log: it changes no duty, no deadline and no
status, and names accounts only intake keeps. Every assignment is also a row of the audit.
An assignment is the holding agency's: once another agency holds the complaint, the old
one's no longer widens anyone's view (the read model's scope still asks for the agency).
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, select

from shared.adapters.sql.migrations import ensure_current
from shared.clock import system_clock

METADATA = MetaData()
ASSIGNMENTS = Table(
    "assignments",
    METADATA,
    Column("tracking_id", String(16), primary_key=True),
    Column("agency_id", String(80), primary_key=True),
    Column("officer_id", String(36), nullable=False, index=True),
    Column("assigned_by", String(36), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)


class Assignments:
    def __init__(self, database: Engine, now: Callable[[], datetime] = system_clock) -> None:
        self._db = database
        self._now = now
        ensure_current(database)

    def assign(self, tracking_id: str, agency_id: str, officer_id: str, by: str) -> None:
        """The complaint to `officer_id` within `agency_id`, in place of whoever had it."""
        a = ASSIGNMENTS
        with self._db.begin() as c:
            c.execute(delete(a).where(a.c.tracking_id == tracking_id, a.c.agency_id == agency_id))
            c.execute(
                a.insert().values(
                    tracking_id=tracking_id,
                    agency_id=agency_id,
                    officer_id=officer_id,
                    assigned_by=by,
                    assigned_at=self._now(),
                )
            )

    def of(self, agency_id: str, tracking_ids: Sequence[str]) -> dict[str, str]:
        """The officer each of these complaints is assigned to in the agency, where it is."""
        a = ASSIGNMENTS
        query = select(a.c.tracking_id, a.c.officer_id).where(
            a.c.agency_id == agency_id, a.c.tracking_id.in_(tracking_ids)
        )
        with self._db.connect() as c:
            return {row.tracking_id: row.officer_id for row in c.execute(query)}

    def to(self, officer_id: str, agency_id: str) -> tuple[str, ...]:
        """The tracking ids assigned to the officer in their agency."""
        a = ASSIGNMENTS
        query = (
            select(a.c.tracking_id)
            .where(a.c.officer_id == officer_id, a.c.agency_id == agency_id)
            .order_by(a.c.tracking_id)
        )
        with self._db.connect() as c:
            return tuple(c.scalars(query))
