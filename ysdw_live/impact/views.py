"""Pages: a series' impact dashboard (staff) and the area baseline form (admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ysdw_live.auth.models import ALL_STAFF, Role
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.i18n import ngettext
from ysdw_live.impact import services
from ysdw_live.impact.serializers import chart_data
from ysdw_live.pages import form_error_list, staff_page
from ysdw_live.series.services import get_series
from ysdw_live.surveys.models import SUPPRESS_UNDER
from ysdw_live.web import actor, app_clock

bp = Blueprint("impact", __name__)


@bp.get("/series/<int:series_id>/impact")
@staff_page(ALL_STAFF)
def dashboard(series_id: int) -> Any:
    """Trends across a series' meetings, as charts with a data table under each."""
    impact = services.series_impact(get_session(), actor(), series_id, clock=app_clock())
    return render_template(
        "impact/dashboard.html",
        impact=impact,
        series=impact.series,
        charts=chart_data(impact),
        suppress_under=SUPPRESS_UNDER,
    )


@bp.route("/series/<int:series_id>/impact/baseline", methods=["GET", "POST"])
@staff_page(frozenset({Role.admin}))
def baseline(series_id: int) -> Any:
    """The area's make-up (e.g. census shares) to set the room against, entered by an admin."""
    db = get_session()
    series = get_series(db, series_id)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        form: Any = request.form
        try:
            saved = services.save_baseline(db, actor(), series_id, form)
        except DomainError as error:
            db.rollback()
            errors = form_error_list(error)
        else:
            flash(ngettext("Area baseline saved: %(num)d group.", "Area baseline saved: %(num)d groups.", saved))
            return redirect(url_for("impact.dashboard", series_id=series_id) + "#representation")
    else:
        stored = services.baselines_of(db, series_id)
        form = {
            services.baseline_field(question.key, position): f"{stored[(question.key, label)]:g}"
            for question in services.BASELINE_QUESTIONS
            for position, label in enumerate(question.choices)
            if (question.key, label) in stored
        }
    return render_template(
        "impact/baseline.html",
        series=series,
        form=form,
        errors=errors,
        questions=services.BASELINE_QUESTIONS,
        field_name=services.baseline_field,
    ), 400 if errors else 200
