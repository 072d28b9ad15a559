"""Concerns, votes and the moderation log that makes "undo" possible."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.db import Base, UTCDateTime, utcnow
from ysdw_live.errors import Conflict
from ysdw_live.i18n import gettext
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.series.models import Topic

TEXT_MAX = 500
AUTHOR_NAME_MAX = 60
# An Idempotency-Key: 8 to 64 letters, digits, "-" or "_" (a UUID fits).
CLIENT_KEY_MAX = 64
# A language tag's primary subtag ("pl", "ar", "ur"): the language the browser said it reads.
LANGUAGE_MAX = 8
# How a list of concerns can be ordered: most votes first, or newest first.
SORTS = ("top", "recent")


class ConcernStatus(enum.StrEnum):
    """Where a concern is in moderation."""

    pending = "pending"
    approved = "approved"
    answered = "answered"
    dismissed = "dismissed"
    archived = "archived"


# Statuses attendees and the projector may see.
VISIBLE_STATUSES = frozenset({ConcernStatus.approved, ConcernStatus.answered})


class ConcernSource(enum.StrEnum):
    """Who typed the concern in."""

    attendee = "attendee"
    facilitator = "facilitator"


class Concern(Base):
    """A question, issue or idea raised in a meeting."""

    __tablename__ = "concern"
    __table_args__ = (UniqueConstraint("meeting_id", "number"), UniqueConstraint("participant_id", "client_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    # A short per-meeting number people can say out loud ("number 12").
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"), index=True)
    author_name: Mapped[str | None] = mapped_column(String(AUTHOR_NAME_MAX))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"), index=True)
    source: Mapped[ConcernSource] = mapped_column(
        Enum(ConcernSource, native_enum=False, length=20), default=ConcernSource.attendee
    )
    status: Mapped[ConcernStatus] = mapped_column(
        Enum(ConcernStatus, native_enum=False, length=20), default=ConcernStatus.pending, index=True
    )
    highlighted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Denormalised count kept in step with the vote table inside the same transaction.
    votes: Mapped[int] = mapped_column(Integer, default=0)
    # The phone's own key for this concern (an Idempotency-Key): sent again after a lost answer, it
    # finds this concern instead of raising it twice. Unique per participant; None for staff entries.
    client_key: Mapped[str | None] = mapped_column(String(CLIENT_KEY_MAX))
    # The language the person's browser said they read (a hint for the console and screen readers;
    # the text itself is kept exactly as written, never translated). None: not told, or staff typed it.
    language: Mapped[str | None] = mapped_column(String(LANGUAGE_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()
    topic: Mapped[Topic | None] = relationship()
    participant: Mapped[Participant | None] = relationship()

    @property
    def is_visible(self) -> bool:
        """Whether attendees and the projector may see this concern."""
        return self.status in VISIBLE_STATUSES

    def state(self) -> dict[str, Any]:
        """Return the moderated fields as plain values (what an undo restores)."""
        return {
            "status": self.status.value,
            "highlighted": self.highlighted,
            "text": self.text,
            "topic_id": self.topic_id,
        }

    def change_status(self, target: ConcernStatus) -> None:
        """Move to ``target``; a concern that stops being visible stops being highlighted."""
        self.status = target
        if not self.is_visible:
            self.highlighted = False

    def highlight(self) -> None:
        """Pin this concern on screen; only a visible concern can be highlighted."""
        if not self.is_visible:
            raise Conflict("Approve this concern before highlighting it.", code="concern_not_visible")
        self.highlighted = True

    def unhighlight(self) -> None:
        """Stop pinning this concern on screen."""
        self.highlighted = False

    def require_votable(self) -> None:
        """Raise Conflict unless attendees may vote for this concern now."""
        if self.status in (ConcernStatus.dismissed, ConcernStatus.archived):
            raise Conflict(gettext("This concern is no longer open for votes."), code="concern_closed")
        if self.status is ConcernStatus.pending:
            raise Conflict(
                gettext("This concern is waiting for the moderator; votes open once it is shown."),
                code="concern_pending",
            )


class Vote(Base):
    """One participant's upvote of one concern; the unique constraint makes it race-free."""

    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("concern_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModerationEntry(Base):
    """One moderation step, kept so the facilitator can undo the last one."""

    __tablename__ = "moderation_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # What the concern looked like before, as JSON text: {"status", "highlighted", "text", "topic_id"}.
    before: Mapped[str] = mapped_column(Text)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
