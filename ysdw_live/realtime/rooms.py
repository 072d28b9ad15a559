"""Socket.IO room names: one per meeting, one per role in it, one per participant's own connections."""

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
