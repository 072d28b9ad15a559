"""Load harness: start the real server and play one big room against it and against the floor.

It runs only against 127.0.0.1, bounded in count and time, and prints figures (see README.md):
  .venv/bin/python bench/load.py                                    # each async mode, SQLite, 1 process
  .venv/bin/python bench/load.py --modes gevent --phones 2000
  .venv/bin/python bench/load.py --database postgres --processes 2   # scale-out: PostgreSQL + Redis

The room: every phone joins over HTTP and holds a websocket, new concerns are raised one after
another (each must reach every phone), then every phone votes once, all at once. The same room is
played against ``floor_server.py``, a bare python-socketio server in the same async mode, and the
project's figures are printed beside the floor's with the targets of issue 8 met or missed.
Each run is written to ``results/`` as JSON with the machine described.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import room as room_player

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


def room(
    target: str, mode: str, phones: int, concerns: int, workers: int, database: str = "sqlite", processes: int = 1
) -> dict[str, Any]:
    """Play the issue's room against the project (``target="project"``) or the floor, and measure it.

    Every phone joins over HTTP and holds a websocket; ``concerns`` new concerns are raised one after
    another (each must reach every phone); then every phone votes once, all at once, over HTTP. The
    project runs on ``database`` in ``processes`` processes (more than one share Redis); the floor is
    always one process.
    """
    project = target == "project"
    server: Cluster | FloorServer
    server = Cluster(mode, database, processes, ratelimit=phones <= 1000) if project else FloorServer(mode)
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
        figures = room_player.run(server.bases, code, phones, concerns, workers, server.rss)
        seconds = figures["votes_all_acknowledged_s"]
        return {
            "target": target,
            "mode": mode,
            "database": database if project else "none",
            "processes": processes if project else 1,
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


TARGETS = (
    "connect <= 2x floor; concern p95 <= 1.25x floor; votes in <= 2 s (3 s on PostgreSQL); "
    "final p95 <= floor + 250 ms; <= 4 votes:updated a second; <= 100 KB a connection; nothing lost"
)


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
        "votes_acknowledged_within_2s_sqlite_3s_postgres": project["votes_all_acknowledged_s"]
        <= (3 if project["database"] == "postgres" else 2),
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
    print(f"{args.phones} phones, each holding a websocket; {args.concerns} new concerns; one vote per phone")
    print(f"the project on {args.database}, {args.processes} process(es); the floor in one process\n")
    results = []
    failed = False
    for mode in (m.strip() for m in args.modes.split(",") if m.strip()):
        floor = room("floor", mode, args.phones, args.concerns, args.workers)
        project = room("project", mode, args.phones, args.concerns, args.workers, args.database, args.processes)
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
    setup = f"{args.phones}-{args.database}-{args.processes}p"
    out = Path(args.output) / f"floor-{time.strftime('%Y%m%dT%H%M%S')}-{setup}.json"
    out.parent.mkdir(exist_ok=True)
    record = {
        "machine": described,
        "phones": args.phones,
        "concerns": args.concerns,
        "database": args.database,
        "processes": args.processes,
        "targets": TARGETS,
        "project_profiled": bool(os.environ.get("BENCH_PROFILE")),  # cProfile slows the project's server
    }
    out.write_text(json.dumps({**record, "results": results}, indent=2) + "\n")
    print(f"\nwritten to {out}")
    if failed:
        sys.exit(1)


def main() -> None:
    """Parse arguments and play the room in each mode."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="eventlet,gevent,threading")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="server processes (more than 1 uses Redis)")
    parser.add_argument("--phones", type=int, default=1000, help="phones, each holding a websocket")
    parser.add_argument("--concerns", type=int, default=20, help="new concerns raised one by one")
    parser.add_argument("--workers", type=int, default=64, help="HTTP requests in flight at once")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results"), help="folder for the JSON record")
    parser.add_argument("--floor", action="store_true", help="accepted for older commands: the floor always runs")
    floor_main(parser.parse_args())


if __name__ == "__main__":
    main()
