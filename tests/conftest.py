"""Fixtures: a fresh app and empty database per test (schema built once per session), factories, role helpers."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.openapi_check import ValidatingClient
from ysdw_live import create_app
from ysdw_live.actors import Actor
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import Role, User
from ysdw_live.db import Base, session_scope
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting
from ysdw_live.series import services as series_services
from ysdw_live.series.models import Series

PUBLIC_URL = "http://yswd.test"
PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("YSDW_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI") == "true"


def pytest_report_header() -> str:
    """Say which database the run uses."""
    if TEST_DATABASE_URL:
        return f"database: PostgreSQL {TEST_DATABASE_URL} (with xdist, one database per worker: <name>_gw0, …)"
    return "database: SQLite (a copy of a template file per test)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``database`` every test that uses the test database, so a PostgreSQL pass can select just those."""
    for item in items:
        if "test_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with cheap parameters in tests: same code paths, a fraction of the time per login."""
    from argon2 import PasswordHasher

    from ysdw_live.auth import models as auth_models

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth_models, "_hasher", cheap)
    monkeypatch.setattr(auth_models, "_DUMMY_HASH", cheap.hash("not a real password"))


def worker_database_url(url: str) -> str:
    """Return this xdist worker's own database (``<db>_gw0`` …), or ``url`` itself outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


@contextmanager
def worker_database(url: str) -> Iterator[str]:
    """Create this worker's PostgreSQL database (see ``worker_database_url``) and drop it afterwards."""
    worker_url = worker_database_url(url)
    if worker_url == url:
        yield url
        return
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = make_url(worker_url).database
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield worker_url
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


