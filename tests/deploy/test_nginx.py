"""Two ``python app.py`` processes behind a real nginx, sharing PostgreSQL and Redis, run from deploy/nginx.conf.

Needs nginx (Debian's package), PostgreSQL (YSDW_TEST_DATABASE_URL: the test makes a fresh database
beside it and drops it afterwards) and Redis (YSDW_TEST_REDIS_URL). It runs in the PostgreSQL pass
of ``make test`` only (marked ``database``; the SQLite pass has no PostgreSQL URL and skips it).
Elsewhere a missing prerequisite skips with a reason; under CI=true it fails.

Devices are pinned to a chosen process by their ``yswd_lb`` cookie (the test config adds an
``X-Yswd-Upstream`` response header to tell which process a cookie hashes to), so the events
certainly cross processes through Redis, whatever the hash decides.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio as socketio_client
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PASSWORD
from tests.deploy.servers import (
    DEADLINE,
    ROOT,
    AppProcess,
    create_facilitator,
    free_port,
    log_tail,
    running_app,
    skip_or_fail,
    wait_until,
)

pytestmark = [
    pytest.mark.database,  # the PostgreSQL pass (scripts/test.sh runs it with -m database)
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("nginx"),
]

NGINX = os.environ.get("YSDW_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
DATABASE_URL = os.environ.get("YSDW_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("YSDW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SITE = ROOT / "deploy" / "nginx.conf"
VOTERS_PER_PROCESS = 3


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh PostgreSQL database next to the test one, dropped afterwards."""
    if not DATABASE_URL:
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass (set YSDW_TEST_DATABASE_URL)")
    base = make_url(DATABASE_URL)
    name = f"{base.database}_nginx_{uuid.uuid4().hex[:8]}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        server.dispose()
        skip_or_fail(f"PostgreSQL at {DATABASE_URL} refused a new database: {error}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def redis_url() -> str:
    """The test Redis, or a skip (a failure under CI) when it does not answer."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}: {error}")
    finally:
        client.close()
    return REDIS_URL


@dataclass
class Nginx:
    """A running nginx: its address, its access log and the upstream address of each app process."""

    url: str
    access_log: Path
    error_log: Path

    def requests_by_cookie(self, cookie: str) -> list[tuple[str, str, str]]:
        """Return (upstream, request line, status) of every /socket.io/ request that carried ``cookie``."""
        found = []
        for line in self.access_log.read_text().splitlines():
            upstream, lb_cookie, status, request = line.split(" ", 3)
            if lb_cookie == cookie and "/socket.io/" in request:
                found.append((upstream, request, status))
        return found


def site_config(port: int, upstreams: list[int]) -> str:
    """Return deploy/nginx.conf with the test's listen port and app processes, plus a header naming the process."""
    site = SITE.read_text()
    site, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", site)
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in upstreams)
    site, upstream_blocks = re.subn(r"(    server 127\.0\.0\.1:500\d [^\n]*\n)+", servers, site)
    site, headers = re.subn(
        r"(    add_header Set-Cookie \$yswd_lb_set_cookie always;\n)",
        r"\1    add_header X-Yswd-Upstream $upstream_addr always;\n",
        site,
    )
    assert (listens, upstream_blocks, headers) == (1, 1, 1), "deploy/nginx.conf changed shape: update this test"
    return site


@pytest.fixture
def nginx_port() -> int:
    """The port nginx will listen on (the apps need it for their public URL first)."""
    if not Path(NGINX).exists():
        skip_or_fail(f"nginx is not installed at {NGINX} (apt-get install nginx)")
    return free_port()


