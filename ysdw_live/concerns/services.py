"""Concern use cases: raise, list, vote, moderate, undo, drive the projector, count.

Every writing service except voting locks the meeting's row first by bumping its version with an
atomic ``UPDATE … SET version = version + 1``. That one statement (a) makes the version grow once
per change even when requests race, (b) serialises writers of one meeting on PostgreSQL so
per-meeting concern numbers cannot collide, and (c) gives every transaction the same lock order
(meeting, then concerns), so moderation steps cannot deadlock.

Votes never touch the meeting's row: a thousand phones voting at once would all queue on it.
A vote changes only its vote row and its concern's count (``votes = votes ± 1``, guarded in the
same statement by "the meeting is live and the concern open for votes"), so it holds one concern
lock and cannot deadlock with moderation (meeting, then concerns). Counts reach clients as
absolute numbers in batches ordered by their own sequence number (``realtime/batching.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes, contains_eager

from ysdw_live import validation
from ysdw_live.actions.services import report_back
from ysdw_live.actors import Actor
from ysdw_live.audit.services import describe_changes, record
from ysdw_live.auth.models import User
from ysdw_live.concerns.models import (
    AUTHOR_NAME_MAX,
    CLIENT_KEY_MAX,
    SORTS,
    TEXT_MAX,
    VISIBLE_STATUSES,
    Concern,
    ConcernSource,
    ConcernStatus,
    ModerationEntry,
    Vote,
)
from ysdw_live.db import utcnow
from ysdw_live.errors import Conflict, NotAuthenticated, NotFound, ValidationError
from ysdw_live.i18n import N_, gettext
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant, ProjectorMode, hash_device_token
from ysdw_live.meetings.serializers import projector_to_dict
from ysdw_live.polls.services import projector_poll
from ysdw_live.ratelimit import Limiter
from ysdw_live.realtime.publisher import publisher
from ysdw_live.surveys.models import Survey

MODERATION_FIELDS = {"status", "highlighted", "text", "topic_id"}

# Per-participant limits stop scripts; a person raises a few concerns and votes a few dozen times.
SUBMIT_LIMIT = (10, 60)
VOTE_LIMIT = (60, 60)
FACILITATOR_SUBMIT_LIMIT = (60, 60)


def _bump_version(db: Session, meeting: Meeting, *, require_live: bool = False) -> int:
    """Atomically add one to the meeting's version in the current transaction and return it.

    With ``require_live`` the status is checked again under the row lock, so a write racing
    with "close meeting" cannot slip in after the close.
    """
    version, status = db.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(version=Meeting.version + 1)
        .returning(Meeting.version, Meeting.status)
        .execution_options(synchronize_session=False)
    ).one()
    if require_live and status is not MeetingStatus.live:
        db.rollback()
        meeting.require_live()
        raise Conflict(gettext("This meeting is not live."), code="meeting_not_live")
    attributes.set_committed_value(meeting, "version", version)
    return version


def _clean_text(value: object, field: str = "text") -> str:
    """Return concern text as typed (line endings unified, outer blank space trimmed) or raise."""
    return validation.text(
        value, field, max_length=TEXT_MAX, label=N_("Concern"), multiline=True, missing=gettext("Enter the concern.")
    )


def _clean_topic(meeting: Meeting, value: object) -> int | None:
    """Return a topic id of the meeting's series, None for no topic, or raise."""
    topic_id = validation.optional_integer(value, "topic_id", minimum=1, label=N_("Topic"))
    if topic_id is not None and meeting.series.topic_by_id(topic_id) is None:
        raise ValidationError(gettext("Choose one of this meeting's topics."), field="topic_id", code="unknown_topic")
    return topic_id


def _clean_author_name(value: object) -> str | None:
    """Return the optional name to show with a concern, or None for anonymous."""
    if value is None:
        return None
    name = validation.text(value, "author_name", max_length=AUTHOR_NAME_MAX, required=False, label=N_("Name"))
    return name or None


