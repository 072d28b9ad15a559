"""/api/v1 endpoints of the action list, the public record and the report-back."""

from __future__ import annotations

from flask import Response, jsonify, request

from ysdw_live.actions import services
from ysdw_live.actions.schemas import (
    Action,
    ActionInput,
    ActionList,
    ActionListQuery,
    ActionPatch,
    ActionQuery,
    ActionUpdateInput,
)
from ysdw_live.actions.serializers import action_to_dict
from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PUBLIC
from ysdw_live.db import get_session
from ysdw_live.meetings import services as meetings
from ysdw_live.series.services import get_series
from ysdw_live.web import actor, app_clock


@endpoint(
    "GET",
    "/series/<int:series_id>/actions",
    summary="A series' You Said, We Did actions (public; no private notes)",
    query=ActionListQuery,
    response=ActionList,
    errors=(401, 403, 404),
    security=PUBLIC,
)
def list_series_actions(series_id: int, query: ActionListQuery) -> Response:
    """Return a series' actions: public without private notes; staff may add ``?include=private``."""
    db = get_session()
    filters = services.parse_filters(get_series(db, series_id), request.args)
    if query.include == "private":
        found = services.list_actions(db, actor(), series_id, filters, clock=app_clock())
        return jsonify({"actions": [action_to_dict(action, include_private=True) for action in found]})
    found = services.public_actions(db, series_id, filters, clock=app_clock())
    return jsonify({"actions": [action_to_dict(action) for action in found]})


@endpoint(
    "POST",
    "/series/<int:series_id>/actions",
    summary="Create an action (admin, facilitator, leader)",
    body=ActionInput,
    response=Action,
    status=201,
    errors=(401, 403, 404),
)
def create_series_action(series_id: int, body: ActionInput) -> tuple[Response, int]:
    """Create an action in a series (admin, facilitator, leader)."""
    action = services.create_action(get_session(), actor(), series_id, body.values())
    return created(action_to_dict(action, include_private=True))


@endpoint(
    "GET",
    "/actions/<int:action_id>",
    summary="One action (public; no private notes)",
    query=ActionQuery,
    response=Action,
    errors=(401, 403, 404),
    security=PUBLIC,
)
def get_action(action_id: int, query: ActionQuery) -> Response:
    """Return one action: public without private notes; staff may add ``?include=private``."""
    private = query.include == "private"
    if private:
        actor().require_staff()
    return jsonify(action_to_dict(services.get_action(get_session(), action_id), include_private=private))


@endpoint(
    "PATCH",
    "/actions/<int:action_id>",
    summary="Edit an action; each change is kept in its audit trail (admin, facilitator, leader)",
    body=ActionPatch,
    response=Action,
    errors=(401, 403, 404),
)
def update_action(action_id: int, body: ActionPatch) -> Response:
    """Change an action's fields; every change goes into its audit trail (admin, facilitator, leader)."""
    action = services.update_action(get_session(), actor(), action_id, body.values())
    return jsonify(action_to_dict(action, include_private=True))


@endpoint(
    "POST",
    "/actions/<int:action_id>/updates",
    summary="Append a dated public update (append-only), optionally moving status and progress; "
    "returns the action (admin, facilitator, leader)",
    body=ActionUpdateInput,
    response=Action,
    status=201,
    errors=(401, 403, 404),
)
def create_action_update(action_id: int, body: ActionUpdateInput) -> tuple[Response, int]:
    """Append a public update to an action; returns the action with it (admin, facilitator, leader)."""
    db = get_session()
    update = services.add_update(db, actor(), action_id, body.values())
    return created(action_to_dict(services.get_action(db, update.action_id), include_private=True))


@endpoint(
    "GET",
    "/meetings/<code>/report-back",
    summary="The actions to report at this meeting: every unfinished action, and every "
    "action finished since the previous meeting of the series went live",
    response=ActionList,
    errors=(404,),
    security=PUBLIC,
)
def meeting_report_back(code: str) -> Response:
    """Return the actions to report at a meeting (anyone with the code)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    return jsonify({"actions": [action_to_dict(action) for action in services.report_back(db, meeting)]})
