"""The one JSON shape of an action (and of a follow-up), used by the API and the pages' scripts."""

from __future__ import annotations

from typing import Any

from ysdw_live.actions.models import Action, ActionUpdate, FollowUp
from ysdw_live.meetings.serializers import iso


def update_to_dict(update: ActionUpdate) -> dict[str, Any]:
    """Return the public shape of an action update (the author is staff-only and left out)."""
    return {
        "id": update.id,
        "text": update.text,
        "status": update.status.value,
        "progress": update.progress,
        "created_at": iso(update.created_at),
    }


def action_to_dict(action: Action, *, include_private: bool = False) -> dict[str, Any]:
    """Return the public shape of ``action``; ``private_notes`` and the meeting's code only when ``include_private``.

    A join code is the key to a meeting, so the public shape says where an action was raised by
    the meeting's title and date (``raised_at``), never by its code (``raised_at_meeting``, staff only).
    """
    meeting = action.raised_at_meeting
    payload: dict[str, Any] = {
        "id": action.id,
        "series_id": action.series_id,
        "you_said": action.you_said,
        "we_did": action.we_did,
        "owner": action.owner,
        "status": action.status.value,
        "progress": action.progress,
        "due_date": iso(action.due_date),
        "concern_ids": sorted(concern.id for concern in action.concerns),
        "raised_at": {"title": meeting.title, "starts_at": iso(meeting.starts_at)} if meeting is not None else None,
        "updates": [update_to_dict(update) for update in action.updates],
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
    }
    if include_private:
        payload["raised_at_meeting"] = meeting.code if meeting is not None else None
        payload["private_notes"] = action.private_notes
    return payload


def follow_up_to_dict(follow_up: FollowUp) -> dict[str, Any]:
    """Return what a returning device is told about one of its earlier concerns (only to that device)."""
    concern = follow_up.concern
    return {
        "concern": {
            "id": concern.id,
            "number": concern.number,
            "text": concern.text,
            "meeting_code": follow_up.meeting.code,
            "meeting_title": follow_up.meeting.title,
        },
        "raised": follow_up.raised,
        "voted": follow_up.voted,
        "actions": [action_to_dict(action) for action in follow_up.actions],
    }