_CLIENT_KEY = re.compile(rf"[A-Za-z0-9_-]{{8,{CLIENT_KEY_MAX}}}")


def _clean_client_key(value: object) -> str | None:
    """Return a valid Idempotency-Key, None for none, or raise ValidationError."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CLIENT_KEY.fullmatch(value):
        raise ValidationError(
            f"An Idempotency-Key is 8 to {CLIENT_KEY_MAX} letters, digits, '-' or '_'.",
            field="client_key",
            code="bad_client_key",
        )
    return value


_LANGUAGE = re.compile(r"[a-z]{2,3}")


def _clean_language(value: object) -> str | None:
    """Return a primary language subtag ("pl"), or None for anything else (a hint: never an error)."""
    if not isinstance(value, str):
        return None
    primary = value.strip().split("-")[0].split("_")[0].lower()
    return primary if _LANGUAGE.fullmatch(primary) else None


def _own_participant(actor: Actor, meeting: Meeting) -> Participant | None:
    """Return the actor's participant when it belongs to ``meeting``."""
    participant = actor.participant
    return participant if participant is not None and participant.meeting_id == meeting.id else None


def require_participant(actor: Actor, meeting: Meeting) -> Participant:
    """Return the actor's participant in ``meeting`` or raise 401 explaining how to join.

    The message never names the meeting's code: the caller may be outside the meeting (a vote
    on any concern id must not hand out the code that joins it).
    """
    participant = _own_participant(actor, meeting)
    if participant is None:
        raise NotAuthenticated(
            gettext(
                "Join this meeting first: open its join link, or POST /api/v1/meetings/{code}/participants "
                "with the meeting's code. A participant token from another meeting, or one this server "
                "never issued, does not count."
            ),
            code="not_joined",
        )
    return participant


# The vote path's statements are built once (building one costs more than SQLite takes to run it) and
# its writes run as Core statements on the session's connection, past the ORM's bookkeeping.
_CONCERN_AND_VOTER = (
    select(Concern, Participant)
    .join(Concern.meeting)
    .outerjoin(
        Participant,
        and_(Participant.meeting_id == Concern.meeting_id, Participant.device_hash == bindparam("device")),
    )
    .options(contains_eager(Concern.meeting))
    .where(Concern.id == bindparam("concern_id"))
)
_COUNT_VOTE = (
    update(Concern)
    .where(
        Concern.id == bindparam("concern_id"),
        Concern.status.in_(VISIBLE_STATUSES),
        select(Meeting.id).where(Meeting.id == bindparam("of_meeting"), Meeting.status == MeetingStatus.live).exists(),
    )
    .values(votes=Concern.votes + bindparam("change"), updated_at=bindparam("now"))
    .returning(Concern.votes)
)
_REMOVE_VOTE = delete(Vote).where(
    Vote.concern_id == bindparam("concern_id"), Vote.participant_id == bindparam("participant_id")
)


def concern_and_voter(db: Session, concern_id: int, device_token: str | None) -> tuple[Concern, Participant | None]:
    """Return the concern (with its meeting) and this device's participant in its meeting, in one query.

    The vote path's only read: a thousand phones voting at once should not cost three queries each.
    Raise NotFound for an unknown concern; the participant is None for a device that has not joined.
    """
    device = hash_device_token(device_token) if device_token and len(device_token) <= 128 else ""
    row = (
        db.execute(_CONCERN_AND_VOTER, {"device": device, "concern_id": concern_id}).first()
        if isinstance(concern_id, int)
        else None
    )
    if row is None:
        raise NotFound(gettext("There is no concern with that number."), code="concern_not_found")
    return row[0], row[1]


def get_concern(db: Session, concern_id: int) -> Concern:
    """Return the concern with ``concern_id`` or raise NotFound."""
    concern = db.get(Concern, concern_id) if isinstance(concern_id, int) else None
    if concern is None:
        raise NotFound(gettext("There is no concern with that number."), code="concern_not_found")
    return concern


