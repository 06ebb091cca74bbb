"""What the notifier keeps of each filing to write to its reporter: the tracking id, the
title and the identity as the log holds it, sealed. Unsealed only to send, so a shredded
key silences every later letter too."""

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from shared.database import create_tables
from shared.privacy import KeyStore, ReporterIdentity, SealedIdentity, unseal

METADATA = MetaData()
REPORTS = Table(
    "notifier_reports",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("tracking_id", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("sealed_reporter", Text),  # SealedIdentity JSON, as on the log
)


class Reports:
    def __init__(self, database: Engine) -> None:
        self._db = database
        self._keys = KeyStore(database)
        create_tables(database, METADATA)

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

    def find(self, complaint_id: str) -> tuple[str, str, ReporterIdentity | None] | None:
        """Tracking id, title and the reporter (None: anonymous to Pintu, or shredded)."""
        with self._db.connect() as c:
            row = c.execute(
                select(REPORTS).where(REPORTS.c.complaint_id == complaint_id)
            ).one_or_none()
        if row is None:
            return None
        reporter = None
        if row.sealed_reporter:
            reporter = unseal(SealedIdentity.model_validate_json(row.sealed_reporter), self._keys)
        return row.tracking_id, row.title, reporter
