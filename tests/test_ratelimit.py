"""Moving-window rate limits kept in memory (one server process), counted on a clock the tests move by hand.

The same checks run against Redis in ``tests/test_redis.py``: each ``check_…`` function takes a store.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import ManualSeconds
from ysdw_live.errors import RateLimited
from ysdw_live.ratelimit import Limiter, MemoryStore, Store

StoreOn = Callable[[ManualSeconds], Store]


def refused(limiter: Limiter, scope: str, key: str, limit: int, window: int) -> int:
    """Return the Retry-After of a hit the limiter refuses (fails the test when it lets it through)."""
    with pytest.raises(RateLimited) as caught:
        limiter.check(scope, key, limit, window)
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    return caught.value.retry_after


def check_counts_hits_and_refuses_over_the_limit(store: Store, scope: str) -> None:
    """``limit`` hits pass; the next waits until the first leaves the window; other keys and scopes count apart."""
    limiter = Limiter(store)
    for _ in range(5):
        limiter.check(scope, "participant-1", 5, 60)
    assert refused(limiter, scope, "participant-1", 5, 60) == 60
    limiter.check(scope, "participant-2", 5, 60)  # another key has its own count
    limiter.check(f"{scope}-other", "participant-1", 5, 60)  # and so has another scope


def check_a_burst_across_a_minute_boundary_gets_the_limit_not_twice(store: Store, scope: str) -> None:
    """The window moves with time: a clock minute turning over does not hand out a fresh budget.

    The fixed window this replaced let ``limit`` hits in the last second of a minute and
    ``limit`` more in the first second of the next: twice the budget within two seconds.
    """
    clock = store.clock
    assert isinstance(clock, ManualSeconds)
    limiter = Limiter(store)
    clock.advance(29.5)  # the last half second of a clock minute
    for _ in range(5):
        limiter.check(scope, "k", 5, 60)
    clock.advance(1)  # into the next clock minute
    assert refused(limiter, scope, "k", 5, 60) == 59
    clock.advance(58)  # one second before the first hit leaves the window
    assert refused(limiter, scope, "k", 5, 60) == 1
    clock.advance(0.5)
    assert refused(limiter, scope, "k", 5, 60) == 1  # half a second to go: Retry-After is at least 1
    clock.advance(0.5)
    for _ in range(5):  # the whole budget is back, as every earlier hit has left the window
        limiter.check(scope, "k", 5, 60)
    assert refused(limiter, scope, "k", 5, 60) == 60


def check_slots_free_one_by_one_as_hits_age_out(store: Store, scope: str) -> None:
    """Hits spread over time free their slots one at a time, each ``window`` seconds after it was made."""
    clock = store.clock
    assert isinstance(clock, ManualSeconds)
    limiter = Limiter(store)
    limiter.check(scope, "k", 2, 60)  # t = 0
    clock.advance(30)
    limiter.check(scope, "k", 2, 60)  # t = 30
    clock.advance(15)
    assert refused(limiter, scope, "k", 2, 60) == 15  # the t = 0 hit leaves at 60
    clock.advance(15)
    limiter.check(scope, "k", 2, 60)  # t = 60
    assert refused(limiter, scope, "k", 2, 60) == 30  # now the t = 30 hit is the oldest that counts


def check_refused_hits_are_not_counted(store: Store, scope: str) -> None:
    """Knocking again while refused does not push the wait back: the caller gets in once the window has moved."""
    clock = store.clock
    assert isinstance(clock, ManualSeconds)
    limiter = Limiter(store)
    limiter.check(scope, "k", 1, 60)
    for _ in range(10):
        clock.advance(5)
        refused(limiter, scope, "k", 1, 60)
    clock.advance(10)
    limiter.check(scope, "k", 1, 60)


def check_refusal_looks_without_counting(store: Store, scope: str) -> None:
    """``refusal`` says whether a hit would pass, and counts nothing either way."""
    limiter = Limiter(store)
    for _ in range(10):
        assert limiter.refusal(scope, "k", 2, 60) is None
    limiter.check(scope, "k", 2, 60)
    limiter.check(scope, "k", 2, 60)
    error = limiter.refusal(scope, "k", 2, 60, message="Slow down.")
    assert error is not None and error.retry_after == 60 and error.message == "Slow down."


CHECKS = [
    check_counts_hits_and_refuses_over_the_limit,
    check_a_burst_across_a_minute_boundary_gets_the_limit_not_twice,
    check_slots_free_one_by_one_as_hits_age_out,
    check_refused_hits_are_not_counted,
    check_refusal_looks_without_counting,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_memory_store(check):
    """Each moving-window behaviour holds for the in-memory store."""
    check(MemoryStore(clock=ManualSeconds()), "scope")


def test_configured_overrides_replace_what_the_caller_passes():
    """A scope named in ``overrides`` (from a YSDW_* setting) uses the configured limit and window."""
    limiter = Limiter(MemoryStore(clock=ManualSeconds()), overrides={"join-meeting": (2, 60)})
    limiter.check("join-meeting", 1, 1000, 60)
    limiter.check("join-meeting", 1, 1000, 60)
    assert refused(limiter, "join-meeting", "1", 1000, 60) == 60
    limiter.check("join-address", 1, 1000, 60)  # other scopes keep what their callers say


def test_a_switched_off_limiter_counts_nothing():
    """With rate limits switched off (YSDW_RATELIMIT=0) nothing is refused."""
    limiter = Limiter(MemoryStore(clock=ManualSeconds()), enabled=False)
    for _ in range(10):
        limiter.check("vote", "k", 1, 60)
    assert limiter.refusal("vote", "k", 1, 60) is None


def test_the_memory_store_forgets_keys_whose_hits_have_all_aged_out(monkeypatch):
    """Past its size limit the store drops keys with no hit left in their window, keeping the others."""
    from ysdw_live import ratelimit

    monkeypatch.setattr(ratelimit, "MEMORY_KEYS_BEFORE_PRUNING", 3)
    clock = ManualSeconds()
    store = MemoryStore(clock=clock)
    limiter = Limiter(store)
    for key in ("a", "b", "c"):
        limiter.check("s", key, 1, 60)
    clock.advance(30)
    limiter.check("s", "d", 1, 60)
    clock.advance(31)  # a, b and c have aged out; d has not
    limiter.check("s", "e", 1, 60)
    assert sorted(store._hits) == ["s:d", "s:e"]
    assert refused(limiter, "s", "d", 1, 60) == 29


def test_the_apps_limiter_stands_still_in_tests(app):
    """The test app's limiter counts on a clock that does not move, so no test straddles a window by accident."""
    store = app.extensions["ysdw_limiter"].store
    assert isinstance(store, MemoryStore)
    assert store.clock() == store.clock() == ManualSeconds.START
