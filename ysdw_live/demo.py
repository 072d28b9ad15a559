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
from ysdw_live.surveys.models import EqualityAnswers, Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from ysdw_live.surveys.services import template_questions

DEMO_TITLE = "Riverside community focus group (demo)"
DEMO_LEADER = "demo-leader@yswd.local"

# (text, topic, status, source, author name, votes) as people in the room might have raised them.
DEMO_CONCERNS: list[tuple[str, str, ConcernStatus, ConcernSource, str | None, int]] = [
    (
        "Young people on the Northfield estate say they get stopped and searched far more than others. "
        "How do you check that stops are fair, and who sees the figures?",
        "Stop and search",
        ConcernStatus.approved,
        ConcernSource.attendee,
        None,
        14,
    ),
    (
        "Graffiti outside the mosque last month was reported as a hate crime. Nobody came back to us. "
        "Was anyone followed up?",
        "Hate crime",
        ConcernStatus.approved,
        ConcernSource.attendee,
        "Amina",
        11,
    ),
    (
        "Calling 101 takes over an hour. Can online reporting be made easier to find on the website, "
        "and in other languages?",
        "Force website",
        ConcernStatus.approved,
        ConcernSource.attendee,
        None,
        9,
    ),
    (
        "Motorbikes racing round the park after dark. It has been reported many times.",
        "Neighbourhood priorities",
        ConcernStatus.answered,
        ConcernSource.attendee,
        None,
        6,
    ),
    (
        "From a paper card: please have officers walking in the town centre on Saturday evenings, "
        "not just driving past.",
        "Neighbourhood priorities",
        ConcernStatus.approved,
        ConcernSource.facilitator,
        None,
        4,
    ),
    (
        "Could an officer come to the youth club to talk about careers and how to make a complaint?",
        "Young people",
        ConcernStatus.pending,
        ConcernSource.attendee,
        None,
        0,
    ),
]


def load_demo(db: Session) -> str:
    """Create the demo series and its live meeting once; return the live meeting's code."""
    existing = db.scalar(
        select(Meeting).join(Series).where(Series.title == DEMO_TITLE, Meeting.status == MeetingStatus.live)
    )
    if existing is not None:
        return existing.code
    series = Series(
        title=DEMO_TITLE,
        description="Quarterly meeting between Riverside neighbourhood police and the communities they serve.",
    )
    series.topics = [
        Topic(name=name, position=i)
        for i, name in enumerate(
            ["Stop and search", "Neighbourhood priorities", "Hate crime", "Young people", "Complaints", "Force website"]
        )
    ]
    meeting = Meeting(
        series=series,
        code=new_code(),
        title="Spring meeting",
        venue="Riverside Community Centre",
        mode=MeetingMode.hybrid,
        moderation=True,
        starts_at=utcnow() - timedelta(minutes=10),
        status=MeetingStatus.draft,
        version=1,
    )
    winter = Meeting(
        series=series,
        code=new_code(),
        title="Winter meeting",
        venue="Riverside Community Centre",
        mode=MeetingMode.in_person,
        moderation=True,
        starts_at=utcnow() - timedelta(days=91),
        status=MeetingStatus.draft,
        version=1,
    )
    db.add_all([winter, meeting])
    winter.go_live()
    winter.went_live_at = utcnow() - timedelta(days=91)
    winter.close()
    meeting.go_live()
    db.flush()
    _add_demo_concerns(db, meeting)
    _add_demo_polls(db, meeting)
    db.commit()
    _add_winter_actions(db, winter)
    _add_winter_survey(db, winter)
    return meeting.code


