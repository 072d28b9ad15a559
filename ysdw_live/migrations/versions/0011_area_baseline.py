"""impact: the area baseline an admin enters per series, set against the equality monitoring answers

Revision ID: 0011
Revises: 0014 (written beside 0010 and 0014; re-chained at merge)
Create Date: 2026-12-02 16:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ysdw_live.db

revision = "0011"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "area_baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("group_label", sa.String(length=200), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("updated_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_area_baseline_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_baseline")),
        sa.UniqueConstraint(
            "series_id", "question_key", "group_label", name=op.f("uq_area_baseline_series_id_question_key_group_label")
        ),
    )
    with op.batch_alter_table("area_baseline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_baseline_series_id"), ["series_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("area_baseline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_baseline_series_id"))
    op.drop_table("area_baseline")
