"""Shared page plumbing: the staff-page guard, CSRF on forms, error pages, security headers, language.

This module registers nothing: ``create_app`` wires its hooks and routes into the app.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from ysdw_live.api import http_error_response
from ysdw_live.auth.models import ALL_STAFF, Role
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited, ValidationError
from ysdw_live.i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, LANGUAGE_NAMES, gettext, text_direction
from ysdw_live.web import (
    STATE_CHANGING,
    actor,
    check_form_csrf,
    count_code_miss,
    csrf_token,
    kiosk_pass,
    login_ended,
    staff_user,
)

# A host as a Host header or URL may carry it: a name or an IPv4/IPv6 address, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
# A year: browsers remember to use HTTPS only; sent only when the app is served over HTTPS.
HSTS_SECONDS = 365 * 24 * 3600
# Powerful features no page uses, turned off for the pages and anything they might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


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
    """Set ``g.lang`` (a ``before_request`` hook): ``?lang=``, then the switch's cookie, then Accept-Language.

    Only languages we have count; an unknown ``?lang=`` or cookie is ignored, never an error. A
    ``?lang=`` that names one of ours is remembered in a cookie (see :func:`remember_language`).
    """
    offered = current_app.config.get("LANGUAGES") or [DEFAULT_LANGUAGE]
    asked = request.args.get("lang", "")
    if asked in offered:
        g.lang = asked
        g.lang_chosen = asked
        return
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in offered:
        g.lang = remembered
        return
    g.lang = request.accept_languages.best_match(offered, default=DEFAULT_LANGUAGE)


def remember_language(response: Response) -> Response:
    """Keep a language chosen with ``?lang=`` for the next pages (an ``after_request`` hook)."""
    chosen = g.get("lang_chosen")
    if chosen:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def language_links() -> list[dict[str, Any]]:
    """Return the language switch's links: each offered language, this page's address with ``?lang=``."""
    offered = current_app.config.get("LANGUAGES") or [DEFAULT_LANGUAGE]
    if len(offered) < 2 or request.endpoint is None:
        return []
    args = {key: value for key, value in request.args.items() if key != "lang"}
    current = g.get("lang", DEFAULT_LANGUAGE)
    return [
        {
            "lang": lang,
            "name": LANGUAGE_NAMES.get(lang, lang),
            "dir": text_direction(lang),
            "href": url_for(request.endpoint, **(request.view_args or {}), **args, lang=lang),
            "current": lang == current,
        }
        for lang in offered
    ]


# What a browser in kiosk mode may still open besides the kiosk: the statements every page links
# to, and the login page (a staff member logging in there is how a kiosk ends).
KIOSK_OPEN_ENDPOINTS = frozenset(
    {"static", "favicon", "healthz", "privacy.notice", "accessibility.statement", "auth.login"}
)


def kiosk_lock() -> Any:
    """Keep a kiosk browser on its kiosk: any other page sends it back there (a ``before_request`` hook).

    A passer-by at the shared tablet cannot reach a staff page (the login that started the kiosk
    ended in this browser), nor join as an attendee, which would leave a participant cookie for
    the next person.
    """
    kiosk = kiosk_pass()
    if kiosk is None or request.blueprint == "kiosk" or request.endpoint in KIOSK_OPEN_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):
        return None  # no identity rides on a kiosk's cookie: the session holds no login, no participant
    return redirect(url_for("kiosk.home", code=kiosk.code))


def forget_caller(_exc: BaseException | None = None) -> None:
    """Forget who called: a request inside an already pushed app context shares its ``g``."""
    g.pop("staff_user", None)
    g.pop("auth_by_header", None)
    g.pop("login_ended", None)
    g.pop("lang", None)
    g.pop("lang_chosen", None)


def template_globals() -> dict[str, Any]:
    """Values every template may use (a context processor)."""
    lang = g.get("lang", DEFAULT_LANGUAGE)
    return {
        "csrf_token": csrf_token,
        "carried_form": carried_form,
        "form_key": form_key,
        "current_user": _safe_staff_user(),
        "date_parts": date_parts,
        "lang": lang,
        "kiosk": kiosk_pass(),
        "language_links": language_links,
        "text_direction": text_direction(lang),
    }


def bdi(text: Any) -> Markup:
    """Return ``text`` escaped inside ``<bdi>`` (a template filter for user text in a line of other words).

    Bidi isolation: a right-to-left override, an embedding or a direction mark in what someone
    typed stays inside it, and cannot reorder the words, numbers or labels around it. The
    element takes its own direction from its first strong character, so Arabic or Urdu reads
    right to left inside an English sentence. Empty text gives nothing, not an empty element.
    """
    if text is None or text == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(text)


def isolate(text: Any) -> str:
    """Return ``text`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (a template filter).

    The plain-text form of :func:`bdi`, for where no element can go: the page ``<title>``.
    """
    if text is None or text == "":
        return ""
    return f"\u2068{text}\u2069"


def security_headers(response: Response) -> Response:
    """Headers that keep pages from being framed, sniffed, cached or leaking referrers (an ``after_request`` hook).

    Every answer is ``no-store`` unless it set its own caching (QR images, static files): pages and
    API answers carry a staff member's view, a device's own pending concerns or a CSRF token, none
    of which a shared computer's cache or a proxy should keep.
    """
    connect = " ".join(["'self'", *socket_sources()])
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if served_over_https():
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def served_over_https() -> bool:
    """Whether people reach the app over HTTPS: this request came by TLS, or the public URL says https."""
    return request.is_secure or str(current_app.config.get("PUBLIC_URL") or "").startswith("https://")


def socket_sources() -> list[str]:
    """Return the WebSocket origins pages may connect to: this host as asked, and the public URL's host.

    Socket.IO upgrades to ``ws(s)://`` on the page's own host; CSP Level 3 counts that as 'self',
    but older browsers need it named. A Host header that is not a plain host[:port] adds nothing,
    so nobody can write a source or a directive into the policy.
    """
    sources = []
    if _HOST.fullmatch(request.host):
        sources.append(f"{'wss' if request.is_secure else 'ws'}://{request.host.lower()}")
    public = urlsplit(str(current_app.config.get("PUBLIC_URL") or ""))
    if public.scheme in ("http", "https") and _HOST.fullmatch(public.netloc):
        sources.append(f"{'wss' if public.scheme == 'https' else 'ws'}://{public.netloc.lower()}")
    return list(dict.fromkeys(sources))


def domain_error_page(error: DomainError) -> Any:
    """A domain error outside a form's own handling: a plain error page, nothing kept (a wrong code is counted)."""
    get_session().rollback()
    error = count_code_miss(error)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    title = _error_title(error.status)
    if error.code in PARTICIPANT_CODES:
        # An attendee who is not (or no longer) joined: nothing to do with logging in.
        title = gettext("Join the meeting first")
    page = render_template("error.html", title=title, message=error.message)
    return page, error.status, headers


def http_error_page(error: HTTPException) -> Any:
    """Friendly pages for 404/405/413; JSON under /api/."""
    if request.path.startswith("/api/"):
        return http_error_response(error)
    status = error.code or 500
    messages = {
        404: gettext("If you typed the web address, check it is correct."),
        405: gettext("That action is not available here."),
        413: gettext("What you sent is too large."),
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


# The refusals of a page that needs the caller to have joined its meeting.
PARTICIPANT_CODES = frozenset({"not_joined", "unknown_participant"})


def _error_title(status: int) -> str:
    """Return a short page title for an HTTP status."""
    return {
        400: gettext("There is a problem"),
        401: gettext("You need to log in"),
        403: gettext("You cannot do that"),
        404: gettext("Page not found"),
        405: gettext("Not available"),
        409: gettext("Not possible right now"),
        413: gettext("Too large"),
        429: gettext("Too many requests"),
    }.get(status, gettext("Something went wrong"))


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


# A form posted from a panel of a bigger page (the console's polls panel) goes back to that page
# with a redirect; what was typed and what was wrong ride along in the session, once.
CARRIED_VALUES_MAX = 4000


def form_key() -> str:
    """Return a fresh key for a form that must not act twice when sent twice (an Idempotency-Key)."""
    return secrets.token_urlsafe(16)


def carry_form(name: str, form: Any, errors: list[tuple[str, str]]) -> None:
    """Keep ``form``'s values (not its CSRF token) and ``errors`` for the next page that shows form ``name``."""
    values = {key: str(value)[:CARRIED_VALUES_MAX] for key, value in form.items() if key != "csrf_token"}
    session[f"form:{name}"] = {"values": values, "errors": [list(pair) for pair in errors]}


def carried_form(name: str) -> dict[str, Any] | None:
    """Return (and forget) what :func:`carry_form` kept for form ``name``: ``{values, errors}``, or None."""
    kept = session.pop(f"form:{name}", None)
    if not isinstance(kept, dict):
        return None
    return {"values": kept.get("values") or {}, "errors": [tuple(pair) for pair in kept.get("errors") or []]}


def form_error_list(error: DomainError) -> list[tuple[str, str]]:
    """Return (field, message) pairs for an error summary; the field links to its input."""
    if error.fields:
        return list(error.fields.items())
    return [("", error.message)]


# ---------------------------------------------------------------------------------------------
# Dates typed as GOV.UK day, month and year boxes (never the browser's own picker)
# ---------------------------------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def date_parts(form: Mapping[str, Any], name: str) -> tuple[str, str, str]:
    """Return what the day, month and year boxes of date field ``name`` show (a template global).

    From a re-shown form: the three boxes as typed (``name-day`` …). Otherwise from ``form[name]``,
    an ISO date (or date-time), as numbers without leading zeros; empty boxes for no date.
    """
    if any(f"{name}-{part}" in form for part in DATE_PARTS):
        day, month, year = (str(form.get(f"{name}-{part}") or "") for part in DATE_PARTS)
        return day, month, year
    value = form.get(name) or ""
    try:
        parsed = date.fromisoformat(str(value)[:10])
    except ValueError:
        return "", "", ""
    return str(parsed.day), str(parsed.month), str(parsed.year)


def read_date(form: Mapping[str, Any], name: str, label: str, *, missing: str | None = None) -> date | None:
    """Return the date typed in the day, month and year boxes of ``name``, or None when all three are empty.

    Errors follow the GOV.UK date input pattern: "Enter …" (only with ``missing``: the date is
    required), "<label> must include a month", "<label> must be a real date".
    """
    typed = {part: str(form.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS}
    if not any(typed.values()):
        if missing:
            raise ValidationError(missing, field=name, code="required")
        return None
    absent = [part for part in DATE_PARTS if not typed[part]]
    if absent:
        raise ValidationError(f"{label} must include a {' and '.join(absent)}", field=name, code="incomplete_date")
    if not all(value.isascii() and value.isdigit() for value in typed.values()):
        raise ValidationError(f"{label} must be a real date", field=name, code="invalid_date")
    if len(typed["year"]) != 4:
        raise ValidationError(f"{label} must include a year with 4 numbers, like 2026", field=name, code="invalid_date")
    try:
        return date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        raise ValidationError(f"{label} must be a real date", field=name, code="invalid_date") from None


def read_time(value: object, name: str, label: str) -> time | None:
    """Return a time of day typed like 18:30, 18.30, 6:30pm or 6pm; None when empty."""
    text = str(value or "").strip().lower().replace(" ", "")
    if not text:
        return None
    match = _TIME.match(text)
    if match is None:
        raise ValidationError(f"{label} must be a real time, like 18:30", field=name, code="invalid_time")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValidationError(f"{label} must be a real time, like 18:30", field=name, code="invalid_time")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match.group(2) is None:
        raise ValidationError(f"{label} must be a real time, like 18:30", field=name, code="invalid_time")
    if hour > 23 or minute > 59:
        raise ValidationError(f"{label} must be a real time, like 18:30", field=name, code="invalid_time")
    return time(hour, minute)
