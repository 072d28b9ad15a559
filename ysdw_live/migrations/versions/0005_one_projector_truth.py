"""one projector truth: drop projector_concern_id and projector_poll_id

The projector pins the meeting's highlighted concern (concern.highlighted), so the copy kept in
meeting.projector_concern_id (written, never read) goes; projector_poll_id held unchecked ids
while no polls exist, and comes back with a foreign key when polls do.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("projector_poll_id")
        batch_op.drop_column("projector_concern_id")


def downgrade() -> None:
    """Undo this revision (the pinned concern is copied back from the highlighted one)."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("projector_concern_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("projector_poll_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE meeting SET projector_concern_id = "
        "(SELECT concern.id FROM concern WHERE concern.meeting_id = meeting.id AND concern.highlighted "
        "ORDER BY concern.id LIMIT 1)"
    )
