"""The public privacy notice at ``/privacy``: the organisation's text, and the retention periods in force."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, render_template
from jinja2 import Template, TemplateError
from markupsafe import Markup

from ysdw_live.db import get_session
from ysdw_live.privacy import notice, services
from ysdw_live.series.models import DEFAULT_RETENTION_MONTHS

bp = Blueprint("privacy", __name__)
log = logging.getLogger(__name__)


def _compiled_notice() -> Template:
    """Return the instance's notice compiled, recompiled only when the file changed (kept per app)."""
    path = notice.ensure_notice(current_app.instance_path)
    stamp = path.stat()
    key = (stamp.st_mtime_ns, stamp.st_size)
    cached = current_app.extensions.get("ysdw_privacy_notice")
    if cached is not None and cached[0] == key:
        return cached[1]
    template = current_app.jinja_env.from_string(path.read_text(encoding="utf-8"))
    current_app.extensions["ysdw_privacy_notice"] = (key, template)
    return template


@bp.get("/privacy", endpoint="notice")
def notice_page() -> Any:
    """The privacy notice: what the organisation collects, why, for how long, and people's rights."""
    periods = services.retention_periods(get_session())
    context = {"retention_periods": periods, "default_retention_months": DEFAULT_RETENTION_MONTHS}
    try:
        # Markup: the notice is the operator's own template, and autoescaped like every page.
        text: Markup | None = Markup(_compiled_notice().render(**context))  # nosec B704
    except (OSError, UnicodeDecodeError, TemplateError):
        # The organisation's edit broke the template: say so plainly; the log says where.
        log.exception("the privacy notice in %s cannot be shown", notice.notice_path(current_app.instance_path))
        text = None
    return render_template("public/privacy.html", notice=text, **context), 200 if text is not None else 503
