"""Request plumbing shared by pages and the API: who is calling, CSRF, JSON bodies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Request, current_app, g, request, session
from flask.json.provider import DefaultJSONProvider
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.auth.models import User
from ysdw_live.auth.services import KnownBrowser, user_for_token
from ysdw_live.clock import Clock
from ysdw_live.db import MAX_DATABASE_ID, declare_writer, get_session, utcnow
from ysdw_live.errors import DomainError, Forbidden, RateLimited
from ysdw_live.i18n import LANGUAGE_COOKIE, gettext
from ysdw_live.meetings import services as meetings
from ysdw_live.ratelimit import Limiter

PARTICIPANT_COOKIE = "ysdw_participant"
# Says "this browser has logged in to account N before", so strangers' wrong passwords never lock it out.
KNOWN_BROWSER_COOKIE = "ysdw_known_browser"
KNOWN_BROWSER_DAYS = 365
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Wrong meeting codes one network address may try in any minute. A code is 30 random bits: at this
# rate one address needs centuries to find a given meeting, while a room of typos stays well under it.
CODE_MISS_LIMIT = (60, 60)
CODE_MISS_MESSAGE = "Too many wrong meeting codes were tried from your network. Wait a minute and try again."


def bearer_token(req: Request) -> str | None:
    """Return the staff token from ``Authorization: Bearer …``, if any."""
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


# How often a login's last-seen time is moved on (the idle timeout counts from it), in seconds.
SEEN_RESOLUTION = 60
LOGIN_KEYS = ("user_id", "session_version", "login_at", "seen_at")


def staff_user() -> User | None:
    """Return the staff member calling, from the bearer token or the login cookie (cached on ``g``)."""
    if "staff_user" in g:
        return g.staff_user
    user: User | None = None
    db = get_session()
    token = bearer_token(request)
    if token is not None:
        declare_writer()  # using a token notes its use (at most once a minute)
        user = user_for_token(db, token)  # raises 401 invalid_token / token_expired
        g.auth_by_header = True
    else:
        user = _login_from_cookie(db)
    g.staff_user = user
    return user


def _login_from_cookie(db: Any) -> User | None:
    """Return the user of the login cookie while its login lasts; forget a login that has ended.

    A login lasts while the account is active, its session version is the one the login began
    under (logout, a password change or deactivation bump it), it began less than
    ``STAFF_SESSION_HOURS`` ago, and it was last used less than ``STAFF_SESSION_IDLE_MINUTES`` ago.
    """
    user_id = session.get("user_id")
    if user_id is None:
        return None
    candidate = db.get(User, user_id) if isinstance(user_id, int) else None
    now = int(utcnow().timestamp())
    if candidate is None or not _login_lasts(candidate, now):
        for key in LOGIN_KEYS:
            session.pop(key, None)
        g.login_ended = True
        return None
    if now - session["seen_at"] >= SEEN_RESOLUTION:
        session["seen_at"] = now
    return candidate


def _login_lasts(user: User, now: int) -> bool:
    """Return whether the cookie's login of ``user`` still holds at ``now`` (seconds since the epoch)."""
    started, seen = session.get("login_at"), session.get("seen_at")
    if not isinstance(started, int) or not isinstance(seen, int):
        return False
    config = current_app.config
    return (
        user.active
        and session.get("session_version") == user.session_version
        and now - started < config["STAFF_SESSION_HOURS"] * 3600
        and now - seen < config["STAFF_SESSION_IDLE_MINUTES"] * 60
    )


def login_ended() -> bool:
    """Whether this request carried a login that has ended (expired, logged out elsewhere, deactivated)."""
    return bool(g.get("login_ended"))


def log_in(user: User) -> None:
    """Start a staff session for ``user`` in the login cookie (a fresh session: no fixation)."""
    now = int(utcnow().timestamp())
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session["login_at"] = now
    session["seen_at"] = now
    session.permanent = True
    g.staff_user = user


def log_out() -> None:
    """Forget the staff session in this browser (``auth.services.log_out`` ends it everywhere)."""
    for key in LOGIN_KEYS:
        session.pop(key, None)
    g.staff_user = None


