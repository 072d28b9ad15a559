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


# What each recorded verb means, as the audit page shows it (the dotted code stays in the CSV).
ACTION_LABELS = {
    "auth.login": "Logged in",
    "auth.logout": "Logged out",
    "auth.password_change": "Changed their password",
    "auth.token_create": "Created an API token",
    "auth.token_revoke": "Revoked an API token",
    "user.create": "Created a staff account",
    "user.activate": "Reactivated a staff account",
    "user.deactivate": "Deactivated a staff account",
    "user.role_change": "Changed a staff member's role",
    "user.password_reset": "Reset a staff member's password",
    "series.create": "Created a series",
    "series.update": "Changed a series",
    "meeting.create": "Created a meeting",
    "meeting.update": "Changed a meeting",
    "kiosk.start": "Started a kiosk on a shared device",
    "meeting.projector": "Changed what the projector shows",
    "meeting.purge": "Deleted attendee data after the retention period",
    "meeting.pack": "Opened a meeting pack",
    "meeting.export_concerns": "Downloaded a meeting's concerns (CSV)",
    "meeting.export_polls": "Downloaded a meeting's poll results (CSV)",
    "series.export_actions": "Downloaded a series' actions (CSV)",
    "series.export_priorities": "Downloaded a series' actions as police.uk priorities (JSON)",
    "concern.enter": "Typed in a concern for someone",
    "concern.moderate": "Moderated a concern",
    "concern.undo": "Undid a moderation step",
    "poll.create": "Prepared a poll",
    "poll.change": "Changed a poll (opened, closed, revealed or edited)",
    "poll.copy": "Copied polls from an earlier meeting",
    "poll.moderate": "Held back or showed a poll answer",
    "action.create": "Created an action",
    "action.update": "Changed an action",
    "action.public_update": "Posted a progress update",
    "survey.create": "Created a survey",
    "survey.update": "Changed a survey",
    "survey.open": "Opened a survey",
    "survey.close": "Closed a survey",
    "survey.export": "Downloaded survey responses",
    "survey.concern": "Turned a survey answer into a concern",
    "audit.export": "Downloaded the audit trail",
    "series.baseline": "Set the area baseline of a series",
    "database.backup": "Backed up the database",
}


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
    def action_label(self) -> str:
        """The verb in words ("Moderated a concern"); a verb without a label reads as its code, spaced."""
        return ACTION_LABELS.get(self.action) or self.action.replace(".", ": ").replace("_", " ").capitalize()

    @property
    def object_label(self) -> str:
        """The object as people read it: "meeting K7P2QX", "concern 12"; empty when there is none."""
        return f"{self.object_type} {self.object_id}".strip()
