"""Concern endpoints of /api/v1: raise, list, vote, moderate, undo, projector, CSV export, counters."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, jsonify, request

from ysdw_live.actors import Actor
from ysdw_live.api import api_blueprint as api
from ysdw_live.api import created
from ysdw_live.api.openapi import CODE, _body, _error_responses, _json, ref, register_paths
from ysdw_live.concerns import services
from ysdw_live.concerns.models import AUTHOR_NAME_MAX, TEXT_MAX, Concern
from ysdw_live.concerns.serializers import concern_to_dict, vote_to_dict
from ysdw_live.db import get_session
from ysdw_live.errors import Conflict
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting
from ysdw_live.meetings.serializers import projector_to_dict
from ysdw_live.web import actor, json_body, limiter, participant_token

# Spreadsheets run cells that start like a formula; a leading quote makes them plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _caller(meeting: Meeting) -> Actor:
    """Return the staff user and/or this device's participant in ``meeting``."""
    participant = meetings.find_participant(get_session(), meeting, participant_token())
    return actor(participant=participant)


@api.get("/meetings/<code>/concerns")
def list_concerns(code: str) -> Response:
    """List concerns: staff see every status; a participant sees visible ones and their own pending ones."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    caller = _caller(meeting)
    if not caller.is_staff:
        services.require_participant(caller, meeting)
    found = services.list_concerns(
        db, caller, meeting, sort=request.args.get("sort", "top"), status=request.args.get("status")
    )
    voted = services.voted_concern_ids(db, caller.participant, meeting) if caller.participant else set()
    return jsonify({"concerns": [concern_to_dict(c, voted=c.id in voted) for c in found], "version": meeting.version})


@api.post("/meetings/<code>/concerns")
def submit_concern(code: str) -> tuple[Response, int]:
    """Raise a concern (participant), or enter one for someone with ``source: facilitator`` (staff)."""
    db = get_session()
    body = json_body({"text", "topic_id", "author_name", "source"})
    meeting = meetings.get_meeting(db, code)
    concern = services.submit_concern(
        db,
        _caller(meeting),
        meeting,
        text=body.get("text"),
        topic_id=body.get("topic_id"),
        author_name=body.get("author_name"),
        source=body.get("source", "attendee"),
        limiter=limiter(),
    )
    return created(concern_to_dict(concern, voted=False))


def _voter(concern_id: int) -> Actor:
    """Return the caller as a participant of the concern's meeting (404 for an unknown concern)."""
    concern = services.get_concern(get_session(), concern_id)
    return _caller(concern.meeting)


@api.put("/concerns/<int:concern_id>/vote")
def vote(concern_id: int) -> Response:
    """Upvote a concern; doing it again changes nothing."""
    concern = services.vote(get_session(), _voter(concern_id), concern_id, limiter=limiter())
    return jsonify(vote_to_dict(concern, voted=True))


@api.delete("/concerns/<int:concern_id>/vote")
def unvote(concern_id: int) -> Response:
    """Take back an upvote; doing it again changes nothing."""
    concern = services.unvote(get_session(), _voter(concern_id), concern_id, limiter=limiter())
    return jsonify(vote_to_dict(concern, voted=False))


@api.patch("/concerns/<int:concern_id>")
def moderate(concern_id: int) -> Response:
    """Approve, dismiss, answer, archive, edit, re-topic or highlight a concern (admin, facilitator)."""
    body = json_body(services.MODERATION_FIELDS)
    concern = services.moderate(get_session(), actor(), concern_id, body)
    return jsonify(concern_to_dict(concern, voted=False))


@api.post("/meetings/<code>/moderation/undo")
def undo(code: str) -> Response:
    """Undo the meeting's last moderation step (admin, facilitator)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    concern = services.undo_last(db, actor(), meeting)
    if concern is None:
        raise Conflict("There is nothing to undo.", code="nothing_to_undo")
    return jsonify({"concern": concern_to_dict(concern, voted=False), "version": meeting.version})


@api.patch("/meetings/<code>/projector")
def set_projector(code: str) -> Response:
    """Choose what the projector shows (admin, facilitator)."""
    db = get_session()
    body = json_body({"mode", "concern_id", "poll_id", "action_index"})
    meeting = meetings.get_meeting(db, code)
    services.set_projector(
        db,
        actor(),
        meeting,
        mode=body.get("mode"),
        concern_id=body.get("concern_id"),
        poll_id=body.get("poll_id"),
        action_index=body.get("action_index"),
    )
    return jsonify(projector_to_dict(meeting))


@api.get("/meetings/<code>/counters")
def counters(code: str) -> Response:
    """The console's live counters (staff)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    actor().require_staff()
    return jsonify({**services.meeting_counters(db, meeting), "version": meeting.version})


def csv_cell(value: Any) -> str:
    """Return ``value`` as a CSV cell that a spreadsheet will not run as a formula."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@api.get("/meetings/<code>/export.csv")
def export_csv(code: str) -> Response:
    """Every concern of a meeting as CSV, one row each, in number order (staff)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    caller = actor()
    caller.require_staff()
    rows: list[Concern] = sorted(services.list_concerns(db, caller, meeting, sort="recent"), key=lambda c: c.number)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["number", "text", "topic", "votes", "status", "source", "created_at"])
    for concern in rows:
        writer.writerow(
            [
                concern.number,
                csv_cell(concern.text),
                csv_cell(concern.topic.name if concern.topic else ""),
                concern.votes,
                concern.status.value,
                concern.source.value,
                concern.created_at.isoformat(),
            ]
        )
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="concerns-{meeting.code}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


