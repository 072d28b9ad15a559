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
from werkzeug.datastructures import MultiDict

from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.auth.models import MEETING_MANAGERS
from ysdw_live.concerns import services
from ysdw_live.concerns.models import Concern, ConcernStatus
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, NotFound
from ysdw_live.i18n import gettext, ngettext
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant, hash_device_token
from ysdw_live.meetings.serializers import join_url
from ysdw_live.pages import carry_form, flash_refusal, form_error_list, staff_page
from ysdw_live.polls import services as polls
from ysdw_live.polls.kinds import PollKind
from ysdw_live.realtime.batching import vote_batcher
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.serializers import survey_url
from ysdw_live.web import (
    actor,
    address_key,
    app_clock,
    limiter,
    participant_token,
    set_participant_cookie,
    writing_language,
)

bp = Blueprint("live", __name__)

SORTS = ("top", "recent")
# How many concerns the projector draws (static/js/projector.js fits them to the screen).
PROJECTOR_TOP = 8
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
    participant: Participant | None,
    *,
    errors: list[tuple[str, str]] | None = None,
    form: dict[str, Any] | None = None,
    poll_form: Any = None,
    status: int = 200,
) -> Any:
    """Render the attendee page for ``participant`` (also after a failed form post; ``poll_form``: a poll's).

    ``participant`` is None for a browser that has only opened the link: it sees the meeting, and
    joins with its first real action (a form post, or the page's script once it runs).
    """
    db = get_session()
    caller = Actor(participant=participant)
    sort = _sort_arg()
    concerns = services.list_concerns(db, caller, meeting, sort=sort)
    # Once the meeting has ended nothing is "on screen now": the highlighted concern stays in the list.
    highlighted, others = pin_highlighted(concerns) if meeting.status is not MeetingStatus.closed else (None, concerns)
    context: dict[str, Any] = {
        "meeting": meeting,
        "participant": participant,
        "concerns": others,
        "highlighted": highlighted,
        "joined": participant is not None,
        "voted_ids": services.voted_concern_ids(db, participant, meeting) if participant else set(),
        "hidden_count": len(services.my_hidden_concerns(db, participant)) if participant else 0,
        "sort": sort,
        "errors": errors or [],
        "form": form or {},
        "text_max": 500,
        "polls": polls.list_polls(db, caller, meeting),
        "poll_answer": poll_form or MultiDict(),
    }
    context.update(_loop_closing_context(meeting, participant))
    survey = surveys.survey_of_meeting(db, meeting)
    context["survey_open"] = survey is not None and survey.is_open(app_clock().now())
    response = current_app.make_response((render_template("attendee/meeting.html", **context), status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _loop_closing_context(meeting: Meeting, participant: Participant | None) -> dict[str, Any]:
    """Return the report-back actions and what happened to what this device raised before.

    A returning phone that has not joined this meeting yet is still recognised by its own token.
    """
    db = get_session()
    token = participant_token()
    device_hash = participant.device_hash if participant is not None else (hash_device_token(token) if token else None)
    return {
        "report_back_actions": actions.report_back(db, meeting),
        "follow_ups": actions.follow_ups_for(db, meeting, device_hash) if device_hash else [],
    }


def _join(db: Session, meeting: Meeting) -> tuple[Participant, str]:
    """Join ``meeting`` as this browser; a cookie this server never issued is replaced, not adopted."""
    return meetings.join(
        db, meeting, participant_token(), address_key=address_key(), limiter=limiter(), replace_unknown=True
    )


@bp.get("/j/<code>")
def join(code: str) -> Any:
    """Show a meeting from its QR code or link, creating nothing.

    Opening the link does not join: link previews (chat apps, mail scanners) fetch it too, and
    would count as people who joined. The phone joins with its first real action: raising a
    concern, voting or answering a poll (plain form posts), or the page's script, which joins
    with a POST once it runs and before it connects for live updates.
    """
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    if code != meeting.code:
        return redirect(url_for("live.join", code=meeting.code))
    return _render_attendee_page(meeting, meetings.find_participant(db, meeting, participant_token()))


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
            # The form's own key: sent twice (a double tap on a slow line), it raises one concern.
            client_key=form.get("client_key") or None,
            language=writing_language(),
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
        flash(gettext("Thank you. Your concern is waiting for the moderator and will appear once approved."))
    else:
        flash(gettext("Thank you. Your concern has been added."))
    response = redirect(url_for("live.join", code=meeting.code, sort="recent") + f"#concern-{concern.id}")
    set_participant_cookie(response, token)
    return response


def _poll_form_answer(kind: PollKind, form: Any) -> dict[str, Any]:
    """Return the API's answer payload from a poll's plain form (ranking: a place chosen for each option)."""
    if kind in (PollKind.single, PollKind.multiple):
        return {"option_ids": [int(value) for value in form.getlist("option_ids") if value.isdigit()]}
    if kind is PollKind.rating:
        return {"value": form.get("value") or None}
    if kind is PollKind.ranking:
        places = {
            int(name.removeprefix("rank-")): value
            for name, value in form.items()
            if name.startswith("rank-") and name.removeprefix("rank-").isdigit() and value.isdigit()
        }
        if len(set(places.values())) != len(places):
            return {"ranking": []}  # two options in one place: not an order (refused as such)
        return {"ranking": sorted(places, key=lambda option_id: int(places[option_id]))}
    return {"text": form.get("text", "")}


@bp.post("/j/<code>/polls/<int:poll_id>")
def answer_poll(code: str, poll_id: int) -> Any:
    """Answer a poll from its plain form; errors come back on the page with an error summary."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    poll, participant = polls.poll_and_participant(db, poll_id, participant_token())
    if poll.meeting_id != meeting.id:
        raise NotFound(gettext("There is no poll with that number."), code="poll_not_found")
    token = None
    if participant is None:
        participant, token = _join(db, meeting)  # answering is a real action: it joins
    try:
        polls.answer_poll(
            db,
            Actor(participant=participant),
            poll,
            _poll_form_answer(poll.kind, request.form),
            limiter=limiter(),
            blocked_words=current_app.config["POLL_BLOCKED_WORDS"],
        )
    except DomainError as error:
        db.rollback()
        field = f"poll-{poll.id}"
        response = _render_attendee_page(
            meeting, participant, errors=[(field, error.message)], poll_form=request.form, status=error.status
        )
    else:
        flash(gettext("Thank you. Your answer was sent. You can change it while the poll is open."))
        response = redirect(url_for("live.join", code=meeting.code) + f"#poll-{poll.id}")
    if token is not None:
        set_participant_cookie(response, token)
    return response


@bp.post("/j/<code>/concerns/<int:concern_id>/vote")
def vote(code: str, concern_id: int) -> Any:
    """Add or remove this device's upvote from the plain form."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    participant, token = _join(db, meeting)  # voting is a real action: it joins
    caller = Actor(participant=participant)
    with flash_refusal():
        if request.form.get("vote") == "0":
            services.unvote(db, caller, concern_id, limiter=limiter())
        else:
            services.vote(db, caller, concern_id, limiter=limiter())
    sort = request.form.get("sort") if request.form.get("sort") in SORTS else "top"
    response = redirect(url_for("live.join", code=meeting.code, sort=sort) + f"#concern-{concern_id}")
    set_participant_cookie(response, token)
    return response


# The console's filter (a GET form; console.js applies the same rule as people type).
FILTER_STATUSES = ("pending", "approved", "answered", "dismissed", "archived")
FILTER_QUERY_MAX = 200


def console_filter() -> dict[str, str]:
    """Return the console's filter from the query string: ``q`` (words), ``topic`` (an id or "none"), ``status``."""
    topic = request.args.get("topic", "")
    status = request.args.get("status", "")
    return {
        "q": request.args.get("q", "").strip()[:FILTER_QUERY_MAX],
        "topic": topic if topic == "none" or topic.isdigit() else "",
        "status": status if status in FILTER_STATUSES else "",
    }


def filter_matches(concern: Concern, chosen: dict[str, str]) -> bool:
    """Whether ``concern`` passes the console's filter: every word of ``q`` in its text, author or number."""
    if chosen["status"] and concern.status.value != chosen["status"]:
        return False
    if chosen["topic"] == "none" and concern.topic_id is not None:
        return False
    if chosen["topic"].isdigit() and concern.topic_id != int(chosen["topic"]):
        return False
    haystack = f"#{concern.number} {concern.text} {concern.author_name or ''}".casefold()
    return all(word in haystack for word in chosen["q"].casefold().split())


def _console_context(meeting: Meeting) -> dict[str, Any]:
    """Return what the console shows: the queue, the live list, the rest, counters, the filter."""
    db = get_session()
    every = services.list_concerns(db, actor(), meeting, sort="recent")
    chosen = console_filter()
    shown_poll = polls.projector_poll_or_none(db, meeting)
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
        "filter": chosen,
        "filtered_out": {c.id for c in every if not filter_matches(c, chosen)},
        "projector_poll": shown_poll,
        "highlighted": next((c for c in every if c.highlighted and c.is_visible), None),
        "back": "console",
        **polls.staff_panel(db, actor(), meeting),
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
        flash(gettext("That moderation action is not known."), "error")
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
    flash(gettext("Concern added and shown to the room."))
    return redirect(url_for("live.console", code=meeting.code))


@bp.post("/moderate/<code>/undo")
@staff_page(MEETING_MANAGERS)
def undo(code: str) -> Any:
    """Undo the last moderation action."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        restored = services.undo_last(db, actor(), meeting)
        flash(gettext("Undone.") if restored else gettext("There is nothing to undo."))
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
            poll_id=request.form.get("poll_id") or None,
            action_index=request.form.get("action_index") or None,
        )
    return redirect(url_for("live.console", code=meeting.code))


# The polls panel's buttons map onto PATCH /polls/{id}.
POLL_STEPS: dict[str, dict[str, Any]] = {
    "open": {"status": "open"},
    "close": {"status": "closed"},
    "reveal": {"results_visible": True},
    "hide": {"results_visible": False},
}


def _back_to_polls(meeting: Meeting, anchor: str = "polls-panel") -> Any:
    """Return to the polls panel the form came from: the console, or the meeting's staff page."""
    if request.form.get("back") == "staff":
        return redirect(url_for("meetings.manage", code=meeting.code) + f"#{anchor}")
    return redirect(url_for("live.console", code=meeting.code) + f"#{anchor}")


# The projector's looks besides the default (white on near-black): see app.css.
PROJECTOR_THEMES = ("light", "contrast")

# The new-poll form's inputs, by the API field an error names (the error summary links to them).
POLL_FIELDS = {
    "kind": "poll-kind",
    "question": "poll-question",
    "options": "poll-options",
    "max_choices": "poll-max",
    "scale": "poll-scale",
    "results_visible": "poll-visible",
    "approve_answers": "poll-approve",
}
FREE_TEXT_KINDS = {PollKind.word_cloud.value, PollKind.open_text.value}


def _lines(value: str | None) -> list[str]:
    """Return the non-blank lines of a textarea."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@bp.get("/moderate/<code>/polls/panel")
@staff_page(MEETING_MANAGERS)
def polls_panel(code: str) -> Any:
    """The polls panel alone, as the console and the staff page draw it: their scripts refresh it live."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    return render_template(
        "moderate/_polls.html",
        meeting=meeting,
        back="staff" if request.args.get("back") == "staff" else "console",
        **polls.staff_panel(db, actor(), meeting),
    )


@bp.post("/moderate/<code>/polls")
@staff_page(MEETING_MANAGERS)
def create_poll(code: str) -> Any:
    """Prepare a poll from the panel's form; what was wrong comes back in the panel's error summary."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    form = request.form
    kind = form.get("kind", "")
    try:
        polls.create_poll(
            db,
            actor(),
            meeting,
            kind=kind,
            question=form.get("question", ""),
            options=_lines(form.get("options")),
            max_choices=form.get("max_choices") or None,
            scale=int(form["scale"]) if form.get("scale", "").isdigit() and kind == "rating" else None,
            results_visible=form.get("results_visible") == "on",
            # The tick box only means something for the free-text kinds (its hint says so).
            approve_answers=form.get("approve_answers") == "on" if kind in FREE_TEXT_KINDS else None,
        )
    except DomainError as error:
        db.rollback()
        errors = [(POLL_FIELDS.get(field, field), message) for field, message in form_error_list(error)]
        carry_form("poll", form, errors)
        return _back_to_polls(meeting, anchor="poll-new")
    flash(gettext("Poll prepared. Open it when the moment comes."))
    return _back_to_polls(meeting)


@bp.post("/moderate/<code>/polls/<int:poll_id>")
@staff_page(MEETING_MANAGERS)
def change_poll(code: str, poll_id: int) -> Any:
    """Open, close, reveal, hide, edit or project a poll from the panel."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    step = request.form.get("action", "")
    with flash_refusal():
        poll = polls.get_poll(db, poll_id)
        if poll.meeting_id != meeting.id:
            raise NotFound(gettext("There is no poll with that number."), code="poll_not_found")
        if step == "project":
            services.set_projector(db, actor(), meeting, mode="poll", poll_id=poll_id)
            flash(gettext("The poll is on the projector."))
        elif step == "edit":
            payload: dict[str, Any] = {"question": request.form.get("question", "")}
            if "options" in request.form:
                payload["options"] = _lines(request.form.get("options"))
            polls.change_poll(db, actor(), poll_id, payload)
            flash(gettext("Poll changed."))
        elif step in POLL_STEPS:
            polls.change_poll(db, actor(), poll_id, POLL_STEPS[step])
            flash(
                gettext("Poll opened.")
                if step == "open"
                else gettext("Poll closed.")
                if step == "close"
                else gettext("Poll changed.")
            )
        else:
            flash(gettext("Choose what to do with the poll."))
    return _back_to_polls(meeting)


@bp.post("/moderate/<code>/polls/<int:poll_id>/answers/<int:answer_id>")
@staff_page(MEETING_MANAGERS)
def moderate_poll_answer(code: str, poll_id: int, answer_id: int) -> Any:
    """Hold back one free-text answer from the projector, or show it after all."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        poll = polls.get_poll(db, poll_id)
        if poll.meeting_id != meeting.id:
            raise NotFound(gettext("There is no poll with that number."), code="poll_not_found")
        held = request.form.get("hidden") == "1"
        polls.moderate_answer(db, actor(), poll_id, answer_id, hidden=held)
        flash(gettext("Answer held back from the projector.") if held else gettext("Answer shown on the projector."))
    return _back_to_polls(meeting)


@bp.post("/moderate/<code>/polls/copy")
@staff_page(MEETING_MANAGERS)
def copy_polls(code: str) -> Any:
    """Copy an earlier meeting's polls into this one, as drafts."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        source = meetings.get_meeting(db, request.form.get("source", ""))
        copied = polls.copy_polls(db, actor(), meeting, source)
        flash(ngettext("Copied %(num)d poll as drafts.", "Copied %(num)d polls as drafts.", len(copied)))
    return _back_to_polls(meeting)


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
    shown_poll = polls.projector_poll_or_none(db, meeting)
    survey = surveys.survey_of_meeting(db, meeting)
    return render_template(
        "projector/present.html",
        # ?theme=light for a bright hall, ?theme=contrast for the most contrast (black, white, yellow).
        theme=request.args.get("theme") if request.args.get("theme") in PROJECTOR_THEMES else None,
        poll=shown_poll,
        poll_results=polls.results_for_screen(db, shown_poll) if shown_poll is not None else None,
        survey=survey,
        survey_link=survey_url(meeting.code, current_app.config["PUBLIC_URL"]),
        actions_link=f"{current_app.config['PUBLIC_URL'].rstrip('/')}/series/{meeting.series_id}/actions",
        meeting=meeting,
        highlighted=highlighted,
        concerns=others[:PROJECTOR_TOP],
        join_url=join_url(meeting, current_app.config["PUBLIC_URL"]),
        home_url=current_app.config["PUBLIC_URL"],
        report_back_actions=report_back_actions,
    )