def submit_concern(
    db: Session,
    actor: Actor,
    meeting: Meeting,
    *,
    text: object,
    topic_id: object = None,
    author_name: object = None,
    source: object = "attendee",
    client_key: object = None,
    language: object = None,
    limiter: Limiter,
) -> Concern:
    """Raise a concern in a live meeting: pending under moderation, else shown at once.

    ``client_key`` (a participant's Idempotency-Key) makes a resend safe: a phone that lost the
    answer, or a plain form sent twice, gets the concern it raised with that key, not a second one.

    A facilitator entering what someone said aloud or wrote on a card uses
    ``source="facilitator"``; such concerns are approved at once. ``limiter`` counts per participant
    (or per staff member), so a script cannot flood the room.
    """
    kind = validation.choice(source, "source", ConcernSource, label="Source")
    clean_text = _clean_text(text)
    clean_topic = _clean_topic(meeting, topic_id)
    clean_name = _clean_author_name(author_name)
    clean_key = _clean_client_key(client_key)
    participant: Participant | None = None
    user = None
    if kind is ConcernSource.facilitator:
        user = actor.require_meeting_manager()
        limiter.check("concern-staff", user.id, *FACILITATOR_SUBMIT_LIMIT)
        status = ConcernStatus.approved
    else:
        participant = require_participant(actor, meeting)
        status = ConcernStatus.pending if meeting.moderation else ConcernStatus.approved
    if participant is not None and clean_key is not None:
        # Already sent (the answer was lost on the way back): that concern, nothing raised again,
        # even if the meeting has ended since; checked before the limiter, so resending costs nothing.
        earlier = db.scalar(
            select(Concern).where(Concern.participant_id == participant.id, Concern.client_key == clean_key)
        )
        if earlier is not None:
            return earlier
    meeting.require_live()
    if participant is not None:
        limiter.check(
            "concern",
            participant.id,
            *SUBMIT_LIMIT,
            message="You have raised several concerns in a short time. Wait a minute and try again.",
        )
    version = _bump_version(db, meeting, require_live=True)
    if participant is not None and clean_key is not None:
        # Two copies in flight at once: the second waited for the meeting's lock above, and finds the first.
        earlier = db.scalar(
            select(Concern).where(Concern.participant_id == participant.id, Concern.client_key == clean_key)
        )
        if earlier is not None:
            db.rollback()
            return db.get_one(Concern, earlier.id)
    # The version bump holds the meeting's row lock, so the next number cannot be taken twice.
    number = db.scalar(select(func.coalesce(func.max(Concern.number), 0) + 1).where(Concern.meeting_id == meeting.id))
    concern = Concern(
        meeting_id=meeting.id,
        number=number,
        text=clean_text,
        topic_id=clean_topic,
        author_name=clean_name,
        participant_id=participant.id if participant else None,
        source=kind,
        status=status,
        highlighted=False,
        votes=0,
        client_key=clean_key if participant is not None else None,
        language=_clean_language(language) if participant is not None else None,
    )
    db.add(concern)
    if user is not None:
        db.flush()
        # Never the text: it is someone's words, deleted after the retention period; the trail is not.
        record(db, user, "concern.enter", object_type="concern", object_id=concern.id, detail=_where(meeting, concern))
    db.commit()
    publisher().concern_created(concern, code=meeting.code, version=version)
    return concern


def carry_into(db: Session, user: User, meeting: Meeting, text: str, *, detail: str) -> Concern:
    """Add a concern brought in by staff (e.g. from a survey answer) to a draft or live meeting, approved at once.

    The caller has checked the role; ``detail`` says where it came from, for the audit trail (never the text).
    """
    if meeting.status is MeetingStatus.closed:
        raise Conflict(gettext("That meeting has ended."), code="meeting_closed")
    clean_text = _clean_text(text)
    version = _bump_version(db, meeting)
    number = db.scalar(select(func.coalesce(func.max(Concern.number), 0) + 1).where(Concern.meeting_id == meeting.id))
    concern = Concern(
        meeting_id=meeting.id,
        number=number,
        text=clean_text,
        source=ConcernSource.facilitator,
        status=ConcernStatus.approved,
        highlighted=False,
        votes=0,
    )
    db.add(concern)
    db.flush()
    record(db, user, "survey.concern", object_type="concern", object_id=concern.id, detail=detail)
    db.commit()
    publisher().concern_created(concern, code=meeting.code, version=version)
    return concern


