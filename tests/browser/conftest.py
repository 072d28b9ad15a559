"""Real-browser fixtures: a live server (the real ``python app.py``), Chromium through Playwright, and pages.

Fixtures
--------
- ``live_server`` (session): ``app.py`` running in a subprocess on a free 127.0.0.1 port with
  threading async mode, a temp SQLite database (migrated by app.py itself) and PUBLIC_URL set to
  its own address. It has ``.url``, ``.first_admin`` (the e-mail and one-time password app.py
  printed), ``.db()`` (a session on the same database, for seeding through the services),
  ``.user(role)``, ``.token(role)``, ``.api(method, path, json=…)`` (with an admin token by
  default), ``.login(page, email)`` and ``.log_path``.
- ``browser`` (session): headless Debian Chromium (``/usr/bin/chromium``).
- ``page`` (desktop 1280×900), ``phone_page`` (360×740, touch, mobile), ``nojs_page`` (JavaScript
  off). Each records console errors (``helpers.console_errors(page)``) and, when the test fails,
  leaves a screenshot in ``test-artifacts/``.
- ``axe``: ``axe(page)`` returns the WCAG 2.0–2.2 A/AA violations; ``helpers.assert_accessible``
  fails with each violation's id, help and nodes.

Every test in this folder is marked ``browser``. Missing Chromium, Playwright or the vendor files
skip with a reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.helpers import (
    ARTIFACTS,
    AXE_PATH,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    safe_name,
    skip_or_fail,
    watch_console,
)
from tests.browser.helpers import (
    axe as run_axe,
)
from tests.conftest import PASSWORD, make_test_app

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (so `-m "not browser"` leaves them all out).

    `scripts/test.sh` runs them in a pass of their own, in one process, so the live server and
    Chromium start once.
    """
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the item, so page fixtures know whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """The running app and ways to arrange data in it."""

    url: str
    database_url: str
    secret_key: str
    log_path: Path
    first_admin: tuple[str, str] | None
    instance_path: Path
    _app: Any = None
    _tokens: dict[str, str] = field(default_factory=dict)
    _n: int = 0

    @property
    def app(self) -> Any:
        """An in-process app on the same database (for seeding through the services)."""
        if self._app is None:
            self._app = make_test_app(
                self.instance_path, self.database_url, SECRET_KEY=self.secret_key, PUBLIC_URL=self.url
            )
        return self._app

    @contextmanager
    def db(self) -> Iterator[Any]:
        """Yield a session on the server's database inside an app context (services need one)."""
        from ysdw_live.db import session_scope

        with self.app.app_context(), session_scope(self.app) as session:
            yield session

    def user(self, role: str = "admin", email: str | None = None, password: str = PASSWORD) -> str:
        """Create a staff user through the services and return the e-mail address."""
        from ysdw_live.auth import services

        self._n += 1
        email = email or f"{role}{self._n}-{secrets.token_hex(3)}@example.org"
        with self.db() as session:
            services.create_user(session, None, email, role, password)
        return email

    def token(self, role: str = "admin") -> str:
        """Return a bearer token for a (new, cached per role) staff user."""
        if role not in self._tokens:
            email = self.user(role)
            response = requests.post(
                f"{self.url}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=10
            )
            response.raise_for_status()
            self._tokens[role] = response.json()["token"]
        return self._tokens[role]

    def api(
        self, method: str, path: str, *, role: str = "admin", token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Call /api/v1 on the live server as a staff member (admin by default)."""
        headers = {"Authorization": f"Bearer {token or self.token(role)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kwargs)

    def live_meeting(self, title: str = "Spring meeting", topics: list[str] | None = None) -> dict[str, Any]:
        """Create a series and a live meeting through the API and return the meeting JSON."""
        series = self.api(
            "POST", "/series", json={"title": "Riverside focus group", "topics": topics or ["Stop and search", "Youth"]}
        )
        series.raise_for_status()
        meeting = self.api("POST", f"/series/{series.json()['id']}/meetings", json={"title": title})
        meeting.raise_for_status()
        live = self.api("PATCH", f"/meetings/{meeting.json()['code']}", json={"status": "live"})
        live.raise_for_status()
        return live.json()

    def open_poll(self, code: str, question: str, options: list[str]) -> dict[str, Any]:
        """Create a single-choice poll in the meeting and open it, as a facilitator would; return its JSON."""
        poll = self.api(
            "POST", f"/meetings/{code}/polls", json={"kind": "single", "question": question, "options": options}
        )
        poll.raise_for_status()
        self.api("PATCH", f"/polls/{poll.json()['id']}", json={"status": "open"}).raise_for_status()
        return poll.json()

    def login(self, page: Any, email: str, password: str = PASSWORD) -> None:
        """Log ``page`` in through the real form, by label."""
        page.goto(f"{self.url}/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()


def _log_tail(path: Path, lines: int = 40) -> str:
    """Return the end of the server log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Start ``python app.py`` (threading mode, temp SQLite) and wait until it answers."""
    work = tmp_path_factory.mktemp("live_server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{work / 'live.sqlite3'}"
    secret_key = secrets.token_hex(16)
    ARTIFACTS.mkdir(exist_ok=True)
    # One log per server: the first admin's one-time password is read back from it.
    log_path = ARTIFACTS / f"live-server-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YSDW_")}
    env.update(
        {
            "YSDW_HOST": "127.0.0.1",
            "YSDW_PORT": str(port),
            "YSDW_PUBLIC_URL": url,
            "YSDW_DATABASE_URL": database_url,
            "YSDW_SECRET_KEY": secret_key,
            "YSDW_ASYNC_MODE": "threading",
            # A vote surge at 3 votes on one concern within a minute: a test reaches it on any machine.
            "YSDW_VOTE_SURGE": "3/60",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{_log_tail(log_path)}", pytrace=False)
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer on {url} within 60 s:\n{_log_tail(log_path)}", pytrace=False)
            time.sleep(0.2)
        printed = log_path.read_text()
        email = re.search(r"E-mail:\s+(\S+)", printed)
        password = re.search(r"One-time password:\s+(\S+)", printed)
        first_admin = (email.group(1), password.group(1)) if email and password else None
        server = LiveServer(
            url=url,
            database_url=database_url,
            secret_key=secret_key,
            log_path=log_path,
            first_admin=first_admin,
            instance_path=work / "instance",
        )
        yield server
        if server._app is not None:
            server._app.extensions["ysdw_engine"].dispose()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (skipped, or failed under CI, when missing)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not AXE_PATH.exists():
        skip_or_fail(f"{AXE_PATH} is missing: run `make setup` to copy the browser libraries")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        skip_or_fail(f"Playwright for Python is not installed: {error}")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        skip_or_fail(f"Chromium at {CHROMIUM} did not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


def _page(
    request: pytest.FixtureRequest, browser: Any, live_server: LiveServer, name: str, **context_options: Any
) -> Iterator[Any]:
    """Open a page in a fresh context; screenshot it into test-artifacts/ if the test fails."""
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch_console(page)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{safe_name(request.node.nodeid)}-{name}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
            print(f"\nscreenshot of {name} at failure: {target} (page {page.url})")
        except Exception as error:
            print(f"\ncould not screenshot {name}: {error}")
    context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A desktop page (1280×900)."""
    yield from _page(request, browser, live_server, "page", viewport=DESKTOP)


@pytest.fixture
def phone_page(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A phone-sized page: 360×740, touch, mobile viewport, 2× pixels."""
    yield from _page(
        request,
        browser,
        live_server,
        "phone_page",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
    )


@pytest.fixture
def nojs_page(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A desktop page with JavaScript turned off (plain forms must still work)."""
    yield from _page(request, browser, live_server, "nojs_page", viewport=DESKTOP, java_script_enabled=False)


@pytest.fixture
def axe() -> Any:
    """``axe(page)`` → the page's WCAG 2.0–2.2 A/AA violations (see helpers.assert_accessible)."""
    return run_axe
