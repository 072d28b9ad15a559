"""Socket.IO connection handling: who may join which meeting room, and the snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import ConnectionRefusedError as Refused
from flask_socketio import SocketIO, join_room
from sqlalchemy.orm import Session

from ysdw_live.actors import Actor
from ysdw_live.auth import services as auth
from ysdw_live.auth.models import User
from ysdw_live.db import declare_writer, get_session
from ysdw_live.errors import DomainError
from ysdw_live.live import services as live
from ysdw_live.meetings import services as meetings
from ysdw_live.realtime.batching import poll_batcher, vote_batcher
from ysdw_live.realtime.presence import presence, presence_announcer, screen_presence
from ysdw_live.realtime.rooms import (
    ATTENDEE,
    MODERATOR,
    PROJECTOR,
    meeting_room,
    participant_room,
    role_room,
    staff_room,
)
from ysdw_live.web import PARTICIPANT_COOKIE, check_code_lookup, count_code_miss, staff_user

ROLES = (ATTENDEE, PROJECTOR, MODERATOR)
AUTH_KEYS = {"meeting", "role", "token"}
TOKEN_MAX = 256
# How many snapshots one connect may send while changes keep overtaking them (see send_snapshot).
SNAPSHOT_ATTEMPTS = 3
AUTH_HELP = "Send auth: {meeting: code, role: attendee|projector|moderator, token?: string}."


def register(socketio: SocketIO) -> None:
    """Attach the connection handlers to ``socketio``."""

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        """Check the handshake, join the rooms, and send the meeting snapshot (see ``send_snapshot``).

        An attendee's handshake costs one query before the snapshot: a thousand phones connect
        within seconds when a meeting starts.
        """
        code, role, token = _parse_auth(auth)
        db = get_session()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            check_code_lookup(code)
            if role == ATTENDEE:
                device = token or request.cookies.get(PARTICIPANT_COOKIE)
                meeting, participant = meetings.meeting_and_participant(db, code, device)
                if participant is None:
                    raise Refused("Join this meeting first: open its join link.")
                caller = Actor(participant=participant)
            else:
                meeting = meetings.get_meeting(db, code)
                caller = _authorise(db, role, token)
        except DomainError as error:
            raise Refused(count_code_miss(error).message) from None
        # Plain values from here on: the reads below end their transactions, which expires objects.
        room = LiveRoom(meeting.id, meeting.code, caller.participant.id if caller.participant is not None else None)
        rooms = [meeting_room(room.code), role_room(room.code, role)]
        if room.participant_id is not None:
            rooms.append(participant_room(room.code, room.participant_id))
            presence(app).connected(_sid(), room.code, room.participant_id)
            presence_announcer(app).mark(room.code)
        elif role == PROJECTOR:
            # Each open projector view is a screen: the console shows whether the big screen is on.
            screen_presence(app).connected(_sid(), room.code, _sid())
            presence_announcer(app).mark(room.code)
        if caller.user is not None:
            # Ending the user's sessions (or revoking their tokens) closes this room and disconnects us.
            rooms.append(staff_room(caller.user.id, by_token=token is not None))
        # End the read before any network I/O: under eventlet or gevent an emit may yield, and a
        # transaction held across it would block every other writer (SQLite takes the lock early).
        db.rollback()
        send_snapshot(socketio, db, room, caller, role, rooms)

    @socketio.on("disconnect")
    def on_disconnect(*_reason: Any) -> None:
        """Count a closed attendee or projector connection out; the moderators hear of it on the next tick."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        gone = presence(app).disconnected(_sid()) or screen_presence(app).disconnected(_sid())
        if gone is not None:
            presence_announcer(app).mark(gone[0])


@dataclass(frozen=True)
class LiveRoom:
    """The meeting a connection joined, and its participant (for an attendee), as plain values."""

    meeting_id: int
    code: str
    participant_id: int | None


def _parse_auth(auth: Any) -> tuple[str, str, str | None]:
    """Return (code, role, token) from the handshake's auth object, or refuse the connection."""
    if not isinstance(auth, dict) or set(auth) - AUTH_KEYS:
        raise Refused(AUTH_HELP)
    code, role, token = auth.get("meeting"), auth.get("role"), auth.get("token")
    if not isinstance(code, str) or role not in ROLES:
        raise Refused(AUTH_HELP)
    # Every token the server mints is ASCII; anything else (a lone surrogate cannot even be hashed) is refused.
    if token is not None and (not isinstance(token, str) or not token or len(token) > TOKEN_MAX or not token.isascii()):
        raise Refused(AUTH_HELP)
    return code, role, token


