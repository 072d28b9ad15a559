"""The figures of a series' impact across its meetings, each counted in SQL from the existing records.

Reach (participants, returning devices, concerns, votes, survey responses), trust and confidence
(the survey's headline and statements, hidden under 10 answers), representation (equality
monitoring in aggregate, against an area baseline an admin enters) and what became of the actions.
Nothing here names or links a person: returners are counted by device, never identified.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ysdw_live.actions.models import FINISHED_STATUSES, STATUS_LABELS, Action, ActionStatus
from ysdw_live.actors import Actor
from ysdw_live.audit.services import record as audit
from ysdw_live.clock import Clock
from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus
from ysdw_live.errors import ValidationError
from ysdw_live.i18n import gettext
from ysdw_live.impact.models import AreaBaseline
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant
from ysdw_live.meetings.services import meetings_of_series
from ysdw_live.series.models import Series
from ysdw_live.series.services import get_series
from ysdw_live.surveys.content import EQUALITY, EqualityQuestion
from ysdw_live.surveys.models import SUPPRESS_UNDER, Survey, SurveyResponse, percent
from ysdw_live.surveys.services import build_results

# The trust and confidence questions shown as trends, with the short name a chart's legend uses.
TRUST_QUESTIONS: dict[str, str] = {
    "police_rating": "Good or excellent job",
    "relied_on": "Relied on to be there",
    "respect": "Treat you with respect",
    "fair": "Treat everyone fairly",
    "understand": "Understand local issues",
    "dealing": "Deal with what matters",
    "confidence": "Confidence overall",
    "listen": "Listen to local concerns",
}
# The answers counted as the positive share: the rating's headline, and agreement with a statement.
POSITIVE_ANSWERS = frozenset({"Excellent", "Good", "Strongly agree", "Tend to agree"})
# Concerns moderated out (off topic, abusive, duplicates) are not counted as raised.
COUNTED_CONCERNS = Concern.status != ConcernStatus.dismissed
# "Agreed" on the dashboard: every action the force committed to, whether started or done.
COMMITTED_STATUSES = frozenset({ActionStatus.agreed, ActionStatus.in_progress, ActionStatus.completed})
# The equality questions an area baseline may be entered for (follow-ups have no census share).
BASELINE_QUESTIONS: tuple[EqualityQuestion, ...] = tuple(q for q in EQUALITY if not q.follows)
NO_TOPIC = "No topic"


@dataclass
class MeetingFigures:
    """One held meeting's reach: who came, what they raised and voted for, who answered the survey."""

    meeting: Meeting
    participants: int = 0
    # Devices seen at an earlier meeting of the series; None when retention deleted this meeting's devices.
    returners: int | None = 0
    concerns: int = 0
    in_room: int = 0
    facilitator_entered: int = 0
    votes: int = 0
    has_survey: bool = False
    survey_responses: int = 0
    good_or_excellent: dict[str, int | None] = field(default_factory=lambda: {"n": 0, "pct": None})
    actions_raised: int = 0

    @property
    def in_room_pct(self) -> int | None:
        """The share of concerns typed in by attendees themselves (the rest a facilitator entered)."""
        return round(100 * self.in_room / self.concerns) if self.concerns else None


@dataclass
class SeriesImpact:
    """Everything the impact dashboard shows, meeting by meeting in the order they happened."""

    series: Series
    meetings: list[MeetingFigures]
    # Each trust question: {key, label, prompt, values: [{n, pct} per meeting, None without a survey]}.
    trust: list[dict[str, Any]]
    # Each equality question: {key, label, answered: [per meeting], groups: [{label, percents, baseline}]}.
    representation: list[dict[str, Any]]
    actions: dict[str, Any]
    # Concerns by topic: {topics: [name], counts: {name: [per meeting]}}.
    topics: dict[str, Any]

    @property
    def any_survey(self) -> bool:
        """Whether any held meeting had a survey."""
        return any(m.has_survey for m in self.meetings)

    @property
    def any_trust_shown(self) -> bool:
        """Whether any trust figure reached 10 answers (otherwise a chart would be empty)."""
        return any(v is not None and v["pct"] is not None for q in self.trust for v in q["values"])


def held_meetings(db: Session, series_id: int) -> list[Meeting]:
    """The series' meetings that have gone live (drafts have nothing to count), in the order they happen."""
    return [m for m in meetings_of_series(db, series_id) if m.status is not MeetingStatus.draft]


def _per_meeting(db: Session, statement: Any) -> dict[int, int]:
    """Run a ``(meeting_id, number)`` query and return it as a mapping."""
    return {meeting_id: int(number or 0) for meeting_id, number in db.execute(statement)}


