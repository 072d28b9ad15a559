"""Demo data for ``make run DEMO=1``: a series with a year of meetings behind its live one."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ysdw_live.actions.models import Action, ActionStatus, ActionUpdate
from ysdw_live.auth.models import Role, User
from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus, Vote
from ysdw_live.db import utcnow
from ysdw_live.impact.models import AreaBaseline
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
    db.flush()
    _add_demo_year(db, series, _demo_author(db).id)
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
    _add_winter_attendees(db, winter)
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

    actor = Actor(user=_demo_author(db))
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
        payload = {**action, "concern_ids": [concern.id]}
        if action["status"] == "agreed":
            # Promised for a fortnight ago and not done yet: the dashboard shows it as overdue.
            payload["due_date"] = (utcnow().date() - timedelta(days=14)).isoformat()
        created = actions.create_action(db, actor, winter.series_id, payload)
        for update in updates:
            actions.add_update(db, actor, created.id, {"text": update})


def _demo_author(db: Session) -> User:
    """The account that signs the demo's actions (nobody knows its password)."""
    author = db.scalar(select(User).where(User.email == DEMO_LEADER))
    if author is None:
        author = User(email=DEMO_LEADER, display_name="Demo leader", role=Role.leader)
        author.set_password(new_device_token())
        db.add(author)
        db.commit()
    return author


# The winter meeting's votes per concern (in the order of WINTER), from the people in the room.
WINTER_VOTES = (16, 13, 5, 8)
# Phones at the winter meeting besides those who answered its survey: many had come before.
WINTER_DEVICES = (*range(4, 8), *range(26, 34), *range(44, 52), *range(60, 64))


def _add_winter_attendees(db: Session, winter: Meeting) -> None:
    """Add the winter meeting's other attendees, and their votes for its concerns."""
    rng = random.Random(DEMO_SEED + 1)  # nosec B311 - demo data, never a secret
    tokens = _device_tokens()
    people = [Participant(meeting_id=winter.id, device_hash=hash_device_token(tokens[n])) for n in WINTER_DEVICES]
    db.add_all(people)
    db.flush()
    concerns = db.scalars(select(Concern).where(Concern.meeting_id == winter.id).order_by(Concern.number))
    for concern, votes in zip(concerns, WINTER_VOTES, strict=False):
        db.add_all(Vote(concern_id=concern.id, participant_id=p.id) for p in rng.sample(people, votes))
        concern.votes = votes
    db.commit()


