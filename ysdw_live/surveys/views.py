"""Survey pages: the respondent's form (one question per page, no JavaScript needed) and the staff pages.

The respondent's pages live under the meeting's join link (``/j/<code>/survey``): anyone with it may
answer, having joined the live meeting or not (opening it mints a participant cookie). Answers are
kept as a draft between pages; equality answers go straight from their page into the response.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from ysdw_live.actors import Actor
from ysdw_live.auth.models import MEETING_MANAGERS
from ysdw_live.db import declare_writer, get_session
from ysdw_live.errors import Conflict, NotAuthenticated, ValidationError
from ysdw_live.i18n import gettext, translated
from ysdw_live.meetings import qr
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.pages import flash_refusal, form_error_list, staff_page
from ysdw_live.surveys import services
from ysdw_live.surveys.content import EQUALITY, PREFER_NOT_TO_SAY
from ysdw_live.surveys.models import QuestionKind, Survey, SurveyQuestion
from ysdw_live.surveys.serializers import survey_url
from ysdw_live.web import actor, address_key, app_clock, limiter, participant_token, set_participant_cookie

bp = Blueprint("surveys", __name__)


def _meeting_and_survey(code: str) -> tuple[Meeting, Survey]:
    """Return the meeting with ``code`` and its survey; a meeting without one has no survey page."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    survey = services.survey_of_meeting(db, meeting)
    if survey is None:
        raise Conflict(gettext("This meeting has no survey yet."), code="no_survey")
    return meeting, survey


def _respondent(meeting: Meeting) -> Participant:
    """Return this browser's participant in the meeting, or send it to the survey's start page."""
    participant = meetings.find_participant(get_session(), meeting, participant_token())
    if participant is None:
        raise NotAuthenticated(gettext("Open the survey's link first."), code="not_joined")
    return participant


def _page(template: str, status: int = 200, **context: Any) -> Any:
    """Render a respondent page, never cached (it holds a person's answers)."""
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _number(survey: Survey, number: int) -> SurveyQuestion:
    """Return the survey's ``number``-th question (1-based) or answer 404."""
    if not 1 <= number <= len(survey.questions):
        raise NotFound()
    return survey.questions[number - 1]


@bp.get("/j/<code>/survey")
def start(code: str) -> Any:
    """The survey's own link: mint a participant cookie if needed, then say what the survey is."""
    declare_writer()  # opening the link may create the participant
    db = get_session()
    meeting, survey = _meeting_and_survey(code)
    if code != meeting.code:
        return redirect(url_for("surveys.start", code=meeting.code))
    participant, token = meetings.join(
        db, meeting, participant_token(), address_key=address_key(), limiter=limiter(), replace_unknown=True
    )
    if services.has_responded(db, survey, participant):
        response = redirect(url_for("surveys.done", code=meeting.code))
    else:
        response = _page(
            "surveys/start.html",
            meeting=meeting,
            survey=survey,
            is_open=survey.is_open(app_clock().now()),
            local=app_clock().local,
        )
    set_participant_cookie(response, token)
    return response


@bp.route("/j/<code>/survey/<int:number>", methods=["GET", "POST"])
def question(code: str, number: int) -> Any:
    """One question per page, with "Continue"; ``?change=1`` comes back to the check page."""
    db = get_session()
    meeting, survey = _meeting_and_survey(code)
    participant = _respondent(meeting)
    item = _number(survey, number)
    changing = request.values.get("change") == "1"
    if services.has_responded(db, survey, participant):
        return redirect(url_for("surveys.done", code=meeting.code))
    errors: list[tuple[str, str]] = []
    value = services.draft_answers(db, survey, participant).get(str(item.id))
    if request.method == "POST":
        value = item.field.from_form(request.form.getlist("answer"))
        try:
            services.save_draft_answer(db, Actor(participant=participant), survey, item, value, clock=app_clock())
        except ValidationError as error:
            db.rollback()
            errors = form_error_list(error)
        else:
            if changing or number == len(survey.questions):
                target = "surveys.check" if changing else "surveys.about_you"
                return redirect(url_for(target, code=meeting.code))
            return redirect(url_for("surveys.question", code=meeting.code, number=number + 1))
    return _page(
        "surveys/question.html",
        400 if errors else 200,
        meeting=meeting,
        survey=survey,
        question=item,
        number=number,
        value=value,
        errors=errors,
        changing=changing,
        field=services.answer_field(item),
    )


