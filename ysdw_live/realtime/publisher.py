"""The one publisher: services call it after they commit; only this package emits."""

from __future__ import annotations

from flask import current_app

from ysdw_live.meetings.models import Meeting
from ysdw_live.meetings.serializers import meeting_to_dict
from ysdw_live.realtime import socketio


def meeting_room(code: str) -> str:
    """Return the room every connection to meeting ``code`` joins."""
    return f"meeting:{code}"


def role_room(code: str, role: str) -> str:
    """Return the room for one role (attendee, projector, moderator) in meeting ``code``."""
    return f"meeting:{code}:{role}"


class Publisher:
    """Turns committed changes into Socket.IO events for the right rooms."""

    def meeting_updated(self, meeting: Meeting) -> None:
        """Tell everyone in the meeting that its details or status changed."""
        payload = {"meeting": meeting_to_dict(meeting, public_url()), "version": meeting.version}
        socketio.emit("meeting:updated", payload, to=meeting_room(meeting.code))


def public_url() -> str:
    """Return the base URL that links and QR codes use."""
    return current_app.config["PUBLIC_URL"]


_publisher = Publisher()


def publisher() -> Publisher:
    """Return the application's publisher."""
    return _publisher
