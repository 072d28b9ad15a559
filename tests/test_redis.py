"""Rate limits kept in the real Redis (what several server processes share).

Uses YSDW_TEST_REDIS_URL (default redis://127.0.0.1:6379/15). Skips with a reason when Redis does
not answer, except under CI=true, where a missing Redis is a failure. The stores count on a clock
the tests move by hand, so no test waits for a window to turn.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from tests.conftest import ManualSeconds, make_test_app
from ysdw_live.errors import RateLimited
from ysdw_live.ratelimit import Limiter, RedisStore
from ysdw_live.realtime import socketio

REDIS_URL = os.environ.get("YSDW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI") == "true"

pytestmark = pytest.mark.redis


@pytest.fixture
def clock() -> ManualSeconds:
    """The stores' clock, standing still until a test moves it."""
    return ManualSeconds()


@pytest.fixture
def store(clock: ManualSeconds) -> RedisStore:
    """A RedisStore on the test Redis, or a skip (a failure under CI) when it is not there."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis is not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: Redis must be there)")
        pytest.skip(reason)
    finally:
        client.close()
    return RedisStore(REDIS_URL, clock=clock)


def unique(scope: str) -> str:
    """Return a scope name no other run shares."""
    return f"test-{scope}-{uuid.uuid4().hex}"


def test_counts_hits_and_refuses_over_the_limit(store):
    """The limiter allows ``limit`` hits in the window and refuses the next with a Retry-After."""
    limiter = Limiter(store)
    scope = unique("limit")
    for _ in range(5):
        limiter.check(scope, "participant-1", 5, 60)
    with pytest.raises(RateLimited) as caught:
        limiter.check(scope, "participant-1", 5, 60)
    assert caught.value.status == 429
    assert caught.value.retry_after == 30  # the clock stands half-way through its minute
    # Another key has its own count.
    limiter.check(scope, "participant-2", 5, 60)


def test_two_processes_share_one_count(store, clock):
    """Two stores on the same Redis (as two server processes would be) add up to one count."""
    other = RedisStore(REDIS_URL, clock=clock)
    scope = unique("shared")
    assert store.hit(f"{scope}:k", 60) == 1
    assert other.hit(f"{scope}:k", 60) == 2
    assert store.hit(f"{scope}:k", 60) == 3


def test_keys_expire_with_their_window(store):
    """Counts are stored with an expiry, so Redis does not fill up with old windows."""
    scope = unique("expiry")
    store.hit(f"{scope}:k", 30)
    keys = store._redis.keys(f"ysdw:rl:{scope}:k:*")
    assert len(keys) == 1
    ttl = store._redis.ttl(keys[0])
    assert 0 < ttl <= 31


def test_a_new_window_starts_from_zero(store, clock):
    """The limit holds to the last second of a window; the same key may hit again once the next one starts."""
    limiter = Limiter(store)
    scope = unique("window")
    clock.advance(29.5)  # the last half second of the minute
    limiter.check(scope, "k", 1, 60)
    with pytest.raises(RateLimited) as caught:
        limiter.check(scope, "k", 1, 60)
    assert caught.value.retry_after == 1
    clock.advance(0.5)
    limiter.check(scope, "k", 1, 60)
    with pytest.raises(RateLimited):
        limiter.check(scope, "k", 1, 60)


def test_concurrent_hits_are_counted_exactly(store, clock):
    """Hits from many threads at once are all counted (INCR is atomic), so nobody slips past the limit."""
    scope = unique("race")
    counts: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        """Hit the same key 25 times."""
        mine = RedisStore(REDIS_URL, clock=clock)
        for _ in range(25):
            value = mine.hit(f"{scope}:k", 60)
            with lock:
                counts.append(value)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 201))


def test_app_uses_redis_for_limits_when_configured(tmp_path, store):
    """With YSDW_REDIS_URL set the app's limiter is Redis-backed: token requests are counted there."""
    app = make_test_app(tmp_path / "i", f"sqlite:///{tmp_path / 'r.sqlite3'}", REDIS_URL=REDIS_URL)
    try:
        assert isinstance(app.extensions["ysdw_limiter"].store, RedisStore)
    finally:
        app.extensions["ysdw_engine"].dispose()
        # create_app pointed the shared Socket.IO server at Redis. Flask-SocketIO keeps that client
        # manager in its options even when the next init_app passes no queue, and its test client
        # refuses a queue: drop it, so the next app built in this process gets a plain manager.
        socketio.server_options.pop("client_manager", None)
