"""Socket.IO connection handling: who may join which meeting room, and the snapshot."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError as Refused
from flask_socketio import SocketIO, join_room
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ysdw_live.actors import Actor
from ysdw_live.auth import services as auth
from ysdw_live.auth.models import User
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.serializers import concern_to_dict
from ysdw_live.db import declare_writer, get_session
from ysdw_live.errors import DomainError
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.meetings.serializers import meeting_to_dict, projector_to_dict
from ysdw_live.realtime.presence import presence
from ysdw_live.realtime.publisher import publisher
from ysdw_live.realtime.rooms import ATTENDEE, MODERATOR, PROJECTOR, meeting_room, participant_room, role_room
from ysdw_live.web import PARTICIPANT_COOKIE, staff_user

ROLES = (ATTENDEE, PROJECTOR, MODERATOR)
AUTH_KEYS = {"meeting", "role", "token"}
TOKEN_MAX = 256
AUTH_HELP = "Send auth: {meeting: code, role: attendee|projector|moderator, token?: string}."


def register(socketio: SocketIO) -> None:
    """Attach the connection handlers to ``socketio``."""

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        """Check the handshake, join the rooms, and send the meeting snapshot."""
        code, role, token = _parse_auth(auth)
        db = get_session()
        try:
            meeting = meetings.get_meeting(db, code)
        except DomainError as error:
            raise Refused(error.message) from None
        caller = _authorise(db, meeting, role, token)
        join_room(meeting_room(meeting.code))
        join_room(role_room(meeting.code, role))
        if caller.participant is not None:
            join_room(participant_room(meeting.code, caller.participant.id))
        snapshot = meeting_snapshot(db, meeting, caller, role)
        counts = None
        if caller.participant is not None:
            connected = presence(current_app._get_current_object()).connected(  # type: ignore[attr-defined]
                _sid(), meeting.code, caller.participant.id
            )
            counts = _presence_counts(db, meeting, connected)
        # End the read before any network I/O: under eventlet or gevent an emit may yield, and a
        # transaction held across it would block every other writer (SQLite takes the lock early).
        db.rollback()
        socketio.emit("meeting:snapshot", snapshot, to=_sid())
        if counts is not None:
            publisher().presence_updated(meeting.code, **counts)

    @socketio.on("disconnect")
    def on_disconnect(*_reason: Any) -> None:
        """Count an attendee's closed connection out and tell the moderators."""
        gone = presence(current_app._get_current_object()).disconnected(_sid())  # type: ignore[attr-defined]
        if gone is None:
            return
        code, connected = gone
        db = get_session()
        try:
            meeting = meetings.get_meeting(db, code)
        except DomainError:
            return
        counts = _presence_counts(db, meeting, connected)
        db.rollback()
        publisher().presence_updated(meeting.code, **counts)


def _presence_counts(db: Session, meeting: Meeting, connected: int) -> dict[str, int]:
    """Return the console's connected and joined counts for ``meeting``."""
    joined = db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) or 0
    return {"connected": connected, "participants": int(joined), "version": meeting.version}


def _parse_auth(auth: Any) -> tuple[str, str, str | None]:
    """Return (code, role, token) from the handshake's auth object, or refuse the connection."""
    if not isinstance(auth, dict) or set(auth) - AUTH_KEYS:
        raise Refused(AUTH_HELP)
    code, role, token = auth.get("meeting"), auth.get("role"), auth.get("token")
    if not isinstance(code, str) or role not in ROLES:
        raise Refused(AUTH_HELP)
    if token is not None and (not isinstance(token, str) or not token or len(token) > TOKEN_MAX):
        raise Refused(AUTH_HELP)
    return code, role, token


def _authorise(db: Session, meeting: Meeting, role: str, token: str | None) -> Actor:
    """Return who is connecting in ``role``, or refuse when they may not take it."""
    if role == MODERATOR:
        user = _staff_from_token(db, token) if token is not None else _staff_from_login()
        if user is None:
            raise Refused("Log in as staff to open the facilitator view.")
        return Actor(user=user)
    if role == ATTENDEE:
        participant = meetings.find_participant(db, meeting, token or request.cookies.get(PARTICIPANT_COOKIE))
        if participant is None:
            raise Refused("Join this meeting first: open its join link.")
        return Actor(participant=participant)
    return Actor()


def _staff_from_token(db: Session, token: str) -> User | None:
    """Return the active staff user owning the bearer ``token``."""
    declare_writer()  # using a token notes its use (at most once a minute)
    return auth.user_for_token(db, token)


def _staff_from_login() -> User | None:
    """Return the staff user of the handshake's login cookie (or Authorization header)."""
    try:
        return staff_user()
    except DomainError:
        return None


def meeting_snapshot(db: Session, meeting: Meeting, caller: Actor, role: str) -> dict[str, Any]:
    """Return the snapshot a connection in ``role`` may see, with ``voted`` right for an attendee."""
    listed = concerns.list_concerns(db, caller, meeting, sort="top")
    voted: set[int] = set()
    if isinstance(caller.participant, Participant):
        voted = concerns.voted_concern_ids(db, caller.participant, meeting)
    snapshot: dict[str, Any] = {
        "meeting": meeting_to_dict(meeting, current_app.config["PUBLIC_URL"]),
        "concerns": [concern_to_dict(c, voted=c.id in voted) for c in listed],
        "polls": [],
        "projector": projector_to_dict(meeting),
        "version": meeting.version,
    }
    if role == MODERATOR:
        snapshot["counters"] = {
            **concerns.meeting_counters(db, meeting),
            "connected": presence(current_app._get_current_object()).count(meeting.code),  # type: ignore[attr-defined]
        }
    return snapshot


def _sid() -> str:
    """Return the Socket.IO session id of the current connection."""
    return request.sid  # type: ignore[attr-defined]
