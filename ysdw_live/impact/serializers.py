"""The JSON shape of a series' impact (api.md's ``GET /series/{id}/impact``)."""

from __future__ import annotations

from typing import Any

from ysdw_live.meetings.serializers import iso


def impact_to_dict(impact: Any) -> dict[str, Any]:
    """Return ``{meetings: [...], actions: {total, by_status, median_days_to_complete}}``."""
    return {
        "meetings": [
            {
                "code": figure.meeting.code,
                "title": figure.meeting.title,
                "starts_at": iso(figure.meeting.starts_at),
                "participants": figure.participants,
                "concerns": figure.concerns,
                "votes": figure.votes,
                "survey_responses": figure.survey_responses,
                "good_or_excellent": dict(figure.good_or_excellent),
            }
            for figure in impact.meetings
        ],
        "actions": {
            "total": impact.actions["total"],
            "by_status": dict(impact.actions["by_status"]),
            "median_days_to_complete": impact.actions["median_days_to_complete"],
        },
    }


def chart_data(impact: Any) -> dict[str, Any]:
    """The figures the dashboard's charts draw (the tables under them carry the same numbers)."""
    return {
        "meetings": [figure.meeting.title for figure in impact.meetings],
        "reach": {
            "participants": [figure.participants for figure in impact.meetings],
            "returners": [figure.returners for figure in impact.meetings],
            "concerns": [figure.concerns for figure in impact.meetings],
            "votes": [figure.votes for figure in impact.meetings],
            "survey_responses": [figure.survey_responses for figure in impact.meetings],
        },
        "sources": {
            "in_room": [figure.in_room for figure in impact.meetings],
            "facilitator": [figure.facilitator_entered for figure in impact.meetings],
        },
        "trust": [
            {"key": row["key"], "label": row["label"], "pct": [v["pct"] if v else None for v in row["values"]]}
            for row in impact.trust
        ],
        "representation": [
            {
                "key": item["key"],
                "label": item["label"],
                "groups": [
                    {"label": group["label"], "percents": group["percents"], "baseline": group["baseline"]}
                    for group in item["groups"]
                ],
            }
            for item in impact.representation
            if item["shown"]
        ],
        "actions": {
            "labels": [impact.actions["status_labels"][key] for key in impact.actions["by_status"]],
            "keys": list(impact.actions["by_status"]),
            "counts": list(impact.actions["by_status"].values()),
        },
        "topics": impact.topics,
    }
