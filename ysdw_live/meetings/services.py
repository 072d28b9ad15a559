"""Meeting use cases: create, edit, change status, look up by code, join as a participant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import describe_changes, record
from ysdw_live.errors import Conflict, DomainError, NotAuthenticated, NotFound, ValidationError
from ysdw_live.i18n import gettext
from ysdw_live.meetings.models import (
    TITLE_MAX,
    VENUE_MAX,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Participant,
    hash_device_token,
    new_code,
    new_device_token,
    normalise_code,
)
from ysdw_live.ratelimit import Limiter
from ysdw_live.realtime.publisher import publisher
from ysdw_live.series.services import get_series

EDITABLE_FIELDS = {"title", "starts_at", "venue", "mode", "moderation", "status"}

# What another domain does when a meeting changes status, in the same transaction (the meetings
# domain cannot import the domains built on it). A hook gets the session, the meeting and its new
# status, changes its own rows, and returns what to announce once the change is committed (or
# None). Polls close with their meeting (``polls.services`` registers that when it is imported,
# as the application does at start).
StatusHook = Callable[[Session, Meeting, MeetingStatus], Callable[[], None] | None]
STATUS_HOOKS: list[StatusHook] = []


def create_meeting(
    db: Session,
    actor: Actor,
    series_id: int,
    *,
    title: object,
    starts_at: object = None,
    venue: object = "",
    mode: object = "in_person",
    moderation: object = True,
) -> Meeting:
    """Create a draft meeting in a series with a fresh unique join code (admin, facilitator)."""
    series = get_series(db, series_id)
    values = _clean_fields(
        {"title": title, "starts_at": starts_at, "venue": venue, "mode": mode, "moderation": moderation}
    )
    user = actor.require_meeting_manager()
    for _attempt in range(20):
        meeting = Meeting(series=series, code=new_code(), status=MeetingStatus.draft, **values)
        db.add(meeting)
        try:
            db.flush()
            record(
                db, user, "meeting.create", object_type="meeting", object_id=meeting.code, detail=f"series {series.id}"
            )
            db.commit()
        except IntegrityError:
            # A code collision (1 in a billion per pair) is retried with a new code.
            db.rollback()
            continue
        return meeting
    raise DomainError("Could not find a free meeting code; try again.", code="code_exhausted")


def _clean_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable fields present in ``payload``; every problem is reported at once."""
    checks: dict[str, Callable[[Any], Any]] = {
        "title": lambda value: validation.text(
            value, "title", max_length=TITLE_MAX, label="Title", missing="Enter a title for the meeting"
        ),
        "starts_at": lambda value: validation.timestamp(value, "starts_at", label="Start time"),
        "venue": lambda value: validation.text(value, "venue", max_length=VENUE_MAX, required=False, label="Venue"),
        "mode": lambda value: validation.choice(value, "mode", MeetingMode, label="Mode"),
        "moderation": lambda value: validation.boolean(value, "moderation"),
    }
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    first: ValidationError | None = None
    for name, check in checks.items():
        if name not in payload:
            continue
        try:
            values[name] = check(payload[name])
        except ValidationError as error:
            first = first or error
            problems.update(error.fields or {name: error.message})
    if first is not None:
        if len(problems) == 1:
            raise first
        raise ValidationError(first.message, code=first.code, fields=problems)
    return values


def check_details(payload: dict[str, Any], problems: dict[str, str]) -> None:
    """Raise one ValidationError naming ``problems`` (found by the form) and any in ``payload``'s fields."""
    try:
        _clean_fields(payload)
    except ValidationError as error:
        problems = {**problems, **error.fields}
    if problems:
        raise ValidationError(next(iter(problems.values())), fields=dict(sorted(problems.items(), key=_form_order)))


FORM_ORDER = ("title", "starts_at", "starts_at_time", "venue", "mode", "moderation")


def _form_order(item: tuple[str, str]) -> int:
    """Sort key: where the field sits on the meeting form, so the error summary reads top to bottom."""
    return FORM_ORDER.index(item[0]) if item[0] in FORM_ORDER else len(FORM_ORDER)


