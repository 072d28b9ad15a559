"""Pages: the leaders' stream, the staff action list and action page, and the public record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ysdw_live import i18n, validation
from ysdw_live.actions import services
from ysdw_live.actions.models import FINISHED_STATUSES, NEEDS_REASON, STATUS_LABELS, Action, ActionStatus
from ysdw_live.auth.models import ALL_STAFF
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.i18n import gettext, translated
from ysdw_live.impact.services import public_summary
from ysdw_live.meetings import services as meetings
from ysdw_live.pages import form_error_list, isolate, read_date, staff_page
from ysdw_live.series.services import get_series
from ysdw_live.web import actor, app_clock

bp = Blueprint("actions", __name__)

# The update form sits on the same page as the edit form, so its inputs carry their own ids.
UPDATE_FORM_IDS = {"text": "update_text", "status": "update_status", "progress": "update_progress"}
STATUS_OPTIONS = [(status.value, label) for status, label in STATUS_LABELS.items()]
FIELD_LABELS = {
    "you_said": "You said",
    "we_did": "We will / we did",
    "owner": "Owner",
    "status": "Status",
    "progress": "Progress",
    "due_date": "Due date",
    "private_notes": "Private notes",
    "concern_ids": "Linked concerns",
    "raised_at_meeting": "Raised at meeting",
}


@bp.app_template_filter("long_date")
def long_date(value: date | datetime | None) -> str:
    """Format a date (or a UTC datetime, in the venue's zone) like "14 March 2026", in the page's language."""
    if value is None:
        return gettext("Not set")
    if isinstance(value, datetime):
        value = app_clock().local(value).date()
    return i18n.long_date(value)


@bp.app_template_global("action_status_label")
def action_status_label(status: ActionStatus | str) -> str:
    """Return an action status in words."""
    return translated(STATUS_LABELS[ActionStatus(status)])


@bp.app_template_global("action_status_table")
def action_status_table() -> dict[str, dict[str, Any]]:
    """Return each action status's words and kind, for scripts that draw actions from the API's JSON."""
    return {
        status.value: {
            "label": translated(label),
            "finished": status in FINISHED_STATUSES,
            "needs_reason": status in NEEDS_REASON,
        }
        for status, label in STATUS_LABELS.items()
    }


def _safe_return(target: str | None) -> str | None:
    """Return ``target`` when it is one of our staff-side paths (no open redirects)."""
    if target and target.startswith(("/lead/", "/staff/")) and "//" not in target and "\\" not in target:
        return target
    return None


def _form_payload(form: MultiDict[str, str], *, with_concerns: bool) -> dict[str, Any]:
    """Turn an action form into service input; empty status/progress mean "not given"."""
    payload: dict[str, Any] = {name: form.get(name, "") for name in ("you_said", "we_did", "owner", "private_notes")}
    due = read_date(form, "due_date", "The due date")
    payload["due_date"] = due.isoformat() if due is not None else ""
    payload["status"] = form.get("status") or None
    payload["progress"] = validation.optional_integer(form.get("progress", "").strip(), "progress", label="Progress")
    if with_concerns:
        payload["concern_ids"] = [
            validation.integer(value, "concern_ids", minimum=1, label="Concern id")
            for value in form.getlist("concern_ids")
        ]
    return payload


# ---------------------------------------------------------------------------------------------
# Leaders' stream
# ---------------------------------------------------------------------------------------------


@bp.get("/lead/<code>")
@staff_page(ALL_STAFF)
def lead(code: str) -> Any:
    """The leaders' stream: a meeting's approved concerns by topic, to push into the action list."""
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    if code != meeting.code:
        return redirect(url_for("actions.lead", code=meeting.code))
    stream = services.lead_stream(db, actor(), meeting)
    return render_template(
        "actions/lead.html",
        meeting=meeting,
        stream=stream,
        topics={topic.id: topic.name for topic in meeting.series.topics},
    )


# ---------------------------------------------------------------------------------------------
# Staff: list, create, show, edit, update
# ---------------------------------------------------------------------------------------------


@bp.get("/staff/series/<int:series_id>/actions")
@staff_page(ALL_STAFF)
def index(series_id: int) -> Any:
    """A series' action list with filters (status, topic, owner, overdue)."""
    db = get_session()
    series = get_series(db, series_id)
    errors: list[tuple[str, str]] = []
    try:
        filters = services.parse_filters(series, request.args)
    except DomainError as error:
        errors = form_error_list(error)
        filters = services.ActionFilters()
    found = services.list_actions(db, actor(), series_id, filters, clock=app_clock())
    return render_template(
        "actions/list.html",
        series=series,
        actions=found,
        filters=filters,
        args=request.args,
        errors=errors,
        status_options=STATUS_OPTIONS,
        today=app_clock().today(),
    ), 400 if errors else 200


@bp.route("/staff/series/<int:series_id>/actions/new", methods=["GET", "POST"])
@staff_page(ALL_STAFF)
def new(series_id: int) -> Any:
    """Create an action, prefilled from concerns picked in the leaders' stream."""
    db = get_session()
    series = get_series(db, series_id)
    source = request.form if request.method == "POST" else request.args
    return_to = _safe_return(source.get("next"))
    meeting_code = source.get("meeting", "")
    errors: list[tuple[str, str]] = []
    concerns: list[Any] = []
    try:
        concerns = services.selected_concerns(db, actor(), series, source.getlist("concern_ids"))
    except DomainError as error:
        errors = form_error_list(error)
    if request.method == "GET" and meeting_code and not concerns and not errors:
        flash("Select at least one concern to add it to the action list.", "error")
        return redirect(return_to or url_for("actions.lead", code=meeting_code))
    form: Any = {"you_said": services.prefill_you_said(concerns), "status": ActionStatus.under_consideration.value}
    if request.method == "POST":
        form = request.form
        if concerns and form.get("confirm_public") != "yes":
            errors.append(("confirm_public", "Confirm that the “You said” summary can be made public"))
        if not errors:
            try:
                payload = _form_payload(form, with_concerns=True)
                payload["raised_at_meeting"] = meeting_code or None
                action = services.create_action(db, actor(), series_id, payload)
            except DomainError as error:
                db.rollback()
                errors = form_error_list(error)
            else:
                flash(f"Action added to the list: “{isolate(_short(action.you_said))}”.")
                return redirect(return_to or url_for("actions.show", action_id=action.id))
    return render_template(
        "actions/new.html",
        series=series,
        form=form,
        concerns=concerns,
        errors=errors,
        meeting_code=meeting_code,
        return_to=return_to,
        status_options=STATUS_OPTIONS,
    ), 400 if errors else 200


def _short(text: str, limit: int = 80) -> str:
    """Return the first line of ``text``, cut to ``limit`` characters."""
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _render_show(
    action: Action,
    *,
    errors: list[tuple[str, str]] | None = None,
    edit_form: Any = None,
    update_form: Any = None,
    status: int = 200,
) -> Any:
    """Render an action's page with its forms, timeline and audit trail."""
    edit_values = edit_form or {
        "you_said": action.you_said,
        "we_did": action.we_did,
        "owner": action.owner,
        "status": action.status.value,
        "progress": str(action.progress),
        "due_date": action.due_date.isoformat() if action.due_date else "",
        "private_notes": action.private_notes,
    }
    return render_template(
        "actions/show.html",
        action=action,
        series=action.series,
        edit_form=edit_values,
        update_form=update_form or {},
        errors=errors or [],
        status_options=STATUS_OPTIONS,
        field_labels=FIELD_LABELS,
        audits=services.audit_trail(get_session(), actor(), action),
        today=app_clock().today(),
    ), status


@bp.get("/staff/actions/<int:action_id>")
@staff_page(ALL_STAFF)
def show(action_id: int) -> Any:
    """An action's page: details, public timeline, audit trail, edit and update forms."""
    return _render_show(services.get_action(get_session(), action_id))


@bp.post("/staff/actions/<int:action_id>/edit")
@staff_page(ALL_STAFF)
def edit(action_id: int) -> Any:
    """Save the edit form of an action."""
    db = get_session()
    action = services.get_action(db, action_id)
    form = request.form
    try:
        payload = _form_payload(form, with_concerns=form.get("concerns_shown") == "1")
        services.update_action(db, actor(), action_id, payload)
    except DomainError as error:
        db.rollback()
        return _render_show(
            services.get_action(db, action_id), errors=form_error_list(error), edit_form=form, status=400
        )
    flash("Action saved.")
    return redirect(url_for("actions.show", action_id=action.id))


@bp.post("/staff/actions/<int:action_id>/updates")
@staff_page(ALL_STAFF)
def add_update(action_id: int) -> Any:
    """Append a public update to an action from its page."""
    db = get_session()
    services.get_action(db, action_id)
    form = request.form
    try:
        payload = {
            "text": form.get("update_text", ""),
            "status": form.get("update_status") or None,
            "progress": validation.optional_integer(
                form.get("update_progress", "").strip(), "progress", label="Progress"
            ),
        }
        services.add_update(db, actor(), action_id, payload)
    except DomainError as error:
        db.rollback()
        errors = [(UPDATE_FORM_IDS.get(name, name), message) for name, message in form_error_list(error)]
        return _render_show(services.get_action(db, action_id), errors=errors, update_form=form, status=400)
    flash("Update added to the public record.")
    return redirect(url_for("actions.show", action_id=action_id))


# ---------------------------------------------------------------------------------------------
# Public "You Said, We Did" page
# ---------------------------------------------------------------------------------------------


@bp.get("/series/<int:series_id>/actions")
def public(series_id: int) -> Any:
    """The public You Said, We Did page of a series: no login, no private notes, no participant data."""
    db = get_session()
    series = get_series(db, series_id)
    found = services.public_actions(db, series_id)
    counts = {status: sum(1 for action in found if action.status is status) for status in ActionStatus}
    return render_template(
        "public/actions.html",
        series=series,
        groups=services.group_by_topic(series, found),
        total=len(found),
        counts=counts,
        last_updated=max((action.updated_at for action in found), default=None),
        summary=public_summary(db, series),
    )
