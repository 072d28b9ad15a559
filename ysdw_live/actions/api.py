"""/api/v1 endpoints of the action list, the public record and the report-back."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ysdw_live.actions import services
from ysdw_live.actions.models import (
    OWNER_MAX,
    PRIVATE_NOTES_MAX,
    UPDATE_TEXT_MAX,
    WE_DID_MAX,
    YOU_SAID_MAX,
    ActionStatus,
)
from ysdw_live.actions.serializers import action_to_dict
from ysdw_live.api import api_blueprint as api
from ysdw_live.api import created
from ysdw_live.api.openapi import CODE, SERIES_ID, _body, _error_responses, _json, ref, register_paths
from ysdw_live.db import get_session
from ysdw_live.errors import ValidationError
from ysdw_live.meetings import services as meetings
from ysdw_live.series.services import get_series
from ysdw_live.web import actor, app_clock, json_body


def _wants_private() -> bool:
    """Return whether the caller asked for staff-only fields with ``?include=private``."""
    include = request.args.get("include", "")
    if include not in ("", "private"):
        raise ValidationError("include can only be “private”.", field="include")
    return include == "private"


@api.get("/series/<int:series_id>/actions")
def list_series_actions(series_id: int) -> Response:
    """Return a series' actions: public without private notes; staff may add ``?include=private``."""
    db = get_session()
    filters = services.parse_filters(get_series(db, series_id), request.args)
    if _wants_private():
        found = services.list_actions(db, actor(), series_id, filters, clock=app_clock())
        return jsonify({"actions": [action_to_dict(action, include_private=True) for action in found]})
    found = services.public_actions(db, series_id, filters, clock=app_clock())
    return jsonify({"actions": [action_to_dict(action) for action in found]})


@api.post("/series/<int:series_id>/actions")
def create_series_action(series_id: int) -> tuple[Response, int]:
    """Create an action in a series (admin, facilitator, leader)."""
    action = services.create_action(get_session(), actor(), series_id, json_body())
    return created(action_to_dict(action, include_private=True))


@api.get("/actions/<int:action_id>")
def get_action(action_id: int) -> Response:
    """Return one action: public without private notes; staff may add ``?include=private``."""
    private = _wants_private()
    if private:
        actor().require_staff()
    return jsonify(action_to_dict(services.get_action(get_session(), action_id), include_private=private))


@api.patch("/actions/<int:action_id>")
def update_action(action_id: int) -> Response:
    """Change an action's fields; every change goes into its audit trail (admin, facilitator, leader)."""
    action = services.update_action(get_session(), actor(), action_id, json_body())
    return jsonify(action_to_dict(action, include_private=True))


@api.post("/actions/<int:action_id>/updates")
def create_action_update(action_id: int) -> tuple[Response, int]:
    """Append a public update to an action; returns the action with it (admin, facilitator, leader)."""
    db = get_session()
    update = services.add_update(db, actor(), action_id, json_body())
    return created(action_to_dict(services.get_action(db, update.action_id), include_private=True))


