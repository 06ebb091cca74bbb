"""The agencies' response templates for their officers (services/intake/responses.py).

A new table only, so the release before runs beside it unaffected. A downgrade drops it,
and with it every agency's templates.

Revision 0005, after 0004.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "response_templates",
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("template_id"),
    )
    with op.batch_alter_table("response_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_templates_agency_id"), ["agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("response_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_templates_agency_id"))

    op.drop_table("response_templates")
