"""Survey endpoints of /api/v1: read, respond once, create, open and close, results, CSV."""

from __future__ import annotations

from flask import Response, jsonify

from ysdw_live.actors import Actor
from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PARTICIPANT, PARTICIPANT_OR_STAFF
from ysdw_live.csv_export import csv_download
from ysdw_live.db import declare_writer, get_session
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.serializers import iso
from ysdw_live.surveys import services
from ysdw_live.surveys.schemas import ResponseCreated, ResponseInput, Survey, SurveyInput, SurveyPatch, SurveyResults
from ysdw_live.surveys.serializers import survey_to_dict
from ysdw_live.web import actor, app_clock, participant_token


def _caller_for(survey_id: int) -> Actor:
    """Return the staff user and this device's participant in the survey's meeting."""
    db = get_session()
    survey = services.get_survey(db, survey_id)
    return actor(participant=meetings.find_participant(db, survey.meeting, participant_token()))


@endpoint(
    "GET",
    "/surveys/<int:survey_id>",
    summary="A survey (participants of its meeting, and staff)",
    response=Survey,
    errors=(404,),
    security=PARTICIPANT_OR_STAFF,
)
def get_survey(survey_id: int) -> Response:
    """Return a survey to a participant of its meeting or to staff; 404 to anyone else."""
    survey = services.survey_for_caller(get_session(), _caller_for(survey_id), survey_id)
    return jsonify(survey_to_dict(survey, app_clock().now()))


@endpoint(
    "POST",
    "/surveys/<int:survey_id>/responses",
    summary="Answer a survey once (participant of its meeting); a second response is 409",
    body=ResponseInput,
    response=ResponseCreated,
    status=201,
    errors=(401, 404, 409),
    security=PARTICIPANT,
)
def respond(survey_id: int, body: ResponseInput) -> tuple[Response, int]:
    """Store the caller's response; 409 when the survey is closed or the caller already answered."""
    response = services.submit_response(
        get_session(), _caller_for(survey_id), survey_id, body.answers, body.equality, clock=app_clock()
    )
    return created({"id": response.id, "survey_id": response.survey_id, "created_at": iso(response.created_at)})


@endpoint(
    "POST",
    "/meetings/<code>/surveys",
    summary="Create the meeting's survey from the trust_confidence template or from questions; "
    "it opens at once (admin, facilitator)",
    body=SurveyInput,
    response=Survey,
    status=201,
    errors=(401, 403, 404, 409),
)
def create_survey(code: str, body: SurveyInput) -> tuple[Response, int]:
    """Create and open a meeting's survey (admin, facilitator); 409 when it has one already."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    survey = services.create_survey(db, actor(), meeting, body.values(), clock=app_clock())
    return created(survey_to_dict(services.get_survey(db, survey.id), app_clock().now()))


@endpoint(
    "PATCH",
    "/surveys/<int:survey_id>",
    summary="Open or close a survey, rename it, or replace its questions until someone answers (admin, facilitator)",
    body=SurveyPatch,
    response=Survey,
    errors=(401, 403, 404, 409),
)
def update_survey(survey_id: int, body: SurveyPatch) -> Response:
    """Change a survey's status, title or (until answered) questions."""
    survey = services.update_survey(get_session(), actor(), survey_id, body.values(), clock=app_clock())
    return jsonify(survey_to_dict(survey, app_clock().now()))


@endpoint(
    "GET",
    "/surveys/<int:survey_id>/results",
    summary="Per-question counts and percentages (null under 10 answers), free-text answers and equality "
    "monitoring in aggregate (groups under 10 suppressed) (admin, facilitator)",
    response=SurveyResults,
    errors=(401, 403, 404),
)
def survey_results(survey_id: int) -> Response:
    """Return the survey's results for staff."""
    return jsonify(services.results(get_session(), actor(), survey_id, clock=app_clock()))


@endpoint(
    "GET",
    "/surveys/<int:survey_id>/responses.csv",
    summary="Every response as CSV, one row each, without participant tokens or equality answers (admin, facilitator)",
    media_type="text/csv",
    errors=(401, 403, 404),
)
def survey_export(survey_id: int) -> Response:
    """Download the survey's responses as CSV (formula-safe)."""
    declare_writer()  # the export is itself noted in the audit trail
    header, rows = services.export_rows(get_session(), actor(), survey_id)
    return csv_download(header, rows, f"survey-{survey_id}-responses.csv")
