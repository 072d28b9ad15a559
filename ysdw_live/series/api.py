"""/api/v1 endpoints of series and their topics."""

from __future__ import annotations

from flask import Response, jsonify

from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PUBLIC
from ysdw_live.db import get_session
from ysdw_live.series import services
from ysdw_live.series.schemas import Series, SeriesInput, SeriesList, SeriesPatch
from ysdw_live.series.serializers import series_to_dict
from ysdw_live.web import actor


@endpoint("GET", "/series", summary="List series (staff)", response=SeriesList, errors=(401, 403))
def list_series() -> Response:
    """List every series (staff)."""
    actor().require_staff()
    return jsonify({"series": [series_to_dict(s) for s in services.list_series(get_session())]})


@endpoint(
    "POST",
    "/series",
    summary="Create a series (admin, facilitator)",
    body=SeriesInput,
    response=Series,
    status=201,
    errors=(401, 403),
)
def create_series(body: SeriesInput) -> tuple[Response, int]:
    """Create a series with its topics (admin, facilitator)."""
    series = services.create_series(
        get_session(), actor(), body.title, body.description, body.topics, retention_months=body.retention_months
    )
    return created(series_to_dict(series))


@endpoint(
    "GET",
    "/series/<int:series_id>",
    summary="A series and its topics",
    response=Series,
    errors=(404,),
    security=PUBLIC,
)
def get_series(series_id: int) -> Response:
    """Return a series and its topics (public: topics label concerns on attendee pages)."""
    return jsonify(series_to_dict(services.get_series(get_session(), series_id)))


@endpoint(
    "PATCH",
    "/series/<int:series_id>",
    summary="Edit a series (admin, facilitator)",
    body=SeriesPatch,
    response=Series,
    errors=(401, 403, 404),
)
def update_series(series_id: int, body: SeriesPatch) -> Response:
    """Change a series' title, description or topics (admin, facilitator)."""
    series = services.update_series(
        get_session(),
        actor(),
        series_id,
        title=body.title,
        description=body.description,
        topics=body.topics,
        retention_months=body.retention_months,
    )
    return jsonify(series_to_dict(series))