def _returners(db: Session, meetings: list[Meeting]) -> dict[int, int]:
    """Count, per meeting, the devices that took part in an earlier meeting of the series (never who)."""
    ids = [m.id for m in meetings]
    devices: dict[int, set[str]] = defaultdict(set)
    for meeting_id, device_hash in db.execute(
        select(Participant.meeting_id, Participant.device_hash).where(Participant.meeting_id.in_(ids))
    ):
        devices[meeting_id].add(device_hash)
    seen: set[str] = set()
    counts = {}
    for meeting in meetings:
        counts[meeting.id] = len(devices[meeting.id] & seen)
        seen |= devices[meeting.id]
    return counts


def _surveys(db: Session, meetings: list[Meeting]) -> dict[int, Survey]:
    """The held meetings' surveys, by meeting id."""
    found = db.scalars(select(Survey).where(Survey.meeting_id.in_([m.id for m in meetings])))
    return {survey.meeting_id: survey for survey in found}


def _survey_results(db: Session, survey: Survey) -> dict[str, Any]:
    """A survey's results: as counted now, or as kept when retention deleted the responses."""
    if survey.purged_responses and survey.kept_results:
        return survey.kept_results
    return build_results(db, survey)


def _positive_share(question: dict[str, Any]) -> dict[str, int | None]:
    """Return ``{n, pct}``: how many answered, and the % Good or Excellent / agreeing (null under 10)."""
    answered = int(question.get("answered") or 0)
    if question.get("suppressed") or answered < SUPPRESS_UNDER:
        return {"n": answered, "pct": None}
    positive = sum(o["count"] or 0 for o in question.get("options") or [] if o["label"] in POSITIVE_ANSWERS)
    return {"n": answered, "pct": percent(positive, answered)}


