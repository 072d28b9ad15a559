"""Socket.IO connection handling: who may join which meeting room, and the snapshot."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_socketio import SocketIO, join_room
from flask_socketio import ConnectionRefusedError as Refused

from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.serializers import meeting_to_dict, projector_to_dict
from ysdw_live.realtime.publisher import meeting_room, role_room

ROLES = ("attendee", "projector", "moderator")


def register(socketio: SocketIO) -> None:
    """Attach the connection handlers to ``socketio``."""

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        """Check the handshake, join the rooms, and send the meeting snapshot."""
        if not isinstance(auth, dict):
            raise Refused("Send auth: {meeting, role}.")
        code, role, token = auth.get("meeting"), auth.get("role"), auth.get("token")
        if not isinstance(code, str) or role not in ROLES or (token is not None and not isinstance(token, str)):
            raise Refused("Send auth: {meeting: code, role: attendee|projector|moderator}.")
        db = get_session()
        try:
            meeting = meetings.get_meeting(db, code)
        except DomainError as error:
            raise Refused(error.message) from None
        join_room(meeting_room(meeting.code))
        join_room(role_room(meeting.code, role))
        snapshot = {
            "meeting": meeting_to_dict(meeting, current_app.config["PUBLIC_URL"]),
            "concerns": [],
            "polls": [],
            "projector": projector_to_dict(meeting),
            "version": meeting.version,
        }
        socketio.emit("meeting:snapshot", snapshot, to=_sid())


def _sid() -> str:
    """Return the Socket.IO session id of the current connection."""
    from flask import request

    return request.sid  # type: ignore[attr-defined]
