"""Fixed-window rate limits, kept in memory or in Redis when several processes share the load."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from ysdw_live.errors import RateLimited


class Store(Protocol):
    """Counts hits per key within a window."""

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""


class MemoryStore:
    """A per-process store; right for one server process."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""
        bucket = int(time.time()) // window
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == bucket}
            seen_bucket, count = self._counts.get(key, (bucket, 0))
            count = count + 1 if seen_bucket == bucket else 1
            self._counts[key] = (bucket, count)
            return count


class RedisStore:
    """A store shared by every process through Redis."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        """Count one hit for ``key`` in the current window and return the count."""
        bucket = int(time.time()) // window
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
                retry_after=window - int(time.time()) % window,
            )
