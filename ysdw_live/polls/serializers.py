"""The one JSON shape of a poll and of its results, used by the API, the snapshot and the events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ysdw_live.polls.kinds import KINDS, RESULT_ITEMS_MAX, PollKind, PollShape
from ysdw_live.polls.models import Poll


def poll_to_dict(poll: Poll) -> dict[str, Any]:
    """Return the public shape of ``poll``."""
    return {
        "id": poll.id,
        "meeting_code": poll.meeting.code,
        "kind": poll.kind.value,
        "question": poll.question,
        "options": [{"id": option.id, "label": option.label} for option in poll.options],
        "max_choices": poll.max_choices,
        "scale": poll.scale,
        "status": poll.status.value,
        "results_visible": poll.results_visible,
        "approve_answers": poll.approve_answers,
        "answered": poll.answered,
    }


def results_to_dict(
    poll: Poll, answers: Iterable[tuple[str, bool]], *, limit: int | None = RESULT_ITEMS_MAX
) -> dict[str, Any]:
    """Return ``{poll_id, kind, total, …}`` from the stored answers ``(answer JSON, hidden)``."""
    return summarise(poll.id, poll.kind, poll.shape(), answers, limit=limit)


def summarise(
    poll_id: int,
    kind: PollKind,
    shape: PollShape,
    answers: Iterable[tuple[str, bool]],
    *,
    limit: int | None = RESULT_ITEMS_MAX,
) -> dict[str, Any]:
    """Return a poll's results from its stored answers, without needing the poll loaded (the snapshot cache).

    ``total`` counts every answer; a free-text answer a facilitator held back is left out of the
    words or texts shown (it never reaches the projector). ``limit`` caps the words or texts listed
    (None: every one, for the meeting pack and the export).
    """
    rows = list(answers)
    shown = [json.loads(answer) for answer, hidden in rows if not hidden]
    summary = KINDS[kind].summarise(shown, shape, limit=limit)
    return {"poll_id": poll_id, "kind": kind.value, "total": len(rows), **summary}