def list_concerns(
    db: Session, actor: Actor, meeting: Meeting, *, sort: str = "top", status: str | None = None
) -> list[Concern]:
    """Return the meeting's concerns the actor may see, in ``top`` or ``recent`` order.

    Staff see every status (``status`` may narrow it: a comma-separated list); anyone else sees
    approved and answered concerns plus their own pending ones.
    """
    if sort not in SORTS:
        raise ValidationError("Sort must be top or recent.", field="sort")
    wanted: set[ConcernStatus] | None = None
    if status is not None and str(status).strip():
        wanted = {
            validation.choice(part.strip(), "status", ConcernStatus, label="Status")
            for part in str(status).split(",")
            if part.strip()
        }
    query = select(Concern).where(Concern.meeting_id == meeting.id)
    if not actor.is_staff:
        participant = _own_participant(actor, meeting)
        seen = Concern.status.in_(VISIBLE_STATUSES)
        if participant is not None:
            seen = seen | ((Concern.status == ConcernStatus.pending) & (Concern.participant_id == participant.id))
        query = query.where(seen)
    if wanted is not None:
        query = query.where(Concern.status.in_(wanted))
    if sort == "top":
        query = query.order_by(Concern.votes.desc(), Concern.created_at, Concern.id)
    else:
        query = query.order_by(Concern.created_at.desc(), Concern.id.desc())
    return list(db.scalars(query))


def my_hidden_concerns(db: Session, participant: Participant) -> list[Concern]:
    """Return the participant's own concerns that a moderator dismissed (for a kind, private note)."""
    return list(
        db.scalars(
            select(Concern)
            .where(Concern.participant_id == participant.id, Concern.status == ConcernStatus.dismissed)
            .order_by(Concern.id)
        )
    )


def voted_concern_ids(db: Session, participant: Participant, meeting: Meeting) -> set[int]:
    """Return the ids of the meeting's concerns this participant has voted for."""
    return set(
        db.scalars(
            select(Vote.concern_id)
            .join(Concern, Concern.id == Vote.concern_id)
            .where(Vote.participant_id == participant.id, Concern.meeting_id == meeting.id)
        )
    )


def _votable_concern(db: Session, actor: Actor, concern_id: int, limiter: Limiter) -> tuple[Concern, Participant]:
    """Return the concern and the voter, or raise 401/404/409 as the API describes."""
    concern = get_concern(db, concern_id)
    meeting = concern.meeting
    participant = require_participant(actor, meeting)
    own_pending = concern.status is ConcernStatus.pending and concern.participant_id == participant.id
    if concern.status is ConcernStatus.pending and not own_pending:
        # Someone else's pending concern does not exist as far as this attendee knows.
        raise NotFound(gettext("There is no concern with that number."), code="concern_not_found")
    meeting.require_live()
    concern.require_votable()
    limiter.check(
        "vote",
        participant.id,
        *VOTE_LIMIT,
        message="You have voted many times in a short time. Wait a minute and try again.",
    )
    return concern, participant


def _count_vote(db: Session, concern: Concern, change: int) -> int:
    """Add ``change`` (+1 or -1) to the concern's count in the current transaction and return the count.

    The statement itself checks that the meeting is still live and the concern still open for
    votes, so a vote racing with "close meeting" or a dismissal that committed first is refused
    (the transaction is rolled back and the reason raised) without locking the meeting's row.
    """
    votes = (
        db.connection()
        .execute(
            _COUNT_VOTE,
            {"concern_id": concern.id, "of_meeting": concern.meeting_id, "change": change, "now": utcnow()},
        )
        .scalar_one_or_none()
    )
    if votes is None:
        db.rollback()
        db.refresh(concern)
        concern.meeting.require_live()
        concern.require_votable()
        raise Conflict(gettext("This concern is no longer open for votes."), code="concern_closed")
    attributes.set_committed_value(concern, "votes", votes)
    return votes