CONCERN_ID = {"name": "concern_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CONCERN_STATUSES = ["pending", "approved", "answered", "dismissed", "archived"]
VOTE_RESULT = {
    "type": "object",
    "required": ["id", "votes", "voted"],
    "properties": {"id": {"type": "integer"}, "votes": {"type": "integer"}, "voted": {"type": "boolean"}},
}

register_paths(
    {
        "/meetings/{code}/concerns": {
            "parameters": [CODE],
            "get": {
                "summary": "Concerns of a meeting: participants see approved and answered ones plus their own "
                "pending ones; staff see every status",
                "security": [{"participant": []}, {"cookie": []}, {"bearer": []}],
                "parameters": [
                    {"name": "sort", "in": "query", "schema": {"enum": ["top", "recent"], "default": "top"}},
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "Comma-separated statuses to include, e.g. pending,approved",
                    },
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["concerns", "version"],
                            "properties": {
                                "concerns": {"type": "array", "items": ref("Concern")},
                                "version": {"type": "integer"},
                            },
                        }
                    ),
                    **_error_responses(400, 401, 404),
                },
            },
            "post": {
                "summary": "Raise a concern (participant; pending when moderation is on), or enter one on "
                "someone's behalf with source facilitator (admin, facilitator; approved at once)",
                "security": [{"participant": []}, {"cookie": []}, {"bearer": []}],
                "requestBody": _body(ref("ConcernInput")),
                "responses": {
                    "201": _json(ref("Concern"), "Created"),
                    **_error_responses(400, 401, 403, 404, 409, 429),
                },
            },
        },
        "/concerns/{concern_id}/vote": {
            "parameters": [CONCERN_ID],
            "put": {
                "summary": "Upvote a concern (idempotent; one vote per participant)",
                "security": [{"participant": []}, {"cookie": []}],
                "responses": {"200": _json(VOTE_RESULT), **_error_responses(401, 404, 409, 429)},
            },
            "delete": {
                "summary": "Take back an upvote (idempotent)",
                "security": [{"participant": []}, {"cookie": []}],
                "responses": {"200": _json(VOTE_RESULT), **_error_responses(401, 404, 409, 429)},
            },
        },
        "/concerns/{concern_id}": {
            "parameters": [CONCERN_ID],
            "patch": {
                "summary": "Moderate a concern: status, highlight, text, topic (admin, facilitator)",
                "requestBody": _body(ref("ConcernModeration")),
                "responses": {"200": _json(ref("Concern")), **_error_responses(400, 401, 403, 404, 409)},
            },
        },
        "/meetings/{code}/moderation/undo": {
            "parameters": [CODE],
            "post": {
                "summary": "Undo the meeting's last moderation step (admin, facilitator)",
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"concern": ref("Concern"), "version": {"type": "integer"}}}
                    ),
                    **_error_responses(401, 403, 404, 409),
                },
            },
        },
        "/meetings/{code}/projector": {
            "parameters": [CODE],
            "patch": {
                "summary": "Choose what the projector shows (admin, facilitator)",
                "requestBody": _body(ref("ProjectorInput")),
                "responses": {"200": _json(ref("Projector")), **_error_responses(400, 401, 403, 404)},
            },
        },
        "/meetings/{code}/counters": {
            "parameters": [CODE],
            "get": {
                "summary": "Live counters for the console (staff)",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "participants": {"type": "integer"},
                                "concerns": {"type": "integer"},
                                "votes": {"type": "integer"},
                                "pending": {"type": "integer"},
                                "version": {"type": "integer"},
                            },
                        }
                    ),
                    **_error_responses(401, 403, 404),
                },
            },
        },
        "/meetings/{code}/export.csv": {
            "parameters": [CODE],
            "get": {
                "summary": "Every concern as CSV: number, text, topic, votes, status, source, created_at (staff)",
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {}}},
                    **_error_responses(401, 403, 404),
                },
            },
        },
    },
    {
        "Concern": {
            "type": "object",
            "required": [
                "id",
                "number",
                "text",
                "topic_id",
                "author_name",
                "votes",
                "voted",
                "status",
                "highlighted",
                "source",
                "created_at",
            ],
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "integer"},
                "text": {"type": "string"},
                "topic_id": {"type": ["integer", "null"]},
                "author_name": {"type": ["string", "null"]},
                "votes": {"type": "integer"},
                "voted": {"type": "boolean"},
                "status": {"enum": CONCERN_STATUSES},
                "highlighted": {"type": "boolean"},
                "source": {"enum": ["attendee", "facilitator"]},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "ConcernInput": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
                "topic_id": {"type": ["integer", "null"]},
                "author_name": {"type": ["string", "null"], "maxLength": AUTHOR_NAME_MAX},
                "source": {"enum": ["attendee", "facilitator"], "default": "attendee"},
            },
        },
        "ConcernModeration": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "status": {"enum": CONCERN_STATUSES},
                "highlighted": {"type": "boolean"},
                "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
                "topic_id": {"type": ["integer", "null"]},
            },
        },
        "ProjectorInput": {
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"enum": ["join", "concerns", "poll", "report_back"]},
                "concern_id": {"type": ["integer", "null"]},
                "poll_id": {"type": ["integer", "null"]},
                "action_index": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "description": "report_back: which action (0-based, in report-back "
                    "order) to show; kept within the list",
                },
            },
        },
        "Projector": {
            "type": "object",
            "required": ["mode", "concern_id", "poll_id", "action_index", "version"],
            "properties": {
                "mode": {"enum": ["join", "concerns", "poll", "report_back"]},
                "concern_id": {"type": ["integer", "null"]},
                "poll_id": {"type": ["integer", "null"]},
                "action_index": {"type": "integer"},
                "version": {"type": "integer"},
            },
        },
    },
)
