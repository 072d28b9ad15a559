"""Demo data for ``make run DEMO=1``: a series with topics and a live meeting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus, Vote
from ysdw_live.db import utcnow
from ysdw_live.meetings.models import (
    Meeting,
    MeetingMode,
    MeetingStatus,
    Participant,
    hash_device_token,
    new_code,
    new_device_token,
)
from ysdw_live.series.models import Series, Topic

DEMO_TITLE = "Riverside community focus group (demo)"

# (text, topic, status, source, author name, votes) as people in the room might have raised them.
DEMO_CONCERNS: list[tuple[str, str, ConcernStatus, ConcernSource, str | None, int]] = [
    ("Young people on the Northfield estate say they get stopped and searched far more than others. "
     "How do you check that stops are fair, and who sees the figures?",
     "Stop and search", ConcernStatus.approved, ConcernSource.attendee, None, 14),
    ("Graffiti outside the mosque last month was reported as a hate crime. Nobody came back to us. "
     "Was anyone followed up?", "Hate crime", ConcernStatus.approved, ConcernSource.attendee, "Amina", 11),
    ("Calling 101 takes over an hour. Can online reporting be made easier to find on the website, "
     "and in other languages?", "Force website", ConcernStatus.approved, ConcernSource.attendee, None, 9),
    ("Motorbikes racing round the park after dark. It has been reported many times.",
     "Neighbourhood priorities", ConcernStatus.answered, ConcernSource.attendee, None, 6),
    ("From a paper card: please have officers walking in the town centre on Saturday evenings, "
     "not just driving past.", "Neighbourhood priorities", ConcernStatus.approved, ConcernSource.facilitator,
     None, 4),
    ("Could an officer come to the youth club to talk about careers and how to make a complaint?",
     "Young people", ConcernStatus.pending, ConcernSource.attendee, None, 0),
]


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
                      mode=MeetingMode.hybrid, moderation=True, starts_at=utcnow() - timedelta(minutes=10),
                      status=MeetingStatus.draft, version=1)
    db.add(meeting)
    meeting.go_live()
    db.flush()
    _add_demo_concerns(db, meeting)
    db.commit()
    return meeting.code


def _add_demo_concerns(db: Session, meeting: Meeting) -> None:
    """Add concerns raised, voted for and moderated as in a meeting that has been running a while."""
    topics = {topic.name: topic for topic in meeting.series.topics}
    most_votes = max(votes for *_rest, votes in DEMO_CONCERNS)
    voters = [Participant(meeting=meeting, device_hash=hash_device_token(new_device_token()))
              for _ in range(most_votes + 2)]
    db.add_all(voters)
    db.flush()
    started = utcnow() - timedelta(minutes=9)
    for number, (text, topic, status, source, author, votes) in enumerate(DEMO_CONCERNS, start=1):
        concern = Concern(
            meeting_id=meeting.id, number=number, text=text, topic_id=topics[topic].id, author_name=author,
            participant_id=voters[-number].id if source is ConcernSource.attendee else None,
            source=source, status=status, highlighted=False, votes=votes,
            created_at=started + timedelta(minutes=number),
        )
        db.add(concern)
        db.flush()
        db.add_all(Vote(concern_id=concern.id, participant_id=voter.id) for voter in voters[:votes])
        meeting.bump_version()
