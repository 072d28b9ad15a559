"""Pages of the live meeting: the attendee page (/j), the facilitator console (/moderate), the projector (/present).

They live together, apart from any one domain, because each of them shows a meeting, its concerns
and its report-back actions at once. Every write here is a plain form post (works without
JavaScript) that calls the same services as the JSON API; the ES modules in static/js then take
over for live updates.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.auth.models import MEETING_MANAGERS
from ysdw_live.concerns import services
from ysdw_live.concerns.models import Concern, ConcernStatus
from ysdw_live.db import declare_writer, get_session
from ysdw_live.errors import DomainError, NotAuthenticated
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.meetings.serializers import join_url
from ysdw_live.pages import flash_refusal, form_error_list, staff_page
from ysdw_live.realtime.batching import vote_batcher
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.serializers import survey_url
from ysdw_live.web import actor, address_key, app_clock, limiter, participant_token, set_participant_cookie

bp = Blueprint("live", __name__)

SORTS = ("top", "recent")
# Form buttons of the console map onto the moderation payload of the API.
MODERATION_ACTIONS: dict[str, dict[str, Any]] = {
    "approve": {"status": "approved"},
    "dismiss": {"status": "dismissed"},
    "answered": {"status": "answered"},
    "archive": {"status": "archived"},
    "restore": {"status": "approved"},
    "highlight": {"highlighted": True},
    "unhighlight": {"highlighted": False},
}


def _sort_arg() -> str:
    """Return the requested sort order, defaulting to top."""
    sort = request.args.get("sort", "top")
    return sort if sort in SORTS else "top"


def pin_highlighted(concerns: list[Concern]) -> tuple[Concern | None, list[Concern]]:
    """Split off the highlighted concern so pages can pin it above the list."""
    highlighted = next((c for c in concerns if c.highlighted and c.is_visible), None)
    return highlighted, [c for c in concerns if c is not highlighted]


def _render_attendee_page(
    meeting: Meeting,
    participant: Participant,
    *,
    errors: list[tuple[str, str]] | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """Render the attendee page for ``participant`` (also after a failed form post)."""
    db = get_session()
    caller = Actor(participant=participant)
    sort = _sort_arg()
    concerns = services.list_concerns(db, caller, meeting, sort=sort)
    highlighted, others = pin_highlighted(concerns)
    context: dict[str, Any] = {
        "meeting": meeting,
        "participant": participant,
        "concerns": others,
        "highlighted": highlighted,
        "voted_ids": services.voted_concern_ids(db, participant, meeting),
        "hidden_count": len(services.my_hidden_concerns(db, participant)),
        "sort": sort,
        "errors": errors or [],
        "form": form or {},
        "text_max": 500,
    }
    context.update(_loop_closing_context(meeting, participant))
    survey = surveys.survey_of_meeting(db, meeting)
    context["survey_open"] = survey is not None and survey.is_open(app_clock().now())
    response = current_app.make_response((render_template("attendee/meeting.html", **context), status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _loop_closing_context(meeting: Meeting, participant: Participant) -> dict[str, Any]:
    """Return the report-back actions and what happened to what this device raised before."""
    db = get_session()
    return {
        "report_back_actions": actions.report_back(db, meeting),
        "follow_ups": actions.follow_ups_for_device(db, participant),
    }


def _participant_for(meeting: Meeting) -> Participant:
    """Return this browser's participant in ``meeting`` or send it to the join page."""
    participant = meetings.find_participant(get_session(), meeting, participant_token())
    if participant is None:
        raise NotAuthenticated("Open the meeting's join link first.", code="not_joined")
    return participant


def _join(db: Session, meeting: Meeting) -> tuple[Participant, str]:
    """Join ``meeting`` as this browser; a cookie this server never issued is replaced, not adopted."""
    return meetings.join(
        db, meeting, participant_token(), address_key=address_key(), limiter=limiter(), replace_unknown=True
    )


@bp.get("/j/<code>")
def join(code: str) -> Any:
    """Join a meeting from its QR code or link: set the participant cookie, show the meeting."""
    declare_writer()  # joining creates the participant
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    if code != meeting.code:
        return redirect(url_for("live.join", code=meeting.code))
    participant, token = _join(db, meeting)
    response = _render_attendee_page(meeting, participant)
    set_participant_cookie(response, token)
    return response


@bp.post("/j/<code>/concerns")
def submit(code: str) -> Any:
    """Raise a concern from the plain form."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    participant, token = _join(db, meeting)
    form = request.form
    try:
        concern = services.submit_concern(
            db,
            Actor(participant=participant),
            meeting,
            text=form.get("text", ""),
            topic_id=form.get("topic_id") or None,
            author_name=form.get("author_name") or None,
            limiter=limiter(),
        )
    except DomainError as error:
        db.rollback()
        response = _render_attendee_page(
            meeting, participant, errors=form_error_list(error), form=form.to_dict(), status=error.status
        )
        set_participant_cookie(response, token)
        return response
    if concern.status is ConcernStatus.pending:
        flash("Thank you. Your concern is waiting for the moderator and will appear once approved.")
    else:
        flash("Thank you. Your concern has been added.")
    response = redirect(url_for("live.join", code=meeting.code, sort="recent") + f"#concern-{concern.id}")
    set_participant_cookie(response, token)
    return response


@bp.post("/j/<code>/concerns/<int:concern_id>/vote")
def vote(code: str, concern_id: int) -> Any:
    """Add or remove this device's upvote from the plain form."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    participant = _participant_for(meeting)
    caller = Actor(participant=participant)
    with flash_refusal():
        if request.form.get("vote") == "0":
            services.unvote(db, caller, concern_id, limiter=limiter())
        else:
            services.vote(db, caller, concern_id, limiter=limiter())
    sort = request.form.get("sort") if request.form.get("sort") in SORTS else "top"
    return redirect(url_for("live.join", code=meeting.code, sort=sort) + f"#concern-{concern_id}")


