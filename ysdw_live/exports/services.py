"""What the meeting pack shows and what the exports contain; every export is staff-only and audited.

The pack and the exports read the other domains through their services and models; they change
nothing except the audit trail, which notes each download (and each opening of a pack) in the
caller's transaction, committed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ysdw_live.actions import services as actions
from ysdw_live.actions.models import Action
from ysdw_live.actors import Actor
from ysdw_live.audit.services import record as audit
from ysdw_live.clock import Clock
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import VISIBLE_STATUSES, Concern
from ysdw_live.meetings.models import Meeting
from ysdw_live.polls import services as polls
from ysdw_live.polls.kinds import KINDS, TableRow
from ysdw_live.polls.models import Poll
from ysdw_live.polls.serializers import results_to_dict
from ysdw_live.series.services import get_series
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.models import Survey

CONCERN_HEADER = ["number", "text", "topic", "votes", "status", "source", "created_at"]
POLL_HEADER = ["poll", "question", "kind", "status", "answered", "answer", "count", "mean_rank"]
ACTION_HEADER = [
    "id",
    "issue",
    "issue_date",
    "action",
    "action_date",
    "status",
    "progress",
    "owner",
    "due_date",
    "raised_at_meeting",
    "topics",
]
# police.uk's neighbourhood priorities (data.police.uk/docs/method/neighbourhood-priorities): a list
# of {issue, issue-date, action, action-date}; dates are "YYYY-MM-DDTHH:MM:SS", texts are HTML.
POLICE_UK_DATE = "%Y-%m-%dT%H:%M:%S"


# ---------------------------------------------------------------------------------------------
# The meeting pack
# ---------------------------------------------------------------------------------------------


@dataclass
class PollResult:
    """One poll of the pack: the poll, how many answered, its results as table rows."""

    poll: Poll
    total: int
    rows: list[TableRow]
    mean: float | None = None

    @property
    def top(self) -> int:
        """The largest count of any row (for scaling the bars; at least 1)."""
        return max([row.count or 0 for row in self.rows] + [1])


@dataclass
class MeetingPack:
    """Everything the printable record of one meeting shows."""

    meeting: Meeting
    counters: dict[str, int]
    concerns: list[Concern]
    not_shown: int
    actions_by_concern: dict[int, list[Action]]
    polls: list[PollResult]
    survey: Survey | None
    survey_results: dict[str, Any] | None
    raised: list[Action]
    report_back: list[Action]
    generated_at: datetime


def poll_results(db: Session, actor: Actor, meeting: Meeting) -> list[PollResult]:
    """Return each poll of the meeting with its results as rows, every word and text (held-back answers left out)."""
    listed = polls.list_polls(db, actor, meeting)
    answers = polls.answers_of(db, [poll.id for poll in listed])
    found = []
    for poll in listed:
        summary = results_to_dict(poll, answers[poll.id], limit=None)
        found.append(PollResult(poll, summary["total"], KINDS[poll.kind].table(summary), summary.get("mean")))
    return found


def meeting_pack(db: Session, actor: Actor, meeting: Meeting, *, clock: Clock) -> MeetingPack:
    """Return the meeting pack of ``meeting`` for staff, noting in the audit trail that it was opened.

    Concerns are those attendees could see (approved or answered), most votes first; how many
    others there were (waiting, dismissed, archived) is counted, never shown. The survey is summarised
    with the results page's rule: no figure where fewer than 10 answered.
    """
    user = actor.require_staff()
    shown = [c for c in concerns.list_concerns(db, actor, meeting, sort="top") if c.status in VISIBLE_STATUSES]
    counters = concerns.meeting_counters(db, meeting)
    survey = surveys.survey_of_meeting(db, meeting)
    raised = list(
        db.scalars(
            select(Action)
            .options(selectinload(Action.concerns), selectinload(Action.updates))
            .where(Action.raised_at_meeting_id == meeting.id)
            .order_by(Action.created_at, Action.id)
        )
    )
    pack = MeetingPack(
        meeting=meeting,
        counters=counters,
        concerns=shown,
        not_shown=counters["concerns"] - len(shown),
        actions_by_concern=actions.actions_by_concern(db, [c.id for c in shown]),
        polls=poll_results(db, actor, meeting),
        survey=survey,
        survey_results=surveys.summary(db, survey, clock=clock) if survey is not None else None,
        raised=raised,
        report_back=actions.report_back(db, meeting),
        generated_at=clock.now(),
    )
    audit(db, user, "meeting.pack", object_type="meeting", object_id=meeting.code)
    db.commit()
    return pack


# ---------------------------------------------------------------------------------------------
# CSV exports of a meeting
# ---------------------------------------------------------------------------------------------


def concern_rows(db: Session, actor: Actor, meeting: Meeting) -> tuple[list[str], list[list[Any]]]:
    """Return the concerns CSV of a meeting (every status, in number order) and note the download."""
    user = actor.require_staff()
    found = sorted(concerns.list_concerns(db, actor, meeting, sort="recent"), key=lambda c: c.number)
    rows: list[list[Any]] = [
        [
            concern.number,
            concern.text,
            concern.topic.name if concern.topic else "",
            concern.votes,
            concern.status.value,
            concern.source.value,
            concern.created_at.isoformat(),
        ]
        for concern in found
    ]
    audit(
        db, user, "meeting.export_concerns", object_type="meeting", object_id=meeting.code, detail=f"{len(rows)} rows"
    )
    db.commit()
    return CONCERN_HEADER, rows


def poll_rows(db: Session, actor: Actor, meeting: Meeting) -> tuple[list[str], list[list[Any]]]:
    """Return the polls CSV of a meeting: one row per option, rating value, word or text; never who answered."""
    user = actor.require_staff()
    rows: list[list[Any]] = []
    for number, result in enumerate(poll_results(db, actor, meeting), start=1):
        poll = result.poll
        head = [number, poll.question, poll.kind.value, poll.status.value, result.total]
        rows.extend([*head, row.answer, row.count, row.mean_rank] for row in result.rows)
        if not result.rows:
            rows.append([*head, "", None, None])
    audit(db, user, "meeting.export_polls", object_type="meeting", object_id=meeting.code, detail=f"{len(rows)} rows")
    db.commit()
    return POLL_HEADER, rows


# ---------------------------------------------------------------------------------------------
# The series' actions: CSV, and JSON in the shape of police.uk's neighbourhood priorities
# ---------------------------------------------------------------------------------------------


def _series_actions(db: Session, series_id: int) -> list[Action]:
    """Return a series' actions, oldest raised first, with what their columns need loaded."""
    get_series(db, series_id)
    return list(
        db.scalars(
            select(Action)
            .options(
                selectinload(Action.concerns).selectinload(Concern.topic),
                selectinload(Action.updates),
                selectinload(Action.raised_at_meeting),
            )
            .where(Action.series_id == series_id)
            .order_by(Action.created_at, Action.id)
        )
    )


