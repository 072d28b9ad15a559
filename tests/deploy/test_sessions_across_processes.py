"""Logging out in one process disconnects the account's consoles in another (PostgreSQL + Redis).

Two real ``python app.py`` processes share the database, Redis and the secret key, as behind nginx.
The facilitator logs in on process one, and a console socket is open on process two (a device the
load balancer pinned there). Logging out on process one must reach process two through Redis: the
socket hears why (``session:ended``) and is disconnected, and the login cookie opens nothing anywhere.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import requests
import socketio as socketio_client

from tests.conftest import PASSWORD
from tests.deploy.servers import DEADLINE, create_facilitator, running_app, wait_until
from tests.deploy.test_nginx import database, redis_url  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.database, pytest.mark.postgres, pytest.mark.redis]


def csrf(session: requests.Session, url: str) -> str:
    """Return the CSRF token of the form at ``url``."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', session.get(url, timeout=10).text)
    assert match, f"no CSRF token at {url}"
    return match.group(1)


def test_logout_on_one_process_disconnects_the_console_on_another(
    tmp_path: Path,
    database: str,  # noqa: F811
    redis_url: str,  # noqa: F811
) -> None:
    """The console socket held by process two ends when its user logs out through process one."""
    shared = {
        "database_url": database,
        "redis_url": redis_url,
        # A fresh key: the login counters in Redis are keyed with it, so earlier runs do not count.
        "secret_key": secrets.token_hex(32),
        "async_mode": "gevent",
    }
    with running_app(tmp_path, "app-1", **shared) as first, running_app(tmp_path, "app-2", **shared) as second:
        create_facilitator(tmp_path, database, "facilitator@example.org", PASSWORD)

        # Log in on process one (cookies for 127.0.0.1 go to both ports, as one site behind nginx).
        browser = requests.Session()
        logged_in = browser.post(
            f"{first.url}/login",
            data={
                "email": "facilitator@example.org",
                "password": PASSWORD,
                "csrf_token": csrf(browser, f"{first.url}/login"),
            },
            allow_redirects=False,
            timeout=10,
        )
        assert logged_in.status_code == 302, logged_in.text
        token = requests.post(
            f"{first.url}/api/v1/auth/token",
            json={"email": "facilitator@example.org", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        staff = {"Authorization": f"Bearer {token}"}
        series = requests.post(f"{first.url}/api/v1/series", json={"title": "Riverside"}, headers=staff, timeout=10)
        meeting = requests.post(
            f"{first.url}/api/v1/series/{series.json()['id']}/meetings",
            json={"title": "Spring meeting"},
            headers=staff,
            timeout=10,
        )
        code = meeting.json()["code"]

        # The console on process two, with the login cookie (long-polling, with the page's Origin).
        console_http = requests.Session()
        console_http.cookies.update(browser.cookies)
        console_http.headers["Origin"] = second.url
        events: list[tuple[str, object]] = []
        console = socketio_client.Client(reconnection=False, http_session=console_http)
        console.on("*", lambda event, data=None: events.append((event, data)))
        console.connect(
            second.url,
            auth={"meeting": code, "role": "moderator"},
            transports=["polling"],
            wait_timeout=DEADLINE,
        )
        wait_until(lambda: any(name == "meeting:snapshot" for name, _ in events), "the console's snapshot")

        # Log out on process one.
        token_value = csrf(browser, f"{first.url}/dashboard")
        out = browser.post(f"{first.url}/logout", data={"csrf_token": token_value}, allow_redirects=False, timeout=10)
        assert out.status_code == 302

        wait_until(lambda: not console.connected, "process two to disconnect the console")
        ended = [data for name, data in events if name == "session:ended"]
        assert ended and "Log in again" in ended[0]["message"]  # type: ignore[index]
        # The cookie saved before the logout opens nothing on either process.
        for process in (first, second):
            replay = requests.Session()
            replay.cookies.update(console_http.cookies)
            page = replay.get(f"{process.url}/dashboard", allow_redirects=False, timeout=10)
            assert page.status_code == 302 and "/login" in page.headers["Location"]
        console_http.close()
