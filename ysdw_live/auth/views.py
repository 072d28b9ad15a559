"""Login, logout and password pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ysdw_live.auth import services
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited
from ysdw_live.pages import form_error_list, staff_page
from ysdw_live.web import (
    address_key,
    keyed_hash,
    known_browser,
    limiter,
    log_in,
    log_out,
    remember_browser,
    staff_user,
)

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return ``target`` only when it is a path on this site (no open redirects)."""
    # Browsers read a backslash as "/", so "/" + "\\evil.example" would leave the site like "//evil.example".
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
        and not any(ord(ch) < 32 for ch in target)
    ):
        return target
    return url_for("meetings.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form and log a staff member in."""
    errors: list[tuple[str, str]] = []
    email = ""
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST":
        email = request.form.get("email", "")
        try:
            user = services.authenticate(
                get_session(),
                email,
                request.form.get("password", ""),
                limiter=limiter(),
                address=address_key(),
                browser=known_browser(),
                keyed=keyed_hash,
            )
        except DomainError as error:
            get_session().rollback()
            errors = [("email", error.message)]
            status = error.status if error.status in (400, 429) else 200
            if isinstance(error, RateLimited):
                headers["Retry-After"] = str(error.retry_after)
        else:
            log_in(user)
            if user.must_change_password:
                response = redirect(url_for("auth.change_password", next=request.args.get("next")))
            else:
                response = redirect(_safe_next(request.args.get("next")))
            remember_browser(response, user)
            return response
    return render_template("auth/login.html", errors=errors, email=email), status, headers


@bp.post("/logout")
def logout() -> Any:
    """End the staff session: in every browser of the account, with its open consoles (noted in the audit trail)."""
    try:
        user = staff_user()
    except DomainError:
        user = None  # a bad bearer token logs nobody out
    services.log_out(get_session(), user)
    log_out()
    flash("You have logged out, here and in every other browser where you were logged in.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_page()
def change_password() -> Any:
    """Let a staff member set a new password (required after a one-time password)."""
    errors: list[tuple[str, str]] = []
    user = g.staff_user
    if request.method == "POST":
        if request.form.get("password") != request.form.get("confirm_password"):
            errors = [("confirm_password", "The two new passwords do not match.")]
        else:
            try:
                services.change_password(
                    get_session(), user, request.form.get("current_password"), request.form.get("password")
                )
            except DomainError as error:
                get_session().rollback()
                errors = form_error_list(error)
            else:
                log_in(user)  # this browser stays in; the account's other sessions and tokens have ended
                flash("Your password has been changed. Your other browsers and API tokens were logged out.")
                return redirect(_safe_next(request.args.get("next")))
    page = render_template("auth/password.html", errors=errors, forced=user.must_change_password)
    return page, 400 if errors else 200
