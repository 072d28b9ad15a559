"""Actions, their links to concerns, append-only public updates and the audit trail of edits."""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.auth.models import User
from ysdw_live.concerns.models import Concern
from ysdw_live.db import Base, UTCDateTime, utcnow
from ysdw_live.errors import ValidationError
from ysdw_live.i18n import N_
from ysdw_live.meetings.models import Meeting
from ysdw_live.series.models import Series, Topic

YOU_SAID_MAX = 4000
WE_DID_MAX = 4000
OWNER_MAX = 200
PRIVATE_NOTES_MAX = 4000
UPDATE_TEXT_MAX = 2000
CONCERNS_PER_ACTION_MAX = 100
# The action's own fields whose changes the audit trail records.
AUDITED_FIELDS = ("you_said", "we_did", "owner", "status", "progress", "due_date", "private_notes")


class ActionStatus(enum.StrEnum):
    """Where an action is, as the community is told."""

    under_consideration = "under_consideration"
    agreed = "agreed"
    in_progress = "in_progress"
    completed = "completed"
    not_taken_forward = "not_taken_forward"
    referred = "referred"


# Statuses after which nothing more will happen to an action.
FINISHED_STATUSES = frozenset({ActionStatus.completed, ActionStatus.not_taken_forward, ActionStatus.referred})
# Statuses the community must be told the reason for.
NEEDS_REASON = frozenset({ActionStatus.not_taken_forward, ActionStatus.referred})

STATUS_LABELS = {
    ActionStatus.under_consideration: N_("Under consideration"),
    ActionStatus.agreed: N_("Agreed"),
    ActionStatus.in_progress: N_("In progress"),
    ActionStatus.completed: N_("Completed"),
    ActionStatus.not_taken_forward: N_("Not taken forward"),
    ActionStatus.referred: N_("Referred elsewhere"),
}