# Polls prepared for the live meeting (drafts: the facilitator opens each when the moment comes).
DEMO_POLLS: list[dict[str, object]] = [
    {"kind": "single", "question": "Do you feel safe in Riverside after dark?", "options": ["Yes", "Mostly", "No"]},
    {"kind": "rating", "question": "How well do the police deal with the issues that matter to you?", "scale": 5},
    {"kind": "word_cloud", "question": "In one to three words: what should we focus on next?"},
    {
        "kind": "open_text",
        "question": "What would make you more confident to report something to us?",
        # Each answer waits in the console for the facilitator's approval before the projector shows it.
        "approve_answers": True,
    },
    {
        "kind": "ranking",
        "question": "Put these in order of priority",
        "options": ["Drug dealing", "Speeding", "Antisocial behaviour", "Burglary"],
    },
]


def _add_demo_polls(db: Session, meeting: Meeting) -> None:
    """Prepare the live meeting's polls as drafts."""
    from ysdw_live.polls.kinds import PollKind
    from ysdw_live.polls.models import Poll, PollOption, PollStatus

    for spec in DEMO_POLLS:
        labels = list(spec.get("options", []))  # type: ignore[call-overload]
        meeting_poll = Poll(
            kind=PollKind(spec["kind"]),
            question=str(spec["question"]),
            scale=int(spec.get("scale", 5)),  # type: ignore[call-overload]
            status=PollStatus.draft,
            results_visible=False,
            approve_answers=bool(spec.get("approve_answers", False)),
            answered=False,
            options=[PollOption(position=i, label=label) for i, label in enumerate(labels)],
        )
        meeting_poll.meeting = meeting
        db.add(meeting_poll)


# What was raised at the winter meeting, and what the force did about it since.
WINTER: list[tuple[str, str, dict[str, object], list[str]]] = [
    (
        "Street lighting on the path behind Mill Road is broken and people feel unsafe walking home.",
        "Neighbourhood priorities",
        {
            "you_said": "The path behind Mill Road is dark and people feel unsafe walking home.",
            "we_did": "We reported the broken lights to the council with photos, and patrols walked the path on "
            "Friday and Saturday evenings until the lights were fixed on 12 February.",
            "owner": "Riverside neighbourhood team",
            "status": "completed",
        },
        ["Council confirmed the repair date.", "Lights repaired and checked at night."],
    ),
    (
        "We never hear what happens after someone is stopped and searched. Can the figures be shared?",
        "Stop and search",
        {
            "you_said": "People want to see stop and search figures for this area and how they are checked.",
            "we_did": "We will publish quarterly figures for Riverside and invite two community members to the "
            "scrutiny panel that reviews body-worn video.",
            "owner": "Inspector Khan",
            "status": "in_progress",
            "progress": 60,
        },
        ["First quarter's figures published on the force website.", "Scrutiny panel places advertised."],
    ),
    (
        "Can the police put a permanent office in the community centre?",
        "Neighbourhood priorities",
        {
            "you_said": "A permanent police office in the community centre.",
            "we_did": "We cannot staff a permanent office, but a drop-in surgery now runs every first Tuesday of "
            "the month, 6 to 8pm.",
            "owner": "Riverside neighbourhood team",
            "status": "not_taken_forward",
        },
        [],
    ),
    (
        "Hate crime reporting forms are only in English.",
        "Hate crime",
        {
            "you_said": "Hate crime reporting information is only in English.",
            "owner": "Hate crime coordinator",
            "status": "agreed",
        },
        [],
    ),
]


def _add_winter_actions(db: Session, winter: Meeting) -> None:
    """Give the closed winter meeting concerns and the actions agreed from them, with updates."""
    from ysdw_live.actions import services as actions
    from ysdw_live.actors import Actor
    from ysdw_live.auth.models import Role, User

    author = db.scalar(select(User).where(User.email == DEMO_LEADER))
    if author is None:
        # Nobody knows this password; the account only signs the demo's actions.
        author = User(email=DEMO_LEADER, display_name="Demo leader", role=Role.leader)
        author.set_password(new_device_token())
        db.add(author)
        db.commit()
    actor = Actor(user=author)
    topics = {topic.name: topic for topic in winter.series.topics}
    for number, (text, topic, action, updates) in enumerate(WINTER, start=1):
        concern = Concern(
            meeting_id=winter.id,
            number=number,
            text=text,
            topic_id=topics[topic].id,
            source=ConcernSource.attendee,
            status=ConcernStatus.answered,
            votes=0,
            created_at=utcnow() - timedelta(days=91),
        )
        db.add(concern)
        db.commit()
        created = actions.create_action(db, actor, winter.series_id, {**action, "concern_ids": [concern.id]})
        for update in updates:
            actions.add_update(db, actor, created.id, {"text": update})


