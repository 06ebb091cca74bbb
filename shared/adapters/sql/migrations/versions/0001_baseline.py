"""Baseline: the tables as the last release without migrations made them (metadata.create_all).

A frozen copy, never edited: later revisions change the tables. Each table is created only
when missing, so a database of that release (its tables present, no alembic_version) is
adopted by this revision with its rows untouched; only the tables it never needed (a host
that ran no notifier, say) are added.

Revision 0001, the first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = sa.MetaData()
sa.Table(
    "reporter_keys",
    SCHEMA,
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "idempotency_keys",
    SCHEMA,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("tracking_id", sa.String(16), nullable=False),
    sa.Column("reporter_token", sa.String(64), nullable=False),
    sa.Column("receipt", sa.Text()),
    sa.Column("attempt_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)
sa.Table("tracking_ids", SCHEMA, sa.Column("tracking_id", sa.String(16), primary_key=True))
sa.Table(
    "notifier_outbox",
    SCHEMA,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("recipient", sa.String(120), primary_key=True),
    sa.Column("channel", sa.String(10), primary_key=True),
    sa.Column("endpoint", sa.String(600), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("complaint_id", sa.String(36), nullable=False),
    sa.Column("payload", sa.LargeBinary(), nullable=False),
    sa.Column("address", sa.Text()),
    sa.Column("sealed_to", sa.Text()),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("tries", sa.Integer(), nullable=False),
    sa.Column("next_try_at", sa.Float(), nullable=False),
    sa.Column("lease_holder", sa.String(200)),
    sa.Column("lease_until", sa.Float()),
    sa.Column("last_error", sa.Text()),
    sa.Column("queued_at", sa.Float(), nullable=False),
    sa.Column("done_at", sa.Float()),
    sa.Index("notifier_outbox_due", "state", "endpoint", "next_try_at"),
)
sa.Table(
    "notifier_reports",
    SCHEMA,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("tracking_id", sa.String(16), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("holder", sa.String(120)),
    sa.Column("sealed_reporter", sa.Text()),
)


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    missing = [table for table in SCHEMA.sorted_tables if table.name not in present]
    SCHEMA.create_all(bind, tables=missing)


def downgrade() -> None:
    raise NotImplementedError("the baseline is never undone: it holds the reporters' keys")
