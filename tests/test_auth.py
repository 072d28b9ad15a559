"""Staff accounts: login form, first admin, slowing wrong passwords, API tokens, duplicates, logout CSRF.

Also: redirects after login stay on the site, and cookie-authenticated API writes must be same-origin.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from time_machine import TimeMachineFixture

from tests.actions_support import FrozenClock, install_clock
from tests.conftest import PASSWORD, bearer, csrf_from, login, token_for
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import ApiToken, Role, User
from ysdw_live.errors import Conflict, ValidationError

NEW_PASSWORD = "a brand new passphrase"


def post_login(client, email, password, next_path=None):
    """Post the login form with a fresh CSRF token and return the response."""
    url = "/login" + (f"?next={next_path}" if next_path else "")
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def stored_user(db, email):
    """Return the user as stored now (not a stale copy), ending the read transaction.

    On SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so a test session that
    keeps a read open would make the app's next request wait for the busy timeout.
    """
    db.expire_all()
    user = db.scalar(select(User).where(User.email == email))
    db.commit()  # expire_on_commit is off, so the loaded values stay readable
    return user


# --- the login form -------------------------------------------------------------------------


def test_login_form_has_labelled_fields_and_csrf(client):
    """The login page is a real form: labelled e-mail and password, autocomplete hints, CSRF token."""
    html = client.get("/login").get_data(as_text=True)
    assert '<label class="label" for="email">E-mail address</label>' in html
    assert '<label class="label" for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert csrf_from(html)


def test_login_success_starts_a_staff_session(client, factory):
    """The right e-mail (any case) and password log in and lead to the dashboard."""
    user = factory.user(Role.leader)
    assert client.get("/dashboard").status_code == 302
    response = post_login(client, user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("known", "wrong password here"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_login_failure_shows_error_summary_and_logs_nobody_in(client, factory, db, email, password):
    """A wrong password or unknown e-mail re-shows the form with the same message and no session."""
    user = factory.user(Role.admin)
    email = user.email if email == "known" else email
    response = post_login(client, email, password)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 401)
    assert "<title>Error: Log in" in html
    assert "There is a problem" in html
    assert '<a href="#email">The e-mail address or password is not right.</a>' in html
    assert f'value="{email}"' in html  # the e-mail is kept ...
    assert password not in html  # ... the password never is
    assert client.get("/dashboard").status_code == 302
    assert stored_user(db, user.email).role is Role.admin


def test_login_with_empty_fields_says_what_to_do(client):
    """Submitting the form empty asks for the e-mail address and password."""
    response = post_login(client, "", "")
    assert response.status_code == 400
    assert "Enter your e-mail address and password." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, factory):
    """A login post without the form's CSRF token is refused and logs nobody in."""
    user = factory.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "/\\evil.example/", "https://evil.example/", "javascript:alert(1)", "/%5Cevil.example"],
)
def test_login_never_redirects_off_site(client, factory, target):
    """A ``next`` that would leave the site is replaced by the dashboard."""
    user = factory.user()
    response = post_login(client, user.email, PASSWORD, next_path=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/dashboard"), location


def test_login_follows_a_local_next(client, factory):
    """After logging in, the person lands on the staff page they first asked for."""
    user = factory.user()
    first = client.get("/staff/series")
    assert first.status_code == 302 and "next=/staff/series" in first.headers["Location"]
    response = post_login(client, user.email, PASSWORD, next_path="/staff/series")
    assert response.headers["Location"].endswith("/staff/series")


# --- the first admin and its one-time password ---------------------------------------------


def test_first_admin_must_choose_a_password_before_any_staff_page(client, db):
    """The printed one-time password logs in, but every staff page leads to the password form first."""
    email, one_time = auth_services.ensure_first_admin(db)
    assert len(one_time) >= 12
    assert auth_services.ensure_first_admin(db) is None  # only ever once
    db.commit()  # end the read: on SQLite it holds the write lock
    response = post_login(client, email, one_time)
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    for path in ("/dashboard", "/staff/series", "/staff/series/new"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert "/account/password" in blocked.headers["Location"], path
    page = client.get("/account/password")
    assert "Choose your own password" in page.get_data(as_text=True)
    # Not through the API either: the one-time password is only good for choosing a new one.
    assert client.post("/api/v1/series", json={"title": "Sneaky"}).status_code == 403
    token_response = client.post("/api/v1/auth/token", json={"email": email, "password": one_time})
    assert token_response.status_code == 403
    assert token_response.get_json()["error"]["code"] == "password_change_required"

    token = csrf_from(page.get_data(as_text=True))
    changed = client.post(
        "/account/password?next=/staff/series",
        data={
            "current_password": one_time,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/staff/series")
    assert client.get("/dashboard").status_code == 200
    user = stored_user(db, email)
    assert not user.must_change_password and user.role is Role.admin
    assert user.check_password(NEW_PASSWORD) and not user.check_password(one_time)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong current pw", NEW_PASSWORD, NEW_PASSWORD, "current_password", "Your current password is not right."),
        (PASSWORD, "short", "short", "password", "at least 12 characters"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "do not match"),
        (PASSWORD, PASSWORD, PASSWORD, "password", "different from the current one"),
    ],
)
def test_password_change_errors_change_nothing(client, factory, db, current, new, confirm, field, message):
    """Each mistake on the password form is explained next to its field and keeps the old password."""
    user = factory.user()
    login(client, user.email)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm_password": confirm, "csrf_token": token},
    )
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert f'<a href="#{field}">' in html and message in html
    assert stored_user(db, user.email).check_password(PASSWORD)


def test_password_change_logs_out_other_sessions(app, factory):
    """Changing the password ends the sessions other browsers had with the old one."""
    user = factory.user()
    first, second = app.test_client(), app.test_client()
    login(first, user.email)
    login(second, user.email)
    token = csrf_from(first.get("/account/password").get_data(as_text=True))
    first.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302


# --- repeated wrong passwords (the rest in test_login_throttle.py) ---------------------------


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> FrozenClock:
    """Freeze time (time-machine); tests move it by hand."""
    return install_clock(time_machine)


def test_throttling_is_per_account(client, factory, clock):
    """Wrong passwords for one account do not hold back another (more in test_login_throttle.py)."""
    victim, other = factory.user(), factory.user()
    for _ in range(6):
        client.post("/api/v1/auth/token", json={"email": victim.email, "password": "not the password"})
    assert client.post("/api/v1/auth/token", json={"email": victim.email, "password": PASSWORD}).status_code == 429
    assert client.post("/api/v1/auth/token", json={"email": other.email, "password": PASSWORD}).status_code == 201


# --- API tokens ----------------------------------------------------------------------------------


def test_token_issue_use_and_revoke(anon_client, client, factory, db):
    """A token is issued once (stored hashed), works as Bearer, is revoked by DELETE, then gets 401."""
    user = factory.user(Role.facilitator)
    token = token_for(client, user.email)
    stored = db.scalars(select(ApiToken)).one()
    db.commit()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.label)
    # A token needs no cookie and no Origin header (e.g. curl).
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200
    assert anon_client.post("/api/v1/series", json={"title": "By token"}, headers=bearer(token)).status_code == 201
    revoked = anon_client.delete("/api/v1/auth/token", headers=bearer(token))
    assert revoked.status_code == 204
    after = anon_client.get("/api/v1/series", headers=bearer(token))
    assert after.status_code == 401
    assert after.get_json()["error"]["code"] == "invalid_token"
    assert anon_client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 401