def _trust(
    meetings: list[Meeting], surveys: dict[int, Survey], results: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each trust question's ``{n, pct}`` per meeting (None where the meeting had no such question)."""
    rows = []
    for key, label in TRUST_QUESTIONS.items():
        prompt = ""
        values: list[dict[str, int | None] | None] = []
        for meeting in meetings:
            survey = surveys.get(meeting.id)
            question = next((q for q in survey.questions if q.key == key), None) if survey else None
            found = None
            if survey is not None and question is not None:
                prompt = prompt or question.prompt
                found = next((q for q in results[meeting.id].get("questions", []) if q.get("id") == question.id), None)
            values.append(_positive_share(found) if found is not None else None)
        if prompt:
            rows.append({"key": key, "label": gettext(label), "prompt": prompt, "values": values})
    return rows


def _representation(
    meetings: list[Meeting], results: dict[int, dict[str, Any]], baselines: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """Each equality question's groups: the % per meeting (null under 10 people) and the area's share."""
    report = []
    for question in EQUALITY:
        answered: list[int | None] = []
        percents: dict[str, list[int | None]] = {label: [] for label in question.choices}
        for meeting in meetings:
            item = next((e for e in results.get(meeting.id, {}).get("equality", []) if e["key"] == question.key), None)
            answered.append(item["answered"] if item is not None else None)
            groups = {g["label"]: g["percent"] for g in item["groups"]} if item is not None else {}
            for label in question.choices:
                percents[label].append(groups.get(label))
        report.append(
            {
                "key": question.key,
                "label": question.label,
                "answered": answered,
                "groups": [
                    {"label": label, "percents": values, "baseline": baselines.get((question.key, label))}
                    for label, values in percents.items()
                ],
                "shown": any(v is not None for values in percents.values() for v in values),
                "has_baseline": any((question.key, label) in baselines for label in question.choices),
            }
        )
    return report


def action_figures(db: Session, series_id: int, today: date) -> dict[str, Any]:
    """Actions raised, by status, committed to, overdue, and the median days from raised to completed."""
    by_status = {status.value: 0 for status in ActionStatus}
    for status, number in db.execute(
        select(Action.status, func.count(Action.id)).where(Action.series_id == series_id).group_by(Action.status)
    ):
        by_status[ActionStatus(status).value] = int(number)
    overdue = db.scalar(
        select(func.count(Action.id)).where(
            Action.series_id == series_id,
            Action.due_date < today,
            Action.status.not_in(list(FINISHED_STATUSES)),
        )
    )
    durations = [
        (finished - created).total_seconds() / 86400
        for created, finished in db.execute(
            select(Action.created_at, Action.finished_at).where(
                Action.series_id == series_id,
                Action.status == ActionStatus.completed,
                Action.finished_at.is_not(None),
            )
        )
    ]
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "agreed": sum(by_status[status.value] for status in COMMITTED_STATUSES),
        "completed": by_status[ActionStatus.completed.value],
        "in_progress": by_status[ActionStatus.in_progress.value],
        "not_taken_forward": by_status[ActionStatus.not_taken_forward.value],
        "overdue": int(overdue or 0),
        "median_days_to_complete": round(statistics.median(durations), 1) if durations else None,
        "status_labels": {status.value: label for status, label in STATUS_LABELS.items()},
    }


def _topics(db: Session, series: Series, meetings: list[Meeting]) -> dict[str, Any]:
    """Concerns per topic per meeting; topics nobody raised anything under are left out."""
    names = {topic.id: topic.name for topic in series.topics}
    index = {meeting.id: i for i, meeting in enumerate(meetings)}
    counts: dict[str, list[int]] = {}
    no_topic = gettext(NO_TOPIC)
    order = [*(topic.name for topic in series.topics), no_topic]
    for meeting_id, topic_id, number in db.execute(
        select(Concern.meeting_id, Concern.topic_id, func.count(Concern.id))
        .where(Concern.meeting_id.in_(list(index)), COUNTED_CONCERNS)
        .group_by(Concern.meeting_id, Concern.topic_id)
    ):
        name = names.get(topic_id, no_topic) if topic_id is not None else no_topic
        counts.setdefault(name, [0] * len(meetings))[index[meeting_id]] += int(number)
    topics = [name for name in order if name in counts]
    return {"topics": topics, "counts": {name: counts[name] for name in topics}}


def baselines_of(db: Session, series_id: int) -> dict[tuple[str, str], float]:
    """The area baseline entered for a series: ``{(question key, group): per cent}``."""
    return {
        (row.question_key, row.group_label): row.percent
        for row in db.scalars(select(AreaBaseline).where(AreaBaseline.series_id == series_id))
    }


def _reach(db: Session, meetings: list[Meeting], surveys: dict[int, Survey]) -> list[MeetingFigures]:
    """Participants, returners, concerns by source, votes, survey responses and actions raised, per meeting."""
    ids = [m.id for m in meetings]
    participants = _per_meeting(
        db,
        select(Participant.meeting_id, func.count(Participant.id))
        .where(Participant.meeting_id.in_(ids))
        .group_by(Participant.meeting_id),
    )
    returners = _returners(db, meetings)
    by_source: dict[int, Counter[ConcernSource]] = defaultdict(Counter)
    votes: Counter[int] = Counter()
    for meeting_id, source, number, voted in db.execute(
        select(Concern.meeting_id, Concern.source, func.count(Concern.id), func.sum(Concern.votes))
        .where(Concern.meeting_id.in_(ids), COUNTED_CONCERNS)
        .group_by(Concern.meeting_id, Concern.source)
    ):
        by_source[meeting_id][ConcernSource(source)] += int(number)
        votes[meeting_id] += int(voted or 0)
    responses = _per_meeting(
        db,
        select(Survey.meeting_id, func.count(SurveyResponse.id))
        .join(SurveyResponse, SurveyResponse.survey_id == Survey.id)
        .where(Survey.meeting_id.in_(ids))
        .group_by(Survey.meeting_id),
    )
    raised = _per_meeting(
        db,
        select(Action.raised_at_meeting_id, func.count(Action.id))
        .where(Action.raised_at_meeting_id.in_(ids))
        .group_by(Action.raised_at_meeting_id),
    )
    figures = []
    for meeting in meetings:
        sources = by_source[meeting.id]
        survey = surveys.get(meeting.id)
        figures.append(
            MeetingFigures(
                meeting=meeting,
                participants=participants.get(meeting.id, 0) + meeting.purged_participants,
                returners=None if meeting.purged_at is not None else returners[meeting.id],
                concerns=sum(sources.values()),
                in_room=sources[ConcernSource.attendee],
                facilitator_entered=sources[ConcernSource.facilitator],
                votes=votes[meeting.id],
                has_survey=survey is not None,
                survey_responses=responses.get(meeting.id, 0) + (survey.purged_responses if survey else 0),
                actions_raised=raised.get(meeting.id, 0),
            )
        )
    return figures


def series_impact(db: Session, actor: Actor, series_id: int, *, clock: Clock) -> SeriesImpact:
    """Return the impact of a series across its held meetings (any staff member)."""
    actor.require_staff()
    series = get_series(db, series_id)
    meetings = held_meetings(db, series_id)
    surveys = _surveys(db, meetings)
    results = {meeting_id: _survey_results(db, survey) for meeting_id, survey in surveys.items()}
    figures = _reach(db, meetings, surveys)
    trust = _trust(meetings, surveys, results)
    headline = next((row for row in trust if row["key"] == "police_rating"), None)
    for i, figure in enumerate(figures):
        value = headline["values"][i] if headline is not None else None
        figure.good_or_excellent = value if value is not None else {"n": 0, "pct": None}
    return SeriesImpact(
        series=series,
        meetings=figures,
        trust=trust,
        representation=_representation(meetings, results, baselines_of(db, series_id)),
        actions=action_figures(db, series_id, clock.today()),
        topics=_topics(db, series, meetings),
    )


def public_summary(db: Session, series: Series) -> dict[str, Any]:
    """The community's summary above the actions (public: no login).

    Meetings held, concerns raised, actions completed and in progress, and the headline trust
    figure of each meeting where at least 10 people answered.
    """
    meetings = held_meetings(db, series.id)
    surveys = _surveys(db, meetings)
    concerns = db.scalar(
        select(func.count(Concern.id)).where(Concern.meeting_id.in_([m.id for m in meetings]), COUNTED_CONCERNS)
    )
    statuses = dict(
        db.execute(
            select(Action.status, func.count(Action.id)).where(Action.series_id == series.id).group_by(Action.status)
        ).all()
    )
    trust = []
    for meeting in meetings:
        survey = surveys.get(meeting.id)
        if survey is None:
            continue
        rating = next((q for q in survey.questions if q.key == "police_rating"), None)
        found = next(
            (q for q in _survey_results(db, survey).get("questions", []) if rating and q.get("id") == rating.id), None
        )
        share = _positive_share(found) if found is not None else None
        if share is not None and share["pct"] is not None:
            trust.append({"meeting": meeting, **share})
    return {
        "meetings": len(meetings),
        "concerns": int(concerns or 0),
        "completed": int(statuses.get(ActionStatus.completed, 0)),
        "in_progress": int(statuses.get(ActionStatus.in_progress, 0)),
        "trust": trust,
    }


# ---------------------------------------------------------------------------------------------
# The area baseline
# ---------------------------------------------------------------------------------------------


def baseline_field(key: str, position: int) -> str:
    """The form field of one group's share: ``baseline-<question key>-<group position>``."""
    return f"baseline-{key}-{position}"


def _share(raw: str, name: str, label: str) -> float | None:
    """Parse a per cent with at most one decimal place (blank: none entered)."""
    text = raw.strip().removesuffix("%").strip()
    if not text:
        return None
    whole, _dot, decimals = text.partition(".")
    if not whole.isdigit() or len(whole) > 3 or (decimals and (not decimals.isdigit() or len(decimals) > 1)):
        raise ValidationError(
            gettext("Enter %(label)s as a number from 0 to 100, like 12 or 12.5.", label=label), field=name
        )
    value = float(text)
    if value > 100:
        raise ValidationError(gettext("%(label)s must be 100 or less.", label=label), field=name, code="out_of_range")
    return value


def save_baseline(db: Session, actor: Actor, series_id: int, form: Mapping[str, str]) -> int:
    """Replace a series' area baseline with the shares in ``form``; return how many groups have one (admin).

    Every field is checked before anything is kept; a question's shares may not add up to more than 100.
    """
    user = actor.require_admin()
    series = get_series(db, series_id)
    errors: dict[str, str] = {}
    rows: list[AreaBaseline] = []
    for question in BASELINE_QUESTIONS:
        total = 0.0
        for position, label in enumerate(question.choices):
            name = baseline_field(question.key, position)
            try:
                value = _share(str(form.get(name, "")), name, f"{question.label}: {label}")
            except ValidationError as error:
                errors.update(error.fields)
                continue
            if value is not None:
                total += value
                rows.append(
                    AreaBaseline(series_id=series.id, question_key=question.key, group_label=label, percent=value)
                )
        if total > 100.05:
            errors.setdefault(
                baseline_field(question.key, 0),
                gettext(
                    "%(label)s: the shares add up to %(total)s%%, more than 100%%.",
                    label=question.label,
                    total=format(total, "g"),
                ),
            )
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first, fields=errors)
    db.execute(delete(AreaBaseline).where(AreaBaseline.series_id == series.id))
    db.add_all(rows)
    audit(db, user, "series.baseline", object_type="series", object_id=series.id, detail=f"{len(rows)} groups")
    db.commit()
    return len(rows)
