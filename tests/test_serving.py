"""`python app.py` in each async mode: how many connections it serves, and PostgreSQL under eventlet."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.deploy.servers import wait_until
from tests.test_migrations import fresh_postgres_url  # noqa: F401  (a fixture used below)
from ysdw_live.config import from_environment

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp_path: Path, mode: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment for one `python app.py` on 127.0.0.1 in ``mode``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YSDW_", "PSYCOPG_"))}
    env.update(
        YSDW_HOST="127.0.0.1",
        YSDW_PORT=str(port),
        YSDW_PUBLIC_URL=f"http://127.0.0.1:{port}",
        YSDW_DATABASE_URL=database_url,
        YSDW_SECRET_KEY="serving-test",
        YSDW_ASYNC_MODE=mode,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@contextmanager
def running_server(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """Start `python app.py` with ``env``; yield its base URL once /healthz answers; stop it afterwards."""
    base = env["YSDW_PUBLIC_URL"]
    log_path = tmp_path / f"server-{env['YSDW_PORT']}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                return requests.get(f"{base}/healthz", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(answers, f"app.py to answer on {base}", timeout=90)  # a start-up bound, not a speed test
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_max_connections_defaults_high_and_is_configurable(tmp_path: Path):
    """YSDW_MAX_CONNECTIONS defaults to room for 2,000 phones and more; a bad value stops start-up by name."""
    assert from_environment(tmp_path, {})["MAX_CONNECTIONS"] >= 4000
    assert from_environment(tmp_path, {"YSDW_MAX_CONNECTIONS": "3000"})["MAX_CONNECTIONS"] == 3000
    for bad in ("0", "-5", "lots"):
        with pytest.raises(ValueError, match="YSDW_MAX_CONNECTIONS"):
            from_environment(tmp_path, {"YSDW_MAX_CONNECTIONS": bad})


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_the_server_answers_with_more_than_1024_connections_open(tmp_path: Path, mode: str):
    """1,100 open connections (each holding a server slot, as a phone's socket does) leave room for a request.

    eventlet's WSGI server serves at most 1,024 connections at once unless told otherwise: the
    request after them would wait for a slot until one of the phones left.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2500:
        pytest.skip(f"needs 2,500 open files (hard limit {hard})")
    # Room for both ends of 1,100 connections, here and (inherited) in the server.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2500), hard))
    env = server_env(tmp_path, mode, f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    with running_server(tmp_path, env) as base, ExitStack() as stack:
        port = int(env["YSDW_PORT"])
        for _ in range(1100):
            held = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            # Half a request: the server gives the connection a slot and waits for the rest.
            held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert requests.get(f"{base}/healthz", timeout=20).json() == {"status": "ok"}


def test_eventlet_refuses_postgresql_when_psycopg_would_block(tmp_path: Path):
    """Under eventlet, PostgreSQL with psycopg's blocking C wait stops at start-up, saying what to change."""
    env = server_env(
        tmp_path,
        "eventlet",
        "postgresql+psycopg://postgres@127.0.0.1:9/never_reached",
        PSYCOPG_WAIT_FUNC="wait_c",
    )
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "YSDW_ASYNC_MODE=eventlet with PostgreSQL" in result.stderr
    assert "YSDW_ASYNC_MODE=gevent" in result.stderr


@pytest.mark.postgres
def test_a_waiting_postgresql_query_does_not_stall_eventlet(tmp_path: Path, fresh_postgres_url: str):  # noqa: F811
    """Under eventlet, a request waiting on PostgreSQL leaves the server answering everyone else.

    The test holds a lock on the meeting table, so a join page's query waits in PostgreSQL until
    the test lets go; meanwhile /healthz must answer. A blocking driver would freeze the process.
    """
    env = server_env(tmp_path, "eventlet", fresh_postgres_url)
    with running_server(tmp_path, env) as base:
        engine = create_engine(fresh_postgres_url)
        try:
            with engine.connect() as conn:
                conn.execute(text("LOCK TABLE meeting IN ACCESS EXCLUSIVE MODE"))
                waiting = threading.Thread(target=requests.get, args=(f"{base}/j/ABCDEF",), kwargs={"timeout": 60})
                waiting.start()
                blocked = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'meeting'::regclass"
                deadline = time.monotonic() + 30
                while not conn.execute(text(blocked)).scalar() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert conn.execute(text(blocked)).scalar(), "the join page never queried the meeting table"
                assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
                conn.rollback()
            waiting.join(60)
        finally:
            engine.dispose()


def test_app_py_and_the_configuration_agree_on_the_default_async_mode():
    """app.py repeats the default mode (it patches before importing the app): the two must not drift apart."""
    from ysdw_live import config

    source = (Path(__file__).resolve().parent.parent / "app.py").read_text()
    assert f'os.environ.get("YSDW_ASYNC_MODE", "{config.DEFAULT_ASYNC_MODE}")' in source
    assert config.from_environment(Path("/nonexistent"), {})["ASYNC_MODE"] == config.DEFAULT_ASYNC_MODE == "gevent"
