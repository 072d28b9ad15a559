"""Login throttling (issue 9, finding 6): per address and per account, with growing waits, no hard lock.

Before: one address could try any number of accounts; five wrong passwords locked an account so that
even its owner's right password was refused; and a known e-mail answered ``429 login_locked`` where an
unknown one answered 401, telling an attacker who has an account. Now a browser that has logged in to
the account before is never held back by what strangers do; everyone else waits longer and longer;
known and unknown accounts get the same answers.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_from, login
from ysdw_live.auth import models as auth_models
from ysdw_live.auth.models import Role

WRONG = "not the password at all"


def browser(app):
    """A same-site browser (keeps cookies, sends this site's Origin)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    return client


def try_token(client, email: str, password: str = WRONG):
    """Ask for a bearer token; return the response."""
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def try_form(client, email: str, password: str = WRONG):
    """Post the login form; return the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def limiter_clock(app):
    """The rate limiter's clock (seconds), which stands still until a test moves it."""
    return app.extensions["ysdw_limiter"].store.clock


def answer(response) -> tuple[int, str, str, str | None]:
    """Return what an attacker sees of an API answer: status, code, message, Retry-After."""
    error = response.get_json()["error"]
    return response.status_code, error["code"], error["message"], response.headers.get("Retry-After")


def hammer(app, client, email: str, until_status: int = 429, limit: int = 100):
    """Send wrong passwords for ``email`` until one is answered ``until_status``; return that response."""
    for _ in range(limit):
        response = try_token(client, email)
        if response.status_code == until_status:
            return response
        assert response.status_code == 401, response.get_json()
    pytest.fail(f"no {until_status} after {limit} attempts")


def test_strangers_cannot_lock_the_owner_out(app, factory):
    """However many wrong passwords others send, the owner's browser logs in with the right one at once."""
    user = factory.user(Role.facilitator)
    owner = browser(app)
    login(owner, user.email)  # this browser has logged in to the account before
    token = csrf_from(owner.get("/dashboard").get_data(as_text=True))
    owner.post("/logout", data={"csrf_token": token})

    attacker = browser(app)  # same address (127.0.0.1) as the owner, as on a venue's Wi-Fi
    throttled = hammer(app, attacker, user.email)
    assert throttled.status_code == 429
    assert try_token(attacker, user.email, PASSWORD).status_code == 429  # strangers wait, even with it

    response = try_form(owner, user.email, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert owner.get("/dashboard").status_code == 200


def test_a_known_browser_has_its_own_limit(app, factory):
    """Wrong passwords from the owner's browser are throttled too, on their own count."""
    user = factory.user(Role.facilitator)
    owner = browser(app)
    login(owner, user.email)
    for _ in range(40):
        response = try_form(owner, user.email)
        if response.status_code == 429:
            break
        assert response.status_code == 200
    assert response.status_code == 429
    assert response.headers["Retry-After"].isdigit()


def test_waits_grow_and_then_lift(app, factory):
    """Each time the limit is hit again the wait is longer; once it is over the right password works."""
    user = factory.user(Role.facilitator)
    client = browser(app)
    clock = limiter_clock(app)
    waits = []
    for _ in range(3):
        throttled = hammer(app, client, user.email)
        assert throttled.get_json()["error"]["code"] == "login_throttled"
        wait = int(throttled.headers["Retry-After"])
        assert wait >= 1
        waits.append(wait)
        clock.advance(wait)
    assert waits == sorted(waits) and waits[-1] > waits[0], waits
    assert try_token(client, user.email, PASSWORD).status_code == 201


def test_known_and_unknown_accounts_are_answered_alike(app, factory):
    """The same attempts at a real and at a made-up e-mail get the same statuses, codes, messages and waits."""
    user = factory.user(Role.facilitator)

    def replies(email: str) -> list[tuple[int, str, str, str | None]]:
        client = browser(app)
        return [answer(try_token(client, email)) for _ in range(12)]

    known = replies(user.email)
    limiter_clock(app).advance(24 * 3600)  # a fresh start for the address
    unknown = replies("nobody-here@example.org")
    assert known == unknown
    assert {status for status, *_ in known} == {401, 429}


def test_unknown_accounts_spend_a_password_hash(app, factory, monkeypatch):
    """An unknown e-mail costs one Argon2 verification, as a known one does, so timing tells nothing."""
    user = factory.user(Role.facilitator)
    hasher = auth_models._hasher
    verified: list[str] = []

    class Counting:
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, stored_hash, password):
            verified.append(stored_hash)
            return hasher.verify(stored_hash, password)

    monkeypatch.setattr(auth_models, "_hasher", Counting())
    assert try_token(browser(app), "nobody-here@example.org").status_code == 401
    assert verified == [auth_models._DUMMY_HASH]
    verified.clear()
    assert try_token(browser(app), user.email).status_code == 401
    assert len(verified) == 1 and verified != [auth_models._DUMMY_HASH]


def test_one_address_cannot_try_many_accounts(app, factory):
    """Wrong passwords for many different accounts from one address are throttled (API and form alike)."""
    client = browser(app)
    statuses = [try_token(client, f"person{n}@example.org").status_code for n in range(40)]
    assert statuses[0] == 401
    assert 429 in statuses
    first = statuses.index(429)
    assert first <= 30 and set(statuses[first:]) == {429}
    form = try_form(client, "someone-else@example.org")
    assert form.status_code == 429
    assert "Too many login attempts" in form.get_data(as_text=True)
    assert form.headers["Retry-After"].isdigit()


def test_the_form_says_how_long_to_wait(app, factory):
    """On the login form a throttled attempt gets a 429 page that says how long to wait."""
    user = factory.user(Role.facilitator)
    client = browser(app)
    for _ in range(40):
        response = try_form(client, user.email)
        if response.status_code == 429:
            break
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "There is a problem" in html
    assert "Too many login attempts. Try again in" in html
    assert client.get("/dashboard").status_code == 302
