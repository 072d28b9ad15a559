"""Graceful shutdown of a real ``python app.py``: SIGTERM sends pending vote counts, lets clients go, exits 0.

One process on a temp SQLite file per async mode. The vote flush interval is an hour, so the votes
cast before SIGTERM are certainly still waiting in the batch: only the shutdown can send them.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio as socketio_client

from tests.conftest import Factory, make_test_app
from tests.deploy.servers import DEADLINE, AppProcess, PollingClient, running_app, wait_until
from ysdw_live.db import session_scope

VOTERS = 3


def _live_meeting(workdir: Path, database_url: str) -> str:
    """Create a live meeting without moderation in the server's database; return its code."""
    seeding = make_test_app(workdir / "seed-instance", database_url)
    try:
        with seeding.app_context(), session_scope(seeding) as db:
            return Factory(db).meeting(status="live", moderation=False).code
    finally:
        seeding.extensions["ysdw_engine"].dispose()


def _participant(server: AppProcess, code: str) -> dict[str, str]:
    """Join ``code`` as a new device over HTTP; return the header that identifies it."""
    joined = requests.post(f"{server.url}/api/v1/meetings/{code}/participants", timeout=10)
    assert joined.status_code == 201, joined.text
    return {"X-Participant-Token": joined.json()["token"]}


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_sigterm_sends_pending_counts_closes_clients_and_exits_0(tmp_path: Path, mode: str) -> None:
    """SIGTERM with votes still batched: each client gets the final count, then an Engine.IO close; exit 0."""
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    with running_app(
        tmp_path, f"app-{mode}", async_mode=mode, database_url=database_url, vote_flush_interval="3600"
    ) as server:
        code = _live_meeting(tmp_path, database_url)
        auth = {"meeting": code, "role": "projector"}

        websocket: list[tuple[str, Any]] = []
        projector = socketio_client.Client(reconnection=False)
        projector.on("*", lambda event, data=None: websocket.append((event, data)))
        projector.on("disconnect", lambda reason=None: websocket.append(("disconnect", reason)))
        projector.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=DEADLINE)
        polling = PollingClient(server.url)
        polling.connect(auth)
        wait_until(lambda: polling.events("meeting:snapshot"), "the polling projector's snapshot")

        author = _participant(server, code)
        raised = requests.post(
            f"{server.url}/api/v1/meetings/{code}/concerns", json={"text": "Street lights"}, headers=author, timeout=10
        )
        assert raised.status_code == 201, raised.text
        concern_id = raised.json()["id"]
        for _ in range(VOTERS):
            voted = requests.put(
                f"{server.url}/api/v1/concerns/{concern_id}/vote", headers=_participant(server, code), timeout=10
            )
            assert voted.status_code == 200, voted.text
        wait_until(lambda: polling.events("concern:created"), "the concern on the polling projector")

        server.process.send_signal(signal.SIGTERM)
        try:
            returncode = server.process.wait(timeout=DEADLINE)
        except Exception:
            pytest.fail(f"app.py ({mode}) still runs {DEADLINE:.0f} s after SIGTERM:\n{server.log()}", pytrace=False)
        assert returncode == 0, server.log()

        final = {"counts": {str(concern_id): VOTERS}}
        # The WebSocket projector got the final count before its connection ended. (Its client
        # hands each message to a thread of its own, so the count may be recorded just after.)
        wait_until(lambda: not projector.connected, "the WebSocket projector to see the connection end")
        wait_until(lambda: [e for e, _ in websocket if e == "votes:updated"], "the count on the WebSocket projector")
        updates = [data for event, data in websocket if event == "votes:updated"]
        assert [{"counts": u["counts"]} for u in updates] == [final], (websocket, server.log())
        # The polling projector: the final count, then an Engine.IO close ("1"), the packet on which
        # a browser reconnects; never a Socket.IO disconnect ("41"), after which it would not.
        wait_until(polling.ended.is_set, "the polling projector's last poll to return")
        assert [{"counts": u["counts"]} for u in polling.events("votes:updated")] == [final], polling.packets
        assert polling.packets[-1] == "1", polling.packets
        assert "41" not in polling.packets
        assert len(polling.events("concern:created")) == 1
        projector.disconnect()
        polling.close()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "90000"])
def test_a_bad_vote_flush_interval_is_refused_at_start_up(tmp_path: Path, value: str) -> None:
    """YSDW_VOTE_FLUSH_INTERVAL must be seconds above 0 (up to a day); anything else stops the start."""
    from ysdw_live import config

    with pytest.raises(ValueError, match="YSDW_VOTE_FLUSH_INTERVAL"):
        config.from_environment(tmp_path, {"YSDW_VOTE_FLUSH_INTERVAL": value})
    assert config.from_environment(tmp_path, {})["VOTE_FLUSH_INTERVAL"] == 0.3
    assert config.from_environment(tmp_path, {"YSDW_VOTE_FLUSH_INTERVAL": "1.5"})["VOTE_FLUSH_INTERVAL"] == 1.5
