"""Demo data for ``make run DEMO=1``: a series with topics and a live meeting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ysdw_live.db import utcnow
from ysdw_live.meetings.models import Meeting, MeetingMode, MeetingStatus, new_code
from ysdw_live.series.models import Series, Topic

DEMO_TITLE = "Riverside community focus group (demo)"


def load_demo(db: Session) -> str:
    """Create the demo series and its live meeting once; return the live meeting's code."""
    existing = db.scalar(select(Meeting).join(Series).where(Series.title == DEMO_TITLE,
                                                            Meeting.status == MeetingStatus.live))
    if existing is not None:
        return existing.code
    series = Series(title=DEMO_TITLE, description="Quarterly meeting between Riverside neighbourhood "
                    "police and the communities they serve.")
    series.topics = [Topic(name=name, position=i) for i, name in enumerate(
        ["Stop and search", "Neighbourhood priorities", "Hate crime", "Young people", "Complaints",
         "Force website"])]
    meeting = Meeting(series=series, code=new_code(), title="Spring meeting", venue="Riverside Community Centre",
                      mode=MeetingMode.hybrid, moderation=True, starts_at=utcnow() - timedelta(minutes=10))
    db.add(meeting)
    meeting.go_live()
    db.commit()
    return meeting.code
