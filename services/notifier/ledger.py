"""The delivery ledger: one row per (event, recipient, channel) delivered, so nothing is sent
twice. In the platform database (shared/database.py), so it outlives the notifier's pod."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError

from shared.database import create_tables

METADATA = MetaData()
DELIVERIES = Table(
    "deliveries",
    METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("recipient", String(255), primary_key=True),
    Column("channel", String(20), primary_key=True),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
)


class DeliveryLedger:
    def __init__(self, database: Engine) -> None:
        self._db = database
        create_tables(database, METADATA)

    def delivered(self, event_id: str, recipient: str, channel: str) -> bool:
        query = select(DELIVERIES.c.event_id).where(
            DELIVERIES.c.event_id == event_id,
            DELIVERIES.c.recipient == recipient,
            DELIVERIES.c.channel == channel,
        )
        with self._db.connect() as c:
            return c.execute(query).first() is not None

    def record(self, event_id: str, recipient: str, channel: str) -> None:
        row = {"event_id": event_id, "recipient": recipient, "channel": channel}
        try:
            with self._db.begin() as c:
                c.execute(DELIVERIES.insert().values(**row, delivered_at=datetime.now(UTC)))
        except IntegrityError:
            pass  # recorded already: a redelivery after a crash between send and record
