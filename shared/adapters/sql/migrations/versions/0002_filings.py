"""Intake's record of each filing it published, for read-your-writes.

Each row is the ComplaintFiled record exactly as it went to Kafka (its reporter sealed), so
any intake replica can answer a complaint's status before the read model has projected it.
Kept a day, as idempotency keys are.

Revision 0002, after 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filings",
        sa.Column("tracking_id", sa.String(16), primary_key=True),
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_filings_complaint_id", "filings", ["complaint_id"], unique=True)
    op.create_index("ix_filings_filed_at", "filings", ["filed_at"])


def downgrade() -> None:
    op.drop_table("filings")
