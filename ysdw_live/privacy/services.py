"""Retention: deleting attendee data of meetings past their series' retention period.

A meeting's attendee data is kept for its series' ``retention_months`` after the meeting closes.
After that, :func:`purge` asks every domain's purger to delete that meeting's free text and the
identities of the people in it, and keeps the aggregates (how many concerns and votes per meeting
and topic, how many participants) and the public "You Said, We Did" list, which staff wrote.

**Purgers.** :data:`PURGERS` lists one function per domain, called in order with the ids of the
expired meetings; each deletes (or with ``dry_run`` only counts) what its domain keeps about the
people in those meetings, and returns ``{what: how many}``. Participants go last, so a domain
whose rows point at participants (poll answers, survey responses) deletes them first. A new domain
adds its purger before the participants one; a purger that must keep an aggregate (a survey's
totals) stores it before deleting the rows.

Live and draft meetings are never purged, nor is a meeting before it closes; a purged meeting
cannot be reopened. A purge is idempotent: the daily job finds nothing more to delete in a meeting
it purged before, unless new data came (someone opened its join link again).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ysdw_live.audit.services import SYSTEM, record
from ysdw_live.auth.models import User
from ysdw_live.clock import Clock
from ysdw_live.concerns.services import purge_meeting_data as purge_concerns
from ysdw_live.meetings.models import Meeting, MeetingStatus
from ysdw_live.meetings.services import purge_participants
from ysdw_live.polls.services import purge_poll_answers
from ysdw_live.series.models import Series
from ysdw_live.surveys.services import purge_survey_responses

# One purger per domain: (session, meeting ids, dry_run=…) -> {what: how many}. The caller commits.
Purger = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class DomainPurger:
    """What one domain deletes from a meeting past its retention period."""

    domain: str
    purge: Purger


PURGERS: list[DomainPurger] = [
    DomainPurger("concerns", purge_concerns),
    DomainPurger("polls", purge_poll_answers),
    DomainPurger("surveys", purge_survey_responses),
    DomainPurger("participants", purge_participants),
]


def months_before(moment: datetime, months: int) -> datetime:
    """Return ``moment`` moved back ``months`` calendar months (the 31st becomes the month's last day)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year = moment.year + years
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expired_meetings(db: Session, now: datetime) -> list[Meeting]:
    """Return the closed meetings whose series' retention period has run out since they closed, oldest first."""
    expired: list[Meeting] = []
    for series_id, months in db.execute(select(Series.id, Series.retention_months).order_by(Series.id)):
        cutoff = months_before(now, months)
        expired.extend(
            db.scalars(
                select(Meeting).where(
                    Meeting.series_id == series_id,
                    Meeting.status == MeetingStatus.closed,
                    Meeting.closed_at.is_not(None),
                    Meeting.closed_at < cutoff,
                )
            )
        )
    return sorted(expired, key=lambda meeting: (meeting.closed_at or now, meeting.id))


@dataclass
class MeetingPurge:
    """What was (or would be) deleted from one meeting."""

    code: str
    title: str
    closed_at: datetime | None
    removed: dict[str, int]

    @property
    def total(self) -> int:
        """How many rows or values in all."""
        return sum(self.removed.values())


@dataclass
class PurgeReport:
    """What one purge did (or, with ``dry_run``, would do), meeting by meeting and in total."""

    dry_run: bool
    meetings: list[MeetingPurge] = field(default_factory=list)

    @property
    def totals(self) -> Counter[str]:
        """How many of each kind, over every meeting."""
        totals: Counter[str] = Counter()
        for meeting in self.meetings:
            totals.update(meeting.removed)
        return totals

    @property
    def changed(self) -> list[MeetingPurge]:
        """The meetings where something was (or would be) deleted."""
        return [meeting for meeting in self.meetings if meeting.total]


def describe(removed: dict[str, int]) -> str:
    """Return "3 concern texts, 12 votes" (the kinds with a count above zero), or "nothing"."""
    parts = [f"{count} {what}" for what, count in removed.items() if count]
    return ", ".join(parts) or "nothing"


def purge(
    db: Session,
    *,
    clock: Clock,
    dry_run: bool = False,
    who: User | str = SYSTEM,
    purgers: list[DomainPurger] | None = None,
) -> PurgeReport:
    """Delete the attendee data of every meeting past its retention period; return what went.

    One transaction per meeting, so a long purge never holds SQLite's write lock for long. With
    ``dry_run`` nothing changes and the report says what would go. Each meeting where something
    went gets ``purged_at`` and an entry in the audit trail, made by ``who`` (the command line, or
    the system's daily job).
    """
    now = clock.now()
    report = PurgeReport(dry_run=dry_run)
    for meeting in expired_meetings(db, now):
        removed: dict[str, int] = {}
        for purger in purgers if purgers is not None else PURGERS:
            removed.update(purger.purge(db, [meeting.id], dry_run=dry_run))
        entry = MeetingPurge(code=meeting.code, title=meeting.title, closed_at=meeting.closed_at, removed=removed)
        report.meetings.append(entry)
        if dry_run or not entry.total:
            db.rollback()
            continue
        meeting.purged_at = now
        record(db, who, "meeting.purge", object_type="meeting", object_id=meeting.code, detail=describe(removed))
        db.commit()
    db.rollback()  # end the read of the last meeting (nothing is left to write)
    return report


def retention_periods(db: Session) -> list[tuple[int, list[str]]]:
    """Return each retention period in use with the titles of its series, shortest first (for the notice)."""
    periods: dict[int, list[str]] = {}
    for title, months in db.execute(select(Series.title, Series.retention_months).order_by(Series.title)):
        periods.setdefault(months, []).append(title)
    return sorted(periods.items())
