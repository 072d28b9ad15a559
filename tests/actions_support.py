"""Helpers shared by the tests: concerns, a frozen clock (time-machine), and counting rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from ysdw_live.actions.models import Action, ActionAudit, ActionConcern, ActionUpdate
from ysdw_live.concerns.models import Concern, ConcernStatus, Vote
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.series.models import Topic


def add_concern(
    db: Session,
    meeting: Meeting,
    text: str,
    *,
    topic: Topic | None = None,
    participant: Participant | None = None,
    status: str = "approved",
    votes: int = 0,
    author_name: str | None = None,
) -> Concern:
    """Store a concern directly (the concern services are tested elsewhere)."""
    number = (db.scalar(select(func.max(Concern.number)).where(Concern.meeting_id == meeting.id)) or 0) + 1
    concern = Concern(
        meeting_id=meeting.id,
        number=number,
        text=text,
        topic_id=topic.id if topic else None,
        participant_id=participant.id if participant else None,
        status=ConcernStatus(status),
        votes=votes,
        author_name=author_name,
    )
    db.add(concern)
    db.commit()
    return concern


def add_vote(db: Session, concern: Concern, participant: Participant) -> None:
    """Store one participant's vote for ``concern``."""
    db.add(Vote(concern_id=concern.id, participant_id=participant.id))
    concern.votes += 1
    db.commit()


def counts(db: Session) -> dict[str, int]:
    """Return how many rows each action table holds (to prove nothing changed)."""
    result = {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Action, ActionConcern, ActionUpdate, ActionAudit)
    }
    # End the read: on SQLite every transaction holds the write lock, which would stall the app.
    db.commit()
    return result


class FrozenClock:
    """The frozen "now" of a test, held by time-machine: read ``now``, set it, or ``advance`` it."""

    def __init__(self, traveller: TimeMachineFixture, start: datetime) -> None:
        self._traveller = traveller
        traveller.move_to(start, tick=False)

    @property
    def now(self) -> datetime:
        """Return the frozen time, as every ``datetime.now()`` in the app sees it."""
        return datetime.now(UTC)

    @now.setter
    def now(self, moment: datetime) -> None:
        """Move the frozen time to ``moment``."""
        self._traveller.move_to(moment, tick=False)

    def advance(self, **delta: float) -> datetime:
        """Move time forward and return the new now."""
        self.now = self.now + timedelta(**delta)
        return self.now


# A fixed day, so no test depends on the date it runs on (a Saturday in March, GMT in London).
START = datetime(2026, 3, 14, 18, 0, tzinfo=UTC)


def install_clock(time_machine: TimeMachineFixture, start: datetime = START) -> FrozenClock:
    """Freeze time at ``start`` for the whole app (action rules, report-back, meetings going live)."""
    return FrozenClock(time_machine, start)
