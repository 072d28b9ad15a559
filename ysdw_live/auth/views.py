"""Login, logout and password pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ysdw_live.auth import services
from ysdw_live.auth.models import Role
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited
from ysdw_live.pages import form_error_list, staff_page
from ysdw_live.web import (
    actor,
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


# ---------------------------------------------------------------------------------------------
# Admins: staff accounts
# ---------------------------------------------------------------------------------------------

ADMINS = frozenset({Role.admin})
ROLE_CHOICES = [
    (Role.leader.value, "Leader", "Turns concerns into actions and posts public updates. Cannot run meetings."),
    (Role.facilitator.value, "Facilitator", "Creates and runs meetings: the console, the projector, polls, surveys."),
    (Role.admin.value, "Admin", "Everything a facilitator does, and manages staff and the audit trail."),
]


@bp.get("/staff/users")
@staff_page(ADMINS)
def users() -> Any:
    """Every staff account with its role and whether it is active (admins)."""
    return render_template("auth/users.html", users=services.list_users(get_session(), actor()))


@bp.route("/staff/users/new", methods=["GET", "POST"])
@staff_page(ADMINS)
def new_user() -> Any:
    """Add a staff member with a role; show their one-time password once, to hand over (admins)."""
    errors: list[tuple[str, str]] = []
    form: Any = {"email": "", "display_name": "", "role": ""}
    if request.method == "POST":
        form = request.form
        try:
            user, password = services.add_user(
                get_session(), actor(), form.get("email", ""), form.get("role", ""), form.get("display_name", "")
            )
        except DomainError as error:
            get_session().rollback()
            errors = form_error_list(error)
        else:
            return render_template("auth/user_password.html", user=user, password=password, created=True)
    page = render_template("auth/user_new.html", errors=errors, form=form, roles=ROLE_CHOICES)
    return page, 400 if errors else 200


@bp.get("/staff/users/<int:user_id>")
@staff_page(ADMINS)
def show_user(user_id: int) -> Any:
    """One staff account: its role, change it, deactivate or reactivate it, reset its password (admins)."""
    user = services.get_user(get_session(), actor(), user_id)
    return render_template("auth/user_show.html", user=user, roles=ROLE_CHOICES, errors=[])


def _refused(user_id: int, error: DomainError) -> Any:
    """Show the account's page again with the reason a change was refused, nothing kept."""
    db = get_session()
    db.rollback()
    user = services.get_user(db, actor(), user_id)
    page = render_template("auth/user_show.html", user=user, roles=ROLE_CHOICES, errors=form_error_list(error))
    return page, error.status if error.status in (400, 409) else 400


@bp.post("/staff/users/<int:user_id>/role")
@staff_page(ADMINS)
def change_role(user_id: int) -> Any:
    """Give a staff member another role (admins); the last admin stays one."""
    user = services.get_user(get_session(), actor(), user_id)
    try:
        changed = services.change_role(get_session(), actor(), user, request.form.get("role", ""))
    except DomainError as error:
        return _refused(user_id, error)
    if changed:
        flash(f"{user.email} is now {'an admin' if user.role is Role.admin else 'a ' + user.role.value}.")
    return redirect(url_for("auth.show_user", user_id=user_id))


@bp.post("/staff/users/<int:user_id>/active")
@staff_page(ADMINS)
def set_active(user_id: int) -> Any:
    """Deactivate a staff member (their logins and tokens end at once) or let them back in (admins)."""
    user = services.get_user(get_session(), actor(), user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(get_session(), actor(), user, active=active)
    except DomainError as error:
        return _refused(user_id, error)
    if active:
        flash(f"{user.email} can log in again. Their old logins and API tokens stay ended.")
    else:
        flash(f"{user.email} is deactivated: they were logged out everywhere and their API tokens stopped working.")
    return redirect(url_for("auth.show_user", user_id=user_id))


@bp.post("/staff/users/<int:user_id>/password")
@staff_page(ADMINS)
def reset_password(user_id: int) -> Any:
    """Give a staff member a new one-time password, shown once to hand over (admins)."""
    user = services.get_user(get_session(), actor(), user_id)
    try:
        password = services.reset_password(get_session(), actor(), user)
    except DomainError as error:
        return _refused(user_id, error)
    return render_template("auth/user_password.html", user=user, password=password, created=False)