def test_token_use_is_noted_at_most_once_a_minute(anon_client, client, factory, db, clock):
    """last_used_at is written when a token authenticates, then not again until a minute has passed."""
    token = token_for(client, factory.user().email)

    def last_used():
        db.expire_all()
        value = db.scalars(select(ApiToken)).one().last_used_at
        db.commit()
        return value

    assert last_used() is None
    first_use = clock.now
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200
    assert last_used() == first_use
    clock.advance(seconds=59)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200
    assert last_used() == first_use
    clock.advance(seconds=1)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 200
    assert last_used() == first_use + timedelta(minutes=1)


def test_revoking_one_token_keeps_the_others(anon_client, client, factory):
    """DELETE /auth/token revokes only the token it carries."""
    user = factory.user()
    first, second = token_for(client, user.email), token_for(client, user.email)
    assert first != second
    assert anon_client.delete("/api/v1/auth/token", headers=bearer(first)).status_code == 204
    assert anon_client.get("/api/v1/series", headers=bearer(second)).status_code == 200


def test_revoke_needs_a_bearer_token(client, factory):
    """DELETE /auth/token without a bearer token (even logged in by cookie) is 401 and revokes nothing."""
    user = factory.user()
    token = token_for(client, user.email)
    login(client, user.email)
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 401
    assert client.get("/api/v1/series", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "bearer"])