def _console_context(meeting: Meeting) -> dict[str, Any]:
    """Return what the console shows: the queue, the live list, the rest, counters."""
    db = get_session()
    every = services.list_concerns(db, actor(), meeting, sort="recent")
    pending = sorted((c for c in every if c.status is ConcernStatus.pending), key=lambda c: c.id)
    live = sorted((c for c in every if c.is_visible), key=lambda c: (-c.votes, c.id))
    done = [c for c in every if c.status in (ConcernStatus.dismissed, ConcernStatus.archived)]
    return {
        "meeting": meeting,
        "pending": pending,
        "live": live,
        "done": done,
        "counters": services.meeting_counters(db, meeting),
        "join_url": join_url(meeting, current_app.config["PUBLIC_URL"]),
        "report_back_actions": actions.report_back(db, meeting),
        "survey": surveys.survey_of_meeting(db, meeting),
        "vote_surges": _vote_surges(meeting, every),
    }


def _vote_surges(meeting: Meeting, concerns: list[Concern]) -> list[dict[str, Any]]:
    """Return the vote surges this process saw lately in ``meeting``, each with its concern's number."""
    numbers = {concern.id: concern.number for concern in concerns}
    surges = vote_batcher(current_app._get_current_object()).surges(meeting.id)  # type: ignore[attr-defined]
    return [{**surge, "number": numbers.get(surge["concern_id"])} for surge in surges]


@bp.get("/moderate/<code>")
@staff_page(MEETING_MANAGERS)
def console(code: str) -> Any:
    """The facilitator console."""
    meeting = meetings.get_meeting(get_session(), code)
    return render_template("moderate/console.html", errors=[], form={}, **_console_context(meeting))


@bp.post("/moderate/<code>/concerns/<int:concern_id>")
@staff_page(MEETING_MANAGERS)
def moderate(code: str, concern_id: int) -> Any:
    """Apply one moderation action from a console button or the edit form."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    action = request.form.get("action", "")
    if action == "edit":
        payload: dict[str, Any] = {"text": request.form.get("text", "")}
        if "topic_id" in request.form:
            payload["topic_id"] = request.form.get("topic_id") or None
    else:
        payload = dict(MODERATION_ACTIONS.get(action, {}))
    if not payload:
        flash("That moderation action is not known.", "error")
    else:
        with flash_refusal():
            services.moderate(db, actor(), concern_id, payload)
    return redirect(url_for("live.console", code=meeting.code) + f"#concern-{concern_id}")


@bp.post("/moderate/<code>/concerns")
@staff_page(MEETING_MANAGERS)
def enter_concern(code: str) -> Any:
    """Enter a concern someone raised aloud or on paper."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    form = request.form
    try:
        services.submit_concern(
            db,
            actor(),
            meeting,
            text=form.get("text", ""),
            topic_id=form.get("topic_id") or None,
            source="facilitator",
            limiter=limiter(),
        )
    except DomainError as error:
        db.rollback()
        return render_template(
            "moderate/console.html", errors=form_error_list(error), form=form.to_dict(), **_console_context(meeting)
        ), error.status
    flash("Concern added and shown to the room.")
    return redirect(url_for("live.console", code=meeting.code))


@bp.post("/moderate/<code>/undo")
@staff_page(MEETING_MANAGERS)
def undo(code: str) -> Any:
    """Undo the last moderation action."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        restored = services.undo_last(db, actor(), meeting)
        flash("Undone." if restored else "There is nothing to undo.")
    return redirect(url_for("live.console", code=meeting.code))


@bp.post("/moderate/<code>/projector")
@staff_page(MEETING_MANAGERS)
def projector_control(code: str) -> Any:
    """Switch what the projector shows."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        services.set_projector(
            db,
            actor(),
            meeting,
            mode=request.form.get("mode", ""),
            concern_id=request.form.get("concern_id") or None,
            action_index=request.form.get("action_index") or None,
        )
    return redirect(url_for("live.console", code=meeting.code))


@bp.post("/moderate/<code>/settings")
@staff_page(MEETING_MANAGERS)
def settings(code: str) -> Any:
    """Go live, close, reopen, or switch moderation from the console."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    payload: dict[str, Any] = {}
    if "status" in request.form:
        payload["status"] = request.form["status"]
    if "moderation" in request.form:
        payload["moderation"] = request.form["moderation"] == "on"
    with flash_refusal():
        meetings.update_meeting(db, actor(), meeting.code, payload)
    return redirect(url_for("live.console", code=meeting.code))


@bp.get("/present/<code>")
def projector(code: str) -> Any:
    """The projector view: only what attendees may see."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    if code != meeting.code:
        return redirect(url_for("live.projector", code=meeting.code))
    concerns = services.list_concerns(db, Actor(), meeting, sort="top")
    highlighted, others = pin_highlighted(concerns)
    report_back_actions = actions.report_back(db, meeting)
    survey = surveys.survey_of_meeting(db, meeting)
    return render_template(
        "projector/present.html",
        survey=survey,
        survey_link=survey_url(meeting.code, current_app.config["PUBLIC_URL"]),
        meeting=meeting,
        highlighted=highlighted,
        concerns=others[:8],
        join_url=join_url(meeting, current_app.config["PUBLIC_URL"]),
        home_url=current_app.config["PUBLIC_URL"],
        report_back_actions=report_back_actions,
    )
