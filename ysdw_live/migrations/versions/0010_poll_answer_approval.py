"""poll answer approval: a poll may hold each free-text answer until a facilitator approves it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("poll") as batch:
        batch.add_column(sa.Column("approve_answers", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("poll_response") as batch:
        batch.add_column(sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("poll_response") as batch:
        batch.drop_column("pending")
    with op.batch_alter_table("poll") as batch:
        batch.drop_column("approve_answers")
