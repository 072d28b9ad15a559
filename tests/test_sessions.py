"""Staff sessions end: on logout, password change and deactivation, and by expiry.

Logout, a password change and deactivation end every session and socket of the account (a password
change and deactivation also its tokens); logins expire (absolute lifetime and idle timeout); bearer
tokens expire.

Issue 9, finding 3: a login cookie saved before ``POST /logout`` still worked after it, bearer tokens
never expired and survived a password change, and sockets of a logged-out user stayed connected.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.actions_support import FrozenClock, install_clock
from tests.conftest import PASSWORD, bearer, csrf_from, login, token_for
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import ApiToken, Role, User
from ysdw_live.config import from_environment
from ysdw_live.realtime import socketio

NEW_PASSWORD = "a brand new passphrase"


def browser(app):
    """A same-site browser (keeps cookies, sends this site's Origin)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    return client


def log_out(client) -> None:
    """Press the logout button."""
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def logged_in(client) -> bool:
    """Return whether ``client``'s login cookie still opens a staff page."""
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD) -> None:
    """Change the password through the account page."""
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm_password": new, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def moderator_socket(app, client, meeting):
    """Open the console's socket with ``client``'s login cookie."""
    return socketio.test_client(app, auth={"meeting": meeting.code, "role": "moderator"}, flask_test_client=client)


def stored(db, email: str) -> User:
    """Return the user as stored now, ending the read (SQLite holds the write lock during one).

    Only this row is reloaded: expiring everything would make the next attribute read of any other
    object (a meeting's code) begin a transaction in the test's session and hold the lock.
    """
    user = db.scalar(select(User).where(User.email == email).execution_options(populate_existing=True))
    db.commit()
    return user


@pytest.fixture
def clock(time_machine) -> FrozenClock:
    """Freeze time (time-machine); tests move it by hand."""
    return install_clock(time_machine)


# --- logout ---------------------------------------------------------------------------------------


def test_a_login_cookie_saved_before_logout_is_refused_after_it(app, factory):
    """The cookie replayed after logout opens no page and no API call (the session version moved on)."""
    user = factory.user(Role.facilitator)
    client = browser(app)
    login(client, user.email)
    saved = client.get_cookie("session").value
    log_out(client)

    replay = browser(app)
    replay.set_cookie("session", saved)
    page = replay.get("/dashboard")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    api = replay.get("/api/v1/series")
    assert api.status_code == 401
    assert replay.post("/api/v1/series", json={"title": "After logout"}).status_code == 401


def test_logout_ends_the_accounts_sessions_in_every_browser(app, factory):
    """Logging out on the phone logs the laptop out too; another account is untouched."""
    user, other = factory.user(Role.facilitator), factory.user(Role.facilitator)
    laptop, phone, colleague = browser(app), browser(app), browser(app)
    login(laptop, user.email)
    login(phone, user.email)
    login(colleague, other.email)
    log_out(phone)
    assert not logged_in(phone)
    assert not logged_in(laptop)
    assert logged_in(colleague)
    login(laptop, user.email)  # logging in again works at once
    assert logged_in(laptop)


def test_logout_keeps_bearer_tokens(app, factory, anon_client):
    """A token is its own credential for scripts: logging out in the browser does not revoke it."""
    user = factory.user(Role.facilitator)
    client = browser(app)
    token = token_for(client, user.email)
    login(client, user.email)
    log_out(client)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200


# --- expiry ---------------------------------------------------------------------------------------


def test_an_idle_session_ends(app, factory, clock):
    """A login unused for longer than the idle timeout is over; each use restarts the idle clock."""
    app.config["STAFF_SESSION_IDLE_MINUTES"] = 30
    user = factory.user(Role.facilitator)
    client = browser(app)
    login(client, user.email)
    for _ in range(4):
        clock.advance(minutes=29)
        assert logged_in(client)
    clock.advance(minutes=31)
    ended = client.get("/dashboard")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    page = client.get(ended.headers["Location"]).get_data(as_text=True)
    assert "Your login has ended" in page
    assert client.get("/api/v1/series").status_code == 401


