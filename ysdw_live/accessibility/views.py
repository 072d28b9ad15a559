"""The accessibility statement at ``/accessibility``, after the UK public sector model statement.

Linked from every page's footer. Problems are reported to the address in ``YSDW_ACCESSIBILITY_CONTACT``
(an e-mail address the organisation reads); without one, the page tells people to tell the staff
running the meeting, and tells logged-in staff to set it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template

bp = Blueprint("accessibility", __name__)

# When the statement's text was written and the service last checked (update both on a review).
PREPARED_ON = date(2026, 12, 2)
TESTED_ON = date(2026, 12, 2)


@bp.get("/accessibility", endpoint="statement")
def statement() -> Any:
    """The accessibility statement: how accessible the service is, what does not work yet, how to report it."""
    return render_template(
        "public/accessibility.html",
        contact=current_app.config.get("ACCESSIBILITY_CONTACT"),
        prepared_on=PREPARED_ON,
        tested_on=TESTED_ON,
    )
