"""Which officer of the holding agency works each complaint (services/intake/assignments.py).

A new table only, so the release before runs beside it unaffected. A downgrade drops it,
and with it every assignment (the audit keeps who assigned what).

Revision 0006, after 0005.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("tracking_id", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.String(length=80), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_by", sa.String(length=36), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tracking_id", "agency_id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_officer_id"), ["officer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_officer_id"))

    op.drop_table("assignments")
