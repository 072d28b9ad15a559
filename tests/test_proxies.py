"""X-Forwarded-For behind a reverse proxy: believed only from the configured number of trusted proxies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import Factory, TestDatabase, make_test_app
from ysdw_live import config
from ysdw_live.db import session_scope
from ysdw_live.meetings import services


def _app(tmp_path: Path, test_database: TestDatabase, proxies: int) -> Iterator[Flask]:
    """An app with rate limits on and ``proxies`` trusted proxies."""
    flask_app = make_test_app(
        tmp_path / "instance", test_database.fresh_url(tmp_path), RATELIMIT_ENABLED=True, TRUSTED_PROXIES=proxies
    )
    engine = flask_app.extensions["ysdw_engine"]
    test_database.empty(engine)
    yield flask_app
    engine.dispose()


@pytest.fixture
def behind_nginx(tmp_path: Path, test_database: TestDatabase) -> Iterator[Flask]:
    """An app that trusts one proxy (nginx on the same machine)."""
    yield from _app(tmp_path, test_database, 1)


@pytest.fixture
def exposed(tmp_path: Path, test_database: TestDatabase) -> Iterator[Flask]:
    """An app that trusts no proxy (the default)."""
    yield from _app(tmp_path, test_database, 0)


def _join_url(app: Flask) -> str:
    """Create a live meeting and return its join endpoint."""
    with app.app_context(), session_scope(app) as db:
        meeting = Factory(db).meeting(status="live")
        return f"/api/v1/meetings/{meeting.code}/participants"


def _join(app: Flask, url: str, forwarded_for: str, remote: str = "127.0.0.1") -> int:
    """Join as a new device (a fresh client) sending ``X-Forwarded-For``; return the status."""
    client = app.test_client()
    response = client.post(url, headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": remote})
    return response.status_code


def test_the_join_limit_keys_on_the_client_behind_a_trusted_proxy(behind_nginx, monkeypatch):
    """Behind one trusted proxy, each real client address has its own join count, not the proxy's."""
    url = _join_url(behind_nginx)
    monkeypatch.setattr(services, "JOIN_LIMIT_PER_ADDRESS", (3, 60))
    assert [_join(behind_nginx, url, "203.0.113.7") for _ in range(3)] == [201, 201, 201]
    assert _join(behind_nginx, url, "203.0.113.7") == 429
    # Another venue behind the same nginx is not refused because the first one used its share.
    assert _join(behind_nginx, url, "198.51.100.9") == 201
    # Only the last hop is believed: an address the client itself put first changes nothing.
    assert _join(behind_nginx, url, "10.9.9.9, 203.0.113.7") == 429


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_limit(exposed, monkeypatch):
    """With no trusted proxy (the default), X-Forwarded-For is ignored: a script cannot pick a new address."""
    url = _join_url(exposed)
    monkeypatch.setattr(services, "JOIN_LIMIT_PER_ADDRESS", (3, 60))
    assert [_join(exposed, url, f"203.0.113.{n}") for n in range(3)] == [201, 201, 201]
    assert _join(exposed, url, "203.0.113.99") == 429


def test_https_at_the_proxy_is_seen_by_the_app(behind_nginx):
    """X-Forwarded-Proto from the trusted proxy makes the request https (secure cookies, same-origin checks)."""
    seen = {}

    @behind_nginx.get("/test-scheme")
    def scheme() -> str:
        from flask import request

        seen["scheme"], seen["remote"] = request.scheme, request.remote_addr
        return "ok"

    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    behind_nginx.test_client().get("/test-scheme", headers=forwarded)
    assert seen == {"scheme": "https", "remote": "203.0.113.7"}


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_trusted_proxies_value_is_refused_at_start_up(tmp_path, value):
    """YSDW_TRUSTED_PROXIES must be a whole number; anything else stops the start with a clear message."""
    with pytest.raises(ValueError, match="YSDW_TRUSTED_PROXIES"):
        config.from_environment(tmp_path, {"YSDW_TRUSTED_PROXIES": value})


def test_trusted_proxies_default_to_none(tmp_path):
    """By default no proxy is trusted; a number is read from the environment."""
    assert config.from_environment(tmp_path, {})["TRUSTED_PROXIES"] == 0
    assert config.from_environment(tmp_path, {"YSDW_TRUSTED_PROXIES": "2"})["TRUSTED_PROXIES"] == 2
