"""Action use cases: create, edit and update actions, list them, report back, close the loop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ysdw_live import validation
from ysdw_live.actions.models import (
    CONCERNS_PER_ACTION_MAX,
    FINISHED_STATUSES,
    NEEDS_REASON,
    OWNER_MAX,
    PRIVATE_NOTES_MAX,
    REPORT_ORDER,
    STATUS_LABELS,
    UPDATE_TEXT_MAX,
    WE_DID_MAX,
    YOU_SAID_MAX,
    Action,
    ActionAudit,
    ActionConcern,
    ActionStatus,
    ActionUpdate,
    FollowUp,
)
from ysdw_live.actors import Actor
from ysdw_live.audit.services import describe_changes
from ysdw_live.audit.services import record as audit
from ysdw_live.auth.models import ALL_STAFF, User
from ysdw_live.clock import Clock
from ysdw_live.concerns.models import VISIBLE_STATUSES, Concern, Vote
from ysdw_live.db import utcnow
from ysdw_live.errors import NotFound, ValidationError
from ysdw_live.meetings.models import Meeting, Participant, normalise_code
from ysdw_live.series.models import Series, Topic
from ysdw_live.series.services import get_series

# Who may write actions: every staff role, leaders included.
WRITERS = ALL_STAFF

CREATE_FIELDS = frozenset(
    {
        "you_said",
        "we_did",
        "owner",
        "status",
        "progress",
        "due_date",
        "concern_ids",
        "private_notes",
        "raised_at_meeting",
    }
)
UPDATE_FIELDS = CREATE_FIELDS
NEW_UPDATE_FIELDS = frozenset({"text", "status", "progress"})


# ---------------------------------------------------------------------------------------------
# Parsing untrusted input
# ---------------------------------------------------------------------------------------------


def _parse_fields(payload: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate the action fields present in ``payload`` (``you_said`` is required on create)."""
    values: dict[str, Any] = {}
    if creating or "you_said" in payload:
        values["you_said"] = validation.text(
            payload.get("you_said"),
            "you_said",
            max_length=YOU_SAID_MAX,
            multiline=True,
            label="You said",
            missing="Enter a short summary of what people said",
        )
    if "we_did" in payload:
        values["we_did"] = validation.text(
            payload["we_did"], "we_did", max_length=WE_DID_MAX, required=False, multiline=True, label="We will / we did"
        )
    if "owner" in payload:
        values["owner"] = validation.text(
            payload["owner"], "owner", max_length=OWNER_MAX, required=False, label="Owner"
        )
    if "private_notes" in payload:
        values["private_notes"] = validation.text(
            payload["private_notes"],
            "private_notes",
            max_length=PRIVATE_NOTES_MAX,
            required=False,
            multiline=True,
            label="Private notes",
        )
    if payload.get("status") is not None:
        values["status"] = validation.choice(payload["status"], "status", ActionStatus, label="Status")
    if payload.get("progress") is not None:
        values["progress"] = Action.check_progress(payload["progress"])
    if "due_date" in payload:
        values["due_date"] = validation.calendar_date(payload["due_date"], "due_date", label="Due date")
    return values


def _parse_concern_ids(value: Any) -> list[int]:
    """Return a list of distinct concern ids, in the order given."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("Concern ids must be a list of numbers.", field="concern_ids")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= validation.INTEGER_MAX:
            raise ValidationError("Concern ids must be a list of whole numbers.", field="concern_ids")
        if item not in ids:
            ids.append(item)
    if len(ids) > CONCERNS_PER_ACTION_MAX:
        raise ValidationError(
            f"An action can answer at most {CONCERNS_PER_ACTION_MAX} concerns.", field="concern_ids", code="too_many"
        )
    return ids


def _concerns_of_series(db: Session, series: Series, concern_ids: list[int]) -> list[Concern]:
    """Return the concerns with ``concern_ids``; all must exist and come from ``series``' meetings."""
    if not concern_ids:
        return []
    found = {
        concern.id: concern
        for concern in db.scalars(
            select(Concern).options(joinedload(Concern.meeting)).where(Concern.id.in_(concern_ids))
        )
    }
    unknown = [str(concern_id) for concern_id in concern_ids if concern_id not in found]
    if unknown:
        raise ValidationError(
            f"There is no concern with id {', '.join(unknown)}.", field="concern_ids", code="unknown_concern"
        )
    foreign = [str(concern.id) for concern in found.values() if concern.meeting.series_id != series.id]
    if foreign:
        raise ValidationError(
            f"Concern {', '.join(sorted(foreign, key=int))} was raised in another series; an action can only "
            "answer concerns from its own series.",
            field="concern_ids",
            code="foreign_concern",
        )
    return [found[concern_id] for concern_id in concern_ids]


