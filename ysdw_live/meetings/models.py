"""A meeting, its join code and its status machine."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from ysdw_live.db import Base, UTCDateTime, utcnow
from ysdw_live.errors import Conflict
from ysdw_live.i18n import gettext
from ysdw_live.series.models import Series

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
TITLE_MAX = 200
VENUE_MAX = 200


class MeetingStatus(enum.StrEnum):
    """Where a meeting is in its life."""

    draft = "draft"
    live = "live"
    closed = "closed"


class MeetingMode(enum.StrEnum):
    """How people attend."""

    in_person = "in_person"
    online = "online"
    hybrid = "hybrid"


class ProjectorMode(enum.StrEnum):
    """What the big screen shows."""

    join = "join"
    concerns = "concerns"
    poll = "poll"
    report_back = "report_back"
    # The meeting's survey: its link and QR code (surveys/).
    survey = "survey"


def new_code() -> str:
    """Return a random 6-character join code from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str | None:
    """Return ``code`` upper-cased and stripped, or None when it cannot be a join code."""
    cleaned = "".join(code.split()).upper()
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


class Meeting(Base):
    """One gathering of a series, joined by its code."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(String(VENUE_MAX), default="")
    mode: Mapped[MeetingMode] = mapped_column(
        Enum(MeetingMode, native_enum=False, length=20), default=MeetingMode.in_person
    )
    status: Mapped[MeetingStatus] = mapped_column(
        Enum(MeetingStatus, native_enum=False, length=20), default=MeetingStatus.draft
    )
    moderation: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    projector_mode: Mapped[ProjectorMode] = mapped_column(
        Enum(ProjectorMode, native_enum=False, length=20), default=ProjectorMode.join
    )
    # Which report-back action (0-based, in report-back order) the projector shows.
    projector_action_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Which poll the projector shows in poll mode (no foreign key: polls' models import this module).
    projector_poll_id: Mapped[int | None] = mapped_column(Integer)
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention period deleted attendee data (last time it found any); None: never.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Participants deleted by retention, so the meeting's head count survives them.
    purged_participants: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    series: Mapped[Series] = relationship()

    @property
    def projector_concern_id(self) -> int | None:
        """Return the id of the concern pinned on the projector: the meeting's highlighted one, read now.

        ``Concern.highlighted`` is the one truth of what is pinned. This reads the concern table
        (by name: concerns' models import this module) each time, so it is never a stale copy.
        """
        session = object_session(self)
        if session is None or self.id is None:
            return None
        concern = Base.metadata.tables["concern"]
        return session.scalar(
            select(concern.c.id).where(concern.c.meeting_id == self.id, concern.c.highlighted.is_(True)).limit(1)
        )

    def bump_version(self) -> None:
        """Mark a change of this meeting; call in the same transaction as the change.

        Once the row exists the increment runs in SQL (``version = version + 1``), so two
        writers racing on PostgreSQL never hand out the same version.
        """
        if inspect(self).persistent:
            self.version = Meeting.version + 1  # type: ignore[assignment]
        else:
            self.version = (self.version or 0) + 1

    @property
    def is_live(self) -> bool:
        """Whether attendees may write to this meeting now."""
        return self.status is MeetingStatus.live

    def go_live(self) -> None:
        """Open a draft meeting to attendees."""
        if self.status is not MeetingStatus.draft:
            raise Conflict(
                f"Only a draft meeting can go live; this one is {self.status.value}.",
                code="meeting_not_draft",
            )
        self.status = MeetingStatus.live
        if self.went_live_at is None:
            self.went_live_at = utcnow()
        self.bump_version()

    def close(self) -> None:
        """End a live meeting; attendees can read but no longer write."""
        if self.status is not MeetingStatus.live:
            raise Conflict(
                f"Only a live meeting can be closed; this one is {self.status.value}.",
                code="meeting_not_live",
            )
        self.status = MeetingStatus.closed
        self.closed_at = utcnow()
        self.bump_version()

    def reopen(self) -> None:
        """Take a closed meeting live again (an explicit, deliberate action)."""
        if self.status is not MeetingStatus.closed:
            raise Conflict(
                f"Only a closed meeting can be reopened; this one is {self.status.value}.",
                code="meeting_not_closed",
            )
        if self.purged_at is not None:
            raise Conflict(
                "This meeting's attendee data was deleted after its retention period; it cannot be reopened.",
                code="meeting_purged",
            )
        self.status = MeetingStatus.live
        self.closed_at = None
        self.bump_version()

    def change_status(self, target: MeetingStatus) -> None:
        """Move to ``target`` through the one allowed transition, or raise Conflict."""
        if target is self.status:
            return
        transitions = {
            (MeetingStatus.draft, MeetingStatus.live): self.go_live,
            (MeetingStatus.live, MeetingStatus.closed): self.close,
            (MeetingStatus.closed, MeetingStatus.live): self.reopen,
        }
        step = transitions.get((self.status, target))
        if step is None:
            raise Conflict(
                f"A {self.status.value} meeting cannot become {target.value}.",
                code="invalid_transition",
            )
        step()

    def require_live(self) -> None:
        """Raise Conflict unless attendees may write now."""
        if self.status is MeetingStatus.draft:
            raise Conflict(gettext("This meeting has not started yet."), code="meeting_not_live")
        if self.status is MeetingStatus.closed:
            raise Conflict(gettext("This meeting has ended."), code="meeting_closed")


class Participant(Base):
    """An anonymous attendee identity: one per device per meeting.

    The device keeps a random secret (cookie or ``X-Participant-Token``); only its hash is
    stored, and the same device gets a new participant in each meeting, so a returning
    attendee can be shown what happened to what they raised without any account.
    """

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("meeting_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    device_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting] = relationship()


def new_device_token() -> str:
    """Return a fresh unguessable participant token."""
    return secrets.token_urlsafe(24)


def hash_device_token(token: str) -> str:
    """Return the stored form of a participant token."""
    return hashlib.sha256(("participant:" + token).encode()).hexdigest()
