"""Pages: the home page with the code box, joining, the staff dashboard, meeting forms, the poster."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ysdw_live.auth.models import MEETING_MANAGERS, Role
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited, ValidationError
from ysdw_live.meetings import services
from ysdw_live.meetings.models import Meeting, MeetingMode, MeetingStatus, normalise_code
from ysdw_live.meetings.serializers import join_url
from ysdw_live.pages import flash_refusal, form_error_list, read_date, read_time, staff_page
from ysdw_live.polls import services as polls
from ysdw_live.privacy import notice
from ysdw_live.series.services import get_series
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.serializers import survey_url
from ysdw_live.web import actor, app_clock, check_code_lookup, count_code_miss

bp = Blueprint("meetings", __name__)

MODE_LABELS = {MeetingMode.in_person: "In person", MeetingMode.online: "Online", MeetingMode.hybrid: "Hybrid"}


@bp.app_template_filter("local_time")
def local_time(moment: Any, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format a UTC datetime in the zone of ``YSDW_TIMEZONE``."""
    if moment is None:
        return "Not set"
    return app_clock().local(moment).strftime(fmt)


@bp.app_template_filter("mode_label")
def mode_label(mode: MeetingMode) -> str:
    """Return a mode in words."""
    return MODE_LABELS[mode]


@bp.get("/")
def home() -> Any:
    """The attendee home page: type the 6-character code."""
    return render_template("public/home.html", errors=[], code="")


@bp.post("/join")
def join_by_code() -> Any:
    """Take a typed code to its meeting, or explain what is wrong with it."""
    typed = request.form.get("code", "")
    code = normalise_code(typed)
    message = "Enter the 6-character code shown on the screen, like K7P2QX."
    status = 400
    if code is not None:
        try:
            check_code_lookup(code)
            services.get_meeting(get_session(), code)
        except DomainError as error:
            refusal = count_code_miss(error)
            message = refusal.message
            status = 429 if isinstance(refusal, RateLimited) else 400
        else:
            return redirect(url_for("live.join", code=code))
    return render_template("public/home.html", errors=[("code", message)], code=typed), status


@bp.get("/dashboard")
@staff_page()
def dashboard() -> Any:
    """Live, upcoming and past meetings for staff."""
    from ysdw_live.series.services import list_series

    user = actor().user
    unedited = user is not None and user.role is Role.admin and notice.is_unedited(current_app.instance_path)
    return render_template(
        "staff/dashboard.html",
        groups=services.dashboard(get_session(), actor()),
        series_list=list_series(get_session()),
        privacy_notice_unedited=unedited,
        privacy_notice_file=notice.notice_path(current_app.instance_path),
    )


def _form_to_payload(form: Any) -> dict[str, Any]:
    """Turn the meeting form's fields into service input (the start is typed in the configured zone)."""
    payload: dict[str, Any] = {
        "title": form.get("title", ""),
        "venue": form.get("venue", ""),
        "mode": form.get("mode", "in_person"),
        "moderation": form.get("moderation") == "on",
    }
    problems: dict[str, str] = {}
    day = at = None
    try:
        day = read_date(form, "starts_at", "The date of the meeting")
    except ValidationError as error:
        problems.update(error.fields)
    try:
        at = read_time(form.get("starts_at_time"), "starts_at_time", "The start time")
    except ValidationError as error:
        problems.update(error.fields)
    if not problems and day is None and at is not None:
        problems["starts_at"] = "Enter the date of the meeting"
    elif not problems and day is not None and at is None:
        problems["starts_at_time"] = "Enter the start time, like 18:30"
    if problems:
        services.check_details(payload, problems)  # raises, naming the other fields' problems too
    payload["starts_at"] = app_clock().from_local(datetime.combine(day, at)) if day and at else None
    return payload