def _meeting_of_series(db: Session, series: Series, code: Any) -> Meeting | None:
    """Return the meeting of ``series`` with join code ``code`` (None when empty)."""
    if code is None or code == "":
        return None
    normalised = normalise_code(code) if isinstance(code, str) else None
    meeting = db.scalar(select(Meeting).where(Meeting.code == normalised)) if normalised else None
    if meeting is None or meeting.series_id != series.id:
        raise ValidationError(
            "Raised at meeting must be the code of a meeting of this series.",
            field="raised_at_meeting",
            code="unknown_meeting",
        )
    return meeting


def _first_meeting(concerns: Iterable[Concern]) -> Meeting | None:
    """Return the meeting where the earliest of ``concerns`` was raised."""
    earliest = min(concerns, key=lambda concern: (concern.created_at, concern.id), default=None)
    return earliest.meeting if earliest is not None else None


def _audit_value(value: Any) -> str | None:
    """Return a field value as the text the audit trail keeps."""
    if value is None:
        return None
    if isinstance(value, ActionStatus):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _record(db: Session, action: Action, user: User, changes: Iterable[tuple[str, Any, Any]]) -> None:
    """Add one audit entry per changed field."""
    for name, old, new in changes:
        db.add(
            ActionAudit(action_id=action.id, user_id=user.id, field=name, old=_audit_value(old), new=_audit_value(new))
        )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def create_action(db: Session, actor: Actor, series_id: int, payload: Mapping[str, Any]) -> Action:
    """Create an action in a series, optionally answering concerns of its meetings (all staff)."""
    series = get_series(db, series_id)
    validation.reject_unknown(dict(payload), set(CREATE_FIELDS))
    values = _parse_fields(payload, creating=True)
    concern_ids = _parse_concern_ids(payload.get("concern_ids"))
    user = actor.require_staff(WRITERS)
    concerns = _concerns_of_series(db, series, concern_ids)
    raised_at = _meeting_of_series(db, series, payload.get("raised_at_meeting")) or _first_meeting(concerns)
    action = Action(
        series=series,
        you_said=values.pop("you_said"),
        we_did="",
        owner="",
        private_notes="",
        status=ActionStatus.under_consideration,
        progress=0,
        created_by=user.id,
        raised_at_meeting=raised_at,
        concerns=concerns,
    )
    action.edit(values)
    db.add(action)
    db.flush()
    audit(
        db,
        user,
        "action.create",
        object_type="action",
        object_id=action.id,
        detail=f"series {series.id}, status {action.status.value}, {len(concerns)} concerns",
    )
    db.commit()
    return action


def update_action(db: Session, actor: Actor, action_id: int, payload: Mapping[str, Any]) -> Action:
    """Change an action's fields, keeping an audit trail of every change (all staff)."""
    action = get_action(db, action_id)
    validation.reject_unknown(dict(payload), set(UPDATE_FIELDS))
    values = _parse_fields(payload, creating=False)
    concern_ids = _parse_concern_ids(payload["concern_ids"]) if "concern_ids" in payload else None
    user = actor.require_staff(WRITERS)
    concerns = _concerns_of_series(db, action.series, concern_ids) if concern_ids is not None else None
    meeting = (
        _meeting_of_series(db, action.series, payload["raised_at_meeting"])
        if "raised_at_meeting" in payload
        else action.raised_at_meeting
    )
    changes = action.edit(values)
    if concerns is not None:
        old_ids = sorted(concern.id for concern in action.concerns)
        new_ids = sorted(concern.id for concern in concerns)
        if new_ids != old_ids:
            action.concerns = concerns
            changes.append(("concern_ids", ",".join(map(str, old_ids)) or None, ",".join(map(str, new_ids)) or None))
    if meeting is not action.raised_at_meeting:
        old_code = action.raised_at_meeting.code if action.raised_at_meeting else None
        action.raised_at_meeting = meeting
        changes.append(("raised_at_meeting", old_code, meeting.code if meeting else None))
    if changes:
        action.touch()
        _record(db, action, user, changes)
        explained = _explain_on_record(action, user, changes)
        audit(
            db,
            user,
            "action.update",
            object_type="action",
            object_id=action.id,
            detail=describe_changes(changes, with_values={"status", "progress", "due_date"})
            + ("; dated public update added" if explained else ""),
        )
    db.commit()
    return action