@bp.get("/j/<code>/survey/about-you")
def about_you(code: str) -> Any:
    """The equality monitoring section's own page: why it is asked, that it is optional, what happens."""
    meeting, survey = _meeting_and_survey(code)
    _respondent(meeting)
    return _page("surveys/about_you.html", meeting=meeting, survey=survey)


@bp.route("/j/<code>/survey/about-you/questions", methods=["GET", "POST"])
def equality(code: str) -> Any:
    """The equality monitoring questions, each with "Prefer not to say"; on to the check page."""
    meeting, survey = _meeting_and_survey(code)
    participant = _respondent(meeting)
    errors: list[tuple[str, str]] = []
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {q.key: request.form.get(q.key, "") for q in EQUALITY if request.form.get(q.key)}
        # With no JavaScript the ethnic background is one list grouped by heading: its group follows from it.
        detail = given.get("ethnic_detail")
        if detail and detail != PREFER_NOT_TO_SAY and "ethnic_group" not in given:
            given["ethnic_group"] = next((g for g, items in _ethnic_groups().items() if detail in items), "")
        # A follow-up ("if you answered yes") answered without its trigger is left out, as the page says.
        for question in EQUALITY:
            if question.follows and question.key in given and not services.equality_shown(question.key, given):
                del given[question.key]
        try:
            clean = services.check_equality(given)
        except ValidationError as error:
            errors = form_error_list(error)
        else:
            return _check_page(meeting, survey, participant, clean)
    return _page(
        "surveys/equality.html",
        400 if errors else 200,
        meeting=meeting,
        survey=survey,
        questions=EQUALITY,
        given=given,
        errors=errors,
    )


def _ethnic_groups() -> dict[str, tuple[str, ...]]:
    """The ethnic groups and the backgrounds in each."""
    return next(q.groups for q in EQUALITY if q.groups)


def _readable(question: SurveyQuestion, value: Any) -> Any:
    """An answer as its author reads it on the check page: option labels in the page's language."""
    if question.kind is QuestionKind.multiple and value:
        return "; ".join(translated(option.label) for option in question.options if option.id in value)
    shown = services.readable_answer(question, value)
    return translated(shown) if question.kind in (QuestionKind.single, QuestionKind.likert) else shown


def _check_page(
    meeting: Meeting, survey: Survey, participant: Participant, equality: dict[str, str], **extra: Any
) -> Any:
    """Render "Check your answers" with the draft, carrying the equality answers (if any) in the form."""
    answers = services.draft_answers(get_session(), survey, participant)
    return _page(
        "surveys/check.html",
        400 if extra.get("errors") else 200,
        meeting=meeting,
        survey=survey,
        answers=answers,
        equality=equality,
        readable=_readable,
        **extra,
    )


@bp.get("/j/<code>/survey/check")
def check(code: str) -> Any:
    """Check your answers before sending (the equality section skipped, or come back to after a change)."""
    meeting, survey = _meeting_and_survey(code)
    participant = _respondent(meeting)
    if services.has_responded(get_session(), survey, participant):
        return redirect(url_for("surveys.done", code=meeting.code))
    return _check_page(meeting, survey, participant, {})


@bp.post("/j/<code>/survey/send")
def send(code: str) -> Any:
    """Send the response: the draft's answers and the equality answers carried by the form, once."""
    db = get_session()
    meeting, survey = _meeting_and_survey(code)
    participant = _respondent(meeting)
    equality = {q.key: request.form[q.key] for q in EQUALITY if request.form.get(q.key)}
    answers = services.draft_answers(db, survey, participant)
    try:
        services.submit_response(db, Actor(participant=participant), survey.id, answers, equality, clock=app_clock())
    except ValidationError as error:
        db.rollback()
        return _check_page(meeting, survey, participant, {}, errors=form_error_list(error))
    except Conflict as error:
        db.rollback()
        if error.code == "already_answered":
            return redirect(url_for("surveys.done", code=meeting.code))
        raise
    return redirect(url_for("surveys.done", code=meeting.code))


