"""Polls, their options and each participant's one answer; the lifecycle lives on the model."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, false, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.db import Base, UTCDateTime, utcnow
from ysdw_live.errors import Conflict
from ysdw_live.i18n import gettext
from ysdw_live.meetings.models import Meeting
from ysdw_live.polls.kinds import KINDS, OPTION_MAX, QUESTION_MAX, Kind, PollKind, PollShape


class PollStatus(enum.StrEnum):
    """Where a poll is in its life: prepared, taking answers, finished."""

    draft = "draft"
    open = "open"
    closed = "closed"


class Poll(Base):
    """A question put to the room; ``draft → open → closed``, each step refusing the wrong state."""

    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PollKind] = mapped_column(Enum(PollKind, native_enum=False, length=20))
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    # Multiple choice: the most options one answer may choose (None: any number).
    max_choices: Mapped[int | None] = mapped_column(Integer)
    # Rating: the top of the scale, 5 or 10.
    scale: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[PollStatus] = mapped_column(
        Enum(PollStatus, native_enum=False, length=20), default=PollStatus.draft, index=True
    )
    results_visible: Mapped[bool] = mapped_column(Boolean, default=False)
    # Word cloud and open text: each answer waits for a facilitator's approval before anyone sees it.
    approve_answers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether any answer was ever given: the question and options are frozen from then on.
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", back_populates="poll"
    )

    @property
    def behaviour(self) -> Kind:
        """The kind's answer cleaning and summary."""
        return KINDS[self.kind]

    def shape(self) -> PollShape:
        """Return what the kind needs to clean answers and summarise them."""
        return PollShape(
            option_ids=[option.id for option in self.options],
            labels={option.id: option.label for option in self.options},
            max_choices=self.max_choices,
            scale=self.scale,
        )

    def open(self) -> None:
        """Start taking answers; only a draft opens (a closed poll stays closed)."""
        if self.status is not PollStatus.draft:
            raise Conflict(
                gettext("Only a draft poll can be opened; this one is %(status)s.", status=self.status.value),
                code="poll_not_draft",
            )
        self.status = PollStatus.open
        self.opened_at = utcnow()

    def close(self) -> None:
        """Stop taking answers."""
        if self.status is not PollStatus.open:
            raise Conflict(
                gettext("Only an open poll can be closed; this one is %(status)s.", status=self.status.value),
                code="poll_not_open",
            )
        self.status = PollStatus.closed
        self.closed_at = utcnow()

    def require_open(self) -> None:
        """Raise Conflict unless the poll takes answers now."""
        if self.status is PollStatus.draft:
            raise Conflict(gettext("This poll has not opened yet."), code="poll_not_open")
        if self.status is PollStatus.closed:
            raise Conflict(gettext("This poll has closed."), code="poll_closed")

    def require_editable(self) -> None:
        """Raise Conflict once anyone has answered: changing the question would change their answers' meaning."""
        if self.answered:
            raise Conflict(
                gettext("This poll has answers; its question and options can no longer change."), code="poll_answered"
            )
        if self.status is PollStatus.closed:
            raise Conflict(gettext("This poll has closed."), code="poll_closed")


class PollOption(Base):
    """One choice of a single, multiple or ranking poll."""

    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(OPTION_MAX))

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollResponse(Base):
    """One participant's answer to one poll (a unique constraint); answering again replaces it while open."""

    __tablename__ = "poll_response"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"), index=True)
    # The cleaned answer as JSON (see kinds.py).
    answer: Mapped[str] = mapped_column(Text)
    # A facilitator held this free-text answer back from the projector (moderation of single answers).
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # The poll approves answers first and nobody has looked at this one yet (a changed answer waits again).
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def value(self) -> Any:
        """Return the stored answer as a Python value."""
        return json.loads(self.answer)

    @property
    def state(self) -> str:
        """``pending`` (waiting for approval), ``held`` (held back) or ``shown``."""
        return "pending" if self.pending else "held" if self.hidden else "shown"


# An answer the room does not see: held back by a facilitator, or still waiting for approval.
KEPT_BACK = or_(PollResponse.hidden, PollResponse.pending)