@pytest.fixture
def start_nginx(nginx_port: int) -> Iterator[Any]:
    """``start_nginx(upstream_ports)`` runs nginx unprivileged with its own pid, logs and temp paths."""
    # Not under pytest's tmp_path: when the suite runs as root, nginx runs as nobody, who must reach it.
    prefix = Path(tempfile.mkdtemp(prefix="yswd-nginx-"))
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstreams: list[int]) -> Nginx:
        for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temp).mkdir()
        (prefix / "yswd-live.conf").write_text(site_config(nginx_port, upstreams))
        (prefix / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$upstream_addr $cookie_yswd_lb $status "$request"';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/yswd-live.conf;
}}
"""
        )
        run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in [prefix, *prefix.iterdir()]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, **run_as)
        assert checked.returncode == 0, checked.stderr
        with (prefix / "stderr.log").open("wb") as stderr:
            processes.append(subprocess.Popen(command, stdout=stderr, stderr=subprocess.STDOUT, **run_as))
        server = Nginx(f"http://127.0.0.1:{nginx_port}", prefix / "access.log", prefix / "error.log")

        def answers() -> bool:
            if processes[-1].poll() is not None:
                pytest.fail(f"nginx exited with {processes[-1].returncode}:\n{log_tail(server.error_log)}")
            try:
                return requests.get(f"{server.url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, f"nginx to answer on {server.url}")
        return server

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(prefix, ignore_errors=True)


def device(nginx: Nginx) -> tuple[requests.Session, str, str]:
    """Return a new phone (an HTTP session), its ``yswd_lb`` cookie and the process nginx pins it to."""
    phone = requests.Session()
    phone.headers["Origin"] = nginx.url  # as a browser on the site sends with every POST
    answer = phone.get(f"{nginx.url}/healthz", timeout=10)
    assert answer.status_code == 200
    cookie = phone.cookies.get("yswd_lb")
    assert cookie, "nginx set no yswd_lb cookie"
    again = phone.get(f"{nginx.url}/healthz", timeout=10)
    assert again.headers["X-Yswd-Upstream"] == answer.headers["X-Yswd-Upstream"], "the cookie did not stick"
    assert "yswd_lb" not in again.headers.get("Set-Cookie", ""), "a device with the cookie got a new one"
    return phone, cookie, answer.headers["X-Yswd-Upstream"]


def devices_on_each(nginx: Nginx, upstreams: list[str], count: int) -> dict[str, list[tuple[requests.Session, str]]]:
    """Return ``count`` new devices pinned to each upstream (each new device lands on one at random)."""
    pinned: dict[str, list[tuple[requests.Session, str]]] = {upstream: [] for upstream in upstreams}
    for _ in range(200):
        phone, cookie, upstream = device(nginx)
        if len(pinned[upstream]) < count:
            pinned[upstream].append((phone, cookie))
        if all(len(found) == count for found in pinned.values()):
            return pinned
    pytest.fail(f"200 new devices did not spread over {upstreams}: is the hash on the cookie?")


class Projector:
    """A python-socketio client in the projector role, through nginx, recording every event."""

    def __init__(self, nginx: Nginx, code: str, cookie: str, transport: str) -> None:
        self.nginx, self.code, self.cookie, self.transport = nginx, code, cookie, transport
        self.events: list[tuple[str, Any]] = []
        # The device's cookie jar, as a browser keeps it: Engine.IO's client sends extra headers
        # with the handshake only, but the jar's cookies with every poll and the WebSocket.
        self.http = requests.Session()
        self.http.cookies.set("yswd_lb", cookie)
        if transport == "polling":  # the WebSocket client sends the URL's own Origin by itself
            self.http.headers["Origin"] = nginx.url
        self.client = socketio_client.Client(reconnection=False, http_session=self.http)
        self.client.on("*", lambda event, data=None: self.events.append((event, data)))

    def connect(self) -> None:
        """Connect (again) through nginx with the page's Origin and this device's cookie."""
        self.client.connect(
            self.nginx.url,
            auth={"meeting": self.code, "role": "projector"},
            transports=[self.transport],
            wait_timeout=DEADLINE,
        )

    def named(self, event: str) -> list[Any]:
        """Return the payloads of every ``event`` so far."""
        return [data for name, data in list(self.events) if name == event]

    def highest_count(self, concern_id: int) -> int:
        """Return the highest vote count of ``concern_id`` this projector saw (snapshot or update).

        The highest, not the latest: ordering counts from two processes is the batch's business
        (tested with it); this test is about every count arriving through nginx.
        """
        counts = [0]
        for name, data in list(self.events):
            if name == "meeting:snapshot":
                counts += [c["votes"] for c in data["concerns"] if c["id"] == concern_id]
            elif name == "votes:updated" and str(concern_id) in data["counts"]:
                counts.append(data["counts"][str(concern_id)])
        return max(counts)


def test_two_processes_behind_nginx_deliver_every_event_exactly(
    tmp_path: Path, database: str, redis_url: str, nginx_port: int, start_nginx: Any
) -> None:
    """Through nginx: sticky polling, WebSocket, Origin check, every event on both projectors; a SIGTERM fails over."""
    public_url = f"http://127.0.0.1:{nginx_port}"
    shared = {
        "database_url": database,
        "redis_url": redis_url,
        "secret_key": secrets.token_hex(32),
        "public_url": public_url,
        "async_mode": "gevent",
        "trusted_proxies": "1",
    }
    # One after the other: the first applies the migrations.
    with running_app(tmp_path, "app-1", **shared) as first, running_app(tmp_path, "app-2", **shared) as second:
        apps: dict[str, AppProcess] = {f"127.0.0.1:{app.port}": app for app in (first, second)}
        nginx = start_nginx([first.port, second.port])
        pinned = devices_on_each(nginx, list(apps), VOTERS_PER_PROCESS + 1)
        one, two = list(apps)

        # Staff arrange a live meeting through nginx.
        create_facilitator(tmp_path, database, "facilitator@example.org", PASSWORD)
        staff = requests.Session()
        token = staff.post(
            f"{nginx.url}/api/v1/auth/token",
            json={"email": "facilitator@example.org", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        staff.headers["Authorization"] = f"Bearer {token}"
        series = staff.post(f"{nginx.url}/api/v1/series", json={"title": "Riverside", "topics": ["Youth"]}, timeout=10)
        meeting = staff.post(
            f"{nginx.url}/api/v1/series/{series.json()['id']}/meetings",
            json={"title": "Spring meeting", "moderation": False},
            timeout=10,
        )
        code = meeting.json()["code"]
        assert staff.patch(f"{nginx.url}/api/v1/meetings/{code}", json={"status": "live"}, timeout=10).ok

        # A WebSocket projector on process one, a long-polling projector on process two.
        websocket = Projector(nginx, code, pinned[one].pop()[1], "websocket")
        polling = Projector(nginx, code, pinned[two].pop()[1], "polling")
        for projector in (websocket, polling):
            projector.connect()
            wait_until(lambda p=projector: p.named("meeting:snapshot"), f"the {projector.transport} snapshot")
        # Engine.IO's Origin check still holds behind nginx: another site's page is refused.
        intruder = socketio_client.Client(reconnection=False)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            intruder.connect(
                nginx.url,
                headers={"Origin": "http://evil.example"},
                auth={"meeting": code, "role": "projector"},
                transports=["polling"],
                wait_timeout=10,
            )

        # Phones on both processes join; one raises a concern; every phone votes for it.
        phones = []
        for phone, _cookie in [*pinned[one], *pinned[two]]:
            joined = phone.post(f"{nginx.url}/api/v1/meetings/{code}/participants", timeout=10)
            assert joined.status_code == 201, joined.text
            phone.headers["X-Participant-Token"] = joined.json()["token"]
            phones.append(phone)
        raised = phones[-1].post(f"{nginx.url}/api/v1/meetings/{code}/concerns", json={"text": "Lights"}, timeout=10)
        assert raised.status_code == 201, raised.text
        concern_id = raised.json()["id"]
        for phone in phones:
            assert phone.put(f"{nginx.url}/api/v1/concerns/{concern_id}/vote", timeout=10).status_code == 200
        total = len(phones)

        for projector in (websocket, polling):
            wait_until(
                lambda p=projector: p.highest_count(concern_id) == total, f"{total} votes on {projector.transport}"
            )
            # Each message is handled in a thread of its own by the client: wait, then count exactly.
            wait_until(lambda p=projector: p.named("concern:created"), f"the concern on {projector.transport}")
            assert [c["concern"]["id"] for c in projector.named("concern:created")] == [concern_id]
            counts = [u["counts"][str(concern_id)] for u in projector.named("votes:updated")]
            assert max(counts) == total, counts
            assert projector.named("concern:removed") == []

        # Stickiness: every request of the polling session reached process two, and none was refused.
        polled = nginx.requests_by_cookie(polling.cookie)
        assert len(polled) >= 3 and {upstream for upstream, _, _ in polled} == {two}, polled
        assert {status for _, _, status in polled} == {"200"}, polled

        # Process one stops gracefully: the WebSocket projector on it loses its connection,
        # reconnects through nginx (to process two) and catches up from the snapshot.
        apps[one].process.send_signal(signal.SIGTERM)
        assert apps[one].process.wait(timeout=DEADLINE) == 0, apps[one].log()
        wait_until(lambda: not websocket.client.connected, "the WebSocket projector to be let go")
        websocket.events.clear()
        websocket.connect()
        wait_until(lambda: websocket.named("meeting:snapshot"), "the snapshot after reconnecting")
        assert websocket.highest_count(concern_id) == total
        # A new phone whose cookie hashes to the stopped process is served by the other one.
        latecomer = requests.Session()
        latecomer.headers["Origin"] = nginx.url
        latecomer.cookies.set("yswd_lb", pinned[one][0][1])
        joined = latecomer.post(f"{nginx.url}/api/v1/meetings/{code}/participants", timeout=10)
        assert joined.status_code == 201, joined.text
        latecomer.headers["X-Participant-Token"] = joined.json()["token"]
        assert latecomer.put(f"{nginx.url}/api/v1/concerns/{concern_id}/vote", timeout=10).status_code == 200
        for projector in (websocket, polling):
            wait_until(
                lambda p=projector: p.highest_count(concern_id) == total + 1, f"the late vote on {projector.transport}"
            )
        for projector in (websocket, polling):
            projector.client.disconnect()