def _add_demo_concerns(db: Session, meeting: Meeting) -> None:
    """Add concerns raised, voted for and moderated as in a meeting that has been running a while."""
    topics = {topic.name: topic for topic in meeting.series.topics}
    most_votes = max(votes for *_rest, votes in DEMO_CONCERNS)
    # The first nine phones came to the autumn or winter meeting too (the dashboard counts them as returning).
    tokens = _device_tokens()
    voters = [
        Participant(meeting=meeting, device_hash=hash_device_token(tokens[44 + n] if n < 9 else new_device_token()))
        for n in range(most_votes + 2)
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


# ---------------------------------------------------------------------------------------------
# A year of meetings before the winter one, so the impact dashboard tells a story (impact/)
# ---------------------------------------------------------------------------------------------

# Seeded: the same demo every time. Devices are numbered; the same number at two meetings is a
# returning phone (the dashboard counts it, never says whose).
DEMO_SEED = 2026
DEVICE_POOL = 70


@dataclass(frozen=True)
class DemoMeeting:
    """One earlier meeting of the demo year: when, who came, what was raised, the survey, the actions."""

    title: str
    days_ago: int
    devices: tuple[int, ...]
    # (text, topic, source, status, votes)
    concerns: tuple[tuple[str, str, ConcernSource, ConcernStatus, int], ...]
    # How the respondents rated the local police (their number is the survey's responses).
    ratings: tuple[str, ...]
    # Weights of Strongly agree … Don't know for the agree/disagree statements.
    agree_weights: tuple[int, ...]
    sexes: tuple[str, ...]
    ethnic_groups: tuple[str, ...]
    # (concern index, you said, we did, owner, status, days from the meeting to finished, updates)
    actions: tuple[tuple[int, str, str, str, str, int, tuple[str, ...]], ...] = ()


def _spread(**counts: int) -> tuple[str, ...]:
    """Return each answer repeated its count (keyword names with underscores for spaces)."""
    return tuple(label.replace("Don_t", "Don't").replace("_", " ") for label, n in counts.items() for _ in range(n))


WHITE, ASIAN, BLACK, MIXED, OTHER = (
    "White",
    "Asian or Asian British",
    "Black, Black British, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "Other ethnic group",
)
NOT_SAY = "Prefer not to say"
ATTENDEE, FACILITATOR = ConcernSource.attendee, ConcernSource.facilitator
ANSWERED, ARCHIVED, DISMISSED = ConcernStatus.answered, ConcernStatus.archived, ConcernStatus.dismissed

DEMO_YEAR: tuple[DemoMeeting, ...] = (
    DemoMeeting(
        title="Spring meeting, last year",
        days_ago=364,
        devices=tuple(range(0, 18)),
        concerns=(
            (
                "Drug dealing in the stairwells of Cedar Court, most evenings.",
                "Neighbourhood priorities",
                ATTENDEE,
                ANSWERED,
                11,
            ),
            ("Nobody tells us when the beat officer changes.", "Neighbourhood priorities", ATTENDEE, ANSWERED, 7),
            ("Why are young Black lads stopped so often near the station?", "Stop and search", ATTENDEE, ANSWERED, 9),
            (
                "From a paper card: my complaint from last year was never answered.",
                "Complaints",
                FACILITATOR,
                ANSWERED,
                3,
            ),
            ("Buy cheap phones here!!!", "Neighbourhood priorities", ATTENDEE, DISMISSED, 0),
        ),
        ratings=_spread(Excellent=1, Good=4, Fair=4, Poor=3, Very_poor=1),
        agree_weights=(2, 4, 4, 4, 3, 1),
        sexes=_spread(Female=6, Male=6, **{NOT_SAY.replace(" ", "_"): 1}),
        ethnic_groups=(WHITE,) * 11 + (ASIAN, NOT_SAY),
        actions=(
            (
                0,
                "Drug dealing in the stairwells of Cedar Court.",
                "Two warrants executed at Cedar Court; the housing association fitted secure doors and lighting.",
                "Riverside neighbourhood team",
                "completed",
                58,
                ("Intelligence gathered with residents' help.", "Warrants executed; secure doors ordered."),
            ),
            (
                1,
                "People are not told when their beat officer changes.",
                "Every change of beat officer is now posted on the force website and in the community centre.",
                "Sergeant Okafor",
                "completed",
                21,
                ("New page set up on the website.",),
            ),
            (
                3,
                "A complaint from last year was never answered.",
                "We cannot discuss one person's complaint here; the Professional Standards team contacted them.",
                "Professional Standards",
                "referred",
                9,
                (),
            ),
        ),
    ),
    DemoMeeting(
        title="Summer meeting",
        days_ago=273,
        devices=tuple(range(0, 8)) + tuple(range(18, 36)),
        concerns=(
            ("Motorbikes on the towpath at night again.", "Neighbourhood priorities", ATTENDEE, ANSWERED, 14),
            ("Stop and search figures for Riverside should be published.", "Stop and search", ATTENDEE, ANSWERED, 12),
            ("Officers should come to the youth club.", "Young people", ATTENDEE, ANSWERED, 10),
            ("Online reporting is hard to find on the website.", "Force website", ATTENDEE, ARCHIVED, 6),
            ("From the phone line: racist abuse at the bus stop on Mill Road.", "Hate crime", FACILITATOR, ANSWERED, 8),
            (
                "From a paper card: more patrols near the primary school at home time.",
                "Neighbourhood priorities",
                FACILITATOR,
                ARCHIVED,
                4,
            ),
        ),
        ratings=_spread(Excellent=2, Good=7, Fair=6, Poor=3, Very_poor=1, Don_t_know=1),
        agree_weights=(3, 6, 4, 3, 2, 1),
        sexes=_spread(Female=11, Male=9),
        ethnic_groups=(WHITE,) * 14 + (ASIAN,) * 3 + (BLACK,) * 2 + (MIXED,),
        actions=(
            (
                0,
                "Motorbikes on the towpath at night.",
                "Joint patrols with the canal trust, and barriers fitted at the two towpath entrances.",
                "Riverside neighbourhood team",
                "completed",
                45,
                ("Barriers ordered by the canal trust.", "Barriers fitted; three bikes seized."),
            ),
            (
                2,
                "Officers should come to the youth club.",
                "Officers now visit the youth club every other Thursday.",
                "PCSO Ahmed",
                "completed",
                30,
                ("First visit done: 22 young people came.",),
            ),
            (
                4,
                "Racist abuse at the bus stop on Mill Road.",
                "We asked the council for a camera there; it could not fund one this year.",
                "Hate crime coordinator",
                "not_taken_forward",
                60,
                (),
            ),
        ),
    ),
    DemoMeeting(
        title="Autumn meeting",
        days_ago=182,
        devices=tuple(range(2, 6)) + tuple(range(20, 32)) + tuple(range(36, 55)),
        concerns=(
            (
                "What happened after the stop and search figures were published?",
                "Stop and search",
                ATTENDEE,
                ANSWERED,
                15,
            ),
            ("Bonfire night fireworks thrown at people on the estate.", "Young people", ATTENDEE, ANSWERED, 12),
            ("Cars speeding on Station Road past the school.", "Neighbourhood priorities", ATTENDEE, ANSWERED, 13),
            ("The hate crime leaflet should be in Urdu and Polish.", "Hate crime", ATTENDEE, ANSWERED, 9),
            ("How do I complain about how an officer spoke to me?", "Complaints", ATTENDEE, ANSWERED, 5),
            ("From a paper card: the 101 wait is too long.", "Force website", FACILITATOR, ARCHIVED, 7),
            (
                "From a paper card: thank you to the officers at the youth club.",
                "Young people",
                FACILITATOR,
                ARCHIVED,
                3,
            ),
        ),
        ratings=_spread(Excellent=3, Good=9, Fair=6, Poor=2, Don_t_know=2),
        agree_weights=(4, 8, 4, 2, 1, 1),
        sexes=_spread(Female=12, Male=10),
        ethnic_groups=(WHITE,) * 14 + (ASIAN,) * 4 + (BLACK,) * 2 + (MIXED,) + (OTHER,),
        actions=(
            (
                1,
                "Fireworks thrown at people on the estate on bonfire night.",
                "Dispersal order for the estate over bonfire weekend, and a talk at both secondary schools.",
                "Riverside neighbourhood team",
                "completed",
                12,
                ("Dispersal order granted.",),
            ),
            (
                2,
                "Speeding on Station Road past the school.",
                "Speed checks twice a week for a month: 41 drivers stopped; the council will add a crossing.",
                "Roads policing",
                "completed",
                70,
                ("Speed checks started.", "Council agreed to the crossing."),
            ),
            (
                4,
                "How to complain about how an officer spoke to you.",
                "How to complain, and to whom, is now on the back of every leaflet officers hand out.",
                "Professional Standards",
                "completed",
                25,
                (),
            ),
        ),
    ),
)

# The area's make-up an admin entered, from the 2021 Census (rounded; demo figures).
DEMO_BASELINE: dict[str, dict[str, float]] = {
    "sex": {"Female": 51.0, "Male": 49.0},
    "ethnic_group": {WHITE: 72.5, ASIAN: 13.0, BLACK: 6.5, MIXED: 4.0, OTHER: 4.0},
}


def _device_tokens() -> list[str]:
    """The demo's numbered devices, the same each time the demo loads."""
    rng = random.Random(DEMO_SEED)  # nosec B311 - demo data, never a secret
    return [f"demo-device-{rng.getrandbits(64):016x}" for _ in range(DEVICE_POOL)]


def _add_demo_year(db: Session, series: Series, author_id: int | None) -> None:
    """Add the three meetings of the year before the winter one, each with its people, survey and actions."""
    rng = random.Random(DEMO_SEED)  # nosec B311 - demo data, never a secret
    tokens = _device_tokens()
    topics = {topic.name: topic for topic in series.topics}
    for spec in DEMO_YEAR:
        held = utcnow().replace(hour=18, minute=30, second=0, microsecond=0) - timedelta(days=spec.days_ago)
        meeting = Meeting(
            series=series,
            code=new_code(),
            title=spec.title,
            venue="Riverside Community Centre",
            mode=MeetingMode.in_person,
            moderation=True,
            starts_at=held,
            status=MeetingStatus.closed,
            went_live_at=held,
            closed_at=held + timedelta(hours=2),
            version=1,
        )
        db.add(meeting)
        db.flush()
        people = [
            Participant(meeting_id=meeting.id, device_hash=hash_device_token(tokens[n]), created_at=held)
            for n in spec.devices
        ]
        db.add_all(people)
        db.flush()
        concerns = []
        for number, (text, topic, source, status, votes) in enumerate(spec.concerns, start=1):
            concern = Concern(
                meeting_id=meeting.id,
                number=number,
                text=text,
                topic_id=topics[topic].id,
                source=source,
                status=status,
                votes=votes,
                participant_id=people[-number].id if source is ConcernSource.attendee else None,
                created_at=held + timedelta(minutes=5 * number),
            )
            db.add(concern)
            db.flush()
            db.add_all(Vote(concern_id=concern.id, participant_id=p.id) for p in rng.sample(people, votes))
            concerns.append(concern)
        _add_year_survey(db, meeting, people[: len(spec.ratings)], spec, rng)
        for index, you_said, we_did, owner, status, days, updates in spec.actions:
            finished = held + timedelta(days=days)
            action = Action(
                series_id=series.id,
                you_said=you_said,
                we_did=we_did,
                owner=owner,
                status=ActionStatus(status),
                progress=100 if status == "completed" else 0,
                raised_at_meeting_id=meeting.id,
                created_at=held + timedelta(days=3),
                updated_at=finished,
                finished_at=finished,
                created_by=author_id,
            )
            action.concerns = [concerns[index]]
            step = (days - 3) // (len(updates) + 1)
            for i, text in enumerate(updates, start=1):
                last = i == len(updates)
                action.updates.insert(
                    0,
                    ActionUpdate(
                        text=text,
                        status=ActionStatus(status) if last else ActionStatus.in_progress,
                        progress=100 if last and status == "completed" else 30 * i,
                        author_id=author_id,
                        created_at=finished if last else held + timedelta(days=3 + step * i),
                    ),
                )
            db.add(action)
        db.commit()
    for key, shares in DEMO_BASELINE.items():
        db.add_all(
            AreaBaseline(series_id=series.id, question_key=key, group_label=label, percent=value)
            for label, value in shares.items()
        )
    db.commit()


def _add_year_survey(
    db: Session, meeting: Meeting, respondents: list[Participant], spec: DemoMeeting, rng: random.Random
) -> None:
    """Give an earlier meeting its closed trust and confidence survey, answered by ``respondents``."""
    title, questions = template_questions("trust_confidence")
    closed_at = (meeting.closed_at or utcnow()) + timedelta(days=14)
    survey = Survey(
        meeting_id=meeting.id,
        title=title,
        template="trust_confidence",
        status=SurveyStatus.closed,
        opened_at=meeting.closed_at,
        closes_at=closed_at,
        closed_at=closed_at,
    )
    survey.questions = questions
    db.add(survey)
    db.flush()
    ratings = list(spec.ratings)
    rng.shuffle(ratings)
    for person, (participant, rating) in enumerate(zip(respondents, ratings, strict=True)):
        response = SurveyResponse(survey_id=survey.id, participant_id=participant.id)
        for question in survey.questions:
            labels = [option.label for option in question.options]
            if question.key == "police_rating":
                answer = rating
            elif labels and len(labels) == len(spec.agree_weights):
                answer = rng.choices(labels, weights=spec.agree_weights)[0]
            elif labels:
                answer = rng.choice(labels[:-1] if person % 5 else labels)
            else:
                if person < 3:
                    response.answers.append(
                        SurveyAnswer(question_id=question.id, value=DEMO_SURVEY_TEXTS[(person + spec.days_ago) % 5])
                    )
                continue
            option = next(option for option in question.options if option.label == answer)
            response.answers.append(SurveyAnswer(question_id=question.id, value=option.id))
        db.add(response)
        equality = {"sex": spec.sexes[person % len(spec.sexes)]}
        if person < len(spec.ethnic_groups):
            equality["ethnic_group"] = spec.ethnic_groups[person]
        equality["age_band"] = rng.choice(("18–24", "25–34", "35–44", "45–54", "55–64", "65–74", "75 or over"))
        db.add(EqualityAnswers(survey_id=survey.id, answers=equality))
    db.flush()
