"""Helpers shared by the action tests: concerns, a controllable clock, and counting rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


class Clock:
    """A settable "now" for the code under test; advance it to let time pass between meetings."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move time forward and return the new now."""
        self.now = self.now + timedelta(**delta)
        return self.now


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Control the time seen by action rules, report-back selection and meetings going live."""
    from ysdw_live.db import utcnow

    fake = Clock(utcnow() - timedelta(days=365))
    for module in ("ysdw_live.actions.models", "ysdw_live.actions.services", "ysdw_live.meetings.models"):
        monkeypatch.setattr(f"{module}.utcnow", fake)
    return fake