def _explain_on_record(action: Action, user: User, changes: Iterable[tuple[str, Any, Any]]) -> bool:
    """Add a dated public update saying what moved when an edit changed the status or progress.

    The public page shows status and progress; every change of either carries a dated update
    explaining it, whether it came through an update or through an edit. Return whether one was added.
    """
    moved = {name: (old, new) for name, old, new in changes if name in ("status", "progress")}
    if not moved:
        return False
    parts = []
    if "status" in moved:
        old, new = moved["status"]
        sentence = f"Status changed from {STATUS_LABELS[old]} to {STATUS_LABELS[new]}"
        if new in NEEDS_REASON and action.we_did.strip():
            sentence += f": {action.we_did.strip()}"
        parts.append(sentence.rstrip(".") + ".")
    if "progress" in moved:
        parts.append(f"Progress: {moved['progress'][1]}% done.")
    action.record_update(" ".join(parts)[:UPDATE_TEXT_MAX], user)
    return True


def add_update(db: Session, actor: Actor, action_id: int, payload: Mapping[str, Any]) -> ActionUpdate:
    """Append a dated public update to an action, optionally moving its status and progress (all staff)."""
    action = get_action(db, action_id)
    validation.reject_unknown(dict(payload), set(NEW_UPDATE_FIELDS))
    text = validation.text(
        payload.get("text"),
        "text",
        max_length=UPDATE_TEXT_MAX,
        multiline=True,
        label="Update",
        missing="Enter what has happened",
    )
    status = (
        validation.choice(payload["status"], "status", ActionStatus, label="Status")
        if payload.get("status") is not None
        else None
    )
    progress = Action.check_progress(payload["progress"]) if payload.get("progress") is not None else None
    user = actor.require_staff(WRITERS)
    update, changes = action.record_update(text, user, status=status, progress=progress)
    _record(db, action, user, changes)
    audit(
        db,
        user,
        "action.public_update",
        object_type="action",
        object_id=action.id,
        detail=describe_changes(changes, with_values={"status", "progress"}) or "no change of status or progress",
    )
    db.commit()
    return update


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _with_details(query: Select[tuple[Action]]) -> Select[tuple[Action]]:
    """Load what the serializer and the pages read, without one query per action."""
    return query.options(
        selectinload(Action.concerns).joinedload(Concern.topic),
        selectinload(Action.updates),
        joinedload(Action.raised_at_meeting),
    )


def get_action(db: Session, action_id: int) -> Action:
    """Return the action or raise NotFound."""
    action = db.scalar(_with_details(select(Action)).options(joinedload(Action.series)).where(Action.id == action_id))
    if action is None:
        raise NotFound("There is no action with that id.", code="action_not_found")
    return action


def audit_trail(db: Session, actor: Actor, action: Action) -> list[ActionAudit]:
    """Return the changes to an action's fields, newest first (staff)."""
    actor.require_staff()
    return list(
        db.scalars(
            select(ActionAudit)
            .options(joinedload(ActionAudit.user))
            .where(ActionAudit.action_id == action.id)
            .order_by(ActionAudit.created_at.desc(), ActionAudit.id.desc())
        )
    )


@dataclass(frozen=True)
class ActionFilters:
    """What a list of actions is narrowed to."""

    status: ActionStatus | None = None
    topic_id: int | None = None
    owner: str | None = None
    overdue: bool = False

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.status or self.topic_id or self.owner or self.overdue)


def parse_filters(series: Series, args: Mapping[str, Any]) -> ActionFilters:
    """Return the filters named in query-string ``args`` (status, topic, owner, overdue)."""
    status = validation.choice(args["status"], "status", ActionStatus, label="Status") if args.get("status") else None
    topic_id = validation.optional_integer(args.get("topic"), "topic", minimum=1, label="Topic")
    if topic_id is not None and series.topic_by_id(topic_id) is None:
        raise ValidationError("That topic is not one of this series' topics.", field="topic", code="unknown_topic")
    owner = validation.text(args.get("owner"), "owner", max_length=OWNER_MAX, required=False, label="Owner") or None
    overdue = validation.boolean(args.get("overdue") or "false", "overdue")
    return ActionFilters(status=status, topic_id=topic_id, owner=owner, overdue=overdue)


