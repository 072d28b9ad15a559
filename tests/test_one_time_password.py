"""A session still on its one-time password can only choose a new password (issue 9, finding 8).

It read pending concerns through the API and joined the console socket; every staff page already
sent it to the password form. Now the API answers 403 ``password_change_required`` wherever a staff
login is what counts, the console socket is refused with the same words, and every staff page
redirects to the password form.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions_support import add_concern
from tests.conftest import PASSWORD, csrf_from, login
from tests.test_role_matrix import API_ROWS, PAGE_ROWS, Row, World, prepare
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import Role
from ysdw_live.realtime import socketio

SECRET = "PENDING-only-for-moderators"
NEW_PASSWORD = "a brand new passphrase"


def one_time_user(db, role: Role = Role.admin) -> str:
    """Create a user who must still choose a password (like the first admin) and return the e-mail."""
    email = f"onetime-{role.value}@example.org"
    auth_services.create_user(db, None, email, role, PASSWORD, must_change_password=True)
    db.commit()
    return email


def one_time_browser(app, db, role: Role = Role.admin):
    """A same-site browser logged in with a one-time password (the login form sends it to /account/password)."""
    email = one_time_user(db, role)
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    login(client, email)
    return client


@pytest.fixture
def world(factory, db) -> World:
    """A series with topics, a live meeting and a draft meeting in it (as in the role matrix)."""
    series = factory.series()
    live = factory.meeting(series, status="live", title="Live meeting")
    draft = factory.meeting(series, title="Draft meeting")
    return World(ids={"series_id": series.id, "code": live.code, "draft_code": draft.code}, factory=factory, db=db)


def test_pending_concerns_are_not_shown_to_a_one_time_session(app, db, factory):
    """GET /meetings/{code}/concerns with a one-time login is 403 password_change_required, no pending text."""
    meeting = factory.meeting(status="live")
    add_concern(db, meeting, SECRET, status="pending")
    client = one_time_browser(app, db)
    response = client.get(f"/api/v1/meetings/{meeting.code}/concerns?status=pending")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert SECRET not in body
    error = response.get_json()["error"]
    assert error["code"] == "password_change_required"
    assert "new password" in error["message"]


def staff_api_rows() -> list[Row]:
    """API rows a staff login opens (admins get 2xx, anonymous callers 401), except revoking a bearer token."""
    return [
        row
        for row in API_ROWS
        if row.expect["admin"] < 300
        and row.expect["anonymous"] == 401
        and row.rule != "/api/v1/auth/token"
        # Rows where staff fare as participants (raising as an attendee, voting) need no staff login.
        and row.expect["admin"] == row.expect["facilitator"]
        and not (row.expect["participant"] < 300 and row.expect["admin"] == 401)
    ]


@pytest.mark.parametrize("row", staff_api_rows(), ids=lambda row: row.id)
def test_every_staff_api_call_asks_for_a_new_password_first(app, world, row):
    """Each API call that needs a staff login answers a one-time session 403 password_change_required."""
    ids = prepare(row, world)
    client = one_time_browser(app, world.db)
    world.db.commit()
    kwargs: dict[str, Any] = {}
    if row.json is not None:
        kwargs["json"] = row.json
    response = client.open(row.url(ids), method=row.method, **kwargs)
    assert response.status_code == 403, (row.id, response.get_data(as_text=True)[:300])
    assert response.get_json()["error"]["code"] == "password_change_required"


def staff_page_rows() -> list[Row]:
    """Every page that sends visitors to log in, except the password form itself."""
    return [
        row
        for row in PAGE_ROWS
        if row.staff_only and row.expect["anonymous"] == 302 and row.rule != "/account/password"
    ]


@pytest.mark.parametrize("row", staff_page_rows(), ids=lambda row: row.id)
def test_every_staff_page_leads_to_the_password_form(app, world, row):
    """Each staff page (GET or form post) sends a one-time session to /account/password and changes nothing."""
    ids = prepare(row, world)
    client = one_time_browser(app, world.db)
    world.db.commit()
    data = None
    if row.method != "GET":
        data = {**(row.form or {}), "csrf_token": csrf_from(client.get("/account/password").get_data(as_text=True))}
    response = client.open(row.url(ids), method=row.method, data=data)
    assert response.status_code == 302, (row.id, response.get_data(as_text=True)[:300])
    assert "/account/password" in response.headers["Location"]


def test_the_console_socket_refuses_a_one_time_session(app, db, factory):
    """The moderator socket is refused with a message that says to choose a new password."""
    meeting = factory.meeting(status="live")
    add_concern(db, meeting, SECRET, status="pending")
    client = one_time_browser(app, db)
    sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": "moderator"}, flask_test_client=client)
    assert not sock.is_connected()
    assert SECRET not in str(sock.queue)


def test_after_choosing_a_password_everything_opens(app, db, factory):
    """Once the password is changed the same browser reads pending concerns and opens the console."""
    meeting = factory.meeting(status="live")
    add_concern(db, meeting, SECRET, status="pending")
    client = one_time_browser(app, db)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    changed = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    response = client.get(f"/api/v1/meetings/{meeting.code}/concerns?status=pending")
    assert response.status_code == 200 and SECRET in response.get_data(as_text=True)
    sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": "moderator"}, flask_test_client=client)
    assert sock.is_connected()


def test_a_one_time_session_may_still_log_out(app, db):
    """The logout button works on the password form."""
    client = one_time_browser(app, db)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "/login" in client.get("/account/password").headers["Location"]
