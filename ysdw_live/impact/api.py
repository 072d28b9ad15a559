"""/api/v1 endpoint of a series' impact across its meetings."""

from __future__ import annotations

from flask import Response, jsonify

from ysdw_live.api import endpoint
from ysdw_live.db import get_session
from ysdw_live.impact import services
from ysdw_live.impact.schemas import SeriesImpact
from ysdw_live.impact.serializers import impact_to_dict
from ysdw_live.web import actor, app_clock


@endpoint(
    "GET",
    "/series/<int:series_id>/impact",
    summary="A series' figures across its held meetings: reach, the survey headline, actions (staff)",
    description="Per meeting: participants, concerns, votes, survey responses and the % Good or Excellent "
    "with its n (`pct` null where n < 10: never comparable with the national survey). Actions: the total, "
    "the count per status and the median days from raised to completed.",
    response=SeriesImpact,
    errors=(401, 403, 404),
)
def series_impact(series_id: int) -> Response:
    """Return a series' impact figures (any staff member)."""
    impact = services.series_impact(get_session(), actor(), series_id, clock=app_clock())
    return jsonify(impact_to_dict(impact))