def _filtered(series_id: int, filters: ActionFilters, clock: Clock | None) -> Select[tuple[Action]]:
    """Return the query for a series' actions narrowed by ``filters`` ("overdue" needs the clock)."""
    query = _with_details(select(Action)).where(Action.series_id == series_id)
    if filters.status is not None:
        query = query.where(Action.status == filters.status)
    if filters.topic_id is not None:
        query = query.where(
            Action.id.in_(
                select(ActionConcern.action_id)
                .join(Concern, Concern.id == ActionConcern.concern_id)
                .where(Concern.topic_id == filters.topic_id)
            )
        )
    if filters.owner:
        pattern = filters.owner.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Action.owner.ilike(f"%{pattern}%", escape="\\"))
    if filters.overdue:
        if clock is None:
            raise TypeError("the overdue filter needs the clock: pass clock=")
        query = query.where(Action.due_date < clock.today(), Action.status.not_in(list(FINISHED_STATUSES)))
    return query


def list_actions(
    db: Session, actor: Actor, series_id: int, filters: ActionFilters | None = None, *, clock: Clock | None = None
) -> list[Action]:
    """Return a series' actions for staff, soonest due first (undated last); overdue means before ``clock``'s today."""
    get_series(db, series_id)
    actor.require_staff()
    query = _filtered(series_id, filters or ActionFilters(), clock)
    return list(db.scalars(query.order_by(Action.due_date.is_(None), Action.due_date, Action.id)))


def public_actions(
    db: Session, series_id: int, filters: ActionFilters | None = None, *, clock: Clock | None = None
) -> list[Action]:
    """Return a series' actions for anyone, most recently changed first (serialize without notes)."""
    get_series(db, series_id)
    query = _filtered(series_id, filters or ActionFilters(), clock)
    return list(db.scalars(query.order_by(Action.updated_at.desc(), Action.id.desc())))


def group_by_topic(series: Series, actions: Iterable[Action]) -> list[tuple[Topic | None, list[Action]]]:
    """Group actions under their main topic in the series' topic order; those with none come last."""
    groups: dict[int | None, list[Action]] = {}
    for action in actions:
        topic = action.primary_topic
        groups.setdefault(topic.id if topic else None, []).append(action)
    ordered: list[tuple[Topic | None, list[Action]]] = [
        (topic, groups[topic.id]) for topic in series.topics if topic.id in groups
    ]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered


def actions_by_concern(db: Session, concern_ids: Iterable[int]) -> dict[int, list[Action]]:
    """Return, for each concern id that is linked to actions, those actions."""
    ids = list(concern_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(ActionConcern.concern_id, Action)
        .join(Action, Action.id == ActionConcern.action_id)
        .where(ActionConcern.concern_id.in_(ids))
        .order_by(Action.id)
    )
    linked: dict[int, list[Action]] = {}
    for concern_id, action in rows:
        linked.setdefault(concern_id, []).append(action)
    return linked


# ---------------------------------------------------------------------------------------------
# Report-back and closing the loop
# ---------------------------------------------------------------------------------------------


def previous_meeting(db: Session, meeting: Meeting) -> Meeting | None:
    """Return the series' meeting that went live last before ``meeting`` (or before now, if it has not)."""
    reference = meeting.went_live_at or utcnow()
    return db.scalar(
        select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.id != meeting.id,
            Meeting.went_live_at.is_not(None),
            Meeting.went_live_at < reference,
        )
        .order_by(Meeting.went_live_at.desc(), Meeting.id.desc())
        .limit(1)
    )


def report_back(db: Session, meeting: Meeting) -> list[Action]:
    """Return the actions to report at ``meeting``: every unfinished one, and those finished since last time.

    Finished means completed, not taken forward or referred; "since last time" means after the
    previous meeting of the series went live. With no previous meeting, every action is reported.
    Completed ones come first, then work under way, then the ones not done, each oldest first.
    Actions raised at ``meeting`` itself are left out: they answer what people raised just now,
    not "what happened to what you raised before".
    """
    query = _with_details(select(Action)).where(
        Action.series_id == meeting.series_id,
        or_(Action.raised_at_meeting_id.is_(None), Action.raised_at_meeting_id != meeting.id),
    )
    previous = previous_meeting(db, meeting)
    if previous is not None and previous.went_live_at is not None:
        query = query.where(
            or_(Action.status.not_in(list(FINISHED_STATUSES)), Action.finished_at > previous.went_live_at)
        )
    actions = db.scalars(query)
    return sorted(actions, key=lambda action: (REPORT_ORDER[action.status], action.created_at, action.id))


def follow_ups_for_device(db: Session, participant: Participant) -> list[FollowUp]:
    """Return this device's concerns from earlier meetings of the series that actions answer.

    The device is recognised only by its own participant token (the same ``device_hash`` in
    each meeting); nothing about other people is looked at or returned.
    """
    return follow_ups_for(db, participant.meeting, participant.device_hash)


