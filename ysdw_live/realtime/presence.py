"""Who is connected, per meeting, for the console: attendee devices, and projector screens.

Attendees are counted per participant (two tabs of one phone are one person); projector screens
per connection (each open projector view is a screen). One process keeps the counts in memory;
with Redis every process adds to one shared hash, so the console sees the whole room.
Moderators hear of it through ``PresenceAnnouncer``: once per interval per meeting, not once per
connection.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from flask import Flask
from sqlalchemy import func, select

from ysdw_live.db import session_scope
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.realtime import app_extension, socketio
from ysdw_live.realtime.publisher import publisher

log = logging.getLogger(__name__)

# A crashed process cannot take its connections out of Redis; the hash expires after a quiet day.
REDIS_TTL_SECONDS = 24 * 3600


class PresenceStore(Protocol):
    """Counts open connections per participant of each meeting."""

    def join(self, code: str, participant_id: int | str) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""

    def leave(self, code: str, participant_id: int | str) -> int:
        """Count one connection fewer; return the meeting's connected participants."""

    def count(self, code: str) -> int:
        """Return how many participants of the meeting have a connection open."""


class MemoryPresence:
    """Presence kept in this process."""

    def __init__(self) -> None:
        self._connections: dict[str, Counter[int | str]] = {}
        self._lock = threading.Lock()

    def join(self, code: str, participant_id: int | str) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""
        with self._lock:
            counter = self._connections.setdefault(code, Counter())
            counter[participant_id] += 1
            return len(counter)

    def leave(self, code: str, participant_id: int | str) -> int:
        """Count one connection fewer; return the meeting's connected participants."""
        with self._lock:
            counter = self._connections.get(code, Counter())
            counter[participant_id] -= 1
            if counter[participant_id] <= 0:
                del counter[participant_id]
            if not counter:
                self._connections.pop(code, None)
            return len(counter)

    def count(self, code: str) -> int:
        """Return how many participants of the meeting have a connection open."""
        with self._lock:
            return len(self._connections.get(code, ()))


class RedisPresence:
    """Presence shared by every process through a Redis hash per meeting."""

    def __init__(self, url: str, prefix: str = "ysdw:presence") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _key(self, code: str) -> str:
        """Return the hash of one meeting: participant id → open connections."""
        return f"{self._prefix}:{code}"

    def join(self, code: str, participant_id: int | str) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hincrby(self._key(code), str(participant_id), 1)
        pipe.expire(self._key(code), REDIS_TTL_SECONDS)
        pipe.hlen(self._key(code))
        _count, _ttl, connected = pipe.execute()
        return int(connected)

    def leave(self, code: str, participant_id: int | str) -> int:
        """Count one connection fewer; return the meeting's connected participants."""
        remaining = self._redis.hincrby(self._key(code), str(participant_id), -1)
        if int(remaining) <= 0:
            self._redis.hdel(self._key(code), str(participant_id))
        return self.count(code)

    def count(self, code: str) -> int:
        """Return how many participants of the meeting have a connection open."""
        return int(self._redis.hlen(self._key(code)))


class PresenceTracker:
    """Remembers which connection is which attendee, so a disconnect can be counted out."""

    def __init__(self, store: PresenceStore) -> None:
        self.store = store
        # A connection always ends in the process that accepted it, so this map can stay local.
        self._connections: dict[str, tuple[str, int | str]] = {}
        self._lock = threading.Lock()

    def connected(self, sid: str, code: str, participant_id: int | str) -> int:
        """Count a new connection in (``participant_id``: who it is; a screen is its ``sid``); return the count."""
        with self._lock:
            self._connections[sid] = (code, participant_id)
        return self.store.join(code, participant_id)

    def disconnected(self, sid: str) -> tuple[str, int] | None:
        """Count a closed connection out; return (meeting code, connected participants), or None if not an attendee."""
        with self._lock:
            known = self._connections.pop(sid, None)
        if known is None:
            return None
        code, participant_id = known
        return code, self.store.leave(code, participant_id)

    def count(self, code: str) -> int:
        """Return how many participants of the meeting have a connection open."""
        return self.store.count(code)


