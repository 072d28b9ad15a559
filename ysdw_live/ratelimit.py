"""Fixed-window rate limits, kept in memory or in Redis when several processes share the load.

Windows are counted on the store's ``clock`` (seconds since the epoch, ``time.time`` unless given),
so tests pin or move time by hand instead of sleeping until a window turns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from ysdw_live.errors import RateLimited

Seconds = Callable[[], float]


class Store(Protocol):
    """Counts hits per key within a window of its clock."""

    clock: Seconds

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""


class MemoryStore:
    """A per-process store; right for one server process."""

    def __init__(self, clock: Seconds = time.time) -> None:
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""
        bucket = int(self.clock()) // window
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == bucket}
            seen_bucket, count = self._counts.get(key, (bucket, 0))
            count = count + 1 if seen_bucket == bucket else 1
            self._counts[key] = (bucket, count)
            return count


class RedisStore:
    """A store shared by every process through Redis (the processes' clocks should agree, as NTP keeps them)."""

    def __init__(self, url: str, clock: Seconds = time.time) -> None:
        import redis

        self.clock = clock
        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""
        bucket = int(self.clock()) // window
        name = f"ysdw:rl:{key}:{bucket}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        count, _ = pipe.execute()
        return int(count)


class Limiter:
    """Checks named limits like ``("vote", participant_id, 120, 60)``."""

    def __init__(self, store: Store, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled

    def check(self, scope: str, key: object, limit: int, window: int, message: str | None = None) -> None:
        """Raise RateLimited when ``key`` has gone over ``limit`` hits in ``window`` seconds."""
        if not self.enabled:
            return
        if self.store.hit(f"{scope}:{key}", window) > limit:
            raise RateLimited(
                message or "Too many requests. Wait a moment and try again.",
                retry_after=window - int(self.store.clock()) % window,
            )
