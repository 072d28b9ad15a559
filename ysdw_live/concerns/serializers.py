"""The one JSON shape of a concern, used by the API, the snapshot and the events."""

from __future__ import annotations

from typing import Any

from ysdw_live.concerns.models import Concern
from ysdw_live.meetings.serializers import iso


def concern_to_dict(concern: Concern, *, voted: bool) -> dict[str, Any]:
    """Return the public shape of ``concern``; ``voted`` says whether the caller has voted for it."""
    return {
        "id": concern.id,
        "number": concern.number,
        "text": concern.text,
        "topic_id": concern.topic_id,
        "author_name": concern.author_name,
        "votes": concern.votes,
        "voted": voted,
        "status": concern.status.value,
        "highlighted": concern.highlighted,
        "source": concern.source.value,
        "language": concern.language,
        "created_at": iso(concern.created_at),
    }


def vote_to_dict(concern: Concern, *, voted: bool) -> dict[str, Any]:
    """Return the answer to a vote or unvote: ``{id, votes, voted}``."""
    return {"id": concern.id, "votes": concern.votes, "voted": voted}