KIOSK_KEY = "kiosk"


def kiosk_pass() -> meetings.KioskPass | None:
    """Return the kiosk this browser runs as (from its signed session) while the kiosk lasts, else None."""
    kept = session.get(KIOSK_KEY)
    if not isinstance(kept, dict):
        return None
    try:
        kiosk = meetings.KioskPass(
            meeting_id=int(kept["meeting_id"]),
            code=str(kept["code"]),
            key=str(kept["key"]),
            started_by=int(kept["started_by"]),
            started_at=int(kept["started_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return kiosk if kiosk.lasts(int(app_clock().now().timestamp())) else None


def enter_kiosk(kiosk: meetings.KioskPass) -> None:
    """Make this browser a kiosk: its staff login here ends (the session starts afresh), the kiosk is kept."""
    session.clear()
    session[KIOSK_KEY] = {
        "meeting_id": kiosk.meeting_id,
        "code": kiosk.code,
        "key": kiosk.key,
        "started_by": kiosk.started_by,
        "started_at": kiosk.started_at,
    }
    session.permanent = True
    g.staff_user = None


def participant_token() -> str | None:
    """Return the participant token from the header or the cookie."""
    header = request.headers.get("X-Participant-Token", "").strip()
    if header:
        g.auth_by_header = True
        return header
    return request.cookies.get(PARTICIPANT_COOKIE) or None


def writing_language() -> str | None:
    """Return the language the person reads, as their browser told us.

    The one they chose on our language switch, else the first of Accept-Language (the service
    keeps its primary subtag).
    """
    chosen = g.get("lang_chosen") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen:
        return str(chosen)
    for value, _quality in request.accept_languages:
        if value != "*":
            return str(value)
    return None


def participant_token_in_header() -> bool:
    """Return whether the participant token comes from ``X-Participant-Token`` (else the cookie, if any)."""
    return bool(request.headers.get("X-Participant-Token", "").strip())


def actor(*, participant: Any = None) -> Actor:
    """Return the Actor for this request (staff part only unless a participant is passed)."""
    return Actor(user=staff_user(), participant=participant)


def csrf_token() -> str:
    """Return this browser session's CSRF token, creating it on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def check_form_csrf() -> None:
    """Refuse a form post whose CSRF token does not match the session's."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            gettext("Your form expired or came from another site. Go back, reload the page and try again."),
            code="csrf_failed",
        )


def same_origin(req: Request) -> bool:
    """Return whether the request's Origin (or Referer) is this site."""
    source = req.headers.get("Origin") or req.headers.get("Referer")
    if not source:
        return False
    allowed = {_origin_of(req.host_url)}
    public_url = current_app.config.get("PUBLIC_URL")
    if public_url:
        allowed.add(_origin_of(public_url))
    return _origin_of(source) in allowed


def _origin_of(url: str) -> str:
    """Return ``scheme://host[:port]`` of ``url``, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def relies_on_cookie(req: Request) -> bool:
    """Return whether any identity of the request could come from a cookie rather than a header.

    The staff identity comes from the login cookie unless ``Authorization: Bearer`` is sent;
    the participant identity from the participant cookie unless ``X-Participant-Token`` is sent.
    Each header stands in only for its own identity: a participant header says nothing about
    whose login cookie came along (a browser on another site cannot add either header without
    a CORS preflight we never grant, but a request that has one must still not carry the other
    identity in a cookie past the check). A request without cookies acts for nobody.
    """
    has_bearer = bearer_token(req) is not None
    has_participant_header = bool(req.headers.get("X-Participant-Token", "").strip())
    if not (has_bearer or has_participant_header):
        return bool(req.cookies)
    staff_by_cookie = not has_bearer and session.get("user_id") is not None
    participant_by_cookie = not has_participant_header and bool(req.cookies.get(PARTICIPANT_COOKIE))
    return staff_by_cookie or participant_by_cookie


def check_api_csrf() -> None:
    """Refuse a state-changing API call from another site whenever an identity may come from a cookie."""
    if request.method not in STATE_CHANGING or not relies_on_cookie(request):
        return
    if same_origin(request):
        return
    sent = request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf")
    if isinstance(expected, str) and sent and hmac.compare_digest(sent, expected):
        return
    raise Forbidden(gettext("This request must come from the YSWD Live site itself."), code="csrf_failed")


def limiter() -> Limiter:
    """Return the application's rate limiter (adapters pass it to the services that count)."""
    return current_app.extensions["ysdw_limiter"]


def app_clock() -> Clock:
    """Return the application's clock: UTC now, and the zone of ``YSDW_TIMEZONE`` (adapters pass it on)."""
    return current_app.extensions["ysdw_clock"]


def set_participant_cookie(response: Any, token: str) -> None:
    """Keep the participant token in an HttpOnly, SameSite cookie for a year."""
    response.set_cookie(
        PARTICIPANT_COOKIE,
        token,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with a depth limit: ``request.get_json`` anywhere answers None, not RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; nesting deeper than ``validation.JSON_DEPTH_MAX`` is a ValueError like any malformed JSON."""
        return validation.json_loads(s, **kwargs)


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, limited to ids a database column can hold, so 10**30 is a 404, not a 500."""

    def to_python(self, value: str) -> int:
        """Return the id, or answer 404 at once for one no INTEGER column can hold."""
        number = super().to_python(value)
        if number > MAX_DATABASE_ID:
            # Not werkzeug's ValidationError: that would let the other methods' rules turn it into a 405.
            raise NotFound()
        return number


def address_key() -> str:
    """Return a keyed hash of the caller's network address, for rate limits (never stored raw)."""
    return keyed_hash(request.remote_addr or "")


def keyed_hash(value: str) -> str:
    """Return a short hash of ``value`` keyed with the app's secret, for rate-limit counters (never stored raw)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]


def guard_code_lookup(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before any route with a ``<code>``: refuse the lookup while this address is over its budget of wrong codes."""
    code = (values or {}).get("code")
    if isinstance(code, str):
        check_code_lookup(code)


def check_code_lookup(code: str) -> None:
    """Refuse (429) looking up ``code`` while this address has tried too many wrong codes lately.

    While refused, right codes are refused too (or the answer would still tell which codes
    exist), except for callers who already belong to that meeting: its staff, and devices
    that joined it, go on working when someone on the same venue Wi-Fi guesses codes.
    """
    refusal = limiter().refusal("code-miss", address_key(), *CODE_MISS_LIMIT, message=CODE_MISS_MESSAGE)
    if refusal is not None and not _belongs_to(code):
        raise refusal


def _belongs_to(code: str) -> bool:
    """Return whether the caller is staff, or a device that joined the meeting with ``code`` (no miss counted)."""
    db = get_session()
    try:
        meeting = meetings.get_meeting(db, code)
        if staff_user() is not None:
            return True
        kiosk = kiosk_pass()
        if kiosk is not None and kiosk.meeting_id == meeting.id:
            return True
    except DomainError:
        return False
    return meetings.find_participant(db, meeting, participant_token()) is not None


def count_code_miss(error: DomainError) -> DomainError:
    """Count a lookup of a meeting code that does not exist against this address's budget.

    Return the error to answer with: ``error`` itself, or the 429 once the address is over budget.
    """
    if error.code != "meeting_not_found":
        return error
    try:
        limiter().check("code-miss", address_key(), *CODE_MISS_LIMIT, message=CODE_MISS_MESSAGE)
    except RateLimited as refused:
        return refused
    return error


def _known_browser_signer() -> URLSafeSerializer:
    """Return the signer of known-browser cookies (the app's secret, a salt of their own)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ysdw-known-browser")


def known_browser() -> KnownBrowser | None:
    """Return what this browser's signed known-browser cookie says, or None (missing, forged, malformed)."""
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not raw:
        return None
    try:
        data = _known_browser_signer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return KnownBrowser(user_id=data["u"], key=data["k"])


def remember_browser(response: Any, user: User) -> None:
    """Mark this browser as one that has logged in to ``user`` (kept for a year, HttpOnly)."""
    current = known_browser()
    key = current.key if current is not None and current.user_id == user.id else secrets.token_urlsafe(16)
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _known_browser_signer().dumps({"u": user.id, "k": key}),
        max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
