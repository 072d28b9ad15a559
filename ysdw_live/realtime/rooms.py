"""Socket.IO room names: one per meeting, one per role in it, and one per participant's or staff member's own."""

from __future__ import annotations

MODERATOR = "moderator"
ATTENDEE = "attendee"
PROJECTOR = "projector"


def meeting_room(code: str) -> str:
    """Return the room every connection to meeting ``code`` joins."""
    return f"meeting:{code}"


def role_room(code: str, role: str) -> str:
    """Return the room for one role (attendee, projector, moderator) in meeting ``code``."""
    return f"meeting:{code}:{role}"


def participant_room(code: str, participant_id: int) -> str:
    """Return the room of one participant's own connections (their pending concerns go there)."""
    return f"meeting:{code}:participant:{participant_id}"


STAFF_ROOM_PREFIX = "staff:"


def staff_room(user_id: int, *, by_token: bool = False) -> str:
    """Return the room of a staff member's connections made with the login cookie (or with a bearer token).

    Closing a staff room disconnects its members (see managers.py): logout closes the login room,
    a password change or deactivation both.
    """
    return f"{STAFF_ROOM_PREFIX}{user_id}{':token' if by_token else ''}"
