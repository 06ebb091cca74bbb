"""The tables the release before migrations made with metadata.create_all, copied as they
were (shared/adapters/sql/reporter_keys.py, services/intake/store.py,
services/notifier/outbox.py and reports.py at that release), so tests can build a database
that release left behind. Frozen: never edit it to follow the code.
"""

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

METADATA = MetaData()
REPORTER_KEYS = Table(
    "reporter_keys",
    METADATA,
    Column("key_id", String(36), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
IDEMPOTENCY_KEYS = Table(
    "idempotency_keys",
    METADATA,
    Column("key", String(255), primary_key=True),
    Column("body_sha256", String(64), nullable=False),
    Column("tracking_id", String(16), nullable=False),
    Column("reporter_token", String(64), nullable=False),
    Column("receipt", Text),
    Column("attempt_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)
TRACKING_IDS = Table("tracking_ids", METADATA, Column("tracking_id", String(16), primary_key=True))
OUTBOX = Table(
    "notifier_outbox",
    METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("recipient", String(120), primary_key=True),
    Column("channel", String(10), primary_key=True),
    Column("endpoint", String(600), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("complaint_id", String(36), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("address", Text),
    Column("sealed_to", Text),
    Column("state", String(10), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("next_try_at", Float, nullable=False),
    Column("lease_holder", String(200)),
    Column("lease_until", Float),
    Column("last_error", Text),
    Column("queued_at", Float, nullable=False),
    Column("done_at", Float),
    Index("notifier_outbox_due", "state", "endpoint", "next_try_at"),
)
REPORTS = Table(
    "notifier_reports",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("tracking_id", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("holder", String(120)),
    Column("sealed_reporter", Text),
)


def create_previous_release_tables(engine: Engine) -> None:
    """What that release's services left in a database: its tables, and no alembic_version."""
    METADATA.create_all(engine)
