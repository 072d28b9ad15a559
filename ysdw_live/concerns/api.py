"""Concern endpoints of /api/v1: raise, list, vote, moderate, undo, projector, CSV export, counters."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ysdw_live.actors import Actor
from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PARTICIPANT, PARTICIPANT_OR_STAFF
from ysdw_live.concerns import services
from ysdw_live.concerns.models import Concern
from ysdw_live.concerns.schemas import (
    ConcernInput,
    ConcernList,
    ConcernModeration,
    ConcernQuery,
    ConcernWritten,
    Counters,
    Undone,
    VoteResult,
)
from ysdw_live.concerns.serializers import concern_to_dict, vote_to_dict
from ysdw_live.db import get_session
from ysdw_live.errors import Conflict
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting
from ysdw_live.meetings.schemas import Projector, ProjectorInput
from ysdw_live.meetings.serializers import projector_to_dict
from ysdw_live.web import actor, limiter, participant_token, writing_language


def _caller(meeting: Meeting) -> Actor:
    """Return the staff user and/or this device's participant in ``meeting``."""
    participant = meetings.find_participant(get_session(), meeting, participant_token())
    return actor(participant=participant)


@endpoint(
    "GET",
    "/meetings/<code>/concerns",
    summary="Concerns of a meeting: participants see approved and answered ones plus their own "
    "pending ones; staff see every status",
    query=ConcernQuery,
    response=ConcernList,
    errors=(401, 403, 404),
    security=PARTICIPANT_OR_STAFF,
)
def list_concerns(code: str, query: ConcernQuery) -> Response:
    """List concerns: staff see every status; a participant sees visible ones and their own pending ones."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    caller = _caller(meeting)
    if not caller.is_staff:
        if caller.participant is None:
            caller.require_password_chosen()  # a one-time staff login is told what to do, not to join
        services.require_participant(caller, meeting)
    found = services.list_concerns(db, caller, meeting, sort=query.sort, status=query.status)
    voted = services.voted_concern_ids(db, caller.participant, meeting) if caller.participant else set()
    return jsonify({"concerns": [concern_to_dict(c, voted=c.id in voted) for c in found], "version": meeting.version})


@endpoint(
    "POST",
    "/meetings/<code>/concerns",
    summary="Raise a concern (participant; pending when moderation is on), or enter one on "
    "someone's behalf with source facilitator (admin, facilitator; approved at once)",
    body=ConcernInput,
    response=ConcernWritten,
    status=201,
    errors=(401, 403, 404, 409, 429),
    security=PARTICIPANT_OR_STAFF,
)
def submit_concern(code: str, body: ConcernInput) -> tuple[Response, int]:
    """Raise a concern (participant), or enter one for someone with ``source: facilitator`` (staff)."""
    db = get_session()
    meeting, participant = meetings.meeting_and_participant(db, code, participant_token())
    caller = actor(participant=participant)
    concern = services.submit_concern(
        db,
        caller,
        meeting,
        **body.values(),
        client_key=request.headers.get("Idempotency-Key"),
        language=writing_language(),
        limiter=limiter(),
    )
    return created(_written(concern))


def _voter(concern_id: int) -> tuple[Concern, Actor]:
    """Return the concern (404 for an unknown one) and the caller as a participant of its meeting.

    The caller holds on to the concern: the session keeps loaded objects only while they are
    referenced, and the vote service finds it (and its meeting) there instead of querying again.
    """
    concern, participant = services.concern_and_voter(get_session(), concern_id, participant_token())
    return concern, actor(participant=participant)


@endpoint(
    "PUT",
    "/concerns/<int:concern_id>/vote",
    summary="Upvote a concern (idempotent; one vote per participant)",
    response=VoteResult,
    errors=(401, 404, 409, 429),
    security=PARTICIPANT,
)
def vote(concern_id: int) -> Response:
    """Upvote a concern; doing it again changes nothing."""
    concern, caller = _voter(concern_id)
    concern = services.vote(get_session(), caller, concern.id, limiter=limiter())
    return jsonify(vote_to_dict(concern, voted=True))


@endpoint(
    "DELETE",
    "/concerns/<int:concern_id>/vote",
    summary="Take back an upvote (idempotent)",
    response=VoteResult,
    errors=(401, 404, 409, 429),
    security=PARTICIPANT,
)
def unvote(concern_id: int) -> Response:
    """Take back an upvote; doing it again changes nothing."""
    concern, caller = _voter(concern_id)
    concern = services.unvote(get_session(), caller, concern.id, limiter=limiter())
    return jsonify(vote_to_dict(concern, voted=False))


@endpoint(
    "PATCH",
    "/concerns/<int:concern_id>",
    summary="Moderate a concern: status, highlight, text, topic (admin, facilitator)",
    body=ConcernModeration,
    response=ConcernWritten,
    errors=(401, 403, 404, 409),
)
def moderate(concern_id: int, body: ConcernModeration) -> Response:
    """Approve, dismiss, answer, archive, edit, re-topic or highlight a concern (admin, facilitator)."""
    concern = services.moderate(get_session(), actor(), concern_id, body.values())
    return jsonify(_written(concern))


def _written(concern: Concern) -> dict[str, Any]:
    """Return a concern a write left, with the meeting version its state is as of.

    The service leaves the meeting's version at the write's own version (or, when nothing
    changed, at a version no newer than the concern's state), so a page can order this reply
    against the events it receives.
    """
    version = concern.meeting.version
    return {**concern_to_dict(concern, voted=False), "version": version}


@endpoint(
    "POST",
    "/meetings/<code>/moderation/undo",
    summary="Undo the meeting's last moderation step (admin, facilitator)",
    response=Undone,
    errors=(401, 403, 404, 409),
)
def undo(code: str) -> Response:
    """Undo the meeting's last moderation step (admin, facilitator)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    concern = services.undo_last(db, actor(), meeting)
    if concern is None:
        raise Conflict("There is nothing to undo.", code="nothing_to_undo")
    return jsonify({"concern": concern_to_dict(concern, voted=False), "version": meeting.version})


@endpoint(
    "PATCH",
    "/meetings/<code>/projector",
    summary="Choose what the projector shows: join, concerns, poll, report_back or survey "
    "(409 without a survey) (admin, facilitator)",
    body=ProjectorInput,
    response=Projector,
    errors=(401, 403, 404, 409),
)
def set_projector(code: str, body: ProjectorInput) -> Response:
    """Choose what the projector shows (admin, facilitator)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    services.set_projector(db, actor(), meeting, **body.values())
    return jsonify(projector_to_dict(meeting))


@endpoint(
    "GET",
    "/meetings/<code>/counters",
    summary="Live counters for the console (staff)",
    response=Counters,
    errors=(401, 403, 404),
)
def counters(code: str) -> Response:
    """The console's live counters (staff)."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    actor().require_staff()
    return jsonify({**services.meeting_counters(db, meeting), "version": meeting.version})
