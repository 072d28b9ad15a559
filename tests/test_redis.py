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
from tests.test_ratelimit import CHECKS
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


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_redis_store(store, check):
    """Each moving-window behaviour of tests/test_ratelimit.py holds for the Redis store too."""
    check(store, unique("moving"))


def test_two_processes_share_one_count(store, clock):
    """Two stores on the same Redis (as two server processes would be) share one budget."""
    limiter, other = Limiter(store), Limiter(RedisStore(REDIS_URL, clock=clock))
    scope = unique("shared")
    limiter.check(scope, "k", 3, 60)
    other.check(scope, "k", 3, 60)
    limiter.check(scope, "k", 3, 60)
    with pytest.raises(RateLimited):
        other.check(scope, "k", 3, 60)


def test_keys_expire_with_their_window(store):
    """A key's hit log is stored with an expiry and at most ``limit`` entries, so Redis does not fill up."""
    scope = unique("expiry")
    limiter = Limiter(store)
    for _ in range(3):
        limiter.check(scope, "k", 3, 30)
    with pytest.raises(RateLimited):
        limiter.check(scope, "k", 3, 30)  # refused, and not kept
    key = f"ysdw:rl:{scope}:k"
    assert store._redis.llen(key) == 3
    assert 0 < store._redis.ttl(key) <= 31


def test_concurrent_hits_are_counted_exactly(store, clock):
    """Hits from many threads at once are decided one at a time (one Lua script): exactly ``limit`` get through."""
    scope = unique("race")
    passed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        """Try the same key 25 times."""
        mine = Limiter(RedisStore(REDIS_URL, clock=clock))
        for _ in range(25):
            try:
                mine.check(scope, "k", 150, 60)
                outcome = True
            except RateLimited:
                outcome = False
            with lock:
                passed.append(outcome)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 200 and passed.count(True) == 150


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
