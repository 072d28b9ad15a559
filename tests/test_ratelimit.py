"""Rate limits kept in memory (one server process), counted on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from tests.conftest import ManualSeconds
from ysdw_live.errors import RateLimited
from ysdw_live.ratelimit import Limiter, MemoryStore


def test_counts_hits_and_refuses_over_the_limit():
    """The limiter allows ``limit`` hits in the window and refuses the next with the seconds left as Retry-After."""
    limiter = Limiter(MemoryStore(clock=ManualSeconds()))
    for _ in range(5):
        limiter.check("vote", "participant-1", 5, 60)
    with pytest.raises(RateLimited) as caught:
        limiter.check("vote", "participant-1", 5, 60)
    assert caught.value.status == 429
    assert caught.value.retry_after == 30
    limiter.check("vote", "participant-2", 5, 60)  # another key has its own count
    limiter.check("concern", "participant-1", 5, 60)  # and so has another scope


def test_a_new_window_starts_from_zero():
    """The limit holds to the last second of a window; the same key may hit again once the next one starts."""
    clock = ManualSeconds()
    limiter = Limiter(MemoryStore(clock=clock))
    clock.advance(29.5)
    limiter.check("vote", "k", 1, 60)
    with pytest.raises(RateLimited) as caught:
        limiter.check("vote", "k", 1, 60)
    assert caught.value.retry_after == 1
    clock.advance(0.5)
    limiter.check("vote", "k", 1, 60)
    with pytest.raises(RateLimited):
        limiter.check("vote", "k", 1, 60)


def test_a_switched_off_limiter_counts_nothing():
    """With rate limits switched off (YSDW_RATELIMIT=0) nothing is refused."""
    limiter = Limiter(MemoryStore(clock=ManualSeconds()), enabled=False)
    for _ in range(10):
        limiter.check("vote", "k", 1, 60)


def test_the_apps_limiter_stands_still_in_tests(app):
    """The test app's limiter counts on a clock that does not move, so no test straddles two windows."""
    store = app.extensions["ysdw_limiter"].store
    assert isinstance(store, MemoryStore)
    assert store.clock() == store.clock() == ManualSeconds.START
