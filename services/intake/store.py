"""The intake's own state: tracking ids handed out, idempotency keys, and the filings it
published.

Kept in the platform database (shared/adapters/sql/database.py), which every intake replica
shares and which outlives restarts. Tracking ids are unique there, not just
probably unique. An idempotency key is remembered for 24 hours, so a retried
filing returns the first answer instead of filing twice, whichever replica
receives the retry. A filing is remembered as long, as the ComplaintFiled record it
published: until the read model has projected it, any replica answers the complaint's
status from that record (services/intake/views.py).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    or_,
    select,
)

from shared.adapters.sql.database import insert_new
from shared.adapters.sql.group_commit import GroupCommit, in_transaction
from shared.adapters.sql.migrations import ensure_current
from shared.adapters.sql.reporter_keys import REPORTER_KEYS
from shared.domain.tracking import new_tracking_id

T = TypeVar("T")
RETENTION = timedelta(days=1)
# How long a filing in flight holds its key against a concurrent duplicate. Longer than a
# publish can take, so only a crashed process' claim is ever taken over.
LEASE = timedelta(seconds=60)
PRUNING = timedelta(minutes=1)  # how often a process forgets what is older than RETENTION

METADATA = MetaData()
IDEMPOTENCY_KEYS = Table(
    "idempotency_keys",
    METADATA,
    Column("key", String(255), primary_key=True),
    Column("body_sha256", String(64), nullable=False),
    Column("tracking_id", String(16), nullable=False),
    Column("reporter_token", String(64), nullable=False),
    Column("receipt", Text),
    Column("attempt_at", DateTime(timezone=True)),  # a filing in flight since; NULL: none
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)
TRACKING_IDS = Table("tracking_ids", METADATA, Column("tracking_id", String(16), primary_key=True))
FILINGS = Table(
    "filings",
    METADATA,
    Column("tracking_id", String(16), primary_key=True),
    Column("complaint_id", String(36), nullable=False, unique=True, index=True),
    Column("record", LargeBinary, nullable=False),  # the ComplaintFiled value, as published
    Column("filed_at", DateTime(timezone=True), nullable=False, index=True),
)


@dataclass(frozen=True)
class Claim:
    """What a key reserved (tracking id, reporter token) and, once published, the receipt."""

    body_sha256: str
    tracking_id: str
    reporter_token: str
    receipt: str | None
    mine: bool  # this request may publish; False while another holds the key in flight


class IntakeStore:
    def __init__(self, database: Engine) -> None:
        self._db = database
        self._next_pruning = datetime.min.replace(tzinfo=UTC)
        # SQLite: one writer at a time, and a commit waits for the disk; so one thread writes,
        # many writes to a commit (shared/adapters/sql/group_commit.py).
        self._group = GroupCommit(database) if database.dialect.name == "sqlite" else None
        ensure_current(database)

    async def write(self, call: Callable[..., T], *args: Any) -> T:
        """`call(connection, *args)` in a transaction, off the event loop (the database calls
        block; PostgreSQL is across the network); answered once committed."""
        if self._group is None:
            return await asyncio.to_thread(in_transaction, self._db, call, *args)
        return await self._group.write(call, *args)

    def reserve(
        self,
        c: Connection,
        key: str | None,
        body_sha256: str,
        reporter_token: str,
        reporter_key: tuple[str, bytes] | None,
    ) -> Claim:
        """A filing's first write: a tracking id never handed out before, the reporter's key
        (shared/adapters/sql/reporter_keys.py) and, with an Idempotency-Key, the key claimed
        for this body; where the key was claimed already, what it holds."""
        now = datetime.now(UTC)
        keys = IDEMPOTENCY_KEYS
        tracking_id = new_tracking_id()
        while not insert_new(c, TRACKING_IDS, tracking_id=tracking_id):
            tracking_id = new_tracking_id()
        if reporter_key is not None:
            key_id, secret = reporter_key
            c.execute(REPORTER_KEYS.insert().values(key_id=key_id, key=secret, created_at=now))
        if key is None:
            return Claim(body_sha256, tracking_id, reporter_token, None, mine=True)
        # A key older than a day is forgotten, pruned or not yet.
        c.execute(delete(keys).where(keys.c.key == key, keys.c.created_at < now - RETENTION))
        mine = insert_new(
            c,
            keys,
            key=key,
            body_sha256=body_sha256,
            tracking_id=tracking_id,
            reporter_token=reporter_token,
            created_at=now,
            attempt_at=now,
        )
        if not mine:
            # Another request (maybe on another replica) holds the key. Take over its
            # unfinished filing only when none is in flight: one publisher at a time.
            taken = c.execute(
                keys.update()
                .where(
                    keys.c.key == key,
                    keys.c.body_sha256 == body_sha256,
                    keys.c.receipt.is_(None),
                    or_(keys.c.attempt_at.is_(None), keys.c.attempt_at < now - LEASE),
                )
                .values(attempt_at=now)
            )
            mine = taken.rowcount == 1
        row = c.execute(
            select(
                keys.c.body_sha256, keys.c.tracking_id, keys.c.reporter_token, keys.c.receipt
            ).where(keys.c.key == key)
        ).one()
        return Claim(*row, mine=mine)

    def release(self, c: Connection, key: str) -> None:
        """The filing under `key` failed: a retry may try again at once."""
        c.execute(
            IDEMPOTENCY_KEYS.update()
            .where(IDEMPOTENCY_KEYS.c.key == key, IDEMPOTENCY_KEYS.c.receipt.is_(None))
            .values(attempt_at=None)
        )

    def filed(
        self,
        c: Connection,
        tracking_id: str,
        complaint_id: str,
        record: bytes,
        key: str | None,
        receipt: str,
    ) -> None:
        """A filing's second write, once Kafka acknowledged it: its record, and the receipt
        its Idempotency-Key answers from now on. A retry that published it again changes
        nothing. Now and then forgets the keys and filings of more than a day ago: the read
        model has had them long since."""
        now = datetime.now(UTC)
        insert_new(
            c,
            FILINGS,
            tracking_id=tracking_id,
            complaint_id=complaint_id,
            record=record,
            filed_at=now,
        )
        if key is not None:
            c.execute(
                IDEMPOTENCY_KEYS.update()
                .where(IDEMPOTENCY_KEYS.c.key == key)
                .values(receipt=receipt, attempt_at=None)
            )
        if now >= self._next_pruning:
            self._next_pruning = now + PRUNING
            c.execute(delete(FILINGS).where(FILINGS.c.filed_at < now - RETENTION))
            c.execute(
                delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.created_at < now - RETENTION)
            )

    def filing(self, tracking_id: str) -> bytes | None:
        """The ComplaintFiled record of a filing published in the last day."""
        with self._db.connect() as c:
            found = c.scalar(select(FILINGS.c.record).where(FILINGS.c.tracking_id == tracking_id))
        return None if found is None else bytes(found)

    def filing_by_complaint_id(self, complaint_id: str) -> bytes | None:
        with self._db.connect() as c:
            found = c.scalar(select(FILINGS.c.record).where(FILINGS.c.complaint_id == complaint_id))
        return None if found is None else bytes(found)
