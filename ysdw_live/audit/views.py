"""The audit trail's admin pages: a filtered, paginated list and its CSV export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from ysdw_live.audit import services
from ysdw_live.auth.models import Role
from ysdw_live.csv_export import csv_download
from ysdw_live.db import declare_writer, get_session
from ysdw_live.errors import DomainError, ValidationError
from ysdw_live.pages import DATE_PARTS, form_error_list, read_date, staff_page
from ysdw_live.web import actor, app_clock

bp = Blueprint("audit", __name__, url_prefix="/staff")

ADMINS = frozenset({Role.admin})
CSV_HEADER = ["created_at", "who", "user_id", "action", "object_type", "object_id", "detail"]


def _page_number() -> int:
    """Return the page asked for (1 when absent); a bad one is a 400 with a message."""
    raw = request.args.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ValidationError("Page must be a whole number from 1.", field="page")
    return int(raw)


def _filter_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Return the filter's query with dates typed in day, month and year boxes as ISO ``since``/``until``.

    The page's form sends the boxes (GOV.UK date inputs); its links and the CSV carry ISO dates.
    """
    merged = MultiDict(args)
    for name, label in (("since", "From"), ("until", "To")):
        if any(f"{name}-{part}" in args for part in DATE_PARTS):
            typed = read_date(args, name, label)
            for part in DATE_PARTS:
                merged.pop(f"{name}-{part}", None)
            merged[name] = typed.isoformat() if typed else ""
    return merged


@bp.get("/audit")
@staff_page(ADMINS)
def index() -> Any:
    """The audit trail, newest first, 50 to a page, filtered by staff member and dates (admins)."""
    db = get_session()
    errors: list[tuple[str, str]] = []
    try:
        filters = services.parse_filters(_filter_args(request.args))
        page_number = _page_number()
    except DomainError as error:
        errors = form_error_list(error)
        filters, page_number = services.AuditFilters(), 1
    page = services.search(db, actor(), filters, clock=app_clock(), page=page_number)
    return render_template(
        "audit/list.html",
        page=page,
        users=services.staff_users(db, actor()),
        args=request.args,
        errors=errors,
    ), 400 if errors else 200


@bp.get("/audit.csv")
@staff_page(ADMINS)
def export() -> Any:
    """Every entry the filters select as CSV, cells defused against spreadsheet formulas (admins)."""
    declare_writer()  # the export is itself noted in the trail
    filters = services.parse_filters(_filter_args(request.args))
    entries = services.export(get_session(), actor(), filters, clock=app_clock())
    rows = (
        [
            entry.created_at.isoformat(),
            entry.actor,
            entry.user_id if entry.user_id is not None else "",
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.detail,
        ]
        for entry in entries
    )
    return csv_download(CSV_HEADER, rows, "audit-trail.csv")
