"""Kiosk pages (``/kiosk/<code>``): a shared tablet at the door for people without a phone.

A facilitator or admin starts the kiosk on the tablet itself ("Open the kiosk on this device" on
the meeting's staff page). That ends their login in that browser and puts a kiosk pass in its
signed session instead; ``pages.kiosk_lock`` then keeps the browser on the kiosk, so a passer-by
can reach no staff page. Each person's concern or survey response is sent by a fresh participant
that exists only in that one request: no participant cookie is ever set, nothing of one person
is shown to the next (the thank-you screen names nothing they wrote, every page is ``no-store``,
forms have ``autocomplete="off"``), and the screen clears itself after sending and after a spell
of idleness (static/js/kiosk.js; without JavaScript the thank-you page refreshes itself).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from ysdw_live.actors import Actor
from ysdw_live.auth.models import MEETING_MANAGERS
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import ConcernStatus
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, Forbidden
from ysdw_live.i18n import gettext
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant
from ysdw_live.pages import flash_refusal, form_error_list, staff_page
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.models import Survey
from ysdw_live.web import PARTICIPANT_COOKIE, actor, app_clock, enter_kiosk, kiosk_pass, limiter

bp = Blueprint("kiosk", __name__)

# What the thank-you screen may say was sent (never what was written).
SENT = {"concern", "pending", "survey"}
# Seconds the "Are you still there?" countdown runs before an idle kiosk clears itself.
WARN_SECONDS = 20


def _page(template: str, status: int = 200, **context: Any) -> Any:
    """Render a kiosk page: never cached or kept (the next person must not find it), no participant cookie."""
    config = current_app.config
    response = current_app.make_response(
        (
            render_template(
                template,
                idle_seconds=config["KIOSK_IDLE_SECONDS"],
                thanks_seconds=config["KIOSK_THANKS_SECONDS"],
                warn_seconds=WARN_SECONDS,
                **context,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(PARTICIPANT_COOKIE)
    return response


def _kiosk_meeting(code: str) -> tuple[Meeting, meetings.KioskPass]:
    """Return the meeting and this browser's kiosk pass for it; refuse a browser that is not its kiosk."""
    meeting = meetings.get_meeting(get_session(), code)
    kiosk = kiosk_pass()
    if kiosk is None or kiosk.meeting_id != meeting.id:
        raise Forbidden(
            gettext(
                "This device is not a kiosk for this meeting. A facilitator starts the kiosk on the device "
                "itself, from the meeting's page."
            ),
            code="not_a_kiosk",
        )
    return meeting, kiosk


def _open_survey(db: Session, meeting: Meeting) -> Survey | None:
    """Return the meeting's survey while it is open, else None."""
    survey = surveys.survey_of_meeting(db, meeting)
    return survey if survey is not None and survey.is_open(app_clock().now()) else None


@bp.post("/kiosk/<code>/start")
@staff_page(MEETING_MANAGERS)
def start(code: str) -> Any:
    """Turn this browser into the meeting's kiosk (one click from the meeting's page); the login here ends."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    with flash_refusal():
        kiosk = meetings.start_kiosk(db, actor(), meeting, now=int(app_clock().now().timestamp()))
        enter_kiosk(kiosk)
        response = redirect(url_for("kiosk.home", code=meeting.code))
        response.delete_cookie(PARTICIPANT_COOKIE)
        return response
    return redirect(url_for("meetings.manage", code=meeting.code))


@bp.get("/kiosk/<code>")
def home(code: str) -> Any:
    """The next person's screen: a concern form while the meeting is live, the survey while it is open."""
    db = get_session()
    meeting, _kiosk = _kiosk_meeting(code)
    if code != meeting.code:
        return redirect(url_for("kiosk.home", code=meeting.code))
    survey = _open_survey(db, meeting)
    if meeting.status is not MeetingStatus.live and survey is not None:
        return redirect(url_for("kiosk.survey", code=meeting.code))
    return _concern_page(meeting, survey)


