"""The one JSON shape of a series."""

from __future__ import annotations

from typing import Any

from ysdw_live.series.models import Series, Topic


def topic_to_dict(topic: Topic) -> dict[str, Any]:
    """Return the public shape of a topic."""
    return {"id": topic.id, "name": topic.name}


def series_to_dict(series: Series) -> dict[str, Any]:
    """Return the public shape of a series."""
    return {
        "id": series.id,
        "title": series.title,
        "description": series.description,
        "topics": [topic_to_dict(topic) for topic in series.topics],
        "retention_months": series.retention_months,
    }
