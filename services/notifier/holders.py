"""Which agency holds each complaint, as the notifier has read the log so far.

Kept in the platform database beside the delivery ledger: the notifier reads the log
in order, so after a restart (which redelivers from the last committed offset) it
writes the same holders again.
"""

from sqlalchemy import Column, Engine, MetaData, String, Table, delete, insert, select

from shared.database import create_tables

METADATA = MetaData()
HOLDERS = Table(
    "notifier_holders",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("agency_id", String(120), nullable=False),
)


class Holders:
    def __init__(self, database: Engine) -> None:
        self._db = database
        create_tables(database, METADATA)

    def of(self, complaint_id: str) -> str | None:
        with self._db.connect() as c:
            found = c.scalar(
                select(HOLDERS.c.agency_id).where(HOLDERS.c.complaint_id == complaint_id)
            )
        return None if found is None else str(found)

    def set(self, complaint_id: str, agency_id: str | None) -> None:
        with self._db.begin() as c:
            c.execute(delete(HOLDERS).where(HOLDERS.c.complaint_id == complaint_id))
            if agency_id is not None:
                c.execute(insert(HOLDERS).values(complaint_id=complaint_id, agency_id=agency_id))
