"""One line of the audit trail: a staff action, never an attendee's identity or words."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.auth.models import User
from ysdw_live.db import Base, UTCDateTime, utcnow

ACTOR_MAX = 254
ACTION_MAX = 60
OBJECT_TYPE_MAX = 40
OBJECT_ID_MAX = 40
DETAIL_MAX = 1000

# Who did it, when no staff member did: a command typed on the server, or the app's own daily job.
COMMAND_LINE = "command line"
SYSTEM = "system"


class AuditEntry(Base):
    """One staff action: who (the user, and their e-mail as it was then), what, when, on which object.

    ``detail`` says what changed in the staff's own terms (field names, statuses, counts); it never
    holds what an attendee wrote or who they are, so the trail can outlive the retention period.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The e-mail at the time (kept if the address changes later), or COMMAND_LINE / SYSTEM.
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX))
    # A dotted verb: "series.update", "concern.moderate", "auth.login" …
    action: Mapped[str] = mapped_column(String(ACTION_MAX), index=True)
    object_type: Mapped[str] = mapped_column(String(OBJECT_TYPE_MAX), default="")
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_MAX), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()

    @property
    def object_label(self) -> str:
        """The object as people read it: "meeting K7P2QX", "concern 12"; empty when there is none."""
        return f"{self.object_type} {self.object_id}".strip()
