"""The console's officers: their accounts, sessions, sign-in failures (the lockout) and
the audit of who signed in and did what (services/intake/accounts.py).

New tables only, so the release before runs beside it unaffected. A downgrade drops them,
and with them every officer's account: invite them again after one.

Revision 0004, after 0003.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officer_audit",
        sa.Column("entry_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    with op.batch_alter_table("officer_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_audit_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_officer_audit_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "officer_sessions",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    with op.batch_alter_table("officer_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_sessions_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "officers",
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("agency_id", sa.String(length=80), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("invitation_sha256", sa.String(length=64), nullable=True),
        sa.Column("invitation_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("officer_id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("invitation_sha256"),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officers_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "sign_in_failures",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officers_agency_id"))

    op.drop_table("officers")
    with op.batch_alter_table("officer_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_sessions_officer_id"))

    op.drop_table("officer_sessions")
    with op.batch_alter_table("officer_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_audit_officer_id"))
        batch_op.drop_index(batch_op.f("ix_officer_audit_at"))

    op.drop_table("officer_audit")