def update_meeting(db: Session, actor: Actor, code: str, payload: dict[str, Any]) -> Meeting:
    """Change a meeting's details or status (admin, facilitator) and tell everyone in it."""
    meeting = get_meeting(db, code)
    validation.reject_unknown(payload, EDITABLE_FIELDS)
    values = _clean_fields(payload)
    status = (
        validation.choice(payload["status"], "status", MeetingStatus, label="Status") if "status" in payload else None
    )
    user = actor.require_meeting_manager()
    changes: list[tuple[str, Any, Any]] = []
    # The status moves first: a refused move raises before any detail is touched.
    status_changed = status is not None and status is not meeting.status
    if status_changed:
        changes.append(("status", meeting.status, status))
        meeting.change_status(status)  # bumps the version itself
    details_changed = False
    for name, value in values.items():
        if getattr(meeting, name) != value:
            changes.append((name, getattr(meeting, name), value))
            setattr(meeting, name, value)
            details_changed = True
    if details_changed and not status_changed:
        meeting.bump_version()
    if not (status_changed or details_changed):
        return meeting
    announcements = [hook(db, meeting, meeting.status) for hook in STATUS_HOOKS] if status_changed else []
    record(
        db,
        user,
        "meeting.update",
        object_type="meeting",
        object_id=meeting.code,
        detail=describe_changes(changes, with_values={"status", "mode", "moderation"}),
    )
    commit_with_version(db, meeting)
    publisher().meeting_updated(meeting)
    for announce in announcements:
        if announce is not None:
            announce()
    return meeting


def commit_with_version(db: Session, meeting: Meeting) -> None:
    """Commit a change that bumped the version, reading the new version inside the transaction.

    The bump runs in SQL, so the attribute is expired by the flush; loading it before the
    commit means nothing opens a new transaction later just to read it.
    """
    db.flush()
    db.refresh(meeting, ["version"])
    db.commit()


def get_meeting(db: Session, code: str) -> Meeting:
    """Return the meeting with join code ``code`` (any letter case) or raise NotFound."""
    normalised = normalise_code(code) if isinstance(code, str) else None
    meeting = None
    if normalised is not None:
        meeting = db.scalar(select(Meeting).options(joinedload(Meeting.series)).where(Meeting.code == normalised))
    if meeting is None:
        raise NotFound(
            gettext("There is no meeting with that code. Check the code and try again."), code="meeting_not_found"
        )
    return meeting


# A socket's handshake: the meeting and this device's participant in it, in one query.
_MEETING_AND_PARTICIPANT = (
    select(Meeting, Participant)
    .outerjoin(Participant, and_(Participant.meeting_id == Meeting.id, Participant.device_hash == bindparam("device")))
    .where(Meeting.code == bindparam("code"))
)


def meeting_and_participant(db: Session, code: str, token: str | None) -> tuple[Meeting, Participant | None]:
    """Return the meeting with ``code`` and this device's participant in it (None if it has not joined).

    One query for what a thousand phones connecting at once each need; NotFound for an unknown code.
    """
    normalised = normalise_code(code) if isinstance(code, str) else None
    device = hash_device_token(token) if token and len(token) <= 128 else ""
    row = db.execute(_MEETING_AND_PARTICIPANT, {"code": normalised, "device": device}).first() if normalised else None
    if row is None:
        raise NotFound(
            gettext("There is no meeting with that code. Check the code and try again."), code="meeting_not_found"
        )
    return row[0], row[1]


@dataclass
class Dashboard:
    """Meetings grouped the way a facilitator looks for them."""

    live: list[Meeting] = field(default_factory=list)
    upcoming: list[Meeting] = field(default_factory=list)
    past: list[Meeting] = field(default_factory=list)


