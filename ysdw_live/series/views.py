"""Staff pages to create, view and edit a series and its topics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ysdw_live.auth.models import MEETING_MANAGERS
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.meetings.services import meetings_of_series
from ysdw_live.pages import form_error_list, isolate, staff_page
from ysdw_live.series import services
from ysdw_live.series.models import DEFAULT_RETENTION_MONTHS
from ysdw_live.web import actor

bp = Blueprint("series", __name__, url_prefix="/staff/series")


def topic_lines(form: Any) -> list[str]:
    """Return the topics typed one per line in the form's text box."""
    return str(form.get("topics", "")).splitlines()


@bp.get("")
@staff_page()
def index() -> Any:
    """List every series."""
    return render_template("staff/series_list.html", series_list=services.list_series(get_session()))


@bp.route("/new", methods=["GET", "POST"])
@staff_page(MEETING_MANAGERS)
def new() -> Any:
    """Create a series."""
    errors: list[tuple[str, str]] = []
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            series = services.create_series(
                get_session(),
                actor(),
                form.get("title"),
                form.get("description", ""),
                topic_lines(form),
                retention_months=form.get("retention_months") or None,
            )
        except DomainError as error:
            get_session().rollback()
            errors = form_error_list(error)
        else:
            flash(f"Series “{isolate(series.title)}” created.")
            return redirect(url_for("series.show", series_id=series.id))
    return render_template(
        "staff/series_form.html", errors=errors, form=form, series=None, default_retention=DEFAULT_RETENTION_MONTHS
    ), 400 if errors else 200


@bp.get("/<int:series_id>")
@staff_page()
def show(series_id: int) -> Any:
    """Show a series, its topics and its meetings."""
    series = services.get_series(get_session(), series_id)
    return render_template(
        "staff/series_show.html", series=series, meetings=meetings_of_series(get_session(), series_id)
    )


@bp.route("/<int:series_id>/edit", methods=["GET", "POST"])
@staff_page(MEETING_MANAGERS)
def edit(series_id: int) -> Any:
    """Edit a series' title, description and topics."""
    series = services.get_series(get_session(), series_id)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        form: Any = request.form
        try:
            services.update_series(
                get_session(),
                actor(),
                series_id,
                title=form.get("title", ""),
                description=form.get("description", ""),
                topics=topic_lines(form),
                retention_months=form.get("retention_months") or None,
            )
        except DomainError as error:
            get_session().rollback()
            errors = form_error_list(error)
        else:
            flash("Series saved.")
            return redirect(url_for("series.show", series_id=series_id))
    else:
        form = {
            "title": series.title,
            "description": series.description,
            "topics": "\n".join(topic.name for topic in series.topics),
            "retention_months": series.retention_months,
        }
    return render_template(
        "staff/series_form.html", errors=errors, form=form, series=series, default_retention=DEFAULT_RETENTION_MONTHS
    ), 400 if errors else 200