# Adds a vote and returns its id, or adds nothing and returns no row (no error) when the participant's
# vote is already there; by "is PostgreSQL".
_ADD_VOTE = {
    postgres: dialect.insert(Vote)
    .values({name: bindparam(name) for name in ("concern_id", "participant_id", "created_at")})
    .on_conflict_do_nothing()
    .returning(Vote.id)
    for postgres, dialect in ((False, sqlite), (True, postgresql))
}


def vote(db: Session, actor: Actor, concern_id: int, *, limiter: Limiter) -> Concern:
    """Add the participant's vote (idempotent: voting twice keeps one vote); ``limiter`` counts per participant.

    The meeting's row and version are left alone: the count reaches clients in a batch.
    """
    concern, participant = _votable_concern(db, actor, concern_id, limiter)
    new_vote = {"concern_id": concern.id, "participant_id": participant.id, "created_at": utcnow()}
    added = db.connection().execute(_ADD_VOTE[db.get_bind().dialect.name == "postgresql"], new_vote)
    if added.first() is None:
        # Already voted (perhaps by a parallel request): nothing changed.
        db.rollback()
        db.refresh(concern)
        return concern
    _count_vote(db, concern, +1)
    db.commit()
    publisher().votes_changed(concern.meeting_id, [concern.id])
    return concern


def unvote(db: Session, actor: Actor, concern_id: int, *, limiter: Limiter) -> Concern:
    """Remove the participant's vote (idempotent: removing a missing vote changes nothing)."""
    concern, participant = _votable_concern(db, actor, concern_id, limiter)
    vote = {"concern_id": concern.id, "participant_id": participant.id}
    removed = db.connection().execute(_REMOVE_VOTE, vote).rowcount
    if not removed:
        db.rollback()
        db.refresh(concern)
        return concern
    _count_vote(db, concern, -1)
    db.commit()
    publisher().votes_changed(concern.meeting_id, [concern.id])
    return concern


def _highlighted_other(db: Session, concern: Concern) -> Concern | None:
    """Return the meeting's other highlighted concern, if any."""
    return db.scalar(
        select(Concern).where(
            Concern.meeting_id == concern.meeting_id, Concern.highlighted.is_(True), Concern.id != concern.id
        )
    )


