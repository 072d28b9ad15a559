"""Poll endpoints of /api/v1: list, answer, results (participants); prepare, edit, open, close, reveal (staff)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from ysdw_live.actors import Actor
from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PARTICIPANT, PARTICIPANT_OR_STAFF
from ysdw_live.db import get_session
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting
from ysdw_live.polls import services
from ysdw_live.polls.schemas import Answered, Poll, PollAnswer, PollChange, PollInput, PollList, PollResults
from ysdw_live.polls.serializers import poll_to_dict
from ysdw_live.web import actor, limiter, participant_token


def _caller(meeting: Meeting) -> Actor:
    """Return the staff user and/or this device's participant in ``meeting``."""
    participant = meetings.find_participant(get_session(), meeting, participant_token())
    return actor(participant=participant)


@endpoint(
    "GET",
    "/meetings/<code>/polls",
    summary="Polls of a meeting: the open ones for participants, every one for staff",
    response=PollList,
    errors=(401, 403, 404),
    security=PARTICIPANT_OR_STAFF,
)
def list_polls(code: str) -> Response:
    """List the meeting's open polls (participants) or all of its polls (staff)."""
    db = get_session()
    meeting, participant = meetings.meeting_and_participant(db, code, participant_token())
    caller = actor(participant=participant)
    if not caller.is_staff:
        if caller.participant is None:
            caller.require_password_chosen()
        services.require_participant(caller, meeting)
    return jsonify({"polls": [poll_to_dict(poll) for poll in services.list_polls(db, caller, meeting)]})


@endpoint(
    "POST",
    "/polls/<int:poll_id>/responses",
    summary="Answer a poll with the field of its kind: option_ids (single, multiple), value (rating), "
    "text (word_cloud, open_text) or ranking; answering again replaces the answer while the poll is open",
    body=PollAnswer,
    response=Answered,
    status=201,
    errors=(401, 404, 409, 429),
    security=PARTICIPANT,
)
def answer(poll_id: int, body: PollAnswer) -> tuple[Response, int]:
    """Answer a poll (participant); 409 unless it is open."""
    db = get_session()
    poll, participant = services.poll_and_participant(db, poll_id, participant_token())
    stored = services.answer_poll(
        db,
        actor(participant=participant),
        poll,
        body.values(),
        limiter=limiter(),
        blocked_words=current_app.config["POLL_BLOCKED_WORDS"],
    )
    return created({"poll_id": poll_id, "answer": stored})


@endpoint(
    "GET",
    "/polls/<int:poll_id>/results",
    summary="A poll's results: staff always, participants of its meeting once revealed (403 while hidden)",
    response=PollResults,
    errors=(401, 403, 404),
    security=PARTICIPANT_OR_STAFF,
)
def results(poll_id: int) -> Response:
    """A poll's results, by kind."""
    db = get_session()
    poll, participant = services.poll_and_participant(db, poll_id, participant_token())
    caller = actor(participant=participant)
    if not caller.is_staff and caller.participant is None:
        caller.require_password_chosen()  # a one-time staff login is told what to do, not to join
    return jsonify(services.poll_results(db, caller, poll.id))


@endpoint(
    "POST",
    "/meetings/<code>/polls",
    summary="Prepare a poll, as a draft (admin, facilitator)",
    body=PollInput,
    response=Poll,
    status=201,
    errors=(401, 403, 404, 409),
)
def create_poll(code: str, body: PollInput) -> tuple[Response, int]:
    """Prepare a poll in a draft or live meeting."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    poll = services.create_poll(db, actor(), meeting, **body.values())
    return created(poll_to_dict(poll))


@endpoint(
    "PATCH",
    "/polls/<int:poll_id>",
    summary="Open, close or reveal a poll; edit its question and options until the first answer (admin, facilitator)",
    body=PollChange,
    response=Poll,
    errors=(401, 403, 404, 409),
)
def change_poll(poll_id: int, body: PollChange) -> Response:
    """Change a poll's status, results visibility or (until answered) its wording."""
    poll = services.change_poll(get_session(), actor(), poll_id, body.values())
    return jsonify(poll_to_dict(poll))
