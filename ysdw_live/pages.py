"""Shared page plumbing: the staff-page guard, CSRF on forms, error pages, security headers, language.

This module registers nothing: ``create_app`` wires its hooks and routes into the app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ysdw_live.api import http_error_response
from ysdw_live.auth.models import ALL_STAFF, Role
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError
from ysdw_live.web import STATE_CHANGING, actor, check_form_csrf, csrf_token, login_ended, staff_user

RTL_LANGUAGES = frozenset({"ar", "ur", "fa", "he", "ps"})
# The languages pages exist in; the browser's Accept-Language picks among them.
SUPPORTED_LANGUAGES = ["en"]
DEFAULT_LANGUAGE = "en"


def staff_page(roles: frozenset[Role] = ALL_STAFF) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Send visitors to the login page; refuse staff without one of ``roles``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = staff_user()
            if user is None:
                if login_ended():
                    flash("Your login has ended. Log in again to carry on.")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.must_change_password:
                if request.endpoint != "auth.change_password":
                    return redirect(url_for("auth.change_password", next=request.full_path.rstrip("?")))
            else:
                actor().require_staff(roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def check_page_csrf() -> None:
    """Every form post outside the API carries the session's CSRF token (a ``before_request`` hook)."""
    if request.method in STATE_CHANGING and not request.path.startswith("/api/"):
        check_form_csrf()


def choose_language() -> None:
    """Set ``g.lang`` from the browser's Accept-Language among the languages we have (a ``before_request`` hook)."""
    g.lang = request.accept_languages.best_match(SUPPORTED_LANGUAGES, default=DEFAULT_LANGUAGE)


def forget_caller(_exc: BaseException | None = None) -> None:
    """Forget who called: a request inside an already pushed app context shares its ``g``."""
    g.pop("staff_user", None)
    g.pop("auth_by_header", None)
    g.pop("login_ended", None)
    g.pop("lang", None)


def template_globals() -> dict[str, Any]:
    """Values every template may use (a context processor)."""
    lang = g.get("lang", DEFAULT_LANGUAGE)
    return {
        "csrf_token": csrf_token,
        "current_user": _safe_staff_user(),
        "lang": lang,
        "text_direction": "rtl" if lang in RTL_LANGUAGES else "ltr",
    }


def security_headers(response: Response) -> Response:
    """Headers that keep pages from being framed, sniffed or leaking referrers (an ``after_request`` hook)."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def domain_error_page(error: DomainError) -> tuple[str, int]:
    """A domain error outside a form's own handling: a plain error page, nothing kept."""
    get_session().rollback()
    return render_template("error.html", title=_error_title(error.status), message=error.message), error.status


def http_error_page(error: HTTPException) -> Any:
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


def favicon() -> Response:
    """The icon browsers ask for by habit."""
    return current_app.send_static_file("favicon.svg")


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
