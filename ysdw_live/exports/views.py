"""The meeting pack: a printable record of one meeting for staff to circulate (the browser prints it to A4)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from ysdw_live.db import declare_writer, get_session
from ysdw_live.exports import services
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.serializers import join_url
from ysdw_live.pages import staff_page
from ysdw_live.web import actor, app_clock

bp = Blueprint("exports", __name__)


@bp.get("/staff/meetings/<code>/pack")
@staff_page()
def pack(code: str) -> Any:
    """The meeting pack: details, concerns with votes and outcomes, polls, the survey, actions and the report-back."""
    declare_writer()  # opening the pack is noted in the audit trail
    db = get_session()
    meeting = meetings.get_meeting(db, code)
    found = services.meeting_pack(db, actor(), meeting, clock=app_clock())
    response = current_app.make_response(
        render_template(
            "staff/meeting_pack.html",
            pack=found,
            meeting=meeting,
            join_url=join_url(meeting, current_app.config["PUBLIC_URL"]),
            local=app_clock().local,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
