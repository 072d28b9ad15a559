"""Load harness: start the real server in each async mode and measure a meeting's busy minutes.

It runs only against 127.0.0.1, bounded in count and time, and prints figures:
  .venv/bin/python bench/load.py                      # every async mode, default sizes
  .venv/bin/python bench/load.py --modes threading --participants 300

Phases per mode: N phones join (HTTP), S of them open a Socket.IO connection as attendees plus
one projector, 40 concerns are raised, then every phone casts V votes at once. Reported:
latency percentiles per phase, how long the projector takes to show the final vote counts
after the last vote (the batched `votes:updated`), how many events it needed, server RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN, PASSWORD = "bench@example.org", "bench password 123"


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile of values (milliseconds)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def rss_mib(pid: int) -> float:
    """Return the resident memory of process pid in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """The app in a subprocess with its own temporary SQLite database."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="ysdw-bench-"))
        self.env = {
            **os.environ,
            "YSDW_ASYNC_MODE": mode,
            "YSDW_PORT": str(self.port),
            "YSDW_HOST": "127.0.0.1",
            "YSDW_DATABASE_URL": f"sqlite:///{self.dir / 'bench.sqlite3'}",
            "YSDW_PUBLIC_URL": self.base,
            "YSDW_SECRET_KEY": "bench",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = (self.dir / "server.log").open("wb")

    def __enter__(self) -> Server:
        flask = [PYTHON, "-m", "flask", "--app", "app"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        subprocess.run(
            [*flask, "user", "create", ADMIN, "--role", "admin", "--password", PASSWORD],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [PYTHON, "app.py"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"server in {self.mode} mode did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"server log kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call fn and return (seconds, result)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def run_mode(mode: str, participants: int, sockets: int, votes_each: int, workers: int) -> dict[str, object]:
    """Run every phase against one server and return the figures."""
    with Server(mode) as server:
        base = f"{server.base}/api/v1"
        staff = requests.Session()
        token = staff.post(f"{base}/auth/token", json={"email": ADMIN, "password": PASSWORD}).json()["token"]
        staff.headers["Authorization"] = f"Bearer {token}"
        series = staff.post(f"{base}/series", json={"title": "Bench series", "topics": ["A", "B"]}).json()
        meeting = staff.post(
            f"{base}/series/{series['id']}/meetings", json={"title": "Bench meeting", "moderation": False}
        ).json()
        code = meeting["code"]
        staff.patch(f"{base}/meetings/{code}", json={"status": "live"}).raise_for_status()
        pool = ThreadPoolExecutor(workers)
        errors: list[str] = []

        def join(_: int) -> tuple[float, str]:
            seconds, response = timed(requests.post, f"{base}/meetings/{code}/participants", timeout=30)
            if response.status_code != 201:
                errors.append(f"join {response.status_code}")
                return seconds, ""
            return seconds, response.json()["token"]

        joined = list(pool.map(join, range(participants)))
        join_times = [s for s, _ in joined]
        tokens = [t for _, t in joined if t]

        # The projector counts vote events and notes when the final counts arrive.
        final_counts: dict[int, int] = {}
        seen = {"events": 0, "last": 0.0}
        done = threading.Event()
        projector = socketio.Client(reconnection=False)

        @projector.on("votes:updated")
        def _votes(payload: dict) -> None:  # type: ignore[type-arg]
            seen["events"] += 1
            for concern_id, votes in payload["counts"].items():
                final_counts[int(concern_id)] = votes
            seen["last"] = time.perf_counter()
            if expected and all(final_counts.get(i) == n for i, n in expected.items()):
                done.set()

        expected: dict[int, int] = {}
        projector.connect(
            server.base,
            auth={"meeting": code, "role": "projector"},
            transports=["websocket"],
        )

        def attend(tok: str) -> tuple[float, socketio.Client]:
            client = socketio.Client(reconnection=False)
            got = threading.Event()
            client.on("meeting:snapshot", lambda _payload: got.set())
            start = time.perf_counter()
            client.connect(
                server.base,
                auth={"meeting": code, "role": "attendee", "token": tok},
                transports=["websocket"],
            )
            got.wait(30)
            return time.perf_counter() - start, client

        connected = list(pool.map(attend, tokens[:sockets]))
        snapshot_times = [s for s, _ in connected]

        def raise_concern(i: int) -> tuple[float, int]:
            seconds, response = timed(
                requests.post,
                f"{base}/meetings/{code}/concerns",
                json={"text": f"Bench concern {i}: street lighting near the park"},
                headers={"X-Participant-Token": tokens[i % len(tokens)]},
                timeout=30,
            )
            if response.status_code != 201:
                errors.append(f"concern {response.status_code}")
                return seconds, 0
            return seconds, response.json()["id"]

        raised = list(pool.map(raise_concern, range(40)))
        concern_times = [s for s, _ in raised]
        concern_ids = [i for _, i in raised if i]
        rng = random.Random(7)
        plan = [(tok, cid) for tok in tokens for cid in rng.sample(concern_ids, min(votes_each, len(concern_ids)))]
        for _tok, cid in plan:
            expected[cid] = expected.get(cid, 0) + 1

        def cast(item: tuple[str, int]) -> float:
            tok, cid = item
            seconds, response = timed(
                requests.put, f"{base}/concerns/{cid}/vote", headers={"X-Participant-Token": tok}, timeout=30
            )
            if response.status_code != 200:
                errors.append(f"vote {response.status_code}")
            return seconds

        start_votes = time.perf_counter()
        vote_times = list(pool.map(cast, plan))
        last_vote = time.perf_counter()
        done.wait(15)
        vote_window = last_vote - start_votes
        lag = (seen["last"] - last_vote) if done.is_set() else float("nan")
        memory = rss_mib(server.process.pid)  # type: ignore[union-attr]
        for _, client in connected:
            client.disconnect()
        projector.disconnect()
        pool.shutdown()
        return {
            "mode": mode,
            "joins": len(tokens),
            "join_p50": pct(join_times, 50),
            "join_p95": pct(join_times, 95),
            "snapshot_p50": pct(snapshot_times, 50),
            "snapshot_p95": pct(snapshot_times, 95),
            "concern_p50": pct(concern_times, 50),
            "concern_p95": pct(concern_times, 95),
            "votes": len(vote_times),
            "vote_p50": pct(vote_times, 50),
            "vote_p95": pct(vote_times, 95),
            "votes_per_s": len(vote_times) / vote_window if vote_window else float("nan"),
            "final_counts_ok": done.is_set(),
            "lag_ms": lag * 1000,
            "vote_events": seen["events"],
            "rss_mib": memory,
            "errors": len(errors),
        }


def main() -> None:
    """Parse arguments, run the modes, print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="eventlet,gevent,threading")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=100, help="attendees holding a live connection")
    parser.add_argument("--votes", type=int, default=5, help="votes per participant")
    parser.add_argument("--workers", type=int, default=16, help="client threads")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; SQLite; one server process")
    print(
        f"{args.participants} phones join, {args.sockets} hold sockets, 40 concerns, "
        f"{args.votes} votes each, {args.workers} client threads\n"
    )
    results = [
        run_mode(m.strip(), args.participants, args.sockets, args.votes, args.workers)
        for m in args.modes.split(",")
        if m.strip()
    ]
    header = (
        "mode",
        "join p50/p95 ms",
        "snapshot p50/p95",
        "concern p50/p95",
        "vote p50/p95",
        "votes/s",
        "counts ok",
        "lag ms",
        "events",
        "RSS MiB",
        "errors",
    )
    print(" | ".join(header))
    for r in results:
        print(
            " | ".join(
                [
                    str(r["mode"]),
                    f"{r['join_p50']:.0f}/{r['join_p95']:.0f}",
                    f"{r['snapshot_p50']:.0f}/{r['snapshot_p95']:.0f}",
                    f"{r['concern_p50']:.0f}/{r['concern_p95']:.0f}",
                    f"{r['vote_p50']:.0f}/{r['vote_p95']:.0f}",
                    f"{r['votes_per_s']:.0f}",
                    "yes" if r["final_counts_ok"] else "NO",
                    f"{r['lag_ms']:.0f}",
                    str(r["vote_events"]),
                    f"{r['rss_mib']:.0f}",
                    str(r["errors"]),
                ]
            )
        )
    if any(not r["final_counts_ok"] or r["errors"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