@api.get("/meetings/<code>/report-back")
def meeting_report_back(code: str) -> Response:
    """Return the actions to report at a meeting (anyone with the code)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    return jsonify({"actions": [action_to_dict(action) for action in services.report_back(db, meeting)]})


STATUSES = [status.value for status in ActionStatus]
ACTION_ID = {"name": "action_id", "in": "path", "required": True, "schema": {"type": "integer"}}
INCLUDE = {
    "name": "include",
    "in": "query",
    "required": False,
    "schema": {"enum": ["private"]},
    "description": "Staff only: add the private notes",
}
FILTERS: list[dict[str, Any]] = [
    {"name": "status", "in": "query", "required": False, "schema": {"enum": STATUSES}},
    {
        "name": "topic",
        "in": "query",
        "required": False,
        "schema": {"type": "integer"},
        "description": "Only actions answering a concern with this topic",
    },
    {
        "name": "owner",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Owner contains this text (any case)",
    },
    {
        "name": "overdue",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean"},
        "description": "Only unfinished actions past their due date",
    },
]
ACTION_LIST = {
    "type": "object",
    "required": ["actions"],
    "properties": {"actions": {"type": "array", "items": ref("Action")}},
}

register_paths(
    {
        "/series/{series_id}/actions": {
            "parameters": [SERIES_ID],
            "get": {
                "summary": "A series' You Said, We Did actions (public; no private notes)",
                "security": [],
                "parameters": [INCLUDE, *FILTERS],
                "responses": {"200": _json(ACTION_LIST), **_error_responses(400, 401, 403, 404)},
            },
            "post": {
                "summary": "Create an action (admin, facilitator, leader)",
                "requestBody": _body(ref("ActionInput")),
                "responses": {"201": _json(ref("Action"), "Created"), **_error_responses(400, 401, 403, 404)},
            },
        },
        "/actions/{action_id}": {
            "parameters": [ACTION_ID],
            "get": {
                "summary": "One action (public; no private notes)",
                "security": [],
                "parameters": [INCLUDE],
                "responses": {"200": _json(ref("Action")), **_error_responses(400, 401, 403, 404)},
            },
            "patch": {
                "summary": "Edit an action; each change is kept in its audit trail (admin, facilitator, leader)",
                "requestBody": _body(ref("ActionPatch")),
                "responses": {"200": _json(ref("Action")), **_error_responses(400, 401, 403, 404)},
            },
        },
        "/actions/{action_id}/updates": {
            "parameters": [ACTION_ID],
            "post": {
                "summary": "Append a dated public update (append-only), optionally moving status and "
                "progress; returns the action (admin, facilitator, leader)",
                "requestBody": _body(ref("ActionUpdateInput")),
                "responses": {"201": _json(ref("Action"), "Created"), **_error_responses(400, 401, 403, 404)},
            },
        },
        "/meetings/{code}/report-back": {
            "parameters": [CODE],
            "get": {
                "summary": "The actions to report at this meeting: every unfinished action, and every "
                "action finished since the previous meeting of the series went live",
                "security": [],
                "responses": {"200": _json(ACTION_LIST), **_error_responses(404)},
            },
        },
    },
    {
        "ActionUpdate": {
            "type": "object",
            "required": ["id", "text", "status", "progress", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "text": {"type": "string"},
                "status": {"enum": STATUSES},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "Action": {
            "type": "object",
            "required": [
                "id",
                "series_id",
                "you_said",
                "we_did",
                "owner",
                "status",
                "progress",
                "due_date",
                "concern_ids",
                "raised_at_meeting",
                "updates",
                "created_at",
                "updated_at",
            ],
            "properties": {
                "id": {"type": "integer"},
                "series_id": {"type": "integer"},
                "you_said": {"type": "string"},
                "we_did": {"type": "string"},
                "owner": {"type": "string"},
                "status": {"enum": STATUSES},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "due_date": {"type": ["string", "null"], "format": "date"},
                "concern_ids": {"type": "array", "items": {"type": "integer"}},
                "raised_at_meeting": {"type": ["string", "null"], "description": "Join code of the meeting"},
                "updates": {"type": "array", "items": ref("ActionUpdate"), "description": "Newest first"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "private_notes": {
                    "type": "string",
                    "description": "Only for staff, with ?include=private or in answers to staff writes",
                },
            },
        },
        "ActionPatch": {
            "type": "object",
            "additionalProperties": False,
            "description": "not_taken_forward and referred need a reason: a non-empty we_did",
            "properties": {
                "you_said": {"type": "string", "minLength": 1, "maxLength": YOU_SAID_MAX},
                "we_did": {"type": "string", "maxLength": WE_DID_MAX},
                "owner": {"type": "string", "maxLength": OWNER_MAX},
                "status": {"enum": STATUSES},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "due_date": {"type": ["string", "null"], "format": "date"},
                "concern_ids": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "Concerns of this series' meetings; replaces the links",
                },
                "private_notes": {"type": "string", "maxLength": PRIVATE_NOTES_MAX},
                "raised_at_meeting": {
                    "type": ["string", "null"],
                    "description": "Join code of a meeting of this series",
                },
            },
        },
        "ActionInput": {"allOf": [ref("ActionPatch"), {"type": "object", "required": ["you_said"]}]},
        "ActionUpdateInput": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": UPDATE_TEXT_MAX},
                "status": {"enum": STATUSES},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            },
        },
    },
)
