"""/api/v1 endpoints of meetings: create, read and edit them, join as a participant, QR codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, make_response

from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PUBLIC
from ysdw_live.db import get_session
from ysdw_live.meetings import qr, services
from ysdw_live.meetings.schemas import Meeting, MeetingInput, MeetingList, MeetingPatch, ParticipantToken
from ysdw_live.meetings.serializers import join_url, meeting_to_dict
from ysdw_live.series.services import get_series
from ysdw_live.web import (
    actor,
    address_key,
    limiter,
    participant_token,
    participant_token_in_header,
    set_participant_cookie,
)


def public_url() -> str:
    """Return the base URL for links and QR codes."""
    return current_app.config["PUBLIC_URL"]


@endpoint(
    "GET",
    "/series/<int:series_id>/meetings",
    summary="A series' meetings (staff)",
    response=MeetingList,
    errors=(401, 403, 404),
)
def list_series_meetings(series_id: int) -> Response:
    """List a series' meetings (staff)."""
    actor().require_staff()
    get_series(get_session(), series_id)
    found = services.meetings_of_series(get_session(), series_id)
    return jsonify({"meetings": [meeting_to_dict(m, public_url()) for m in found]})


@endpoint(
    "POST",
    "/series/<int:series_id>/meetings",
    summary="Create a draft meeting (admin, facilitator)",
    body=MeetingInput,
    response=Meeting,
    status=201,
    errors=(401, 403, 404),
)
def create_meeting(series_id: int, body: MeetingInput) -> tuple[Response, int]:
    """Create a draft meeting in a series (admin, facilitator)."""
    meeting = services.create_meeting(get_session(), actor(), series_id, **body.values())
    return created(meeting_to_dict(meeting, public_url()))


@endpoint(
    "GET",
    "/meetings/<code>",
    summary="A meeting by join code",
    response=Meeting,
    errors=(404,),
    security=PUBLIC,
)
def get_meeting(code: str) -> Response:
    """Return a meeting by its join code (anyone with the code)."""
    return jsonify(meeting_to_dict(services.get_meeting(get_session(), code), public_url()))


@endpoint(
    "PATCH",
    "/meetings/<code>",
    summary="Edit a meeting or change its status (admin, facilitator)",
    body=MeetingPatch,
    response=Meeting,
    errors=(401, 403, 404, 409),
)
def update_meeting(code: str, body: MeetingPatch) -> Response:
    """Change a meeting's details or status (admin, facilitator)."""
    meeting = services.update_meeting(get_session(), actor(), code, body.values())
    return jsonify(meeting_to_dict(meeting, public_url()))


@endpoint(
    "POST",
    "/meetings/<code>/participants",
    summary="Join anonymously; sets the participant cookie",
    response=ParticipantToken,
    status=201,
    errors=(401, 404, 429),
    security=PUBLIC,
    description="Send no token to get a new one. A token this server issued (from this or another "
    "meeting) joins as the same device; a token it never issued is a 401 `unknown_participant` "
    "in `X-Participant-Token`, and replaced by a new one in the cookie. Joins are limited per "
    "network address and per meeting (429).",
)
def create_participant(code: str) -> tuple[Response, int]:
    """Join a meeting anonymously; returns the participant token and sets the cookie."""
    meeting = services.get_meeting(get_session(), code)
    _participant, token = services.join(
        get_session(),
        meeting,
        participant_token(),
        address_key=address_key(),
        limiter=limiter(),
        replace_unknown=not participant_token_in_header(),
    )
    response = make_response(jsonify({"token": token}), 201)
    set_participant_cookie(response, token)
    return response, 201


@endpoint(
    "GET",
    "/meetings/<code>/qr.svg",
    summary="QR code of the join URL (SVG)",
    media_type="image/svg+xml",
    errors=(404,),
    security=PUBLIC,
)
def meeting_qr_svg(code: str) -> Response:
    """Return the meeting's join QR code as SVG."""
    return _qr_response(code, qr.svg, "image/svg+xml")


@endpoint(
    "GET",
    "/meetings/<code>/qr.png",
    summary="QR code of the join URL (PNG)",
    media_type="image/png",
    errors=(404,),
    security=PUBLIC,
)
def meeting_qr_png(code: str) -> Response:
    """Return the meeting's join QR code as PNG."""
    return _qr_response(code, qr.png, "image/png")


def _qr_response(code: str, render: Callable[[str], Any], mimetype: str) -> Response:
    """Return the meeting's join QR code drawn by ``render``, cacheable for five minutes."""
    meeting = services.get_meeting(get_session(), code)
    response = Response(render(join_url(meeting, public_url())), mimetype=mimetype)
    response.cache_control.max_age = 300
    return response