class TestDatabase:
    """The schema, built once per session (per xdist worker); ``fresh_url`` gives each test an empty copy.

    On SQLite the schema goes into a template file, copied per test (a copy costs about a
    millisecond, ``create_all`` tens). The template uses the rollback journal, so the whole
    database is that one file: a WAL file beside it could hold pages a copy would miss. On
    PostgreSQL the schema lives in this worker's database and each test starts by deleting every
    row and restarting the id sequences: on tables this small, ``DELETE`` takes a fraction of a
    millisecond where ``TRUNCATE`` takes tens (it replaces each table's files).
    """

    __test__ = False  # not a test class, whatever its name

    def __init__(self, workdir: Path, postgres_url: str | None) -> None:
        import ysdw_live.models  # noqa: F401  (every model, so the metadata is complete)

        self.postgres_url = postgres_url
        if postgres_url:
            engine = create_engine(postgres_url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(engine)
            engine.dispose()
            self._reset_sql = self._postgres_reset_sql()
        else:
            self.template = workdir / "template.sqlite3"
            engine = create_engine(f"sqlite:///{self.template}")
            event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA journal_mode=DELETE"))
            Base.metadata.create_all(engine)
            engine.dispose()

    @staticmethod
    def _postgres_reset_sql() -> str:
        """Return one batch that empties every table (children first) and restarts every id sequence."""
        tables = Base.metadata.sorted_tables
        deletes = [f'DELETE FROM "{table.name}"' for table in reversed(tables)]
        restarts = [
            f"setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), 1, false)"
            for table in tables
            for column in table.primary_key.columns
            if column is table.autoincrement_column
        ]
        return "; ".join([*deletes, f"SELECT {', '.join(restarts)}"])

    def fresh_url(self, tmp_path: Path) -> str:
        """Return the URL of an empty database with the schema, for one test."""
        if not self.postgres_url:
            target = tmp_path / "test.sqlite3"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        return self.postgres_url

    def empty(self, engine: Engine) -> None:
        """Delete every row the previous test left (PostgreSQL; a SQLite copy starts empty)."""
        if self.postgres_url:
            with engine.begin() as conn:
                conn.exec_driver_sql(self._reset_sql)


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """The schema, built once per session: a SQLite template file, or this worker's PostgreSQL database."""
    if not TEST_DATABASE_URL:
        yield TestDatabase(tmp_path_factory.mktemp("schema"), None)
        return
    with worker_database(TEST_DATABASE_URL) as url:
        yield TestDatabase(tmp_path_factory.mktemp("schema"), url)


class ManualSeconds:
    """A clock in seconds since the epoch that moves only when a test says so (for the rate limiter)."""

    # Mid-way through a minute, an hour and a day: no window of a minute or less turns on its own.
    START = 1_800_000_030.0

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds


class CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates shared by every test app in this process.

    Each app has its own Jinja environment, which would parse and compile every template it
    renders again (tens of milliseconds a page). Jinja checks each entry against the template's
    source, so an edited template is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` with the code compiled earlier, if any."""
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code just compiled into ``bucket``."""
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_test_app(instance: Path, database_url: str, **overrides: Any) -> Flask:
    """Create an app for tests: threading mode, no Redis, fixed public URL and secret, in ``instance``."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "PUBLIC_URL": PUBLIC_URL,
            "ASYNC_MODE": "threading",
            "REDIS_URL": None,
            **overrides,
        }
    )
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture
def app(tmp_path: Path, test_database: TestDatabase) -> Iterator[Flask]:
    """A fresh app with an empty database (a copy of the SQLite template, or PostgreSQL emptied)."""
    # No background vote flusher or presence announcer: a test sends them itself with flush_votes(app)
    # and flush_presence(app), so what it sees never depends on how fast the machine is (the browser
    # tests' live server keeps both).
    flask_app = make_test_app(
        tmp_path / "instance",
        test_database.fresh_url(tmp_path),
        RATELIMIT_ENABLED=True,
        VOTE_FLUSH_BACKGROUND=False,
        PRESENCE_BACKGROUND=False,
    )
    flask_app.test_client_class = ValidatingClient  # every /api/v1 response is checked against the document
    # Rate-limit windows stand still, so a test that hits a limit never straddles two windows.
    flask_app.extensions["ysdw_limiter"].store.clock = ManualSeconds()
    engine = flask_app.extensions["ysdw_engine"]
    test_database.empty(engine)
    yield flask_app
    from ysdw_live.realtime.batching import stop_vote_batcher

    # The vote flusher must not open a connection on a disposed engine (it would leak at exit).
    stop_vote_batcher(flask_app)
    engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, for arranging data and checking results."""
    with app.app_context(), session_scope(app) as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client (cookies kept) that sends a same-site Origin on every request."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    return test_client


@pytest.fixture
def anon_client(app: Flask) -> FlaskClient:
    """A client with no Origin header at all (like curl)."""
    return app.test_client()


class Factory:
    """Creates users, series and meetings through the real services."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, role: Role | str = Role.admin, email: str | None = None, password: str = PASSWORD) -> User:
        """Create a staff user."""
        email = email or f"{Role(role).value}{self._next()}@example.org"
        return auth_services.create_user(self.db, None, email, role, password)

    def actor(self, role: Role | str = Role.admin) -> Actor:
        """Return an Actor for a new user with ``role``."""
        return Actor(user=self.user(role))

    def series(self, title: str = "Hull community focus group", topics: list[str] | None = None) -> Series:
        """Create a series with topics."""
        return series_services.create_series(
            self.db,
            self.actor(Role.facilitator),
            title,
            "",
            topics if topics is not None else ["Stop and search", "Youth"],
        )

    def meeting(
        self,
        series: Series | None = None,
        *,
        status: str = "draft",
        moderation: bool = True,
        title: str = "Spring meeting",
        **kwargs: Any,
    ) -> Meeting:
        """Create a meeting, optionally taken live or closed."""
        series = series or self.series()
        actor = self.actor(Role.facilitator)
        meeting = meeting_services.create_meeting(
            self.db, actor, series.id, title=title, moderation=moderation, **kwargs
        )
        if status in ("live", "closed"):
            meeting_services.update_meeting(self.db, actor, meeting.code, {"status": "live"})
        if status == "closed":
            meeting_services.update_meeting(self.db, actor, meeting.code, {"status": "closed"})
        return meeting


@pytest.fixture
def factory(app: Flask, db: Session) -> Factory:
    """Factories for test data."""
    return Factory(db)


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log ``client`` in through the real login form."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def token_for(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Return a bearer token for ``email``."""
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}
