"""One big room of phones, played from a single asyncio loop (the load generator of ``load.py --floor``).

A thread per phone (python-socketio's threaded client starts three) does not hold 1,000 sockets
on two cores: the generator starved itself, its clients missed their own pings and gave up
("packet queue is empty, aborting"), and it measured its own queueing rather than the server.
Here every phone is a ``socketio.AsyncClient`` on one event loop and every HTTP call goes through
one aiohttp session, so the generator costs about as much as the floor server it is compared with.

Arrival times are taken on the loop when a handler runs; a loop busy with a thousand messages
delays them a little, equally for the floor and the project.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import socketio


class Phone:
    """One attendee's phone: a Socket.IO connection that notes when each event reached it."""

    def __init__(self, token: str, session: aiohttp.ClientSession, base: str) -> None:
        self.token, self.base = token, base
        self.client = socketio.AsyncClient(reconnection=False, http_session=session, handle_sigint=False)
        self.snapshot = asyncio.Event()
        self.concern_seen: dict[str, float] = {}
        self.counts: dict[int, int] = {}
        self.count_times: list[float] = []
        self.final_at: float | None = None
        self.expected: dict[int, int] | None = None
        self.client.on("meeting:snapshot", self._snapshot)
        self.client.on("concern:created", self._created)
        self.client.on("votes:updated", self._votes)

    async def _snapshot(self, _payload: Any) -> None:
        self.snapshot.set()

    async def _created(self, payload: dict[str, Any]) -> None:
        self.concern_seen.setdefault(payload["concern"]["text"], time.perf_counter())

    async def _votes(self, payload: dict[str, Any]) -> None:
        now = time.perf_counter()
        self.count_times.append(now)
        for concern_id, votes in payload["counts"].items():
            self.counts[int(concern_id)] = votes
        if self.final_at is None and self.expected and all(self.counts.get(i) == n for i, n in self.expected.items()):
            self.final_at = now