def _authorise(db: Session, role: str, token: str | None) -> Actor:
    """Return who is connecting as a moderator or projector, or refuse a moderator who is not staff.

    (An attendee is found with its meeting, in one query, by the connect handler.)
    """
    if role == MODERATOR:
        user = _staff_from_token(db, token) if token is not None else _staff_from_login()
        if user is None:
            raise Refused("Log in as staff to open the facilitator view.")
        caller = Actor(user=user)
        try:
            caller.require_staff()
        except DomainError as error:
            raise Refused(error.message) from None
        return caller
    return Actor()


def _staff_from_token(db: Session, token: str) -> User | None:
    """Return the active staff user owning the bearer ``token`` (None when unknown, revoked or expired)."""
    declare_writer()  # using a token notes its use (at most once a minute)
    try:
        return auth.user_for_token(db, token)
    except DomainError:
        return None


def _staff_from_login() -> User | None:
    """Return the staff user of the handshake's login cookie (or Authorization header)."""
    try:
        return staff_user()
    except DomainError:
        return None


def send_snapshot(socketio: SocketIO, db: Session, room: LiveRoom, caller: Actor, role: str, rooms: list[str]) -> None:
    """Join ``rooms`` and send this connection a snapshot that no newer event can arrive before.

    The order, and what it guarantees:

    1. Join the rooms first, then read the snapshot (one consistent read, version V). Every change
       committed after that read is published after its commit, so after the join: no event newer
       than V can miss this connection.
    2. Emit the snapshot, then read the committed version again. If it is still V, nothing was
       committed between the read and the emit, so every event newer than V is published after the
       snapshot was queued for this connection and arrives after it. If it moved, an event newer
       than V may have overtaken the snapshot (and an older client would let the snapshot wipe it),
       so read and send a fresh snapshot, up to ``SNAPSHOT_ATTEMPTS`` times.

    With a message queue (Redis) the same holds: an emit is delivered in this process at once and
    published to the others, and each process's listener delivers in publishing order, so an
    event committed after the re-read reaches this connection after the snapshot. Not guaranteed:
    events committed before the read (version <= V) can still arrive after the snapshot, late;
    clients ignore them by version. Under a steady stream of changes the last attempt may still
    be overtaken; ``concern-store.js`` therefore buffers events until the snapshot arrives and
    replays those newer than it. Delivery is at most once: a connection that drops catches up
    from the snapshot of its reconnect. Vote counts carry no meeting version: they are ordered by
    the batch number ``seq``, and the snapshot's ``vote_seq`` says which batches it already holds
    (``poll_seq`` likewise for ``poll:results``).
    """
    for name in rooms:
        join_room(name)
    batcher = vote_batcher(current_app._get_current_object())  # type: ignore[attr-defined]
    for _attempt in range(SNAPSHOT_ATTEMPTS):
        # The latest vote batch number first, then the counts in a read begun after it (read_snapshot
        # starts a fresh transaction): the batches up to that number took their marks earlier, so
        # they hold no vote the snapshot lacks and the client may drop them (see batching.py).
        vote_seq = batcher.current_seq(room.meeting_id)
        poll_seq = poll_batcher(current_app._get_current_object()).current_seq(room.meeting_id)  # type: ignore[attr-defined]
        snapshot = {
            **snapshot_for(db, room, caller, role, poll_seq=poll_seq),
            "vote_seq": vote_seq,
            "poll_seq": poll_seq,
        }
        socketio.emit("meeting:snapshot", snapshot, to=_sid())
        if live.current_version(db, room.meeting_id) == snapshot["version"]:
            return


def snapshot_for(
    db: Session, room: LiveRoom, caller: Actor, role: str, *, poll_seq: int | None = None
) -> dict[str, Any]:
    """Return the snapshot a connection in ``role`` may see, with ``voted`` right for an attendee."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return live.read_snapshot(
        db,
        room.meeting_id,
        caller,
        staff=role == MODERATOR,
        participant_id=room.participant_id,
        public_url=app.config["PUBLIC_URL"],
        cache=snapshot_cache(app),
        connected=lambda: presence(app).count(room.code),
        screens=lambda: screen_presence(app).count(room.code),
        projector=role == PROJECTOR,
        poll_seq=poll_seq,
    )


def snapshot_cache(app: Flask) -> live.SnapshotCache:
    """Return this process's snapshot cache for ``app``."""
    cache = app.extensions.get("ysdw_snapshot_cache")
    if cache is None:
        cache = app.extensions.setdefault("ysdw_snapshot_cache", live.SnapshotCache())
    return cache


def _sid() -> str:
    """Return the Socket.IO session id of the current connection."""
    return request.sid  # type: ignore[attr-defined]
