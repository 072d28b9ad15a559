"""/api/v1 exports: a meeting's concerns and polls as CSV, a series' actions as CSV and as police.uk priorities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify

from ysdw_live.api import endpoint
from ysdw_live.csv_export import csv_download
from ysdw_live.db import declare_writer, get_session
from ysdw_live.exports import services
from ysdw_live.exports.schemas import Priorities
from ysdw_live.meetings import services as meetings
from ysdw_live.web import actor, app_clock


def _meeting_csv(code: str, rows_of: Callable[..., tuple[list[str], Any]], name: str) -> Response:
    """One meeting's rows as a CSV download named ``<name>-<code>.csv`` (the service audits it)."""
    declare_writer()  # the download is noted in the audit trail
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    header, rows = rows_of(db, actor(), meeting)
    return csv_download(header, rows, f"{name}-{meeting.code}.csv")


@endpoint(
    "GET",
    "/meetings/<code>/export.csv",
    summary="Every concern as CSV: number, text, topic, votes, status, source, created_at (staff)",
    media_type="text/csv",
    errors=(401, 403, 404),
)
def export_csv(code: str) -> Response:
    """Every concern of a meeting as CSV, one row each, in number order (staff; audited)."""
    return _meeting_csv(code, services.concern_rows, "concerns")


@endpoint(
    "GET",
    "/meetings/<code>/polls.csv",
    summary="Every poll's results as CSV: poll, question, kind, status, answered, answer, count, mean_rank; "
    "never who answered (staff)",
    media_type="text/csv",
    errors=(401, 403, 404),
)
def export_polls_csv(code: str) -> Response:
    """The meeting's poll results as CSV, one row per option, rating value, word or text (staff; audited)."""
    return _meeting_csv(code, services.poll_rows, "polls")


@endpoint(
    "GET",
    "/series/<int:series_id>/actions.csv",
    summary="The series' actions as CSV: issue, issue_date, action, action_date, status, progress, owner, due_date, "
    "raised_at_meeting, topics; never the private notes (staff)",
    media_type="text/csv",
    errors=(401, 403, 404),
)
def export_actions_csv(series_id: int) -> Response:
    """The series' actions as CSV (staff; audited)."""
    declare_writer()  # the download is noted in the audit trail
    header, rows = services.action_rows(get_session(), actor(), series_id)
    return csv_download(header, rows, f"actions-series-{series_id}.csv")


@endpoint(
    "GET",
    "/series/<int:series_id>/priorities.json",
    summary="The series' actions in the shape of police.uk's neighbourhood priorities: "
    "[{issue, issue-date, action, action-date}] (staff)",
    response=Priorities,
    errors=(401, 403, 404),
)
def export_priorities(series_id: int) -> Response:
    """The series' actions as police.uk neighbourhood priorities, as a JSON download (staff; audited)."""
    declare_writer()  # the download is noted in the audit trail
    found = services.priorities(get_session(), actor(), series_id, clock=app_clock())
    response = jsonify(found)
    response.headers["Content-Disposition"] = f'attachment; filename="priorities-series-{series_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