def moderate(db: Session, actor: Actor, concern_id: int, payload: dict[str, Any]) -> Concern:
    """Approve, dismiss, answer, archive, edit, re-topic or highlight a concern (admin, facilitator)."""
    if not isinstance(payload, dict):
        raise ValidationError("Send the changes as a JSON object.")
    validation.reject_unknown(payload, MODERATION_FIELDS)
    concern = get_concern(db, concern_id)
    meeting = concern.meeting
    changes: dict[str, Any] = {}
    if "status" in payload:
        changes["status"] = validation.choice(payload["status"], "status", ConcernStatus, label="Status")
    if "highlighted" in payload:
        changes["highlighted"] = validation.boolean(payload["highlighted"], "highlighted")
    if "text" in payload:
        changes["text"] = _clean_text(payload["text"])
    if "topic_id" in payload:
        changes["topic_id"] = _clean_topic(meeting, payload["topic_id"])
    if not changes:
        raise ValidationError("Say what to change: status, highlighted, text or topic_id.", code="nothing_to_change")
    user = actor.require_meeting_manager()
    if changes.get("highlighted") is True and changes.get("status", concern.status) not in VISIBLE_STATUSES:
        raise Conflict("Approve this concern before highlighting it.", code="concern_not_visible")

    # Lock the meeting before touching the concern (the lock order every writer follows), then
    # re-read the concern so the before-state kept for undo is the one this change replaces.
    version = _bump_version(db, meeting)
    db.refresh(concern)
    before = concern.state()
    projector_before = _projector_state(meeting)
    if "text" in changes:
        concern.text = changes["text"]
    if "topic_id" in changes:
        concern.topic_id = changes["topic_id"]
    if "status" in changes:
        concern.change_status(changes["status"])
    if changes.get("highlighted") is True:
        concern.highlight()
    elif changes.get("highlighted") is False:
        concern.unhighlight()
    if concern.state() == before:
        db.rollback()  # nothing changed: no version bump, no log entry, no event
        # The state the caller gets is the one before this bump (or newer, read after the rollback):
        # leave the meeting's version at that lower bound, so a reply never claims a newer state.
        attributes.set_committed_value(meeting, "version", version - 1)
        return concern

    other = _highlighted_other(db, concern) if concern.highlighted else None
    other_before = other.state() if other is not None else None
    if other is not None:
        other.unhighlight()
    # Highlighting means "show this to the room": leave the join screen for the concerns.
    if concern.highlighted and meeting.projector_mode is ProjectorMode.join:
        meeting.projector_mode = ProjectorMode.concerns
    db.add(
        ModerationEntry(
            meeting_id=meeting.id,
            concern_id=concern.id,
            user_id=user.id,
            before=json.dumps({**before, "other_highlighted_id": other.id if other is not None else None}),
        )
    )
    projector = _projector_if_changed(meeting, projector_before)
    record(
        db,
        user,
        "concern.moderate",
        object_type="concern",
        object_id=concern.id,
        detail=f"{_where(meeting, concern)}: {_moderation_detail(before, concern.state())}",
    )
    db.commit()
    _publish_moderation(meeting, concern, before, other, other_before, projector, version)
    return concern


def _where(meeting: Meeting, concern: Concern) -> str:
    """Return "meeting K7P2QX, number 12": where a concern is, for the audit trail."""
    return f"meeting {meeting.code}, number {concern.number}"


