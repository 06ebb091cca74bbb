"""The notifier's circuit breakers, one row per endpoint, shared by every notifier pod.

A missing row is a closed breaker, so the table starts empty and a notifier of the release
before, which keeps its breakers in memory, runs beside it unaffected.

Revision 0003, after 0002.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifier_breakers",
        sa.Column("endpoint", sa.String(600), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.Float()),
        sa.Column("trial_holder", sa.String(200)),
        sa.Column("trial_until", sa.Float()),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notifier_breakers")  # only what it learned of endpoints: nothing is lost
