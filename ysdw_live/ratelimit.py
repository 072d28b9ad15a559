"""Moving-window rate limits, kept in memory or in Redis when several processes share the load.

A limit of ``limit`` hits in ``window`` seconds holds for *every* stretch of ``window`` seconds,
not per clock minute: each store keeps the times of the last ``limit`` hits it let through
(a sliding log), and a hit is let through only when the oldest of those has left the window.
A burst across a minute's boundary therefore gets ``limit`` hits, not twice as many as a
fixed window would give. A refused hit is not kept, so a caller who waits is let in again as
soon as the oldest hit it made ages out (that is the Retry-After).

Times are read from the store's ``clock`` (seconds since the epoch, ``time.time`` unless given),
so tests pin or move time by hand instead of sleeping until a window turns. The ``limits``
package on PyPI keeps the same moving windows, but reads ``time.time()`` itself, which a test
cannot move; hence this small implementation of the same algorithm.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol

from ysdw_live.errors import RateLimited
from ysdw_live.i18n import gettext

Seconds = Callable[[], float]

# Past this many keys, the memory store forgets the ones whose hits have all left their window.
MEMORY_KEYS_BEFORE_PRUNING = 100_000


class Store(Protocol):
    """Keeps the recent hits of each key against a moving window of its clock."""

    clock: Seconds

    def acquire(self, key: str, limit: int, window: float) -> float:
        """Count a hit for ``key`` if fewer than ``limit`` fell in the last ``window`` seconds.

        Return 0 when the hit was let through, else the seconds until one will be (nothing is kept).
        """

    def wait(self, key: str, limit: int, window: float) -> float:
        """Return the seconds until a hit for ``key`` would be let through (0: now), counting nothing."""


class MemoryStore:
    """A per-process store; right for one server process."""

    def __init__(self, clock: Seconds = time.time) -> None:
        self.clock = clock
        self._hits: dict[str, tuple[float, deque[float]]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, limit: int, window: float) -> float:
        """Count a hit for ``key`` unless ``limit`` hits fell in the last ``window`` seconds; see Store."""
        now = self.clock()
        with self._lock:
            if len(self._hits) > MEMORY_KEYS_BEFORE_PRUNING:
                self._prune(now)
            entry = self._hits.get(key)
            if entry is None:
                entry = self._hits[key] = (window, deque())
            hits = entry[1]
            waiting = self._waiting(hits, limit, window, now)
            if waiting:
                return waiting
            hits.append(now)
            while len(hits) > limit:
                hits.popleft()
            if window != entry[0]:
                self._hits[key] = (window, hits)
            return 0.0

    def wait(self, key: str, limit: int, window: float) -> float:
        """Return the seconds until a hit for ``key`` would be let through (0: now), counting nothing."""
        now = self.clock()
        with self._lock:
            entry = self._hits.get(key)
            return self._waiting(entry[1], limit, window, now) if entry else 0.0

    @staticmethod
    def _waiting(hits: deque[float], limit: int, window: float, now: float) -> float:
        """Return how long until the hit ``limit`` places back leaves the window (0 when there is room)."""
        if len(hits) < limit:
            return 0.0
        oldest_counted = hits[-limit]
        return max(0.0, oldest_counted + window - now)

    def _prune(self, now: float) -> None:
        """Forget every key whose newest hit has left its window (called under the lock)."""
        self._hits = {key: entry for key, entry in self._hits.items() if entry[1] and entry[1][-1] + entry[0] > now}


# KEYS[1]: the key's list of hit times, newest first. ARGV: now, limit, window (seconds).
# The entry ``limit`` places back is the oldest hit that still counts: while it is inside the
# window the hit is refused and its time returned; otherwise the hit is kept and the list cut to
# ``limit`` entries. Times come from the caller's clock (as the ``limits`` package does too).
_ACQUIRE_SCRIPT = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local oldest = redis.call('LINDEX', KEYS[1], limit - 1)
if oldest and tonumber(oldest) + window > now then
  return oldest
end
if ARGV[4] == '1' then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], 0, limit - 1)
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
end
return false
"""


class RedisStore:
    """A store shared by every process through Redis (the processes' clocks should agree, as NTP keeps them)."""

    def __init__(self, url: str, clock: Seconds = time.time) -> None:
        import redis

        self.clock = clock
        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_ACQUIRE_SCRIPT)

    def acquire(self, key: str, limit: int, window: float) -> float:
        """Count a hit for ``key`` unless ``limit`` hits fell in the last ``window`` seconds; see Store."""
        return self._run(key, limit, window, count=True)

    def wait(self, key: str, limit: int, window: float) -> float:
        """Return the seconds until a hit for ``key`` would be let through (0: now), counting nothing."""
        return self._run(key, limit, window, count=False)

    def _run(self, key: str, limit: int, window: float, *, count: bool) -> float:
        """Run the moving-window script atomically on the Redis server; return the seconds to wait."""
        now = self.clock()
        oldest = self._script(keys=[f"ysdw:rl:{key}"], args=[repr(now), limit, window, "1" if count else "0"])
        if oldest is None:
            return 0.0
        return max(0.0, float(oldest) + window - now)


class Limiter:
    """Checks named limits like ``("vote", participant_id, 120, 60)``: at most 120 hits in any 60 seconds.

    ``overrides`` maps a scope to the ``(limit, window)`` that replaces what its callers pass
    (configured limits, e.g. ``YSDW_JOIN_LIMIT_PER_MEETING``).
    """

    def __init__(
        self, store: Store, enabled: bool = True, overrides: Mapping[str, tuple[int, float]] | None = None
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.overrides = dict(overrides or {})

    def check(self, scope: str, key: object, limit: int, window: int, message: str | None = None) -> None:
        """Count a hit, or raise RateLimited when ``key`` already had ``limit`` hits in the last ``window`` seconds."""
        if not self.enabled:
            return
        limit, window = self.overrides.get(scope, (limit, window))
        waiting = self.store.acquire(f"{scope}:{key}", limit, window)
        if waiting:
            raise _refusal(message, waiting)

    def refusal(
        self, scope: str, key: object, limit: int, window: int, message: str | None = None
    ) -> RateLimited | None:
        """Return the RateLimited a hit would get now, or None when it would pass; counts nothing."""
        if not self.enabled:
            return None
        limit, window = self.overrides.get(scope, (limit, window))
        waiting = self.store.wait(f"{scope}:{key}", limit, window)
        return _refusal(message, waiting) if waiting else None


def _refusal(message: str | None, waiting: float) -> RateLimited:
    """Return the 429 for a hit that may try again in ``waiting`` seconds (Retry-After: whole seconds, at least 1)."""
    return RateLimited(
        message or gettext("Too many requests. Wait a moment and try again."),
        retry_after=max(1, math.ceil(waiting)),
    )