def test_a_session_ends_after_its_lifetime_however_busy(app, factory, clock):
    """Used every 50 minutes, a login still ends once its absolute lifetime (12 hours) is over."""
    app.config["STAFF_SESSION_HOURS"] = 12
    user = factory.user(Role.facilitator)
    client = browser(app)
    started = clock.now
    login(client, user.email)
    while clock.now + timedelta(minutes=50) < started + timedelta(hours=12):
        clock.advance(minutes=50)
        assert logged_in(client), clock.now - started
    clock.now = started + timedelta(hours=12, seconds=1)
    assert not logged_in(client)


def test_the_login_cookie_lives_no_longer_than_the_session(app, factory, clock):
    """The browser is told to drop the cookie when the session's lifetime is over (not Flask's 31 days)."""
    from email.utils import parsedate_to_datetime

    app.config["STAFF_SESSION_HOURS"] = 12
    user = factory.user(Role.facilitator)
    client = browser(app)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    expires = re.search(r"Expires=([^;]+)", cookie)
    assert expires, cookie
    assert parsedate_to_datetime(expires.group(1)) == clock.now + timedelta(hours=12)


def test_bearer_tokens_expire(app, factory, anon_client, clock):
    """A token says when it expires, works until then and is refused after it."""
    app.config["TOKEN_DAYS"] = 30
    user = factory.user(Role.facilitator)
    response = browser(app).post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    expires_at = datetime.fromisoformat(response.get_json()["expires_at"].replace("Z", "+00:00"))
    assert expires_at == clock.now + timedelta(days=30)
    token = response.get_json()["token"]
    clock.now = expires_at - timedelta(seconds=1)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200
    clock.now = expires_at
    refused = anon_client.get("/api/v1/series", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "token_expired"


# --- password change and deactivation ------------------------------------------------------------


def test_password_change_revokes_tokens_and_keeps_only_this_browser(app, factory, anon_client, db):
    """After a password change the account's tokens and its other browsers are out; this browser stays in."""
    user = factory.user(Role.facilitator)
    here, elsewhere = browser(app), browser(app)
    token = token_for(here, user.email)
    login(here, user.email)
    login(elsewhere, user.email)
    change_password(here)
    assert logged_in(here)
    assert not logged_in(elsewhere)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401
    db.expire_all()
    assert all(t.revoked_at is not None for t in db.scalars(select(ApiToken)))
    db.commit()


def test_deactivation_ends_sessions_tokens_and_sockets_for_good(app, factory, anon_client, db):
    """`flask user deactivate` ends everything; `activate` lets the person log in again, old credentials stay dead."""
    user = factory.user(Role.facilitator)
    meeting = factory.meeting(status="live")
    client = browser(app)
    token = token_for(client, user.email)
    login(client, user.email)
    saved = client.get_cookie("session").value
    sock = moderator_socket(app, client, meeting)
    assert sock.is_connected()

    result = app.test_cli_runner().invoke(args=["user", "deactivate", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Deactivated {user.email}" in result.output
    assert not stored(db, user.email).active
    assert not logged_in(client)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401
    assert not sock.is_connected()
    assert not moderator_socket(app, client, meeting).is_connected()

    result = app.test_cli_runner().invoke(args=["user", "activate", user.email])
    assert result.exit_code == 0, result.output
    replay = browser(app)
    replay.set_cookie("session", saved)
    assert not logged_in(replay)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401
    login(client, user.email)
    assert logged_in(client)


def test_deactivating_an_unknown_user_says_so(app):
    """An e-mail with no account exits non-zero with a message."""
    result = app.test_cli_runner().invoke(args=["user", "deactivate", "nobody@example.org"])
    assert result.exit_code != 0
    assert "No user has the e-mail address nobody@example.org." in result.output


def test_only_admins_deactivate_through_the_service(db, factory):
    """The service refuses a non-admin actor, and an admin cannot lock themselves out."""
    from ysdw_live.errors import Forbidden, ValidationError

    target = factory.user(Role.facilitator)
    with pytest.raises(Forbidden):
        auth_services.set_active(db, factory.actor(Role.facilitator), target, active=False)
    db.rollback()
    admin = factory.actor(Role.admin)
    with pytest.raises(ValidationError):
        auth_services.set_active(db, admin, admin.user, active=False)
    db.rollback()
    auth_services.set_active(db, admin, target, active=False)
    assert not stored(db, target.email).active


# --- sockets --------------------------------------------------------------------------------------


def test_logout_disconnects_the_accounts_sockets(app, factory):
    """Every console socket of the account is told why and disconnected; a colleague's stays."""
    meeting = factory.meeting(status="live")
    user, other = factory.user(Role.facilitator), factory.user(Role.facilitator)
    laptop, phone, colleague = browser(app), browser(app), browser(app)
    login(laptop, user.email)
    login(phone, user.email)
    login(colleague, other.email)
    socks = [moderator_socket(app, laptop, meeting), moderator_socket(app, phone, meeting)]
    theirs = moderator_socket(app, colleague, meeting)
    assert all(s.is_connected() for s in [*socks, theirs])
    for sock in [*socks, theirs]:
        sock.get_received()
    log_out(laptop)
    for sock in socks:
        assert not sock.is_connected()
        ended = [e for e in sock.queue if e["name"] == "session:ended"]
        assert ended and "Log in again" in ended[0]["args"][0]["message"]
    assert theirs.is_connected()
    assert not [e for e in theirs.get_received() if e["name"] == "session:ended"]
    # The saved cookie cannot open a new one either.
    assert not moderator_socket(app, laptop, meeting).is_connected()


def test_password_change_disconnects_the_accounts_sockets(app, factory):
    """Changing the password ends the account's open consoles (they were opened with the old one)."""
    meeting = factory.meeting(status="live")
    user = factory.user(Role.facilitator)
    client = browser(app)
    login(client, user.email)
    sock = moderator_socket(app, client, meeting)
    assert sock.is_connected()
    change_password(client)
    assert not sock.is_connected()
    assert moderator_socket(app, client, meeting).is_connected()  # this browser is still logged in


def test_an_expired_token_opens_no_console(app, factory, clock):
    """A token past its expiry is refused on the socket too."""
    app.config["TOKEN_DAYS"] = 1
    meeting = factory.meeting(status="live")
    token = token_for(browser(app), factory.user(Role.facilitator).email)
    auth = {"meeting": meeting.code, "role": "moderator", "token": token}
    assert socketio.test_client(app, auth=auth).is_connected()
    clock.advance(days=1)
    assert not socketio.test_client(app, auth=auth).is_connected()


# --- settings -------------------------------------------------------------------------------------


def test_session_and_token_lifetimes_come_from_the_environment(tmp_path):
    """YSDW_SESSION_HOURS, YSDW_SESSION_IDLE_MINUTES and YSDW_TOKEN_DAYS set the lifetimes (12 h, 60 min, 30 d)."""
    defaults = from_environment(tmp_path, {})
    assert (defaults["STAFF_SESSION_HOURS"], defaults["STAFF_SESSION_IDLE_MINUTES"], defaults["TOKEN_DAYS"]) == (
        12,
        60,
        30,
    )
    chosen = from_environment(
        tmp_path, {"YSDW_SESSION_HOURS": "8", "YSDW_SESSION_IDLE_MINUTES": "20", "YSDW_TOKEN_DAYS": "7"}
    )
    assert (chosen["STAFF_SESSION_HOURS"], chosen["STAFF_SESSION_IDLE_MINUTES"], chosen["TOKEN_DAYS"]) == (8, 20, 7)


@pytest.mark.parametrize("name", ["YSDW_SESSION_HOURS", "YSDW_SESSION_IDLE_MINUTES", "YSDW_TOKEN_DAYS"])
@pytest.mark.parametrize("value", ["0", "-1", "soon", "1.5"])
def test_bad_lifetimes_are_refused_at_start_up(tmp_path, name, value):
    """A lifetime that is not a positive whole number stops the server with the variable named."""
    with pytest.raises(ValueError, match=name):
        from_environment(tmp_path, {name: value})


def test_deactivation_and_activation_are_in_the_audit_trail(app, db, factory):
    """Who deactivated or reactivated whom is recorded: the command line, or the admin through the service."""
    from ysdw_live.audit.models import AuditEntry

    target = factory.user(Role.facilitator)
    assert app.test_cli_runner().invoke(args=["user", "deactivate", target.email]).exit_code == 0
    admin = factory.actor(Role.admin)
    auth_services.set_active(db, admin, stored(db, target.email), active=True)
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.action.in_(["user.deactivate", "user.activate"])).order_by(AuditEntry.id)
    ).all()
    db.commit()
    assert [(e.actor, e.action, e.object_id) for e in entries] == [
        ("command line", "user.deactivate", str(target.id)),
        (admin.user.email, "user.activate", str(target.id)),
    ]
