"""Batched vote counts: votes mark their meeting dirty; a background task flushes a few times a second.

A vote never broadcasts by itself. The vote service commits, then marks the concern dirty here;
a background task (started lazily with ``socketio.start_background_task``) wakes every
``VOTE_FLUSH_INTERVAL`` seconds, reads the current counts from the database and emits one
``votes:updated`` per dirty meeting. With Redis configured the dirty marks live in Redis and a
short per-meeting slot key keeps the whole cluster at one flush per interval per meeting, whichever
process takes the marks.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol, runtime_checkable

from flask import Flask
from sqlalchemy import select

from ysdw_live.concerns.models import VISIBLE_STATUSES, Concern
from ysdw_live.db import session_scope
from ysdw_live.meetings.models import Meeting
from ysdw_live.realtime import socketio
from ysdw_live.realtime.rooms import meeting_room

log = logging.getLogger(__name__)

# The flusher stops after this many empty ticks and restarts on the next vote.
IDLE_TICKS_BEFORE_EXIT = 240


class DirtyStore(Protocol):
    """Where the changed concerns of each meeting wait for the next flush."""

    def add(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed."""

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting."""


@runtime_checkable
class SharedDirtyStore(DirtyStore, Protocol):
    """A store several processes flush from: each meeting's flush needs a slot, one per interval."""

    def claim(self, meeting_id: int, interval: float) -> bool:
        """Return whether this flusher may emit for ``meeting_id`` now (one per interval)."""


class MemoryDirtyStore:
    """Marks kept in this process: right for one server process."""

    def __init__(self) -> None:
        self._marks: dict[int, set[int]] = {}
        self._lock = threading.Lock()

    def add(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed."""
        with self._lock:
            self._marks.setdefault(meeting_id, set()).update(concern_ids)

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting."""
        with self._lock:
            marks, self._marks = self._marks, {}
        return marks


class RedisDirtyStore:
    """Marks shared by every process through Redis."""

    def __init__(self, url: str, prefix: str = "ysdw:votes") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _meeting_key(self, meeting_id: int | str) -> str:
        """Return the key of one meeting's changed concern ids."""
        return f"{self._prefix}:dirty:{int(meeting_id)}"

    def add(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed."""
        if not concern_ids:
            return
        pipe = self._redis.pipeline(transaction=True)
        # Concern ids first, then the meeting: a flusher that sees the meeting finds its ids.
        pipe.sadd(self._meeting_key(meeting_id), *sorted(concern_ids))
        pipe.sadd(f"{self._prefix}:dirty", meeting_id)
        pipe.execute()

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting."""
        marks: dict[int, set[int]] = {}
        meeting_ids = self._redis.spop(f"{self._prefix}:dirty", 10_000) or []
        for raw in meeting_ids:
            pipe = self._redis.pipeline(transaction=True)
            pipe.smembers(self._meeting_key(raw))
            pipe.delete(self._meeting_key(raw))
            members, _deleted = pipe.execute()
            if members:
                marks[int(raw)] = {int(member) for member in members}
        return marks

    def claim(self, meeting_id: int, interval: float) -> bool:
        """Take the meeting's flush slot for ``interval`` seconds, unless another process holds it."""
        slot = f"{self._prefix}:slot:{int(meeting_id)}"
        return bool(self._redis.set(slot, 1, px=max(1, int(interval * 1000)), nx=True))


class VoteBatcher:
    """Collects vote marks and flushes them as one ``votes:updated`` per meeting per tick."""

    def __init__(self, app: Flask, store: DirtyStore | None = None) -> None:
        self.app = app
        self.interval = float(app.config.get("VOTE_FLUSH_INTERVAL", 0.25))
        redis_url = app.config.get("REDIS_URL")
        self.store: DirtyStore = store or (RedisDirtyStore(redis_url) if redis_url else MemoryDirtyStore())
        self._lock = threading.Lock()
        self._running = False
        self._flushing = False
        self._stopped = False
        self._marked_since_flush = False

    def mark(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Note that these concerns' counts changed; the next tick sends them."""
        self.store.add(meeting_id, concern_ids)
        with self._lock:
            self._marked_since_flush = True
            if self._running or self._stopped:
                return
            self._running = True
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        """Flush every interval until idle for a while (a later vote starts it again) or stopped."""
        idle_ticks = 0
        while True:
            socketio.sleep(self.interval)
            with self._lock:
                if self._stopped:
                    self._running = False
                    return
                self._flushing = True
            try:
                sent = self.flush()
            except Exception:
                # A database hiccup must not kill live updates for the rest of the meeting.
                log.exception("flushing vote counts failed")
                sent = 0
            idle_ticks = 0 if sent else idle_ticks + 1
            with self._lock:
                self._flushing = False
                if idle_ticks >= IDLE_TICKS_BEFORE_EXIT and not self._marked_since_flush:
                    self._running = False
                    return

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background flusher for good, waiting for a flush in progress (shutdown, tests)."""
        with self._lock:
            self._stopped = True
            busy = self._flushing
        waited = 0.0
        while busy and waited < timeout:
            socketio.sleep(0.01)
            waited += 0.01
            with self._lock:
                busy = self._flushing

    def flush(self) -> int:
        """Emit one ``votes:updated`` per dirty meeting with counts read from the database; return how many."""
        with self._lock:
            self._marked_since_flush = False
        marks = self.store.take()
        sent = 0
        for meeting_id, concern_ids in marks.items():
            # One process has one flusher, whose own tick spaces its flushes; several need a shared slot.
            if isinstance(self.store, SharedDirtyStore) and not self.store.claim(meeting_id, self.interval):
                # Another process flushed this meeting moments ago; keep the marks for the next tick.
                self.store.add(meeting_id, concern_ids)
                with self._lock:
                    self._marked_since_flush = True
                continue
            if self._emit_counts(meeting_id, concern_ids):
                sent += 1
        return sent

    def _emit_counts(self, meeting_id: int, concern_ids: set[int]) -> bool:
        """Read the visible counts among ``concern_ids`` and emit them to the meeting; return whether sent."""
        with self.app.app_context(), session_scope(self.app) as db:
            meeting = db.get(Meeting, meeting_id)
            if meeting is None:
                return False
            rows = db.execute(
                select(Concern.id, Concern.votes).where(
                    Concern.meeting_id == meeting_id,
                    Concern.id.in_(sorted(concern_ids)),
                    Concern.status.in_(VISIBLE_STATUSES),
                )
            )
            counts = {str(concern_id): votes for concern_id, votes in rows}
            code, version = meeting.code, meeting.version
            db.rollback()
            if not counts:
                return False
            socketio.emit("votes:updated", {"counts": counts, "version": version}, to=meeting_room(code))
        return True


_create_lock = threading.Lock()


def vote_batcher(app: Flask) -> VoteBatcher:
    """Return the application's vote batcher, creating it on first use."""
    batcher: Any = app.extensions.get("ysdw_vote_batcher")
    if batcher is None:
        with _create_lock:
            batcher = app.extensions.get("ysdw_vote_batcher")
            if batcher is None:
                batcher = VoteBatcher(app)
                app.extensions["ysdw_vote_batcher"] = batcher
    return batcher


def stop_vote_batcher(app: Flask) -> None:
    """Stop the app's background flusher, if it has one, before its database goes away."""
    batcher: VoteBatcher | None = app.extensions.get("ysdw_vote_batcher")
    if batcher is not None:
        batcher.stop()


def flush_votes(app: Flask) -> int:
    """Flush pending vote counts now (tests and shutdown); return the number of events sent."""
    return vote_batcher(app).flush()
