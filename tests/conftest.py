"""Fixtures: a fresh app and database per test, factories, and helpers to act as each role."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
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
    return f"database: {'PostgreSQL ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite (temp file per test)'}"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with cheap parameters in tests: same code paths, a fraction of the time per login."""
    from argon2 import PasswordHasher

    from ysdw_live.auth import models as auth_models

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth_models, "_hasher", cheap)
    monkeypatch.setattr(auth_models, "_DUMMY_HASH", cheap.hash("not a real password"))


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str | None]:
    """Create the schema once per run on PostgreSQL; tests then truncate instead of recreating."""
    if not TEST_DATABASE_URL:
        yield None
        return
    import ysdw_live.models  # noqa: F401

    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield TEST_DATABASE_URL


def make_test_app(instance: Path, database_url: str, **overrides: Any) -> Flask:
    """Create an app for tests: threading mode, no Redis, fixed public URL and secret, in ``instance``."""
    return create_app(
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


@pytest.fixture
def app(tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    """A fresh app with an empty database (temp SQLite file, or PostgreSQL truncated)."""
    import ysdw_live.models  # noqa: F401

    url = postgres_schema or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    flask_app = make_test_app(tmp_path / "instance", url, RATELIMIT_ENABLED=True)
    flask_app.test_client_class = ValidatingClient  # every /api/v1 response is checked against the document
    engine = flask_app.extensions["ysdw_engine"]
    if postgres_schema:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        Base.metadata.create_all(engine)
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