def presence(app: Flask) -> PresenceTracker:
    """Return the application's presence tracker (attendees), creating it on first use."""

    def make() -> PresenceTracker:
        redis_url = app.config.get("REDIS_URL")
        return PresenceTracker(RedisPresence(redis_url) if redis_url else MemoryPresence())

    tracker: PresenceTracker = app_extension(app, "ysdw_presence", make)
    return tracker


def screen_presence(app: Flask) -> PresenceTracker:
    """Return the tracker of open projector views (one per connection), creating it on first use."""

    def make() -> PresenceTracker:
        redis_url = app.config.get("REDIS_URL")
        return PresenceTracker(RedisPresence(redis_url, prefix="ysdw:screens") if redis_url else MemoryPresence())

    tracker: PresenceTracker = app_extension(app, "ysdw_screen_presence", make)
    return tracker


class PresenceAnnouncer:
    """Tells moderators who is connected at most once per interval per meeting, not once per connection.

    A thousand phones connecting within seconds would otherwise send each console a thousand
    ``presence:updated`` events and count the meeting's participants a thousand times. Connections
    and disconnections mark their meeting; a background task (started on the first mark, as the
    vote batcher's is) wakes every ``PRESENCE_INTERVAL`` seconds and announces each marked meeting
    once, with the counts at that moment. Counts are absolute, so a lost or repeated announcement
    is corrected by the next. With ``PRESENCE_BACKGROUND`` false no task starts and tests call
    :meth:`flush` by hand.
    """

    def __init__(
        self,
        app: Flask,
        tracker: PresenceTracker,
        sleep: Callable[[float], Any] | None = None,
        screens: PresenceTracker | None = None,
    ) -> None:
        self.app = app
        self.tracker = tracker
        self.screens = screens if screens is not None else screen_presence(app)
        self.interval = float(app.config.get("PRESENCE_INTERVAL", 1.0))
        self.background = bool(app.config.get("PRESENCE_BACKGROUND", True))
        self._sleep = sleep or socketio.sleep
        self._marked: set[str] = set()
        self._lock = threading.Lock()
        self._running = False
        self._stopped = False

    def mark(self, code: str) -> None:
        """Note that the meeting's connections changed; the next tick announces it."""
        with self._lock:
            self._marked.add(code)
            if self._running or self._stopped or not self.background:
                return
            self._running = True
        socketio.start_background_task(self.run)

    def run(self) -> None:
        """Announce every interval until nothing is marked (a later mark starts it again) or stopped."""
        while True:
            self._sleep(self.interval)
            with self._lock:
                if self._stopped or not self._marked:
                    self._running = False
                    return
            self.flush()

    def stop(self) -> None:
        """Stop the background task for good (shutdown, tests)."""
        with self._lock:
            self._stopped = True

    def flush(self) -> int:
        """Announce each marked meeting once; return how many were announced.

        A meeting whose announcement fails (database, message queue) stays marked for the next tick.
        """
        with self._lock:
            marked, self._marked = self._marked, set()
        sent = 0
        for code in sorted(marked):
            try:
                self._announce(code)
                sent += 1
            except Exception:
                log.exception("announcing who is connected to meeting %s failed; retrying next tick", code)
                with self._lock:
                    self._marked.add(code)
        return sent

    def _announce(self, code: str) -> None:
        """Send the meeting's moderators its connected and joined counts, and its open projector views."""
        connected = self.tracker.count(code)
        projectors = self.screens.count(code)
        with self.app.app_context(), session_scope(self.app) as db:
            row = db.execute(
                select(Meeting.version, func.count(Participant.id))
                .outerjoin(Participant, Participant.meeting_id == Meeting.id)
                .where(Meeting.code == code)
                .group_by(Meeting.id)
            ).first()
            db.rollback()
        if row is None:
            return
        version, joined = row
        publisher().presence_updated(
            code, connected=connected, participants=int(joined), projectors=projectors, version=int(version)
        )


def presence_announcer(app: Flask) -> PresenceAnnouncer:
    """Return the application's presence announcer, creating it on first use."""
    announcer: PresenceAnnouncer = app_extension(
        app, "ysdw_presence_announcer", lambda: PresenceAnnouncer(app, presence(app))
    )
    return announcer


def flush_presence(app: Flask) -> int:
    """Announce pending presence changes now (tests and shutdown); return how many meetings were told."""
    return presence_announcer(app).flush()
