"""Who is connected: attendee devices with an open live connection, per meeting, for the console.

Counted per participant (two tabs of one phone are one person). One process keeps the count in
memory; with Redis every process adds to one shared hash, so the console sees the whole room.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Protocol

from flask import Flask

# A crashed process cannot take its connections out of Redis; the hash expires after a quiet day.
REDIS_TTL_SECONDS = 24 * 3600


class PresenceStore(Protocol):
    """Counts open connections per participant of each meeting."""

    def join(self, code: str, participant_id: int) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""

    def leave(self, code: str, participant_id: int) -> int:
        """Count one connection fewer; return the meeting's connected participants."""

    def count(self, code: str) -> int:
        """Return how many participants of the meeting have a connection open."""


class MemoryPresence:
    """Presence kept in this process."""

    def __init__(self) -> None:
        self._connections: dict[str, Counter[int]] = {}
        self._lock = threading.Lock()

    def join(self, code: str, participant_id: int) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""
        with self._lock:
            counter = self._connections.setdefault(code, Counter())
            counter[participant_id] += 1
            return len(counter)

    def leave(self, code: str, participant_id: int) -> int:
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

    def join(self, code: str, participant_id: int) -> int:
        """Count one more connection of ``participant_id``; return the meeting's connected participants."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hincrby(self._key(code), str(participant_id), 1)
        pipe.expire(self._key(code), REDIS_TTL_SECONDS)
        pipe.hlen(self._key(code))
        _count, _ttl, connected = pipe.execute()
        return int(connected)

    def leave(self, code: str, participant_id: int) -> int:
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
        self._connections: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def connected(self, sid: str, code: str, participant_id: int) -> int:
        """Count a new attendee connection in; return the meeting's connected participants."""
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


_create_lock = threading.Lock()


def presence(app: Flask) -> PresenceTracker:
    """Return the application's presence tracker, creating it on first use."""
    tracker: PresenceTracker | None = app.extensions.get("ysdw_presence")
    if tracker is None:
        with _create_lock:
            tracker = app.extensions.get("ysdw_presence")
            if tracker is None:
                redis_url = app.config.get("REDIS_URL")
                tracker = PresenceTracker(RedisPresence(redis_url) if redis_url else MemoryPresence())
                app.extensions["ysdw_presence"] = tracker
    return tracker
