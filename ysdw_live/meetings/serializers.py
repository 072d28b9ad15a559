"""The one JSON shape of a meeting, used by the API, the snapshot and the events."""

from __future__ import annotations

from typing import Any

from ysdw_live.meetings.models import Meeting


def iso(moment: Any) -> str | None:
    """Return an ISO 8601 string for a datetime or date, or None."""
    return moment.isoformat() if moment is not None else None


def meeting_to_dict(meeting: Meeting, public_url: str) -> dict[str, Any]:
    """Return the public shape of ``meeting``."""
    return {
        "code": meeting.code,
        "title": meeting.title,
        "series_id": meeting.series_id,
        "starts_at": iso(meeting.starts_at),
        "venue": meeting.venue,
        "mode": meeting.mode.value,
        "status": meeting.status.value,
        "moderation": meeting.moderation,
        "join_url": join_url(meeting, public_url),
        "version": meeting.version,
    }


def join_url(meeting: Meeting, public_url: str) -> str:
    """Return the URL a phone opens to join ``meeting`` (what the QR code encodes)."""
    return f"{public_url.rstrip('/')}/j/{meeting.code}"


def projector_to_dict(meeting: Meeting) -> dict[str, Any]:
    """Return what the projector shows now: ``concern_id`` is the highlighted concern, ``poll_id`` its poll."""
    return {
        "mode": meeting.projector_mode.value,
        "concern_id": meeting.projector_concern_id,
        "poll_id": meeting.projector_poll_id,
        "action_index": meeting.projector_action_index,
        "version": meeting.version,
    }