def follow_ups_for(db: Session, meeting: Meeting, device_hash: str) -> list[FollowUp]:
    """Return the follow-ups of the device with ``device_hash`` as seen from ``meeting`` (joined there or not yet)."""
    reference = meeting.went_live_at or utcnow()
    earlier = (
        select(Participant.id)
        .join(Meeting, Meeting.id == Participant.meeting_id)
        .where(
            Participant.device_hash == device_hash,
            Meeting.series_id == meeting.series_id,
            Meeting.id != meeting.id,
            Meeting.went_live_at.is_not(None),
            Meeting.went_live_at < reference,
        )
    )
    raised_ids = set(db.scalars(select(Concern.id).where(Concern.participant_id.in_(earlier))))
    voted_ids = set(db.scalars(select(Vote.concern_id).where(Vote.participant_id.in_(earlier))))
    linked = actions_by_concern(db, raised_ids | voted_ids)
    if not linked:
        return []
    concerns = db.scalars(
        select(Concern)
        .options(joinedload(Concern.meeting))
        .where(Concern.id.in_(list(linked)))
        .order_by(Concern.created_at, Concern.id)
    )
    return [
        FollowUp(
            concern=concern, raised=concern.id in raised_ids, voted=concern.id in voted_ids, actions=linked[concern.id]
        )
        for concern in concerns
    ]


# ---------------------------------------------------------------------------------------------
# The leaders' stream
# ---------------------------------------------------------------------------------------------


@dataclass
class LeadStream:
    """A live meeting's visible concerns grouped by topic, with the actions already answering them."""

    meeting: Meeting
    groups: list[tuple[Topic | None, list[Concern]]]
    linked: dict[int, list[Action]]

    @property
    def concern_count(self) -> int:
        """How many concerns the stream shows."""
        return sum(len(concerns) for _topic, concerns in self.groups)


def lead_stream(db: Session, actor: Actor, meeting: Meeting) -> LeadStream:
    """Return the approved and answered concerns of ``meeting`` by topic, most votes first (staff)."""
    actor.require_staff(WRITERS)
    concerns = list(
        db.scalars(
            select(Concern)
            .where(Concern.meeting_id == meeting.id, Concern.status.in_(list(VISIBLE_STATUSES)))
            .order_by(Concern.votes.desc(), Concern.number)
        )
    )
    by_topic: dict[int | None, list[Concern]] = {}
    for concern in concerns:
        by_topic.setdefault(concern.topic_id, []).append(concern)
    topics = {topic.id: topic for topic in meeting.series.topics}
    groups: list[tuple[Topic | None, list[Concern]]] = [
        (topic, by_topic.get(topic_id, [])) for topic_id, topic in topics.items()
    ]
    groups.append((None, [concern for concern in concerns if concern.topic_id not in topics]))
    return LeadStream(meeting=meeting, groups=groups, linked=actions_by_concern(db, [c.id for c in concerns]))


def selected_concerns(db: Session, actor: Actor, series: Series, concern_ids: Iterable[Any]) -> list[Concern]:
    """Return the concerns picked in the leaders' stream (ids from a form), checked against the series."""
    actor.require_staff(WRITERS)
    ids = [validation.integer(value, "concern_ids", minimum=1, label="Concern id") for value in concern_ids]
    return _concerns_of_series(db, series, _parse_concern_ids(ids))


SUMMARY_EXAMPLE_MAX = 120


def prefill_you_said(concerns: Iterable[Concern]) -> str:
    """Return a short summary of the chosen concerns for the leader to check, never their texts run together.

    "You said" is public and outlives the meeting's attendee data, so the prefill is only a start:
    the most-voted concern's first sentence, shortened, and how many concerns there were, e.g.
    "People raised 2 concerns about Youth, for example: Nowhere for teenagers to go". The leader
    confirms or rewrites it before the action is saved.
    """
    chosen = list(concerns)
    if not chosen:
        return ""
    example = _first_sentence(max(chosen, key=lambda concern: concern.votes).text)
    if len(chosen) == 1:
        return example
    topics = {concern.topic.name for concern in chosen if concern.topic is not None}
    about = f" about {next(iter(topics))}" if len(topics) == 1 else ""
    return f"People raised {len(chosen)} concerns{about}, for example: {example}"[:YOU_SAID_MAX]


def _first_sentence(text: str, limit: int = SUMMARY_EXAMPLE_MAX) -> str:
    """Return the first sentence or line of ``text``, cut at a word to at most ``limit`` characters."""
    first = " ".join(text.split("\n", 1)[0].split())
    for end in (". ", "? ", "! "):
        if end in first:
            first = first[: first.index(end) + 1]
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
