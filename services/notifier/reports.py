"""What the notifier keeps of each complaint to tell the right people: its tracking id and
title, who holds it now, and the reporter's identity as the log holds it, sealed. Unsealed
only to send, so a shredded key silences every later letter too.

In the platform database beside the delivery ledger. The notifier reads the log in order,
so after a restart (which redelivers from the last committed offset) it writes the same
rows again.
"""

from dataclasses import dataclass

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError

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


@dataclass(frozen=True)
class Known:
    tracking_id: str
    title: str
    holder: str | None
    sealed_reporter: SealedIdentity | None


class Reports:
    def __init__(self, database: Engine) -> None:
        self._db = database
        self._keys = KeyStore(database)
        ensure_current(database)

    def remember(
        self, complaint_id: str, tracking_id: str, title: str, sealed: SealedIdentity | None
    ) -> None:
        row = {
            "complaint_id": complaint_id,
            "tracking_id": tracking_id,
            "title": title,
            "sealed_reporter": sealed.model_dump_json() if sealed else None,
        }
        try:
            with self._db.begin() as c:
                c.execute(insert(REPORTS).values(**row))
        except IntegrityError:
            pass  # a redelivered filing

    def find(self, complaint_id: str) -> Known | None:
        with self._db.connect() as c:
            row = c.execute(
                select(REPORTS).where(REPORTS.c.complaint_id == complaint_id)
            ).one_or_none()
        if row is None:
            return None
        sealed = row.sealed_reporter
        return Known(
            row.tracking_id,
            row.title,
            row.holder,
            SealedIdentity.model_validate_json(sealed) if sealed else None,
        )

    def hand_over(self, complaint_id: str, holder: str | None) -> None:
        with self._db.begin() as c:
            c.execute(
                update(REPORTS).where(REPORTS.c.complaint_id == complaint_id).values(holder=holder)
            )

    def reporter(self, known: Known) -> ReporterIdentity | None:
        """Who reported (None: anonymous to Pintu, or forgotten: the key was shredded)."""
        return None if known.sealed_reporter is None else unseal(known.sealed_reporter, self._keys)