def _add_demo_concerns(db: Session, meeting: Meeting) -> None:
    """Add concerns raised, voted for and moderated as in a meeting that has been running a while."""
    topics = {topic.name: topic for topic in meeting.series.topics}
    most_votes = max(votes for *_rest, votes in DEMO_CONCERNS)
    voters = [
        Participant(meeting=meeting, device_hash=hash_device_token(new_device_token())) for _ in range(most_votes + 2)
    ]
    db.add_all(voters)
    db.flush()
    started = utcnow() - timedelta(minutes=9)
    for number, (text, topic, status, source, author, votes) in enumerate(DEMO_CONCERNS, start=1):
        concern = Concern(
            meeting_id=meeting.id,
            number=number,
            text=text,
            topic_id=topics[topic].id,
            author_name=author,
            participant_id=voters[-number].id if source is ConcernSource.attendee else None,
            source=source,
            status=status,
            highlighted=False,
            votes=votes,
            created_at=started + timedelta(minutes=number),
        )
        db.add(concern)
        db.flush()
        db.add_all(Vote(concern_id=concern.id, participant_id=voter.id) for voter in voters[:votes])
        meeting.bump_version()


# Fourteen people answered the winter meeting's survey: enough that most questions show figures,
# while the stop and search question (answered by eight) and small equality groups stay suppressed.
DEMO_SURVEY_RESPONSES = 14
DEMO_SURVEY_TEXTS = [
    "Come to the youth club, not just the community centre.",
    "Tell us what happened after we report something.",
    "More officers on foot in the evenings.",
    "Publish the stop and search figures every month.",
    "Translate the hate crime leaflets.",
]


def _add_winter_survey(db: Session, winter: Meeting) -> None:
    """Give the closed winter meeting its trust and confidence survey, closed, with 14 responses."""
    title, questions = template_questions("trust_confidence")
    closed_at = (winter.closed_at or utcnow()) + timedelta(days=14)
    survey = Survey(
        meeting_id=winter.id,
        title=title,
        template="trust_confidence",
        status=SurveyStatus.closed,
        opened_at=winter.closed_at,
        closes_at=closed_at,
        closed_at=closed_at,
    )
    survey.questions = questions
    db.add(survey)
    db.flush()
    for person in range(DEMO_SURVEY_RESPONSES):
        participant = Participant(meeting_id=winter.id, device_hash=hash_device_token(new_device_token()))
        db.add(participant)
        db.flush()
        response = SurveyResponse(survey_id=survey.id, participant_id=participant.id)
        for question in survey.questions:
            if question.key == "stop_search" and person >= 8:
                continue  # an optional question some people left out: fewer than 10 answers
            if question.options:
                # Mostly the second and third options (Good / Fair, Tend to agree / Neither …), some spread.
                index = (1, 2, 1, 0, 2, 1, 3, 1)[(person + question.position) % 8] % len(question.options)
                response.answers.append(SurveyAnswer(question_id=question.id, value=question.options[index].id))
            elif person < len(DEMO_SURVEY_TEXTS):
                response.answers.append(SurveyAnswer(question_id=question.id, value=DEMO_SURVEY_TEXTS[person]))
        db.add(response)
        db.add(
            EqualityAnswers(
                survey_id=survey.id,
                answers={
                    "sex": "Female" if person < 10 else "Male",
                    "age_band": ("25–34", "35–44", "45–54", "55–64")[person % 4],
                },
            )
        )
    db.commit()