def test_bad_authorization_headers_authenticate_nobody(anon_client, header):
    """A made-up bearer token is 401 invalid_token; other schemes are simply not a login."""
    response = anon_client.get("/api/v1/series", headers={"Authorization": header})
    assert response.status_code == 401
    expected = "invalid_token" if header == "Bearer not-a-real-token" else "not_authenticated"
    assert response.get_json()["error"]["code"] == expected


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "x@example.org", "password": "wrong password!"}, 401, "bad_credentials"),
        ({"email": "x@example.org"}, 400, "invalid"),
        ({"email": 5, "password": ["x"]}, 400, "invalid"),
        ({"email": "x@example.org", "password": PASSWORD, "role": "admin"}, 400, "unknown_field"),
    ],
)
def test_token_bad_input(anon_client, factory, body, status, code):
    """Wrong passwords, missing or mistyped fields and unknown fields get clear JSON errors."""
    factory.user(email="x@example.org")
    response = anon_client.post("/api/v1/auth/token", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_inactive_users_tokens_stop_working(anon_client, client, factory, db):
    """Deactivating a user makes their tokens fail with 401."""
    user = factory.user()
    token = token_for(client, user.email)
    stored_user(db, user.email).active = False
    db.commit()
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401


# --- accounts ------------------------------------------------------------------------------------


def test_duplicate_email_is_a_clear_conflict(db, factory):
    """A second account with the same e-mail (in any case) is refused with 409 duplicate_email."""
    factory.user(email="sam@example.org")
    with pytest.raises(Conflict) as caught:
        auth_services.create_user(db, None, "SAM@Example.org ", Role.leader, PASSWORD)
    assert caught.value.status == 409
    assert caught.value.code == "duplicate_email"
    assert "already exists" in caught.value.message
    assert len(db.scalars(select(User)).all()) == 1
    db.commit()


@pytest.mark.parametrize(
    ("email", "role", "password", "field"),
    [
        ("not-an-email", "leader", PASSWORD, "email"),
        ("", "leader", PASSWORD, "email"),
        ("a@example.org", "superuser", PASSWORD, "role"),
        ("a@example.org", "leader", "short", "password"),
        ("a@example.org", "leader", "x" * 201, "password"),
    ],
)
def test_create_user_validates(db, email, role, password, field):
    """Bad e-mails, roles and passwords are refused with the field named, and nothing is saved."""
    with pytest.raises(ValidationError) as caught:
        auth_services.create_user(db, None, email, role, password)
    assert field in caught.value.fields
    assert db.scalars(select(User)).all() == []


def test_only_admins_create_users_through_services(db, factory):
    """create_user with a non-admin actor is refused."""
    from ysdw_live.errors import Forbidden

    with pytest.raises(Forbidden):
        auth_services.create_user(db, factory.actor(Role.facilitator), "new@example.org", "leader", PASSWORD)


def test_passwords_are_hashed_with_argon2id(factory):
    """The stored password is an Argon2id hash, never the password."""
    user = factory.user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


# --- logout --------------------------------------------------------------------------------------


def test_logout_needs_the_csrf_token(client, factory):
    """A logout post without the CSRF token is refused and the session stays; with it, it ends."""
    user = factory.user()
    login(client, user.email)
    refused = client.post("/logout")
    assert refused.status_code == 403
    assert client.get("/dashboard").status_code == 200
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    done = client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert client.get("/dashboard").status_code == 302


def test_logout_by_get_is_not_possible(client, factory):
    """A link (GET) cannot log anyone out."""
    user = factory.user()
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


# --- CSRF on cookie-authenticated API writes -----------------------------------------------------


def test_cookie_api_write_from_another_site_is_refused(app, factory):
    """A logged-in browser's API write from a foreign Origin is 403 csrf_failed; same-origin works."""
    user = factory.user(Role.facilitator)
    browser = app.test_client()
    login(browser, user.email)
    foreign = browser.post("/api/v1/series", json={"title": "Forged"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.get_json()["error"]["code"] == "csrf_failed"
    no_origin = browser.post("/api/v1/series", json={"title": "Forged"})
    assert no_origin.status_code == 403
    same = browser.post("/api/v1/series", json={"title": "Real"}, headers={"Origin": "http://localhost"})
    assert same.status_code == 201
    public = browser.post("/api/v1/series", json={"title": "Real 2"}, headers={"Origin": "http://yswd.test"})
    assert public.status_code == 201
    listed = browser.get("/api/v1/series").get_json()["series"]
    assert [s["title"] for s in listed] == ["Real 2", "Real"]