def dashboard(db: Session, actor: Actor) -> Dashboard:
    """Return every meeting grouped into live, upcoming (drafts) and past (closed)."""
    actor.require_staff()
    groups = Dashboard()
    meetings = db.scalars(
        select(Meeting)
        .options(joinedload(Meeting.series))
        .order_by(Meeting.starts_at.is_(None), Meeting.starts_at, Meeting.id)
    )
    for meeting in meetings:
        {MeetingStatus.live: groups.live, MeetingStatus.draft: groups.upcoming, MeetingStatus.closed: groups.past}[
            meeting.status
        ].append(meeting)
    groups.past.reverse()
    return groups


def meetings_of_series(db: Session, series_id: int) -> list[Meeting]:
    """Return a series' meetings in the order they happen."""
    return list(
        db.scalars(
            select(Meeting)
            .where(Meeting.series_id == series_id)
            .order_by(Meeting.starts_at.is_(None), Meeting.starts_at, Meeting.id)
        )
    )


# A whole room shares one venue Wi-Fi address: 1,000 phones must get in within any minute. Both
# budgets are moving windows (ratelimit.py): a burst across a minute's boundary gets no more.
JOIN_LIMIT_PER_ADDRESS = (1200, 60)
# Every address together, per meeting: room for the largest real room (and a few hundred online)
# within any minute, above one address's budget so that one address alone cannot lock a meeting.
JOIN_LIMIT_PER_MEETING = (2000, 60)
TOKEN_MAX = 128


def join(
    db: Session,
    meeting: Meeting,
    token: str | None,
    *,
    address_key: str | None = None,
    limiter: Limiter | None = None,
    replace_unknown: bool = False,
) -> tuple[Participant, str]:
    """Return the participant for this device in ``meeting``, creating it; and the device token.

    Only the server mints tokens. A token it issued (to this device, in any meeting) keeps one
    anonymous device identity across meetings. A token it never issued is never adopted: it is
    a 401, or, with ``replace_unknown`` (a browser's cookie, which its page cannot clear), the
    device gets a freshly minted token instead. New participants are limited per (hashed) network
    address and per meeting, generously, to stop scripts: an adapter passes the caller's
    ``address_key`` with the app's ``limiter`` (the CLI and tests pass neither).
    """
    if address_key is not None and limiter is None:
        raise TypeError("join() counts an address_key against a limiter: pass both")
    if token:
        existing = find_participant(db, meeting, token)
        if existing is not None:
            return existing, token
        if not _issued(db, token):
            if not replace_unknown:
                raise NotAuthenticated(
                    gettext(
                        "That participant token was not issued by this server, or has expired. "
                        "Join without one to get a new token."
                    ),
                    code="unknown_participant",
                )
            token = None
    token = token or new_device_token()
    device_hash = hash_device_token(token)
    if address_key is not None and limiter is not None:
        limiter.check(
            "join-address",
            address_key,
            *JOIN_LIMIT_PER_ADDRESS,
            message="Too many people joined from this network just now. Wait a minute and try again.",
        )
        limiter.check(
            "join-meeting",
            meeting.id,
            *JOIN_LIMIT_PER_MEETING,
            message="Too many people are joining this meeting just now. Wait a minute and try again.",
        )
    participant = Participant(meeting=meeting, device_hash=device_hash)
    db.add(participant)
    try:
        db.commit()
    except IntegrityError:
        # Two tabs of one phone joined at once: the other request created it.
        db.rollback()
        participant = db.scalar(
            select(Participant).where(Participant.meeting_id == meeting.id, Participant.device_hash == device_hash)
        )
        if participant is None:  # not an assert: `python -O` would drop it and return None
            raise RuntimeError("the participant whose insert won the race is gone") from None
    return participant, token


def _issued(db: Session, token: str) -> bool:
    """Return whether the server issued ``token``: some meeting has a participant with its hash."""
    if len(token) > TOKEN_MAX:
        return False
    issued = select(Participant.id).where(Participant.device_hash == hash_device_token(token)).limit(1)
    return db.scalar(issued) is not None


def find_participant(db: Session, meeting: Meeting, token: str | None) -> Participant | None:
    """Return this device's participant in ``meeting`` without creating one."""
    if not token or len(token) > 128:
        return None
    return db.scalar(
        select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.device_hash == hash_device_token(token)
        )
    )