# The order a report-back walks through: good news first, then work under way, then the "why nots".
REPORT_ORDER = {
    ActionStatus.completed: 0,
    ActionStatus.in_progress: 1,
    ActionStatus.agreed: 2,
    ActionStatus.under_consideration: 3,
    ActionStatus.referred: 4,
    ActionStatus.not_taken_forward: 5,
}


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a public update; they are the record."""


class ActionConcern(Base):
    """Links an action to a concern it answers (from any meeting of the same series)."""

    __tablename__ = "action_concern"
    __table_args__ = (UniqueConstraint("action_id", "concern_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id", ondelete="CASCADE"), index=True)


class Action(Base):
    """A "You Said, We Did" entry of a series: what was said, what the force will do or did."""

    __tablename__ = "action"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    you_said: Mapped[str] = mapped_column(Text)
    we_did: Mapped[str] = mapped_column(Text, default="")
    # A name or a team; not necessarily someone with an account.
    owner: Mapped[str] = mapped_column(String(OWNER_MAX), default="")
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=30), default=ActionStatus.under_consideration, index=True
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    raised_at_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    private_notes: Mapped[str] = mapped_column(Text, default="")
    # When the action last reached a finished status; the report-back selects on it.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    series: Mapped[Series] = relationship()
    raised_at_meeting: Mapped[Meeting | None] = relationship()
    creator: Mapped[User | None] = relationship()
    concerns: Mapped[list[Concern]] = relationship(
        secondary="action_concern", order_by="Concern.id", passive_deletes=True
    )
    # Newest first: the order people read a timeline in.
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action",
        order_by="(ActionUpdate.created_at.desc(), ActionUpdate.id.desc())",
        passive_deletes=True,
    )

    @property
    def is_finished(self) -> bool:
        """Whether nothing more will happen to this action."""
        return self.status in FINISHED_STATUSES

    @property
    def status_label(self) -> str:
        """The status in words."""
        return STATUS_LABELS[self.status]

    def is_overdue(self, today: date) -> bool:
        """Whether the due date has passed and the action is not finished."""
        return self.due_date is not None and self.due_date < today and not self.is_finished

    @property
    def topics(self) -> list[Topic]:
        """The topics of the linked concerns, the most common first."""
        counts = Counter(concern.topic for concern in self.concerns if concern.topic is not None)
        return sorted(counts, key=lambda topic: (-counts[topic], topic.position, topic.id))

    @property
    def primary_topic(self) -> Topic | None:
        """The topic this action is filed under on the public page (None: no topic)."""
        topics = self.topics
        return topics[0] if topics else None

    @property
    def latest_update(self) -> ActionUpdate | None:
        """The most recent public update, if any."""
        return self.updates[0] if self.updates else None

    @property
    def public_response(self) -> str:
        """What the community is told was done: ``we_did``, else the update that explained the status."""
        if (self.we_did or "").strip():
            return self.we_did
        latest = self.latest_update
        if self.status in NEEDS_REASON and latest is not None and latest.status is self.status:
            return latest.text
        return ""

    @property
    def shows_progress(self) -> bool:
        """Whether a progress figure means anything (not for actions not taken forward or referred)."""
        return self.status not in NEEDS_REASON

    @staticmethod
    def check_progress(value: int) -> int:
        """Return ``value`` when it is a whole percentage, else raise ValidationError."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Progress must be a whole number from 0 to 100.", field="progress")
        if not 0 <= value <= 100:
            raise ValidationError("Progress must be from 0 to 100.", field="progress", code="out_of_range")
        return value

    def set_progress(self, value: int) -> None:
        """Set the progress percentage (0–100)."""
        self.progress = self.check_progress(value)

    def _reason_on_record(self, status: ActionStatus) -> bool:
        """Whether the latest public update was made with ``status`` and so explains it."""
        latest = self.latest_update
        return latest is not None and latest.status is status and bool(latest.text.strip())

    def check_reason(self, *, reason: str = "", field: str = "we_did", status: ActionStatus | None = None) -> None:
        """Raise unless a reason-needing status is explained (by ``we_did``, ``reason`` or an update)."""
        status = status or self.status
        if status not in NEEDS_REASON:
            return
        if (self.we_did or "").strip() or reason.strip() or self._reason_on_record(status):
            return
        raise ValidationError(
            f"Say why the action is “{STATUS_LABELS[status].lower()}”: the community is always told why.",
            field=field,
            code="reason_required",
        )

    def change_status(
        self, status: ActionStatus, *, reason: str = "", progress: int | None = None, reason_field: str = "we_did"
    ) -> None:
        """Move to ``status``, keeping the invariants (reason, progress, finished_at) in one place.

        ``reason`` is the text of an update made with the change; ``we_did`` also counts.
        Completing an action sets progress to 100 unless a progress is given.
        """
        if status is not self.status:
            self.check_reason(reason=reason, field=reason_field, status=status)
        if progress is not None:
            self.set_progress(progress)
        elif status is ActionStatus.completed and status is not self.status:
            self.progress = 100
        if status is not self.status:
            self.finished_at = utcnow() if status in FINISHED_STATUSES else None
            self.status = status

    def edit(self, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        """Apply already-parsed field values; return ``(field, old, new)`` for each real change.

        Plain fields first, then the status (which may need the new ``we_did`` as its reason),
        then the final state is checked, so a half-valid edit raises before anything is kept.
        """
        before = {name: getattr(self, name) for name in AUDITED_FIELDS}
        for name in ("you_said", "we_did", "owner", "due_date", "private_notes"):
            if name in values:
                setattr(self, name, values[name])
        progress = values.get("progress")
        if "status" in values:
            self.change_status(values["status"], progress=progress)
        elif progress is not None:
            self.set_progress(progress)
        self.check_reason()
        changes = [
            (name, before[name], getattr(self, name)) for name in AUDITED_FIELDS if getattr(self, name) != before[name]
        ]
        if changes:
            self.touch()
        return changes

    def record_update(
        self, text: str, author: User | None, *, status: ActionStatus | None = None, progress: int | None = None
    ) -> tuple[ActionUpdate, list[tuple[str, Any, Any]]]:
        """Append a dated public update, moving status/progress with it; return it and the changes."""
        before = {name: getattr(self, name) for name in ("status", "progress")}
        if status is not None:
            self.change_status(status, reason=text, progress=progress, reason_field="text")
        elif progress is not None:
            self.set_progress(progress)
        update = ActionUpdate(
            text=text, status=self.status, progress=self.progress, author_id=author.id if author is not None else None
        )
        self.updates.insert(0, update)
        self.touch()
        changes = [
            (name, before[name], getattr(self, name))
            for name in ("status", "progress")
            if getattr(self, name) != before[name]
        ]
        return update, changes

    def touch(self) -> None:
        """Record that the action changed now."""
        self.updated_at = utcnow()


class ActionUpdate(Base):
    """A dated public update of an action; append-only, part of the public record."""

    __tablename__ = "action_update"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # The action's status and progress as this update left them.
    status: Mapped[ActionStatus] = mapped_column(Enum(ActionStatus, native_enum=False, length=30))
    progress: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        """The status in words."""
        return STATUS_LABELS[self.status]


@event.listens_for(ActionUpdate, "before_update")
def _refuse_update_edit(_mapper: Any, _connection: Any, target: ActionUpdate) -> None:
    """Updates are the public record: once written they never change."""
    raise AppendOnlyError(f"Action update {target.id} is append-only and cannot be changed.")


@event.listens_for(ActionUpdate, "before_delete")
def _refuse_update_delete(_mapper: Any, _connection: Any, target: ActionUpdate) -> None:
    """Updates are the public record: once written they are never deleted."""
    raise AppendOnlyError(f"Action update {target.id} is append-only and cannot be deleted.")


class ActionAudit(Base):
    """One change to a field of an action: who, when, what it was, what it became."""

    __tablename__ = "action_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()


@dataclasses.dataclass
class FollowUp:
    """What happened to one concern this device raised or voted for at an earlier meeting."""

    concern: Concern
    raised: bool
    voted: bool
    actions: list[Action] = dataclasses.field(default_factory=list)

    @property
    def meeting(self) -> Meeting:
        """The meeting where the concern was raised."""
        return self.concern.meeting