@bp.get("/j/<code>/survey/done")
def done(code: str) -> Any:
    """Thank you, and where to see what the force does about what people said."""
    meeting, survey = _meeting_and_survey(code)
    return _page("surveys/done.html", meeting=meeting, survey=survey)


@bp.get("/j/<code>/survey/qr.svg")
def survey_qr(code: str) -> Response:
    """The QR code of the survey's own link."""
    meeting, _survey = _meeting_and_survey(code)
    response = Response(qr.svg(survey_url(meeting.code, current_app.config["PUBLIC_URL"])), mimetype="image/svg+xml")
    response.cache_control.max_age = 300
    return response


# ---------------------------------------------------------------------------------------------
# Staff pages
# ---------------------------------------------------------------------------------------------


def parse_custom_questions(text: str) -> list[dict[str, Any]]:
    """Read the staff form's questions: one a line, ``kind | question | option | option …``.

    A kind of ``text``, ``rating``, ``rating10`` or ``nps`` takes no options; ``likert`` defaults to
    the agree scale; ``single`` and ``multiple`` need two or more. A trailing ``*`` on the question makes it required.
    """
    questions: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        kind, _, rest = line.partition("|")
        parts = [part.strip() for part in rest.split("|")]
        prompt = parts[0] if parts else ""
        required = prompt.endswith("*")
        question: dict[str, Any] = {"kind": kind.strip().lower(), "prompt": prompt.rstrip("*").strip()}
        if required:
            question["required"] = True
        if question["kind"] == "rating10":
            question.update(kind="rating", scale_max=10)
        if parts[1:]:
            question["options"] = [part for part in parts[1:] if part]
        questions.append(question)
    return questions


@bp.post("/staff/meetings/<code>/survey")
@staff_page(MEETING_MANAGERS)
def create(code: str) -> Any:
    """Create the meeting's survey from the template, or from the questions typed on the form."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    payload: dict[str, Any] = {"days": request.form.get("days") or None}
    if request.form.get("source") == "custom":
        payload["title"] = request.form.get("title", "")
        payload["questions"] = parse_custom_questions(request.form.get("questions", ""))
    else:
        payload["template"] = "trust_confidence"
    with flash_refusal():
        services.create_survey(db, actor(), meeting, payload, clock=app_clock())
        flash(gettext("The survey is open. Share its link or put it on the projector."))
    return redirect(url_for("meetings.manage", code=meeting.code) + "#survey")


@bp.post("/staff/surveys/<int:survey_id>/status")
@staff_page(MEETING_MANAGERS)
def change_status(survey_id: int) -> Any:
    """Open or close a survey from a button."""
    db = get_session()
    survey = services.get_survey(db, survey_id)
    code = survey.meeting.code
    target = request.form.get("status", "")
    with flash_refusal():
        services.update_survey(
            db, actor(), survey_id, {"status": target, "days": request.form.get("days") or None}, clock=app_clock()
        )
        flash(gettext("The survey is open.") if target == "open" else gettext("The survey is closed."))
    return redirect(url_for("meetings.manage", code=code) + "#survey")


@bp.get("/staff/surveys/<int:survey_id>")
@staff_page(MEETING_MANAGERS)
def results(survey_id: int) -> Any:
    """The survey's results: per question counts and percentages with charts and tables, text answers, equality."""
    db = get_session()
    survey = services.get_survey(db, survey_id)
    found = services.results(db, actor(), survey_id, clock=app_clock())
    return render_template(
        "surveys/results.html",
        survey=survey,
        meeting=survey.meeting,
        results=found,
        next_meeting=services.next_meeting(db, survey.meeting),
        survey_link=survey_url(survey.meeting.code, current_app.config["PUBLIC_URL"]),
    )


@bp.post("/staff/surveys/<int:survey_id>/answers/<int:answer_id>/concern")
@staff_page(MEETING_MANAGERS)
def answer_to_concern(survey_id: int, answer_id: int) -> Any:
    """Turn a free-text answer into a concern of the series' next meeting, in one click."""
    with flash_refusal():
        target, number = services.turn_into_concern(get_session(), actor(), answer_id)
        flash(gettext("Added as concern %(number)d of “%(title)s”.", number=number, title=target.title))
    return redirect(url_for("surveys.results", survey_id=survey_id) + "#text-answers")