async def bounded(limit: int, items: list[Any], fn: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """Run ``fn`` over ``items`` with at most ``limit`` calls in flight; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: Any) -> Any:
        async with gate:
            return await fn(item)

    return await asyncio.gather(*(one(item) for item in items))


async def wait_until(predicate: Callable[[], bool], seconds: float, step: float = 0.01) -> bool:
    """Poll ``predicate`` on the loop until it holds or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def play(
    bases: list[str], code: str, phones: int, concerns: int, concurrency: int, rss: Callable[[], float]
) -> dict:
    """Join ``phones`` phones, connect each, raise ``concerns`` concerns, vote once each; return the figures.

    With several server processes (``bases``) each phone talks to one of them, round-robin, as
    a load balancer with sticky sessions would place it; its events then reach it through Redis.
    """
    errors: list[str] = []
    timeout = aiohttp.ClientTimeout(total=120)
    # Phones keep no cookies: a cookie session would make the API ask for a CSRF token.
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
    )
    # WebSockets hold their connection for the whole run, so they get a pool without a cap.
    sockets = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar())
    try:

        async def join(i: int) -> str:
            async with http.post(f"{bases[i % len(bases)]}/api/v1/meetings/{code}/participants") as response:
                if response.status != 201:
                    errors.append(f"join {response.status}")
                    return ""
                return (await response.json())["token"]

        tokens = [t for t in await bounded(concurrency, list(range(phones + 1)), join) if t]
        observer_token = tokens[0]
        room = [Phone(t, sockets, bases[i % len(bases)]) for i, t in enumerate(tokens[1:])]
        rss_before = rss()

        async def connect(phone: Phone) -> None:
            try:
                await phone.client.connect(
                    phone.base,
                    auth={"meeting": code, "role": "attendee", "token": phone.token},
                    transports=["websocket"],
                    wait_timeout=60,
                )
                await asyncio.wait_for(phone.snapshot.wait(), 60)
            except (socketio.exceptions.ConnectionError, TimeoutError) as error:
                errors.append(f"connect: {error or 'no snapshot within 60 s'}")

        start = time.perf_counter()
        await bounded(concurrency, room, connect)
        connect_s = time.perf_counter() - start
        rss_connected = rss()

        fanout: list[float] = []
        answered: list[float] = []  # how long the POST itself took: the server's share of the fan-out
        concern_ids: list[int] = []
        for n in range(concerns):
            text = f"Bench concern {n}: street lighting near the park"
            sent = time.perf_counter()
            author = room[n % len(room)]
            async with http.post(
                f"{author.base}/api/v1/meetings/{code}/concerns",
                json={"text": text},
                headers={"X-Participant-Token": author.token},
            ) as response:
                if response.status != 201:
                    errors.append(f"concern {response.status}")
                    continue
                concern_ids.append((await response.json())["id"])
                answered.append(time.perf_counter() - sent)
            await wait_until(lambda t=text: all(t in p.concern_seen for p in room), 30)
            missed = sum(text not in p.concern_seen for p in room)
            if missed:
                errors.append(f"concern:created missed by {missed} phones")
            fanout += [p.concern_seen[text] - sent for p in room if text in p.concern_seen]

        expected: dict[int, int] = {}
        plan = [(phone, concern_ids[i % len(concern_ids)]) for i, phone in enumerate(room)] if concern_ids else []
        for _phone, concern_id in plan:
            expected[concern_id] = expected.get(concern_id, 0) + 1
        for phone in room:
            phone.expected = expected
        acks: list[float] = []
        observer = await asyncio.to_thread(start_observer, bases[0], code, observer_token)

        async def vote(item: tuple[Phone, int]) -> None:
            phone, concern_id = item
            async with http.put(
                f"{phone.base}/api/v1/concerns/{concern_id}/vote", headers={"X-Participant-Token": phone.token}
            ) as response:
                await response.read()
                acks.append(time.perf_counter())
                if response.status != 200:
                    errors.append(f"vote {response.status}")

        votes_start = time.perf_counter()
        await bounded(concurrency, plan, vote)
        last_ack = max(acks, default=votes_start)
        await wait_until(lambda: all(p.final_at is not None for p in room), 30, 0.02)
        lagging = [p for p in room if p.final_at is None]
        if lagging:
            errors.append(f"final counts never reached {len(lagging)} phones")
        final_lags = [max(0.0, p.final_at - last_ack) for p in room if p.final_at is not None]
        busiest = max((busiest_second(p.count_times) for p in room), default=0)
        delivered = await asyncio.to_thread(stop_observer, observer)
        await asyncio.gather(*(p.client.disconnect() for p in room), return_exceptions=True)
        return {
            "phones": len(room),
            "connect_all_s": connect_s,
            "fanout": fanout,
            "concern_answered": answered,
            "votes": len(acks),
            "votes_all_acknowledged_s": last_ack - votes_start,
            "final_lags": final_lags,
            "phones_missing_final_counts": len(lagging),
            "busiest_second_votes_updated": busiest_second(delivered),
            "busiest_second_on_generator_phones": busiest,
            "observer_gaps_ms": [round((b - a) * 1000) for a, b in itertools.pairwise(delivered)],
            "rss_mib": rss_connected,
            "kb_per_connection": (rss_connected - rss_before) * 1024 / len(room) if room else float("nan"),
            "errors": sorted(set(errors)),
        }
    finally:
        await http.close()
        await sockets.close()


def start_observer(base: str, code: str, token: str) -> subprocess.Popen[str]:
    """Start ``observer.py`` (one phone in a process of its own) and wait until it holds the snapshot."""
    observer = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("observer.py")), base, code, token],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert observer.stdout is not None
    if observer.stdout.readline().strip() != "ready":
        raise RuntimeError("the observer phone did not connect")
    return observer


def stop_observer(observer: subprocess.Popen[str]) -> list[float]:
    """Tell the observer to stop and return the arrival times it noted."""
    output, _ = observer.communicate("", timeout=60)
    return json.loads(output.strip().splitlines()[-1])


def busiest_second(times: list[float]) -> int:
    """Return the most events that fell within any one second (a sliding window over sorted times)."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1:
            first += 1
        most = max(most, last - first + 1)
    return most


def run(bases: list[str], code: str, phones: int, concerns: int, concurrency: int, rss: Callable[[], float]) -> dict:
    """Play the room on a fresh event loop."""
    return asyncio.run(play(bases, code, phones, concerns, concurrency, rss))