def _meeting_form_values(meeting: Meeting | None) -> dict[str, Any]:
    """Return the form's initial values."""
    if meeting is None:
        return {
            "title": "",
            "venue": "",
            "mode": "in_person",
            "moderation": "on",
            "starts_at": "",
            "starts_at_time": "",
        }
    return {
        "title": meeting.title,
        "venue": meeting.venue,
        "mode": meeting.mode.value,
        "moderation": "on" if meeting.moderation else "",
        "starts_at": app_clock().local(meeting.starts_at).date().isoformat() if meeting.starts_at else "",
        "starts_at_time": app_clock().local(meeting.starts_at).strftime("%H:%M") if meeting.starts_at else "",
    }


@bp.route("/staff/series/<int:series_id>/meetings/new", methods=["GET", "POST"])
@staff_page(MEETING_MANAGERS)
def new_meeting(series_id: int) -> Any:
    """Create a meeting in a series."""
    series = get_series(get_session(), series_id)
    errors: list[tuple[str, str]] = []
    form: Any = _meeting_form_values(None)
    if request.method == "POST":
        form = request.form
        try:
            payload = _form_to_payload(form)
            meeting = services.create_meeting(get_session(), actor(), series_id, **payload)
        except DomainError as error:
            get_session().rollback()
            errors = form_error_list(error)
        else:
            flash(f"Meeting created. Its join code is {meeting.code}.")
            return redirect(url_for("meetings.manage", code=meeting.code))
    return render_template(
        "staff/meeting_form.html", errors=errors, form=form, series=series, meeting=None, modes=MODE_LABELS
    ), 400 if errors else 200


@bp.get("/staff/meetings/<code>")
@staff_page()
def manage(code: str) -> Any:
    """A meeting's page for staff: details, status controls and links."""
    db = get_session()
    meeting = services.get_meeting(db, code)
    survey = surveys.survey_of_meeting(db, meeting)
    return render_template(
        "staff/meeting_show.html",
        meeting=meeting,
        join_url=join_url(meeting, current_app.config["PUBLIC_URL"]),
        back="staff",
        **polls.staff_panel(db, actor(), meeting),
        survey=survey,
        survey_open=survey is not None and survey.is_open(app_clock().now()),
        survey_responses=surveys.response_count(db, survey) if survey is not None else 0,
        survey_link=survey_url(meeting.code, current_app.config["PUBLIC_URL"]),
        local=app_clock().local,
    )


@bp.route("/staff/meetings/<code>/edit", methods=["GET", "POST"])
@staff_page(MEETING_MANAGERS)
def edit_meeting(code: str) -> Any:
    """Edit a meeting's details."""
    meeting = services.get_meeting(get_session(), code)
    errors: list[tuple[str, str]] = []
    form: Any = _meeting_form_values(meeting)
    if request.method == "POST":
        form = request.form
        try:
            services.update_meeting(get_session(), actor(), meeting.code, _form_to_payload(form))
        except DomainError as error:
            get_session().rollback()
            errors = form_error_list(error)
        else:
            flash("Meeting saved.")
            return redirect(url_for("meetings.manage", code=meeting.code))
    return render_template(
        "staff/meeting_form.html", errors=errors, form=form, series=meeting.series, meeting=meeting, modes=MODE_LABELS
    ), 400 if errors else 200


@bp.post("/staff/meetings/<code>/status")
@staff_page(MEETING_MANAGERS)
def change_status(code: str) -> Any:
    """Go live, close or reopen a meeting from a button."""
    meeting = services.get_meeting(get_session(), code)
    target = request.form.get("status", "")
    with flash_refusal():
        services.update_meeting(get_session(), actor(), meeting.code, {"status": target})
        words = {MeetingStatus.live.value: "is live", MeetingStatus.closed.value: "is closed"}
        flash(f"The meeting {words.get(target, 'was updated')}.")
    return redirect(
        request.form.get("next")
        if request.form.get("next", "").startswith("/staff/")
        else url_for("meetings.manage", code=meeting.code)
    )


@bp.get("/staff/meetings/<code>/poster")
@staff_page()
def poster(code: str) -> Any:
    """A printable poster: big QR code, the code in large letters, the URL and the title."""
    meeting = services.get_meeting(get_session(), code)
    return render_template(
        "staff/poster.html",
        meeting=meeting,
        join_url=join_url(meeting, current_app.config["PUBLIC_URL"]),
        home_url=current_app.config["PUBLIC_URL"],
    )
