"""Shared page plumbing: blueprints, CSRF on forms, error pages, security headers, i18n hooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, flash, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ysdw_live.api import http_error_response
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.web import STATE_CHANGING, check_form_csrf, csrf_token, staff_user

RTL_LANGUAGES = frozenset({"ar", "ur", "fa", "he", "ps"})


def init_app(app: Flask) -> None:
    """Register the page blueprints and the behaviour every page shares."""
    from ysdw_live.actions.views import bp as actions_bp
    from ysdw_live.auth.views import bp as auth_bp
    from ysdw_live.concerns.views import bp as live_bp
    from ysdw_live.meetings.views import bp as meetings_bp
    from ysdw_live.series.views import bp as series_bp

    for blueprint in (auth_bp, meetings_bp, series_bp, live_bp, actions_bp):
        app.register_blueprint(blueprint)

    @app.before_request
    def _form_csrf() -> None:
        """Every form post outside the API carries the session's CSRF token."""
        if request.method in STATE_CHANGING and not request.path.startswith("/api/"):
            check_form_csrf()

    @app.teardown_request
    def _forget_caller(_exc: BaseException | None = None) -> None:
        """Forget who called: a request inside an already pushed app context shares its ``g``."""
        g.pop("staff_user", None)
        g.pop("auth_by_header", None)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        """Values every template may use."""
        lang = g.get("lang", "en")
        return {
            "csrf_token": csrf_token,
            "current_user": _safe_staff_user(),
            "lang": lang,
            "text_direction": "rtl" if lang in RTL_LANGUAGES else "ltr",
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        """Headers that keep pages from being framed, sniffed or leaking referrers."""
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str, int]:
        """A domain error outside a form's own handling: a plain error page, nothing kept."""
        get_session().rollback()
        return render_template("error.html", title=_error_title(error.status), message=error.message), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        """Friendly pages for 404/405/413; JSON under /api/."""
        if request.path.startswith("/api/"):
            return http_error_response(error)
        status = error.code or 500
        messages = {
            404: "If you typed the web address, check it is correct.",
            405: "That action is not available here.",
            413: "What you sent is too large.",
        }
        return render_template(
            "error.html", title=_error_title(status), message=messages.get(status, error.description)
        ), status

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """The icon browsers ask for by habit."""
        return app.send_static_file("favicon.svg")

    @app.get("/healthz")
    def healthz() -> Response:
        """A cheap liveness check for load balancers."""
        return jsonify({"status": "ok"})


def _safe_staff_user() -> Any:
    """Return the staff user for templates; a bad bearer token is not an error on a page."""
    try:
        return staff_user()
    except DomainError:
        return None


def _error_title(status: int) -> str:
    """Return a short page title for an HTTP status."""
    return {
        400: "There is a problem",
        401: "You need to log in",
        403: "You cannot do that",
        404: "Page not found",
        405: "Not available",
        409: "Not possible right now",
        413: "Too large",
        429: "Too many requests",
    }.get(status, "Something went wrong")


@contextmanager
def flash_refusal() -> Iterator[None]:
    """Run a button's change; if the service refuses it, keep nothing and flash the reason.

    Code after the service call inside the ``with`` block runs only when the change went through.
    """
    try:
        yield
    except DomainError as error:
        get_session().rollback()
        flash(error.message, "error")


def form_error_list(error: DomainError) -> list[tuple[str, str]]:
    """Return (field, message) pairs for an error summary; the field links to its input."""
    if error.fields:
        return list(error.fields.items())
    return [("", error.message)]