def purge_participants(db: Session, meeting_ids: list[int], *, dry_run: bool = False) -> dict[str, int]:
    """Delete these meetings' participants (each phone's anonymous identity); return how many (or would be).

    Runs after every other domain's purger (anything kept per participant is gone by then). Each
    meeting adds the number to ``purged_participants``, so its head count survives. The caller commits.
    """
    per_meeting = dict(
        db.execute(
            select(Participant.meeting_id, func.count(Participant.id))
            .where(Participant.meeting_id.in_(meeting_ids))
            .group_by(Participant.meeting_id)
        ).all()
    )
    if not dry_run and per_meeting:
        db.execute(
            update(Meeting)
            .where(Meeting.id.in_(list(per_meeting)))
            .values(
                purged_participants=Meeting.purged_participants + case(per_meeting, value=Meeting.id, else_=0)  # type: ignore[arg-type]
            )
        )
        db.execute(delete(Participant).where(Participant.meeting_id.in_(meeting_ids)))
    return {"participants": sum(per_meeting.values())}


def participant_total(db: Session, meeting: Meeting) -> int:
    """Return how many participants ``meeting`` had: those still kept plus those retention deleted."""
    kept = db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) or 0
    return int(kept) + (meeting.purged_participants or 0)


# ---------------------------------------------------------------------------------------------
# Kiosk: a shared tablet at the door, started by staff, taking one person at a time
# ---------------------------------------------------------------------------------------------

# People one kiosk may take in any minute, each a new participant. A person needs half a minute or
# more to type a concern, so 20 leaves room for a queue of quick ones while stopping a script. The
# kiosk counts here, in place of its network address's budget (it shares the venue's address with
# the room), and still against the meeting's budget.
JOIN_LIMIT_PER_KIOSK = (20, 60)
# A kiosk lasts as long as a staff login may: a tablet left on overnight is not a kiosk the next day.
KIOSK_HOURS = 12


@dataclass(frozen=True)
class KioskPass:
    """What a browser in kiosk mode holds (signed, in its session): which meeting, which kiosk, since when."""

    meeting_id: int
    code: str
    key: str
    started_by: int
    started_at: int  # seconds since the epoch

    def lasts(self, now: int) -> bool:
        """Whether the kiosk still runs at ``now`` (seconds since the epoch)."""
        return 0 <= now - self.started_at < KIOSK_HOURS * 3600


def start_kiosk(db: Session, actor: Actor, meeting: Meeting, *, now: int) -> KioskPass:
    """Turn the caller's browser into a kiosk of ``meeting``: admins and facilitators only; recorded."""
    user = actor.require_meeting_manager()
    if meeting.purged_at is not None:
        raise Conflict(gettext("This meeting's attendee data was deleted: it cannot take concerns or answers."))
    kiosk = KioskPass(
        meeting_id=meeting.id, code=meeting.code, key=new_device_token(), started_by=user.id, started_at=now
    )
    record(db, user, "kiosk.start", object_type="meeting", object_id=meeting.code)
    db.commit()
    return kiosk


def kiosk_participant(db: Session, meeting: Meeting, kiosk: KioskPass, *, limiter: Limiter) -> Participant:
    """Add a new participant for one person's use of a kiosk, not yet committed.

    The caller commits it together with what the person sent (a concern, a survey response), or
    rolls both back: a use that sends nothing leaves no participant. Nobody ever holds its token.
    """
    if kiosk.meeting_id != meeting.id:
        raise NotFound(gettext("This kiosk belongs to another meeting."), code="meeting_not_found")
    limiter.check(
        "join-kiosk",
        kiosk.key,
        *JOIN_LIMIT_PER_KIOSK,
        message="This kiosk has taken many people in the last minute. Wait a minute and try again.",
    )
    limiter.check(
        "join-meeting",
        meeting.id,
        *JOIN_LIMIT_PER_MEETING,
        message="Too many people are joining this meeting just now. Wait a minute and try again.",
    )
    participant = Participant(meeting=meeting, device_hash=hash_device_token(new_device_token()))
    db.add(participant)
    db.flush()
    return participant