def issue_date(action: Action) -> datetime:
    """When the issue was raised: the start of the meeting it was raised at, else when the action was written."""
    meeting = action.raised_at_meeting
    if meeting is not None and meeting.starts_at is not None:
        return meeting.starts_at
    return action.created_at


def action_date(action: Action) -> datetime | None:
    """When the force last told the community what it did: finished, else the latest public update (None: neither)."""
    if action.finished_at is not None:
        return action.finished_at
    latest = action.latest_update
    return latest.created_at if latest is not None else None


def action_rows(db: Session, actor: Actor, series_id: int) -> tuple[list[str], list[list[Any]]]:
    """Return the series' actions as CSV rows (public fields only: never the private notes) and note the download."""
    user = actor.require_staff()
    rows: list[list[Any]] = []
    for action in _series_actions(db, series_id):
        done = action_date(action)
        meeting = action.raised_at_meeting
        rows.append(
            [
                action.id,
                action.you_said,
                issue_date(action).isoformat(),
                action.public_response,
                done.isoformat() if done is not None else "",
                action.status.value,
                action.progress,
                action.owner,
                action.due_date.isoformat() if action.due_date else "",
                meeting.title if meeting is not None else "",
                "; ".join(topic.name for topic in action.topics),
            ]
        )
    audit(db, user, "series.export_actions", object_type="series", object_id=series_id, detail=f"{len(rows)} actions")
    db.commit()
    return ACTION_HEADER, rows


def as_police_uk_html(text: str) -> str:
    """Return plain text as police.uk's priorities carry it: HTML paragraphs, every character escaped."""
    paragraphs = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]
    return "".join(f"<p>{escape(part)}</p>" for part in paragraphs)


def police_uk_date(moment: datetime | None, clock: Clock) -> str | None:
    """Return a moment as police.uk writes dates: local time, ``YYYY-MM-DDTHH:MM:SS``, no zone."""
    return clock.local(moment).strftime(POLICE_UK_DATE) if moment is not None else None


def priorities(db: Session, actor: Actor, series_id: int, *, clock: Clock) -> list[dict[str, Any]]:
    """Return the series' actions as police.uk neighbourhood priorities, newest issue first, and note the download.

    ``issue`` is what people said, ``action`` what the force did or will do (its public response);
    private notes, owners and meeting codes are never in it.
    """
    user = actor.require_staff()
    found = sorted(_series_actions(db, series_id), key=lambda a: (issue_date(a), a.id), reverse=True)
    shaped = [_priority(action, clock) for action in found]
    audit(
        db, user, "series.export_priorities", object_type="series", object_id=series_id, detail=f"{len(shaped)} actions"
    )
    db.commit()
    return shaped


def _priority(action: Action, clock: Clock) -> dict[str, Any]:
    """Return one action as a police.uk priority."""
    return {
        "issue": as_police_uk_html(action.you_said),
        "issue-date": police_uk_date(issue_date(action), clock),
        "action": as_police_uk_html(action.public_response) or None,
        "action-date": police_uk_date(action_date(action), clock),
    }
