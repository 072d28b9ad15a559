"""concern client key and language: a phone's Idempotency-Key (a resend raises once), the browser's language

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-02 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("concern") as batch:
        batch.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.create_unique_constraint(op.f("uq_concern_participant_id_client_key"), ["participant_id", "client_key"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("concern") as batch:
        batch.drop_constraint(op.f("uq_concern_participant_id_client_key"), type_="unique")
        batch.drop_column("client_key")
        batch.drop_column("language")