def _moderation_detail(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Return what a moderation step changed, in the trail's words: statuses and switches, never the text."""
    changes = [(name, before[name], after[name]) for name in ("status", "highlighted", "topic_id", "text")]
    return describe_changes(
        [(name, old, new) for name, old, new in changes if old != new],
        with_values={"status", "highlighted", "topic_id"},
    )


def _publish_moderation(
    meeting: Meeting,
    concern: Concern,
    before: dict[str, Any],
    other: Concern | None,
    other_before: dict[str, Any] | None,
    projector: dict[str, Any] | None,
    version: int,
) -> None:
    """Send the events one committed moderation step causes."""
    events = publisher()
    events.concern_changed(concern, code=meeting.code, before=before, version=version)
    if other is not None:
        events.concern_changed(other, code=meeting.code, before=other_before, version=version)
    if projector is not None:
        events.projector_updated(meeting.code, projector)


def _projector_state(meeting: Meeting) -> tuple[ProjectorMode, int | None]:
    """Return what the projector shows: its mode and the highlighted concern's id."""
    return meeting.projector_mode, meeting.projector_concern_id


def _projector_if_changed(meeting: Meeting, before: tuple[ProjectorMode, int | None]) -> dict[str, Any] | None:
    """Return the projector object to announce when this change moved it, else None.

    Read inside the transaction (the query sees the flushed change), so nothing opens another
    transaction after the commit just to build the event.
    """
    return projector_to_dict(meeting) if _projector_state(meeting) != before else None


def undo_last(db: Session, actor: Actor, meeting: Meeting) -> Concern | None:
    """Restore the concern changed by the meeting's latest moderation step; None when nothing is left.

    Undoing again steps further back, one moderation step at a time.
    """
    user = actor.require_meeting_manager()
    # Under the meeting's lock, so two quick undos cannot both take the same step.
    version = _bump_version(db, meeting)
    entry = db.scalar(
        select(ModerationEntry)
        .where(ModerationEntry.meeting_id == meeting.id, ModerationEntry.undone.is_(False))
        .order_by(ModerationEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        db.rollback()
        return None
    saved = json.loads(entry.before)
    concern = get_concern(db, entry.concern_id)
    db.refresh(concern)
    previous = db.get(Concern, saved["other_highlighted_id"]) if saved.get("other_highlighted_id") else None
    involved = {
        c.id: c
        for c in db.scalars(select(Concern).where(Concern.meeting_id == meeting.id, Concern.highlighted.is_(True)))
    }
    involved[concern.id] = concern
    if previous is not None:
        involved[previous.id] = previous
    befores = {concern_id: c.state() for concern_id, c in involved.items()}
    projector_before = _projector_state(meeting)

    concern.text = saved["text"]
    concern.topic_id = saved["topic_id"] if _topic_still_exists(meeting, saved["topic_id"]) else None
    concern.change_status(ConcernStatus(saved["status"]))
    concern.unhighlight()
    pinned: Concern | None = None
    if saved["highlighted"] and concern.is_visible:
        pinned = concern
    elif previous is not None and previous.meeting_id == meeting.id and previous.is_visible:
        pinned = previous
    if pinned is not None:
        for other in involved.values():
            if other is not pinned:
                other.unhighlight()
        pinned.highlight()
    entry.undone = True
    projector = _projector_if_changed(meeting, projector_before)
    record(db, user, "concern.undo", object_type="concern", object_id=concern.id, detail=_where(meeting, concern))
    db.commit()

    events = publisher()
    for concern_id, changed in involved.items():
        if changed.state() != befores[concern_id]:
            events.concern_changed(changed, code=meeting.code, before=befores[concern_id], version=version)
    if projector is not None:
        events.projector_updated(meeting.code, projector)
    return concern


def _topic_still_exists(meeting: Meeting, topic_id: int | None) -> bool:
    """Return whether ``topic_id`` is still one of the series' topics (topics can be deleted)."""
    return topic_id is not None and meeting.series.topic_by_id(topic_id) is not None


def set_projector(
    db: Session,
    actor: Actor,
    meeting: Meeting,
    *,
    mode: object,
    concern_id: object = None,
    poll_id: object = None,
    action_index: object = None,
) -> Meeting:
    """Choose what the projector shows: the join screen, the concerns, a poll or the report-back.

    ``concern_id`` pins that concern, which means highlighting it (the highlight is the one truth
    of what is pinned); without it the highlight stays as it is, whatever the mode. In
    ``report_back`` mode ``action_index`` picks the slide (0-based, in report-back order), kept
    within the list so stepping past either end stays on the first or last action.
    """
    clean_mode = validation.choice(mode, "mode", ProjectorMode, label="Projector mode")
    clean_concern = validation.optional_integer(concern_id, "concern_id", minimum=1, label="Concern")
    clean_poll = validation.optional_integer(poll_id, "poll_id", minimum=1, label="Poll")
    clean_index = validation.optional_integer(action_index, "action_index", minimum=0, label="Action number")
    user = actor.require_meeting_manager()
    if (
        clean_mode is ProjectorMode.survey
        and db.scalar(select(Survey.id).where(Survey.meeting_id == meeting.id)) is None
    ):
        raise Conflict("This meeting has no survey to show. Create it on the meeting's page first.", code="no_survey")
    if clean_mode is ProjectorMode.poll and clean_poll is None:
        raise ValidationError("Choose the poll to show.", field="poll_id", code="required")
    if clean_poll is not None:
        projector_poll(db, meeting, clean_poll)  # 404 unless it is one of this meeting's polls
    if clean_mode is ProjectorMode.report_back:
        last = max(0, len(report_back(db, meeting)) - 1)
        clean_index = min(clean_index or 0, last)
    else:
        clean_index = meeting.projector_action_index
    concern = None
    if clean_concern is not None:
        concern = db.get(Concern, clean_concern)
        if concern is None or concern.meeting_id != meeting.id or not concern.is_visible:
            raise ValidationError(
                "Choose a concern of this meeting that the room can see.",
                field="concern_id",
                code="concern_not_visible",
            )
    version = _bump_version(db, meeting)
    meeting.projector_mode = clean_mode
    meeting.projector_action_index = clean_index
    if clean_poll is not None:
        meeting.projector_poll_id = clean_poll
    changed: list[tuple[Concern, dict[str, Any]]] = []
    if concern is not None:
        db.refresh(concern)
        changed = _pin(db, meeting, concern, user_id=user.id)
    projector = projector_to_dict(meeting)
    record(
        db,
        user,
        "meeting.projector",
        object_type="meeting",
        object_id=meeting.code,
        detail=f"mode {clean_mode.value}"
        + (f", pinned number {concern.number}" if concern is not None else "")
        + (f", poll {clean_poll}" if clean_poll is not None else ""),
    )
    db.commit()
    events = publisher()
    for pinned_or_unpinned, before in changed:
        events.concern_changed(pinned_or_unpinned, code=meeting.code, before=before, version=version)
    events.projector_updated(meeting.code, projector)
    return meeting


def _pin(db: Session, meeting: Meeting, concern: Concern, *, user_id: int) -> list[tuple[Concern, dict[str, Any]]]:
    """Highlight ``concern`` in place of the meeting's highlighted one, as an undoable step; return what changed."""
    if concern.highlighted:
        return []
    before = concern.state()
    other = _highlighted_other(db, concern)
    changed: list[tuple[Concern, dict[str, Any]]] = []
    if other is not None:
        changed.append((other, other.state()))
        other.unhighlight()
    concern.highlight()
    changed.insert(0, (concern, before))
    db.add(
        ModerationEntry(
            meeting_id=meeting.id,
            concern_id=concern.id,
            user_id=user_id,
            before=json.dumps({**before, "other_highlighted_id": other.id if other is not None else None}),
        )
    )
    return changed


def meeting_counters(db: Session, meeting: Meeting) -> dict[str, int]:
    """Return the console's live counters: participants joined, concerns raised, votes cast, pending."""
    participants = db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) or 0
    participants += meeting.purged_participants or 0  # those the retention period deleted still came
    concerns, votes, pending = db.execute(
        select(
            func.count(Concern.id),
            func.coalesce(func.sum(Concern.votes), 0),
            func.count(Concern.id).filter(Concern.status == ConcernStatus.pending),
        ).where(Concern.meeting_id == meeting.id)
    ).one()
    return {"participants": int(participants), "concerns": int(concerns), "votes": int(votes), "pending": int(pending)}


def purge_meeting_data(db: Session, meeting_ids: list[int], *, dry_run: bool = False) -> dict[str, int]:
    """Delete what attendees said and who voted in these meetings; return how much (or would be, with ``dry_run``).

    Past the retention period a concern keeps its row (number, topic, status, source, date and its
    vote count), so counts per meeting and topic and the links from actions survive; its text and
    the name given with it go, as do the votes (which participant voted for what), the link to the
    participant who raised it, and the moderation history (it holds earlier texts, for undo).
    The caller commits.
    """
    in_meetings = Concern.meeting_id.in_(meeting_ids)
    concern_ids = select(Concern.id).where(in_meetings)
    counts = {
        "concern texts": db.scalar(select(func.count(Concern.id)).where(in_meetings, Concern.text != "")) or 0,
        "names given with concerns": db.scalar(
            select(func.count(Concern.id)).where(in_meetings, Concern.author_name.is_not(None))
        )
        or 0,
        "votes": db.scalar(select(func.count(Vote.id)).where(Vote.concern_id.in_(concern_ids))) or 0,
        "moderation history entries": db.scalar(
            select(func.count(ModerationEntry.id)).where(ModerationEntry.meeting_id.in_(meeting_ids))
        )
        or 0,
    }
    if not dry_run:
        db.execute(delete(ModerationEntry).where(ModerationEntry.meeting_id.in_(meeting_ids)))
        db.execute(delete(Vote).where(Vote.concern_id.in_(concern_ids)))
        db.execute(update(Concern).where(in_meetings).values(text="", author_name=None, participant_id=None))
    return counts
