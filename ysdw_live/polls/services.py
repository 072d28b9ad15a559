"""Poll use cases: prepare, edit, open, close, reveal, answer, read results, copy from an earlier meeting.

Writes by staff lock the meeting's row by bumping its version (``UPDATE … SET version = version + 1``)
like every other change a client must not miss. Answers never touch the meeting's row: a thousand
phones answering at once would queue on it. An answer is one prebuilt upsert on the participant's
own row, guarded in the same statement by "the poll is open and the meeting live", and the results
reach clients as absolute numbers in batches (``realtime/batching.py``), never one event per answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Integer, Text, and_, bindparam, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes, contains_eager, joinedload, selectinload

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import record
from ysdw_live.db import UTCDateTime, utcnow
from ysdw_live.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationError
from ysdw_live.i18n import gettext, ngettext
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant, hash_device_token
from ysdw_live.polls.kinds import ANSWER_FIELDS, KINDS, OPTIONS_MAX, SCALES, PollKind
from ysdw_live.polls.models import KEPT_BACK, Poll, PollOption, PollResponse, PollStatus
from ysdw_live.polls.profanity import is_blocked
from ysdw_live.polls.serializers import poll_to_dict, results_to_dict
from ysdw_live.ratelimit import Limiter
from ysdw_live.realtime.publisher import publisher

# A person answers a poll a few times at most; this stops scripts, not people changing their mind.
ANSWER_LIMIT = (30, 60)
EDIT_FIELDS = ("question", "options", "max_choices", "scale")


def _bump_version(db: Session, meeting: Meeting) -> int:
    """Atomically add one to the meeting's version in the current transaction (its row lock) and return it."""
    version = db.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(version=Meeting.version + 1)
        .returning(Meeting.version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    attributes.set_committed_value(meeting, "version", version)
    return version


def get_poll(db: Session, poll_id: int) -> Poll:
    """Return the poll with ``poll_id`` (its meeting and options loaded) or raise NotFound."""
    poll = (
        db.scalar(select(Poll).options(selectinload(Poll.options)).where(Poll.id == poll_id))
        if isinstance(poll_id, int)
        else None
    )
    if poll is None:
        raise NotFound(gettext("There is no poll with that number."), code="poll_not_found")
    return poll


def _participant_in(actor: Actor, meeting: Meeting) -> Participant | None:
    """Return the actor's participant when it belongs to ``meeting``."""
    participant = actor.participant
    return participant if participant is not None and participant.meeting_id == meeting.id else None


def require_participant(actor: Actor, meeting: Meeting) -> Participant:
    """Return the actor's participant in ``meeting`` or raise 401 (never naming the meeting's code)."""
    participant = _participant_in(actor, meeting)
    if participant is None:
        raise NotAuthenticated(
            gettext(
                "Join this meeting first: open its join link, or POST /api/v1/meetings/{code}/participants "
                "with the meeting's code."
            ),
            code="not_joined",
        )
    return participant


def _clean_spec(kind: PollKind, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the options, choice limit and scale a poll of ``kind`` needs, checked, or raise."""
    behaviour = KINDS[kind]
    labels = [label for label in fields.get("options") or [] if label]
    if behaviour.has_options:
        if len(labels) < 2:
            raise ValidationError(gettext("Give at least two options."), field="options", code="too_few_options")
        if len(labels) > OPTIONS_MAX:
            raise ValidationError(
                ngettext("Give at most %(num)d option.", "Give at most %(num)d options.", OPTIONS_MAX),
                field="options",
                code="too_many_options",
            )
        if len({label.casefold() for label in labels}) != len(labels):
            raise ValidationError(gettext("Give each option once."), field="options", code="duplicate_option")
    elif labels:
        raise ValidationError(
            gettext("Only choice and ranking polls have options."), field="options", code="no_options"
        )
    max_choices = fields.get("max_choices")
    if max_choices is not None:
        if kind is not PollKind.multiple:
            raise ValidationError(gettext("Only multiple-choice polls have a most choices."), field="max_choices")
        max_choices = validation.integer(
            max_choices, "max_choices", minimum=1, maximum=len(labels), label="Most choices"
        )
    scale = fields.get("scale")
    if scale is None:
        scale = 5
    if scale not in SCALES:
        raise ValidationError(gettext("A rating runs from 1 to 5 or from 1 to 10."), field="scale", code="out_of_range")
    if scale != 5 and kind is not PollKind.rating:
        raise ValidationError(gettext("Only rating polls have a scale."), field="scale")
    return {"labels": labels, "max_choices": max_choices, "scale": scale}


def create_poll(
    db: Session,
    actor: Actor,
    meeting: Meeting,
    *,
    kind: object,
    question: object,
    options: object = None,
    max_choices: object = None,
    scale: object = None,
    results_visible: object = None,
    approve_answers: object = None,
) -> Poll:
    """Prepare a poll (a draft) in a draft or live meeting (admin, facilitator)."""
    clean_kind = validation.choice(kind, "kind", PollKind, label="Kind")
    clean_question = validation.text(question, "question", max_length=300, label="Question")
    if options is not None and not isinstance(options, list):
        raise ValidationError(gettext("Options must be a list of labels."), field="options")
    spec = _clean_spec(
        clean_kind,
        {
            "options": [
                validation.text(o, "options", max_length=120, required=False, label="Option") for o in options or []
            ],
            "max_choices": max_choices,
            "scale": scale,
        },
    )
    visible = validation.boolean(results_visible, "results_visible") if results_visible is not None else False
    approve = _clean_approve(clean_kind, approve_answers)
    user = actor.require_meeting_manager()
    if meeting.status is MeetingStatus.closed:
        raise Conflict(gettext("This meeting has closed."), code="meeting_closed")
    _bump_version(db, meeting)
    poll = Poll(
        meeting_id=meeting.id,
        kind=clean_kind,
        question=clean_question,
        max_choices=spec["max_choices"],
        scale=spec["scale"],
        status=PollStatus.draft,
        results_visible=visible,
        approve_answers=approve,
        answered=False,
        options=[PollOption(position=i, label=label) for i, label in enumerate(spec["labels"])],
    )
    poll.meeting = meeting
    db.add(poll)
    db.flush()
    record(
        db,
        user,
        "poll.create",
        object_type="poll",
        object_id=poll.id,
        detail=f"meeting {meeting.code}, {clean_kind.value}",
    )
    db.commit()
    return poll


def _clean_approve(kind: PollKind, value: object) -> bool:
    """Return whether answers wait for approval; only word-cloud and open-text answers can."""
    approve = validation.boolean(value, "approve_answers") if value is not None else False
    if approve and not KINDS[kind].free_text:
        raise ValidationError(
            gettext("Only word-cloud and open-text answers can wait for approval."),
            field="approve_answers",
            code="not_free_text",
        )
    return approve


def change_poll(db: Session, actor: Actor, poll_id: int, payload: dict[str, Any]) -> Poll:
    """Open, close, reveal or hide the results of a poll, or edit it until its first answer (admin, facilitator)."""
    if not payload:
        raise ValidationError(gettext("Say what to change."), code="nothing_to_change")
    poll = get_poll(db, poll_id)
    status = validation.choice(payload["status"], "status", PollStatus, label="Status") if "status" in payload else None
    visible = (
        validation.boolean(payload["results_visible"], "results_visible") if "results_visible" in payload else None
    )
    approve = _clean_approve(poll.kind, payload["approve_answers"]) if "approve_answers" in payload else None
    user = actor.require_meeting_manager()
    meeting = poll.meeting
    version = _bump_version(db, meeting)
    db.refresh(poll)  # under the meeting's lock: the state this change starts from
    edits = {name: payload[name] for name in EDIT_FIELDS if name in payload}
    changed: list[str] = []
    if edits:
        poll.require_editable()
        question = edits.get("question", poll.question)
        spec = _clean_spec(
            poll.kind,
            {
                "options": edits["options"] if "options" in edits else [o.label for o in poll.options],
                "max_choices": edits.get("max_choices", poll.max_choices),
                "scale": edits.get("scale", poll.scale),
            },
        )
        poll.question = validation.text(question, "question", max_length=300, label="Question")
        if "options" in edits and spec["labels"] != [o.label for o in poll.options]:
            poll.options = [PollOption(position=i, label=label) for i, label in enumerate(spec["labels"])]
        poll.max_choices, poll.scale = spec["max_choices"], spec["scale"]
        changed.append("edited")
    opened = closed = False
    if status is not None and status is not poll.status:
        if status is PollStatus.open:
            if not meeting.is_live:
                raise Conflict(gettext("Open polls once the meeting is live."), code="meeting_not_live")
            poll.open()
            opened = True
        elif status is PollStatus.closed:
            poll.close()
            closed = True
        else:
            raise Conflict(gettext("A poll cannot go back to draft."), code="poll_not_draft")
        changed.append(f"status {status.value}")
    if visible is not None and visible != poll.results_visible:
        poll.results_visible = visible
        changed.append("results shown" if visible else "results hidden")
    released = False
    if approve is not None and approve != poll.approve_answers:
        poll.approve_answers = approve
        changed.append("answers wait for approval" if approve else "answers shown at once")
        if not approve:
            # No longer approving one by one: what was waiting is shown (held-back answers stay held).
            released = bool(
                db.execute(
                    update(PollResponse)
                    .where(PollResponse.poll_id == poll.id, PollResponse.pending.is_(True))
                    .values(pending=False)
                ).rowcount
            )
    if not changed:
        db.rollback()
        attributes.set_committed_value(meeting, "version", version - 1)
        return get_poll(db, poll_id)
    db.flush()
    shape = poll_to_dict(poll)
    record(
        db,
        user,
        "poll.change",
        object_type="poll",
        object_id=poll.id,
        detail=f"meeting {meeting.code}: {', '.join(changed)}",
    )
    db.commit()
    events = publisher()
    if opened or (edits and poll.status is PollStatus.open):
        # An open poll edited before its first answer is announced again: phones show the new wording.
        events.poll_opened(meeting, shape)
    if closed:
        events.poll_closed(meeting, shape)
    if opened or closed or visible is not None or released:
        # Fresh absolute results for whoever may now see them (a reveal reaches attendees).
        events.poll_answers_changed(meeting.id, [poll.id])
    return poll


def close_with_meeting(db: Session, meeting: Meeting, status: MeetingStatus) -> Callable[[], None] | None:
    """Close the meeting's open polls when the meeting closes (a meeting status hook); announce them after.

    A poll left open in a closed meeting would read "open" on every page and refuse every answer.
    Reopening the meeting leaves them closed: the facilitator opens again what they want.
    """
    if status is not MeetingStatus.closed:
        return None
    still_open = list(
        db.scalars(
            select(Poll)
            .options(selectinload(Poll.options))
            .where(Poll.meeting_id == meeting.id, Poll.status == PollStatus.open)
        )
    )
    for poll in still_open:
        poll.close()
    if not still_open:
        return None
    db.flush()
    shapes = [poll_to_dict(poll) for poll in still_open]

    def announce() -> None:
        events = publisher()
        for shape in shapes:
            events.poll_closed(meeting, shape)

    return announce


meeting_services.STATUS_HOOKS.append(close_with_meeting)


def list_polls(db: Session, actor: Actor, meeting: Meeting) -> list[Poll]:
    """Return the meeting's polls: every one for staff, the open ones for anyone else."""
    query = select(Poll).options(selectinload(Poll.options)).where(Poll.meeting_id == meeting.id).order_by(Poll.id)
    if not actor.is_staff:
        query = query.where(Poll.status == PollStatus.open)
    return list(db.scalars(query))


def answers_of(db: Session, poll_ids: list[int]) -> dict[int, list[tuple[str, bool]]]:
    """Return the stored answers ``(answer JSON, hidden)`` of each poll, oldest first (one query)."""
    found: dict[int, list[tuple[str, bool]]] = {poll_id: [] for poll_id in poll_ids}
    if poll_ids:
        rows = db.execute(
            select(PollResponse.poll_id, PollResponse.answer, KEPT_BACK)
            .where(PollResponse.poll_id.in_(poll_ids))
            .order_by(PollResponse.updated_at, PollResponse.id)
        )
        for poll_id, answer, hidden in rows:
            found[poll_id].append((answer, hidden))
    return found


def poll_results(db: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    """Return a poll's results: staff always; participants of its meeting once the results are revealed."""
    poll = get_poll(db, poll_id)
    if not actor.is_staff:
        require_participant(actor, poll.meeting)
        if not poll.results_visible:
            raise Forbidden(gettext("The facilitator has not shown these results yet."), code="results_hidden")
    return results_to_dict(poll, answers_of(db, [poll.id])[poll.id])


# The answer path's statements, built once (building one costs more than SQLite takes to run it).
_POLL_AND_PARTICIPANT = (
    select(Poll, Participant)
    .join(Poll.meeting)
    .outerjoin(
        Participant,
        and_(Participant.meeting_id == Poll.meeting_id, Participant.device_hash == bindparam("device")),
    )
    # The options come in the same query (a poll has at most 12): one round trip per answer.
    .options(contains_eager(Poll.meeting), joinedload(Poll.options))
    .where(Poll.id == bindparam("poll_id"))
)
_STILL_OPEN = exists(
    select(Poll.id)
    .join(Meeting, Meeting.id == Poll.meeting_id)
    .where(
        Poll.id == bindparam("poll_id", type_=Integer),
        Poll.status == PollStatus.open,
        Meeting.status == MeetingStatus.live,
    )
)
_ANSWER_COLUMNS = ["poll_id", "participant_id", "answer", "hidden", "pending", "created_at", "updated_at"]


def _upsert(dialect: Any) -> Any:
    """Return the answer's INSERT … SELECT … WHERE still open ON CONFLICT DO UPDATE for one dialect."""
    source = select(
        bindparam("poll_id", type_=Integer),
        bindparam("participant_id", type_=Integer),
        bindparam("answer", type_=Text),
        bindparam("hidden", type_=Boolean),
        bindparam("pending", type_=Boolean),
        bindparam("now", type_=UTCDateTime()),
        bindparam("now", type_=UTCDateTime()),
    ).where(_STILL_OPEN)
    insert = dialect.insert(PollResponse).from_select(_ANSWER_COLUMNS, source)
    return insert.on_conflict_do_update(
        index_elements=[PollResponse.poll_id, PollResponse.participant_id],
        set_={
            "answer": insert.excluded.answer,
            "updated_at": insert.excluded.updated_at,
            "hidden": insert.excluded.hidden,
            "pending": insert.excluded.pending,
        },
    ).returning(PollResponse.id)


_ANSWER = {postgres: _upsert(dialect) for postgres, dialect in ((False, sqlite), (True, postgresql))}
_MARK_ANSWERED = update(Poll).where(Poll.id == bindparam("poll_id"), Poll.answered.is_(False)).values(answered=True)


def poll_and_participant(db: Session, poll_id: int, device_token: str | None) -> tuple[Poll, Participant | None]:
    """Return the poll (with its meeting and options) and this device's participant in its meeting, in one query.

    The answer path's read; NotFound for an unknown poll, and for a draft one (attendees never see drafts).
    """
    device = hash_device_token(device_token) if device_token and len(device_token) <= 128 else ""
    rows = (
        db.execute(_POLL_AND_PARTICIPANT, {"device": device, "poll_id": poll_id}).unique().all()
        if isinstance(poll_id, int)
        else []
    )
    if not rows:
        raise NotFound(gettext("There is no poll with that number."), code="poll_not_found")
    return rows[0][0], rows[0][1]


def answer_poll(
    db: Session,
    actor: Actor,
    poll: Poll,
    payload: dict[str, Any],
    *,
    limiter: Limiter,
    blocked_words: frozenset[str] = frozenset(),
) -> Any:
    """Store the participant's answer (replacing an earlier one while the poll is open); return it as stored.

    ``payload`` holds exactly the answer field of the poll's kind. Nothing is stored on any error.
    A free-text answer with a word of ``blocked_words`` is stored held back (see ``profanity.py``).
    """
    participant = require_participant(actor, poll.meeting)
    given = {name: value for name, value in payload.items() if value is not None}
    unknown = set(given) - ANSWER_FIELDS
    if unknown:
        raise ValidationError(
            gettext("Unknown field: %(fields)s.", fields=", ".join(sorted(unknown))),
            code="unknown_field",
            field=sorted(unknown)[0],
        )
    field = poll.behaviour.field
    wrong = sorted(set(given) - {field})
    if wrong:
        raise ValidationError(
            gettext("This poll takes %(field)s, not %(wrong)s.", field=field, wrong=wrong[0]),
            field=wrong[0],
            code="wrong_answer_field",
        )
    poll.meeting.require_live()
    poll.require_open()
    answer = poll.behaviour.clean(given.get(field), poll.shape())
    limiter.check(
        "poll-answer",
        participant.id,
        *ANSWER_LIMIT,
        message=gettext("You have answered many times in a short time. Wait a minute and try again."),
    )
    blocked = poll.behaviour.free_text and is_blocked(answer, blocked_words)
    connection = db.connection()
    stored = connection.execute(
        _ANSWER[db.get_bind().dialect.name == "postgresql"],
        {
            "poll_id": poll.id,
            "participant_id": participant.id,
            "answer": json.dumps(answer),
            "hidden": blocked,
            # A poll that approves answers first: a new or changed answer waits (a blocked one is held back).
            "pending": poll.approve_answers and poll.behaviour.free_text and not blocked,
            "now": utcnow(),
        },
    ).first()
    if stored is None:
        # Closed (or the meeting ended) between the read and the write: nothing was stored.
        db.rollback()
        db.refresh(poll)
        db.refresh(poll.meeting)
        poll.meeting.require_live()
        poll.require_open()
        raise Conflict(gettext("This poll has closed."), code="poll_closed")
    if not poll.answered:
        connection.execute(_MARK_ANSWERED, {"poll_id": poll.id})
    db.commit()
    publisher().poll_answers_changed(poll.meeting_id, [poll.id])
    return answer


def copy_polls(db: Session, actor: Actor, meeting: Meeting, source: Meeting) -> list[Poll]:
    """Copy every poll of an earlier meeting of the same series into ``meeting`` as drafts (admin, facilitator)."""
    user = actor.require_meeting_manager()
    if source.series_id != meeting.series_id or source.id == meeting.id:
        raise ValidationError(gettext("Choose another meeting of this series."), field="source", code="unknown_meeting")
    if meeting.status is MeetingStatus.closed:
        raise Conflict(gettext("This meeting has closed."), code="meeting_closed")
    _bump_version(db, meeting)
    copies = [
        Poll(
            meeting_id=meeting.id,
            kind=poll.kind,
            question=poll.question,
            max_choices=poll.max_choices,
            scale=poll.scale,
            status=PollStatus.draft,
            results_visible=poll.results_visible,
            answered=False,
            options=[PollOption(position=o.position, label=o.label) for o in poll.options],
        )
        for poll in list_polls(db, actor, source)
    ]
    db.add_all(copies)
    db.flush()
    record(
        db,
        user,
        "poll.copy",
        object_type="meeting",
        object_id=meeting.code,
        detail=f"{len(copies)} polls from meeting {source.code}",
    )
    db.commit()
    return copies


def projector_poll(db: Session, meeting: Meeting, poll_id: int) -> Poll:
    """Return the meeting's poll ``poll_id`` for the projector, or raise NotFound (another meeting's too)."""
    poll = db.get(Poll, poll_id)
    if poll is None or poll.meeting_id != meeting.id:
        raise NotFound(
            gettext("There is no poll with that id in this meeting."), code="poll_not_found", field="poll_id"
        )
    return poll


def projector_poll_or_none(db: Session, meeting: Meeting) -> Poll | None:
    """Return the poll the projector shows (None when its mode shows no poll, or the poll is a draft)."""
    if meeting.projector_poll_id is None:
        return None
    poll = db.scalar(select(Poll).options(selectinload(Poll.options)).where(Poll.id == meeting.projector_poll_id))
    if poll is None or poll.meeting_id != meeting.id or poll.status is PollStatus.draft:
        return None
    return poll


# How many of a free-text poll's latest answers the console lists for moderation.
MODERATION_LIST = 30


def moderate_answer(db: Session, actor: Actor, poll_id: int, response_id: int, *, hidden: bool) -> PollResponse:
    """Approve or show one free-text answer (``hidden=False``), or hold it back (admin, facilitator).

    An answer waiting for approval stops waiting either way; the room's results follow at once.
    """
    user = actor.require_meeting_manager()
    poll = get_poll(db, poll_id)
    response = db.get(PollResponse, response_id) if isinstance(response_id, int) else None
    if response is None or response.poll_id != poll.id:
        raise NotFound(gettext("There is no such answer to this poll."), code="answer_not_found")
    if not poll.behaviour.free_text:
        raise Conflict(gettext("Only word-cloud and open-text answers are moderated."), code="not_free_text")
    if response.hidden != hidden or response.pending:
        outcome = "held back" if hidden else "approved" if response.pending else "shown"
        response.hidden = hidden
        response.pending = False
        record(
            db,
            user,
            "poll.moderate",
            object_type="poll",
            object_id=poll.id,
            detail=f"meeting {poll.meeting.code}: an answer {outcome}",
        )
        db.commit()
        publisher().poll_answers_changed(poll.meeting_id, [poll.id])
    return response


def _answers_to_moderate(db: Session, polls: list[Poll]) -> dict[int, list[tuple[int, str, str]]]:
    """Return the latest answers ``(id, text, state)`` of each free-text poll: those waiting first, then newest first.

    ``state`` is ``pending`` (waiting for approval), ``held`` (held back) or ``shown``.
    """
    found: dict[int, list[tuple[int, str, str]]] = {}
    for poll in polls:
        if not poll.behaviour.free_text or poll.status is PollStatus.draft:
            continue
        rows = db.scalars(
            select(PollResponse)
            .where(PollResponse.poll_id == poll.id)
            .order_by(PollResponse.pending.desc(), PollResponse.updated_at.desc(), PollResponse.id.desc())
            .limit(MODERATION_LIST)
        )
        found[poll.id] = [(row.id, _as_text(row.value), row.state) for row in rows]
    return found


def _as_text(answer: Any) -> str:
    """Return a stored free-text answer (a text, or a word cloud's words) as one line."""
    return " ".join(answer) if isinstance(answer, list) else str(answer)


def staff_panel(db: Session, actor: Actor, meeting: Meeting) -> dict[str, Any]:
    """Return what the polls panel shows staff: every poll, its answers count, free-text answers, other meetings."""
    listed = list_polls(db, actor, meeting)
    totals = dict(
        db.execute(
            select(PollResponse.poll_id, func.count(PollResponse.id))
            .where(PollResponse.poll_id.in_([poll.id for poll in listed]))
            .group_by(PollResponse.poll_id)
        ).all()
    )
    earlier = db.scalars(
        select(Meeting)
        .where(Meeting.series_id == meeting.series_id, Meeting.id != meeting.id)
        .order_by(Meeting.created_at.desc())
    )
    return {
        "polls": listed,
        "poll_totals": totals,
        "poll_answers": _answers_to_moderate(db, listed),
        "earlier_meetings": list(earlier),
    }


def results_for_screen(db: Session, poll: Poll) -> dict[str, Any]:
    """Return a poll's results for the projector, which shows them whatever attendees may see."""
    return results_to_dict(poll, answers_of(db, [poll.id])[poll.id])


def purge_poll_answers(db: Session, meeting_ids: list[int], *, dry_run: bool = False) -> dict[str, int]:
    """Delete the poll answers given in these meetings (who answered what); return how many (or would be).

    The polls, their options and their results' shape stay; the answers go, so what was said
    in words and who said it go with the retention period. The caller commits.
    """
    of_meetings = PollResponse.poll_id.in_(select(Poll.id).where(Poll.meeting_id.in_(meeting_ids)))
    count = db.scalar(select(func.count(PollResponse.id)).where(of_meetings)) or 0
    if not dry_run and count:
        db.execute(delete(PollResponse).where(of_meetings))
    return {"poll answers": count}
