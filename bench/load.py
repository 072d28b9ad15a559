"""Load harness: start the real server and measure a meeting's busiest minutes.

It runs only against 127.0.0.1, bounded in count and time, and prints figures:
  .venv/bin/python bench/load.py                                  # each async mode, SQLite, 1 process
  .venv/bin/python bench/load.py --modes gevent --participants 600 --sockets 300
  .venv/bin/python bench/load.py --database postgres --processes 2   # scale-out: PostgreSQL + Redis

Phases: N phones join (HTTP), S of them hold a Socket.IO connection as attendees plus one
projector, 40 concerns are raised, then every phone casts V votes at once. With several
processes, requests and sockets are spread over them round-robin (as nginx would), and the
projector sits on the first process: its counts arrive through the Redis message queue.
Reported: latency percentiles per phase, how long after the last vote the projector shows the
final counts (one batched `votes:updated` every 0.3 s at most), events, total server RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
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
from typing import Any

import requests
import room as room_player
import socketio

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN, PASSWORD = "bench@example.org", "bench password 123"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile of values, in milliseconds."""
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


class Cluster:
    """One or more app processes on a fresh database (SQLite file, or a new PostgreSQL database)."""

    def __init__(self, mode: str, database: str, processes: int, ratelimit: bool = True) -> None:
        self.mode, self.database, self.count = mode, database, processes
        self.dir = Path(tempfile.mkdtemp(prefix="ysdw-bench-"))
        self.pg_name = f"yswd_bench_{os.getpid()}"
        url = f"{POSTGRES}/{self.pg_name}" if database == "postgres" else f"sqlite:///{self.dir / 'bench.sqlite3'}"
        self.env = {
            **os.environ,
            "YSDW_ASYNC_MODE": mode,
            "YSDW_HOST": "127.0.0.1",
            "YSDW_DATABASE_URL": url,
            "YSDW_SECRET_KEY": "bench",
            # Joins are limited per address (1,200 a minute); a bigger room from one address turns it off.
            "YSDW_RATELIMIT": "1" if ratelimit else "0",
        }
        if processes > 1:
            self.env["YSDW_REDIS_URL"] = REDIS
        self.ports = [free_port() for _ in range(processes)]
        self.bases = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = (self.dir / "server.log").open("wb")

    def __enter__(self) -> Cluster:
        if self.database == "postgres":
            self._psql(f"DROP DATABASE IF EXISTS {self.pg_name}")
            self._psql(f"CREATE DATABASE {self.pg_name}")
        if "YSDW_REDIS_URL" in self.env:
            import redis

            redis.Redis.from_url(REDIS).flushdb()
        flask = [PYTHON, "-m", "flask", "--app", "app"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        subprocess.run(
            [*flask, "user", "create", ADMIN, "--role", "admin", "--password", PASSWORD],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        for port, base in zip(self.ports, self.bases, strict=True):
            env = {**self.env, "YSDW_PORT": str(port), "YSDW_PUBLIC_URL": base}
            # BENCH_PROFILE=<file>: the first process runs under pyinstrument for the vote burst.
            script = "bench/profiled_app.py" if os.environ.get("BENCH_PROFILE") and not self.processes else "app.py"
            self.processes.append(
                subprocess.Popen([PYTHON, script], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
            )
        wait_healthy(self.bases, f"server in {self.mode} mode (see {self.dir}/server.log)")
        return self

    def _psql(self, sql: str) -> None:
        """Run one statement against the local PostgreSQL server."""
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)

    def rss(self) -> float:
        """Return the servers' total resident memory in MiB."""
        return sum(rss_mib(p.pid) for p in self.processes)

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()
        if self.database == "postgres":
            self._psql(f"DROP DATABASE IF EXISTS {self.pg_name}")
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"server log kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Call fn and return (seconds, result)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def run(
    mode: str, database: str, processes: int, participants: int, sockets: int, votes_each: int, workers: int
) -> dict[str, Any]:
    """Run every phase against one cluster and return the figures."""
    with Cluster(mode, database, processes) as cluster:
        spread = itertools.cycle(cluster.bases)
        lock = threading.Lock()

        def next_base() -> str:
            with lock:
                return next(spread)

        api = f"{cluster.bases[0]}/api/v1"
        staff = requests.Session()
        token = staff.post(f"{api}/auth/token", json={"email": ADMIN, "password": PASSWORD}).json()["token"]
        staff.headers["Authorization"] = f"Bearer {token}"
        series = staff.post(f"{api}/series", json={"title": "Bench series", "topics": ["A", "B"]}).json()
        meeting = staff.post(
            f"{api}/series/{series['id']}/meetings", json={"title": "Bench meeting", "moderation": False}
        ).json()
        code = meeting["code"]
        staff.patch(f"{api}/meetings/{code}", json={"status": "live"}).raise_for_status()
        pool = ThreadPoolExecutor(workers)
        errors: list[str] = []

        def join(_: int) -> tuple[float, str]:
            seconds, response = timed(requests.post, f"{next_base()}/api/v1/meetings/{code}/participants", timeout=30)
            if response.status_code != 201:
                errors.append(f"join {response.status_code}")
                return seconds, ""
            return seconds, response.json()["token"]

        joined = list(pool.map(join, range(participants)))
        tokens = [t for _, t in joined if t]

        # The projector counts vote events and notes when the final counts arrive.
        expected: dict[int, int] = {}
        final_counts: dict[int, int] = {}
        seen: dict[str, float] = {"events": 0, "last": 0.0}
        done = threading.Event()
        projector = socketio.Client(reconnection=False)

        @projector.on("votes:updated")
        def _votes(payload: dict[str, Any]) -> None:
            seen["events"] += 1
            for concern_id, votes in payload["counts"].items():
                final_counts[int(concern_id)] = votes
            seen["last"] = time.perf_counter()
            if expected and all(final_counts.get(i) == n for i, n in expected.items()):
                done.set()

        projector.connect(cluster.bases[0], auth={"meeting": code, "role": "projector"}, transports=["websocket"])

        def attend(tok: str) -> tuple[float, socketio.Client]:
            client = socketio.Client(reconnection=False)
            got = threading.Event()
            client.on("meeting:snapshot", lambda _payload: got.set())
            start = time.perf_counter()
            client.connect(
                next_base(), auth={"meeting": code, "role": "attendee", "token": tok}, transports=["websocket"]
            )
            if not got.wait(10):
                errors.append("no snapshot within 10 s")
            return time.perf_counter() - start, client

        connected = list(pool.map(attend, tokens[:sockets]))

        def raise_concern(i: int) -> tuple[float, int]:
            seconds, response = timed(
                requests.post,
                f"{next_base()}/api/v1/meetings/{code}/concerns",
                json={"text": f"Bench concern {i}: street lighting near the park"},
                headers={"X-Participant-Token": tokens[i % len(tokens)]},
                timeout=30,
            )
            if response.status_code != 201:
                errors.append(f"concern {response.status_code}")
                return seconds, 0
            return seconds, response.json()["id"]

        raised = list(pool.map(raise_concern, range(40)))
        concern_ids = [i for _, i in raised if i]
        rng = random.Random(7)
        plan = [(tok, cid) for tok in tokens for cid in rng.sample(concern_ids, min(votes_each, len(concern_ids)))]
        rng.shuffle(plan)
        for _tok, cid in plan:
            expected[cid] = expected.get(cid, 0) + 1

        def cast(item: tuple[str, int]) -> float:
            tok, cid = item
            seconds, response = timed(
                requests.put,
                f"{next_base()}/api/v1/concerns/{cid}/vote",
                headers={"X-Participant-Token": tok},
                timeout=30,
            )
            if response.status_code != 200:
                errors.append(f"vote {response.status_code}")
            return seconds

        start_votes = time.perf_counter()
        vote_times = list(pool.map(cast, plan))
        last_vote = time.perf_counter()
        done.wait(15)
        window = last_vote - start_votes
        memory = cluster.rss()
        for _, client in connected:
            client.disconnect()
        projector.disconnect()
        pool.shutdown()
        return {
            "setup": f"{mode}, {database}, {processes} proc",
            "join": (pct([s for s, _ in joined], 50), pct([s for s, _ in joined], 95)),
            "snapshot": (pct([s for s, _ in connected], 50), pct([s for s, _ in connected], 95)),
            "concern": (pct([s for s, _ in raised], 50), pct([s for s, _ in raised], 95)),
            "vote": (pct(vote_times, 50), pct(vote_times, 95)),
            "votes_per_s": len(vote_times) / window if window else float("nan"),
            "counts_ok": done.is_set(),
            "lag_ms": (seen["last"] - last_vote) * 1000 if done.is_set() else float("nan"),
            "events": int(seen["events"]),
            "rss": memory,
            "errors": errors,
        }


class FloorServer:
    """The bare python-socketio server (floor_server.py) in one async mode, on 127.0.0.1."""

    def __init__(self, mode: str) -> None:
        self.mode, self.port = mode, free_port()
        self.bases = [f"http://127.0.0.1:{self.port}"]
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> FloorServer:
        script = str(ROOT / "bench" / "floor_server.py")
        self.processes.append(subprocess.Popen([PYTHON, script, self.mode, str(self.port)], cwd=ROOT))
        wait_healthy(self.bases, f"floor server ({self.mode})")
        return self

    def rss(self) -> float:
        """Return the server's resident memory in MiB."""
        return rss_mib(self.processes[0].pid)

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_healthy(bases: list[str], what: str) -> None:
    """Wait (at most 60 s) until every base answers /healthz."""
    deadline = time.monotonic() + 60
    for base in bases:
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start")
            time.sleep(0.2)


def room(target: str, mode: str, phones: int, concerns: int, workers: int) -> dict[str, Any]:
    """Play the issue's room against the project (``target="project"``) or the floor, and measure it.

    Every phone joins over HTTP and holds a websocket; ``concerns`` new concerns are raised one after
    another (each must reach every phone); then every phone votes once, all at once, over HTTP.
    """
    project = target == "project"
    server: Cluster | FloorServer
    server = Cluster(mode, "sqlite", 1, ratelimit=phones <= 1000) if project else FloorServer(mode)
    with server:
        base = server.bases[0]
        api = f"{base}/api/v1"
        code = "FLOOR"
        if project:
            staff = requests.Session()
            token = staff.post(f"{api}/auth/token", json={"email": ADMIN, "password": PASSWORD}).json()["token"]
            staff.headers["Authorization"] = f"Bearer {token}"
            series = staff.post(f"{api}/series", json={"title": "Bench series", "topics": ["A", "B"]}).json()
            meeting = staff.post(
                f"{api}/series/{series['id']}/meetings", json={"title": "Bench room", "moderation": False}
            ).json()
            code = meeting["code"]
            staff.patch(f"{api}/meetings/{code}", json={"status": "live"}).raise_for_status()
        figures = room_player.run(base, code, phones, concerns, workers, server.rss)
        seconds = figures["votes_all_acknowledged_s"]
        return {
            "target": target,
            "mode": mode,
            "phones": figures["phones"],
            "connect_all_s": figures["connect_all_s"],
            "concern_fanout_p50_ms": pct(figures["fanout"], 50),
            "concern_fanout_p95_ms": pct(figures["fanout"], 95),
            "concern_post_p50_ms": pct(figures["concern_answered"], 50),
            "votes": figures["votes"],
            "votes_all_acknowledged_s": seconds,
            "votes_per_s": figures["votes"] / seconds if seconds else float("nan"),
            "final_count_p95_ms": pct(figures["final_lags"], 95),
            "phones_missing_final_counts": figures["phones_missing_final_counts"],
            "busiest_second_votes_updated": figures["busiest_second_votes_updated"],
            "busiest_second_on_generator_phones": figures["busiest_second_on_generator_phones"],
            "votes_updated_gaps_ms_on_the_observer": figures["observer_gaps_ms"],
            "rss_mib": figures["rss_mib"],
            "kb_per_connection": figures["kb_per_connection"],
            "ratelimit": not project or phones <= 1000,
            "errors": figures["errors"],
        }


TARGETS = "connect <= 2x floor; concern p95 <= 1.25x floor; votes in <= 2 s; final p95 <= floor + 250 ms; <= 100 KB"


def compare(project: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """The project's figures as ratios to the floor, and whether each target of issue 8 is met."""
    ratios = {
        "connect_all": project["connect_all_s"] / floor["connect_all_s"],
        "concern_fanout_p95": project["concern_fanout_p95_ms"] / floor["concern_fanout_p95_ms"],
        "votes_all_acknowledged": project["votes_all_acknowledged_s"] / floor["votes_all_acknowledged_s"],
        "final_count_p95_minus_floor_ms": project["final_count_p95_ms"] - floor["final_count_p95_ms"],
    }
    met = {
        "connect_within_2x_floor": ratios["connect_all"] <= 2,
        "concern_p95_within_1.25x_floor": ratios["concern_fanout_p95"] <= 1.25,
        "votes_acknowledged_within_2s": project["votes_all_acknowledged_s"] <= 2,
        "final_count_p95_within_floor_plus_250ms": ratios["final_count_p95_minus_floor_ms"] <= 250,
        "at_most_4_votes_updated_per_second": project["busiest_second_votes_updated"] <= 4,
        "at_most_100kb_per_connection": project["kb_per_connection"] <= 100,
        "nothing_lost": not project["errors"] and not project["phones_missing_final_counts"],
    }
    return {"ratios": ratios, "targets_met": met}


def machine() -> dict[str, Any]:
    """Describe the machine the figures were taken on."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "unknown")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory = next(line.split()[1] for line in meminfo if line.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
        "load_generator": "bench/load.py on the same machine and cores (one thread per socket)",
    }


def floor_main(args: argparse.Namespace) -> None:
    """Run the room against the floor and the project in each mode; print ratios and write JSON."""
    described = machine()
    print(f"machine: {described['cores']} x {described['cpu']}, load {described['load_average_at_start']}")
    print(f"{args.phones} phones, each holding a websocket; {args.concerns} new concerns; one vote per phone\n")
    results = []
    failed = False
    for mode in (m.strip() for m in args.modes.split(",") if m.strip()):
        floor = room("floor", mode, args.phones, args.concerns, args.workers)
        project = room("project", mode, args.phones, args.concerns, args.workers)
        verdict = compare(project, floor)
        results.append({"mode": mode, "floor": floor, "project": project, **verdict})
        print(f"{mode}: project / floor")
        for key, label, unit in (
            ("connect_all_s", "all sockets connected", "s"),
            ("concern_fanout_p95_ms", "new concern on every phone, p95", "ms"),
            ("concern_post_p50_ms", "  of which the POST's own answer, p50", "ms"),
            ("votes_all_acknowledged_s", "all votes acknowledged", "s"),
            ("votes_per_s", "votes per second", ""),
            ("final_count_p95_ms", "final count on every phone, p95 after the last ack", "ms"),
            ("busiest_second_votes_updated", "votes:updated in a phone's busiest second", ""),
            ("busiest_second_on_generator_phones", "  the same, read off the load generator's phones", ""),
            ("kb_per_connection", "server memory per connection", "KB"),
        ):
            print(f"  {label:55} {project[key]:9.2f} {unit:2} / {floor[key]:9.2f} {unit}")
        for name, ok in verdict["targets_met"].items():
            print(f"  {'met' if ok else 'MISSED':6} {name}")
        for target in (floor, project):
            if target["errors"]:
                print(f"  {target['target']} errors: {', '.join(target['errors'])}")
        failed = failed or bool(project["errors"] or floor["errors"])
    out = ROOT / "bench" / "results" / f"floor-{time.strftime('%Y%m%dT%H%M%S')}-{args.phones}.json"
    out.parent.mkdir(exist_ok=True)
    record = {
        "machine": described,
        "phones": args.phones,
        "concerns": args.concerns,
        "targets": TARGETS,
        "project_profiled": bool(os.environ.get("BENCH_PROFILE")),  # cProfile slows the project's server
    }
    out.write_text(json.dumps({**record, "results": results}, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    if failed:
        sys.exit(1)


def main() -> None:
    """Parse arguments, run each mode, print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="eventlet,gevent,threading")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="server processes (more than 1 uses Redis)")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=100, help="attendees holding a live connection")
    parser.add_argument("--votes", type=int, default=5, help="votes per participant")
    parser.add_argument("--workers", type=int, default=16, help="client threads")
    parser.add_argument("--floor", action="store_true", help="the room of issue 8, against the bare server too")
    parser.add_argument("--phones", type=int, default=1000, help="with --floor: phones holding a websocket")
    parser.add_argument("--concerns", type=int, default=20, help="with --floor: new concerns raised one by one")
    args = parser.parse_args()
    if args.floor:
        floor_main(args)
        return
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load generator on the same machine")
    print(
        f"{args.participants} phones join, {args.sockets} hold sockets, 40 concerns, "
        f"{args.votes} votes each, {args.workers} client threads\n"
    )
    print(
        "setup | join p50/p95 ms | socket+snapshot p50/p95 | concern p50/p95 | vote p50/p95 | votes/s | "
        "final counts | lag after last vote ms | votes:updated events | RSS MiB | errors",
        flush=True,
    )
    failed = False
    for mode in (m.strip() for m in args.modes.split(",") if m.strip()):
        r = run(mode, args.database, args.processes, args.participants, args.sockets, args.votes, args.workers)
        pair = "{:.0f}/{:.0f}".format
        row = [
            r["setup"], pair(*r["join"]), pair(*r["snapshot"]), pair(*r["concern"]), pair(*r["vote"]),
            f"{r['votes_per_s']:.0f}", "ok" if r["counts_ok"] else "MISSING", f"{r['lag_ms']:.0f}",
            str(r["events"]), f"{r['rss']:.0f}", str(len(r["errors"])),
        ]  # fmt: skip
        print(" | ".join(row), flush=True)
        if r["errors"]:
            print("   errors:", ", ".join(sorted(set(r["errors"]))), flush=True)
        failed = failed or not r["counts_ok"] or bool(r["errors"])
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
