"""Foundation endpoints: tokens, series, meetings, participants and QR codes."""

from __future__ import annotations

from flask import Response, current_app, jsonify, make_response, request

from ysdw_live.api import api_blueprint as api
from ysdw_live.api import created
from ysdw_live.auth import services as auth
from ysdw_live.db import get_session
from ysdw_live.errors import Forbidden, NotAuthenticated
from ysdw_live.meetings import qr
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.serializers import join_url, meeting_to_dict
from ysdw_live.series import services as series_services
from ysdw_live.series.serializers import series_to_dict
from ysdw_live.web import (
    actor,
    address_key,
    bearer_token,
    json_body,
    limiter,
    participant_token,
    set_participant_cookie,
)


def public_url() -> str:
    """Return the base URL for links and QR codes."""
    return current_app.config["PUBLIC_URL"]


@api.post("/auth/token")
def create_token() -> tuple[Response, int]:
    """Exchange an e-mail and password for a bearer token."""
    body = json_body({"email", "password", "label"})
    limiter().check("token-address", address_key(), 60, 60)
    user = auth.authenticate(get_session(), body.get("email"), body.get("password"))
    if user.must_change_password:
        raise Forbidden(
            "Log in on the website and choose a new password before asking for a token.",
            code="password_change_required",
        )
    label = body.get("label") if isinstance(body.get("label"), str) else "API"
    return created({"token": auth.issue_token(get_session(), user, label)})


@api.delete("/auth/token")
def revoke_token() -> tuple[str, int]:
    """Revoke the bearer token this request carries."""
    token = bearer_token(request)
    user = actor().user
    if token is None or user is None or not auth.revoke_token(get_session(), user, token):
        raise NotAuthenticated("Send the token to revoke as Authorization: Bearer <token>.")
    return "", 204


@api.get("/series")
def list_series() -> Response:
    """List every series (staff)."""
    actor().require_staff()
    return jsonify({"series": [series_to_dict(s) for s in series_services.list_series(get_session())]})


@api.post("/series")
def create_series() -> tuple[Response, int]:
    """Create a series with its topics (admin, facilitator)."""
    body = json_body({"title", "description", "topics"})
    series = series_services.create_series(
        get_session(), actor(), body.get("title"), body.get("description", ""), body.get("topics", [])
    )
    return created(series_to_dict(series))


@api.get("/series/<int:series_id>")
def get_series(series_id: int) -> Response:
    """Return a series and its topics (public: topics label concerns on attendee pages)."""
    return jsonify(series_to_dict(series_services.get_series(get_session(), series_id)))


@api.patch("/series/<int:series_id>")
def update_series(series_id: int) -> Response:
    """Change a series' title, description or topics (admin, facilitator)."""
    body = json_body({"title", "description", "topics"})
    series = series_services.update_series(
        get_session(),
        actor(),
        series_id,
        title=body.get("title"),
        description=body.get("description"),
        topics=body.get("topics"),
    )
    return jsonify(series_to_dict(series))


@api.get("/series/<int:series_id>/meetings")
def list_series_meetings(series_id: int) -> Response:
    """List a series' meetings (staff)."""
    actor().require_staff()
    series_services.get_series(get_session(), series_id)
    found = meetings.meetings_of_series(get_session(), series_id)
    return jsonify({"meetings": [meeting_to_dict(m, public_url()) for m in found]})


@api.post("/series/<int:series_id>/meetings")
def create_meeting(series_id: int) -> tuple[Response, int]:
    """Create a draft meeting in a series (admin, facilitator)."""
    body = json_body({"title", "starts_at", "venue", "mode", "moderation"})
    meeting = meetings.create_meeting(
        get_session(),
        actor(),
        series_id,
        title=body.get("title"),
        starts_at=body.get("starts_at"),
        venue=body.get("venue", ""),
        mode=body.get("mode", "in_person"),
        moderation=body.get("moderation", True),
    )
    return created(meeting_to_dict(meeting, public_url()))


@api.get("/meetings/<code>")
def get_meeting(code: str) -> Response:
    """Return a meeting by its join code (anyone with the code)."""
    return jsonify(meeting_to_dict(meetings.get_meeting(get_session(), code), public_url()))


@api.patch("/meetings/<code>")
def update_meeting(code: str) -> Response:
    """Change a meeting's details or status (admin, facilitator)."""
    meeting = meetings.update_meeting(get_session(), actor(), code, json_body())
    return jsonify(meeting_to_dict(meeting, public_url()))


@api.post("/meetings/<code>/participants")
def create_participant(code: str) -> tuple[Response, int]:
    """Join a meeting anonymously; returns the participant token and sets the cookie."""
    meeting = meetings.get_meeting(get_session(), code)
    _participant, token = meetings.join(
        get_session(), meeting, participant_token(), address_key=address_key(), limiter=limiter()
    )
    response = make_response(jsonify({"token": token}), 201)
    set_participant_cookie(response, token)
    return response, 201


@api.get("/meetings/<code>/qr.svg")
def meeting_qr_svg(code: str) -> Response:
    """Return the meeting's join QR code as SVG."""
    meeting = meetings.get_meeting(get_session(), code)
    response = Response(qr.svg(join_url(meeting, public_url())), mimetype="image/svg+xml")
    response.cache_control.max_age = 300
    return response


@api.get("/meetings/<code>/qr.png")
def meeting_qr_png(code: str) -> Response:
    """Return the meeting's join QR code as PNG."""
    meeting = meetings.get_meeting(get_session(), code)
    response = Response(qr.png(join_url(meeting, public_url())), mimetype="image/png")
    response.cache_control.max_age = 300
    return response
