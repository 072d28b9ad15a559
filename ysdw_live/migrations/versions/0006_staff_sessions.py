"""staff sessions: a session version per user, token expiry; login throttling moves to the rate limiter

user.session_version: every login cookie carries the version it began under; logout, a password
change and deactivation bump it, ending all of the account's sessions (issue 9, finding 3).
api_token.expires_at: tokens expire; those issued before this revision get 30 days from the upgrade.
Login throttling is counted per address, per account and per known browser by the rate limiter
(finding 6), so the per-user lockout columns go: they let anyone lock an account.

Revision ID: 0006
Revises: 0007 (written as 0006 beside 0007, both from 0005; chained after 0007 when merged with main,
so a database already at 0007 upgrades by this one step)
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import ysdw_live.db

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=True))
    token = sa.table("api_token", sa.column("expires_at", ysdw_live.db.UTCDateTime(timezone=True)))
    op.execute(token.update().values(expires_at=datetime.now(UTC) + timedelta(days=30)))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=ysdw_live.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.add_column(sa.Column("locked_until", ysdw_live.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