def _concern_page(meeting: Meeting, survey: Survey | None, *, errors: Any = None, form: Any = None) -> Any:
    """Render the concern form (also again, with what was typed, when it was refused)."""
    return _page(
        "kiosk/concern.html",
        400 if errors else 200,
        meeting=meeting,
        survey=survey,
        live=meeting.status is MeetingStatus.live,
        errors=errors or [],
        form=form or {},
        text_max=500,
    )


@bp.post("/kiosk/<code>/concerns")
def send_concern(code: str) -> Any:
    """Send one person's concern as a new participant; then the thank-you screen, which clears itself."""
    db = get_session()
    meeting, kiosk = _kiosk_meeting(code)
    form = request.form
    try:
        participant = meetings.kiosk_participant(db, meeting, kiosk, limiter=limiter())
        concern = concerns.submit_concern(
            db,
            Actor(participant=participant),
            meeting,
            text=form.get("text", ""),
            topic_id=form.get("topic_id") or None,
            limiter=limiter(),
        )
    except DomainError as error:
        db.rollback()  # the participant goes with the refused concern: a use that sent nothing is nobody
        page = _concern_page(meeting, _open_survey(db, meeting), errors=form_error_list(error), form=form.to_dict())
        page.status_code = error.status
        return page
    sent = "pending" if concern.status is ConcernStatus.pending else "concern"
    return redirect(url_for("kiosk.thanks", code=meeting.code, sent=sent))


@bp.get("/kiosk/<code>/survey")
def survey(code: str) -> Any:
    """The whole survey on one page, for one person (the equality questions are not asked at a kiosk)."""
    db = get_session()
    meeting, _kiosk = _kiosk_meeting(code)
    return _survey_page(meeting, _open_survey(db, meeting))


def _survey_page(meeting: Meeting, survey: Survey | None, *, errors: Any = None, given: Any = None) -> Any:
    """Render the one-page survey, or say it is not open."""
    return _page(
        "kiosk/survey.html",
        400 if errors else 200,
        meeting=meeting,
        survey=survey,
        live=meeting.status is MeetingStatus.live,
        errors=errors or [],
        given=given or {},
        field_of=surveys.answer_field,
    )


def _answers_from_form(survey: Survey) -> dict[str, Any]:
    """Return the API's answers from the one-page form (inputs named after each question's field)."""
    answers: dict[str, Any] = {}
    for question in survey.questions:
        value = question.field.from_form(request.form.getlist(surveys.answer_field(question)))
        if value is not None and value != []:
            answers[str(question.id)] = value
    return answers


@bp.post("/kiosk/<code>/survey")
def send_survey(code: str) -> Any:
    """Send one person's survey response as a new participant; then the thank-you screen."""
    db = get_session()
    meeting, kiosk = _kiosk_meeting(code)
    found = _open_survey(db, meeting)
    if found is None:
        return _survey_page(meeting, None)
    answers = _answers_from_form(found)
    participant: Participant
    try:
        participant = meetings.kiosk_participant(db, meeting, kiosk, limiter=limiter())
        surveys.submit_response(db, Actor(participant=participant), found.id, answers, clock=app_clock())
    except DomainError as error:
        db.rollback()
        page = _survey_page(meeting, _open_survey(db, meeting), errors=form_error_list(error), given=answers)
        page.status_code = error.status
        return page
    return redirect(url_for("kiosk.thanks", code=meeting.code, sent="survey"))


@bp.get("/kiosk/<code>/thanks")
def thanks(code: str) -> Any:
    """Thank you, without a word of what was sent; the screen returns to an empty form by itself."""
    meeting, _kiosk = _kiosk_meeting(code)
    sent = request.args.get("sent")
    return _page("kiosk/thanks.html", meeting=meeting, sent=sent if sent in SENT else "concern")
