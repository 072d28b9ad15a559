"""polls: live polls, their options and one answer per participant; the projector's poll

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ysdw_live.db

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "single",
                "multiple",
                "rating",
                "word_cloud",
                "open_text",
                "ranking",
                name="pollkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="pollstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("results_visible", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("opened_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_poll_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_status"), ["status"], unique=False)
    op.create_table(
        "poll_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_poll_option_poll_id_poll"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_option")),
    )
    with op.batch_alter_table("poll_option", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_option_poll_id"), ["poll_id"], unique=False)
    op.create_table(
        "poll_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ysdw_live.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_poll_response_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_response_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_response")),
        sa.UniqueConstraint("poll_id", "participant_id", name=op.f("uq_poll_response_poll_id_participant_id")),
    )
    with op.batch_alter_table("poll_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_response_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_response_poll_id"), ["poll_id"], unique=False)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("projector_poll_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("projector_poll_id")
    with op.batch_alter_table("poll_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_response_poll_id"))
        batch_op.drop_index(batch_op.f("ix_poll_response_participant_id"))
    op.drop_table("poll_response")
    with op.batch_alter_table("poll_option", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_option_poll_id"))
    op.drop_table("poll_option")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_status"))
        batch_op.drop_index(batch_op.f("ix_poll_meeting_id"))
    op.drop_table("poll")
