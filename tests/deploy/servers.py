"""Helpers for tests that run the real ``python app.py`` (and nginx) as separate processes.

Every wait here is for a condition, bounded by a generous deadline, never a fixed sleep: a busy CI
box makes them slower, not failing.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
# How long a condition may take on a very busy machine before the test gives up.
DEADLINE = 30.0


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``; under CI=true a missing prerequisite fails the run instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Return ``condition()`` once it is truthy; fail saying ``what`` was awaited after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(0.05)


def log_tail(path: Path, lines: int = 60) -> str:
    """Return the end of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class AppProcess:
    """One running ``python app.py``."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    log_path: Path

    def log(self) -> str:
        """Return the end of its output."""
        return log_tail(self.log_path)


def app_environment(**settings: str) -> dict[str, str]:
    """Return this process's environment without any YSDW_ variable, plus ``settings`` as YSDW_<KEY>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YSDW_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"YSDW_{key.upper()}": value for key, value in settings.items()})
    return env


@contextmanager
def running_app(workdir: Path, name: str, **settings: str) -> Iterator[AppProcess]:
    """Run ``python app.py`` on a free port with ``settings`` (YSDW_* without the prefix) until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {"host": "127.0.0.1", "port": str(port), "public_url": url, **settings}
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=app_environment(**settings), stdout=log, stderr=subprocess.STDOUT
        )
    server = AppProcess(process, url, port, log_path)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"{name} (app.py) exited with {process.returncode}:\n{server.log()}", pytrace=False)
            try:
                return requests.get(f"{url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, f"{name} (app.py) to answer on {url}", timeout=60)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def create_facilitator(workdir: Path, database_url: str, email: str, password: str) -> None:
    """Create a facilitator in the servers' database, directly (no server needed)."""
    from tests.conftest import make_test_app
    from ysdw_live.auth import services as auth_services
    from ysdw_live.db import session_scope

    seeding = make_test_app(workdir / "seed-instance", database_url)
    try:
        with seeding.app_context(), session_scope(seeding) as db:
            auth_services.create_user(db, None, email, "facilitator", password)
    finally:
        seeding.extensions["ysdw_engine"].dispose()


@dataclass
class PollingClient:
    """A bare Engine.IO long-polling client: it records every packet exactly as a browser would get it.

    Used where the difference matters between an Engine.IO ``close`` (packet ``1``: the browser
    reconnects) and a Socket.IO ``disconnect`` (packet ``41``: the browser stays offline).
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    packets: list[str] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)
    error: list[BaseException] = field(default_factory=list)
    sid: str = ""

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.headers.update(self.headers)
        self._thread: threading.Thread | None = None

    def _endpoint(self) -> str:
        """Return the polling URL (with the session id once there is one)."""
        query = f"EIO=4&transport=polling&t={secrets.token_hex(4)}"
        return f"{self.url}/socket.io/?{query}" + (f"&sid={self.sid}" if self.sid else "")

    def connect(self, auth: dict[str, Any]) -> None:
        """Open the Engine.IO session, join the Socket.IO namespace with ``auth`` and start polling."""
        opened = self.http.get(self._endpoint(), timeout=10)
        opened.raise_for_status()
        assert opened.text.startswith("0"), opened.text
        self.sid = json.loads(opened.text[1:])["sid"]
        sent = self.http.post(self._endpoint(), data="40" + json.dumps(auth), timeout=10)
        assert sent.status_code == 200, sent.text
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        """Long-poll until the server closes the session or the connection fails."""
        try:
            while True:
                answer = self.http.get(self._endpoint(), timeout=60)
                if answer.status_code != 200:
                    self.packets.append(f"HTTP {answer.status_code}")
                    return
                for packet in answer.text.split("\x1e"):
                    self.packets.append(packet)
                    if packet == "2":  # Engine.IO ping: answer, as a browser does
                        self.http.post(self._endpoint(), data="3", timeout=10)
                    if packet == "1":  # Engine.IO close
                        return
        except requests.RequestException as error:
            self.error.append(error)
        finally:
            self.ended.set()

    def events(self, name: str) -> list[Any]:
        """Return the payloads of every Socket.IO event ``name`` received so far."""
        found = []
        for packet in list(self.packets):
            if packet.startswith("42"):
                event, *args = json.loads(packet[2:])
                if event == name:
                    found.append(args[0] if args else None)
        return found

    def close(self) -> None:
        """Stop (the server may already be gone)."""
        self.http.close()
