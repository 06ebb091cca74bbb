"""What the notifier keeps of each complaint to tell the right people: its tracking id and
title, who holds it now, and the reporter's identity as the log holds it, sealed. Unsealed
only to send, so a shredded key silences every later letter too.

In the platform database beside the delivery ledger. The notifier reads the log in order,
so after a restart (which redelivers from the last committed offset) it writes the same
rows again.
"""

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    select,
    update,
)

from shared.adapters.sql.database import insert_new
from shared.adapters.sql.migrations import ensure_current
from shared.adapters.sql.reporter_keys import KeyStore, unseal
from shared.domain.identity import ReporterIdentity, SealedIdentity

METADATA = MetaData()
REPORTS = Table(
    "notifier_reports",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("tracking_id", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("holder", String(120)),  # the agency holding it; None before routing, after a decline
    Column("sealed_reporter", Text),  # SealedIdentity JSON, as on the log
)


_FIND = select(REPORTS).where(REPORTS.c.complaint_id == bindparam("id"))
_HAND_OVER = update(REPORTS).where(REPORTS.c.complaint_id == bindparam("id"))


@dataclass(frozen=True)
class Known:
    tracking_id: str
    title: str
    holder: str | None
    sealed_reporter: SealedIdentity | None


class Reports:
    """Each call runs in the caller's transaction: a batch of the log is queued in one."""

    def __init__(self, database: Engine) -> None:
        self._keys = KeyStore(database)
        ensure_current(database)

    def remember(
        self,
        c: Connection,
        complaint_id: str,
        tracking_id: str,
        title: str,
        sealed: SealedIdentity | None,
    ) -> None:
        """Once per complaint: a redelivered filing changes nothing."""
        insert_new(
            c,
            REPORTS,
            complaint_id=complaint_id,
            tracking_id=tracking_id,
            title=title,
            sealed_reporter=sealed.model_dump_json() if sealed else None,
        )

    def find(self, c: Connection, complaint_id: str) -> Known | None:
        row = c.execute(_FIND, {"id": complaint_id}).one_or_none()
        if row is None:
            return None
        sealed = row.sealed_reporter
        return Known(
            row.tracking_id,
            row.title,
            row.holder,
            SealedIdentity.model_validate_json(sealed) if sealed else None,
        )

    def hand_over(self, c: Connection, complaint_id: str, holder: str | None) -> None:
        c.execute(_HAND_OVER, {"id": complaint_id, "holder": holder})

    def reporter(self, known: Known) -> ReporterIdentity | None:
        """Who reported (None: anonymous to Pintu, or forgotten: the key was shredded)."""
        return None if known.sealed_reporter is None else unseal(known.sealed_reporter, self._keys)
