"""The connect snapshot: no live change is erased by it, and it is built once per meeting version."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, update

from tests.test_realtime import attendee, connect, moderator, raise_concern
from ysdw_live.actors import Actor
from ysdw_live.auth.models import Role, User
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import Concern
from ysdw_live.db import session_scope
from ysdw_live.live.services import SnapshotCache
from ysdw_live.meetings import services as meetings
from ysdw_live.realtime import handlers, socketio

API = "/api/v1"


def apply_in_order(received: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Apply events as a client without a buffer does: a snapshot replaces all, older events are ignored."""
    shown: dict[int, dict[str, Any]] = {}
    version = 0
    for packet in received:
        name, payload = packet["name"], packet["args"][0]
        if name == "meeting:snapshot":
            version = payload["version"]
            shown = {c["id"]: c for c in payload["concerns"]}
        elif name in ("concern:created", "concern:updated") and payload["version"] >= version:
            version = payload["version"]
            shown[payload["concern"]["id"]] = payload["concern"]
        elif name == "concern:removed" and payload["version"] >= version:
            version = payload["version"]
            shown.pop(payload["id"], None)
    return shown


def test_a_change_committed_between_the_snapshot_read_and_its_emit_is_not_erased(app, factory, monkeypatch):
    """A concern committed after the snapshot was read still shows once the client has applied what it got."""
    meeting = factory.meeting(status="live", moderation=False)
    staff_id = factory.user(Role.facilitator).id
    emit = socketio.emit
    written: list[int] = []

    def write_then_emit(name: str, *args: Any, **kwargs: Any) -> Any:
        """Just before the first snapshot leaves, raise a concern through the service (it commits and publishes)."""
        if name == "meeting:snapshot" and not written:
            # Another caller's write: in a thread of its own, outside this connect's (read-only) request.
            writer = threading.Thread(target=raise_concern)
            writer.start()
            writer.join()
        return emit(name, *args, **kwargs)

    def raise_concern() -> None:
        """Raise a concern through the service, as another request would."""
        with app.app_context(), session_scope(app) as other:
            staff = Actor(user=other.get(User, staff_id))
            live = meetings.get_meeting(other, meeting.code)
            concern = concerns.submit_concern(
                other, staff, live, text="Raised while you connected", source="facilitator", limiter=_no_limit()
            )
            written.append(concern.id)

    monkeypatch.setattr(socketio, "emit", write_then_emit)
    sock = connect(app, meeting, "projector")
    received = sock.get_received()

    assert written
    assert "concern:created" in [packet["name"] for packet in received]
    assert written[0] in apply_in_order(received)
    last = [packet["args"][0] for packet in received if packet["name"] == "meeting:snapshot"][-1]
    assert [c["id"] for c in last["concerns"]] == written
    assert last["version"] == last["meeting"]["version"] == last["projector"]["version"]


def test_a_quiet_meeting_sends_one_snapshot(app, factory):
    """Without a change during the connect, exactly one snapshot is sent."""
    meeting = factory.meeting(status="live")
    sock = connect(app, meeting, "projector")
    assert [p["name"] for p in sock.get_received()] == ["meeting:snapshot"]


def _no_limit() -> Any:
    """Return a limiter that never refuses (this test is not about rate limits)."""

    class Unlimited:
        def check(self, *_args: Any, **_kwargs: Any) -> None:
            """Allow everything."""

    return Unlimited()


@pytest.fixture
def concern_reads(app) -> list[str]:
    """Record every SQL statement that reads concerns' text (the expensive part of a snapshot)."""
    engine = app.extensions["ysdw_engine"]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Keep statements that select the concern's text."""
        if "concern.text" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _snapshot(sock: Any) -> dict[str, Any]:
    """Return the one snapshot a connection received."""
    (snapshot,) = [p["args"][0] for p in sock.get_received() if p["name"] == "meeting:snapshot"]
    return snapshot


def test_snapshot_is_built_once_per_meeting_version(app, factory, concern_reads):
    """A second connect at the same version reads no concern again; a new version reads them once more."""
    meeting = factory.meeting(status="live", moderation=False)
    client, _ = attendee(app, meeting)
    shown = raise_concern(client, meeting, "Parking on the pavement")
    concern_reads.clear()

    first = _snapshot(connect(app, meeting, "projector"))
    assert len(concern_reads) == 1
    second = _snapshot(connect(app, meeting, "projector"))
    assert len(concern_reads) == 1, concern_reads
    assert first == second and [c["id"] for c in second["concerns"]] == [shown["id"]]

    raise_concern(client, meeting, "Bins left out")
    concern_reads.clear()
    third = _snapshot(connect(app, meeting, "projector"))
    assert len(concern_reads) == 1
    assert third["version"] > second["version"] and len(third["concerns"]) == 2


def test_cached_snapshot_carries_current_vote_counts_and_each_callers_own_parts(app, factory):
    """Counts change without a version bump, so a cache hit still shows the counts of now; voted is per caller."""
    meeting = factory.meeting(status="live", moderation=True)
    mod_client, _ = moderator(app, factory, meeting)
    voter_client, _ = attendee(app, meeting)
    author_client, _ = attendee(app, meeting)
    shown = raise_concern(author_client, meeting, "Visible one")
    assert mod_client.patch(f"{API}/concerns/{shown['id']}", json={"status": "approved"}).status_code == 200
    mine = raise_concern(author_client, meeting, "Still waiting")
    assert voter_client.put(f"{API}/concerns/{shown['id']}/vote").status_code == 200
    _snapshot(connect(app, meeting, "projector"))  # fills the cache at this version

    # A vote flushed by the batcher writes the count but not the meeting's version.
    with session_scope(app) as other:
        other.execute(update(Concern).where(Concern.id == shown["id"]).values(votes=7))
        other.commit()

    cache = handlers.snapshot_cache(app)
    hits = cache.hits
    voter = _snapshot(connect(app, meeting, "attendee", voter_client))
    author = _snapshot(connect(app, meeting, "attendee", author_client))
    projector = _snapshot(connect(app, meeting, "projector"))
    staff = _snapshot(connect(app, meeting, "moderator", mod_client))
    assert cache.hits >= hits + 3
    assert [(c["id"], c["votes"], c["voted"]) for c in voter["concerns"]] == [(shown["id"], 7, True)]
    assert {c["id"]: c["voted"] for c in author["concerns"]} == {shown["id"]: False, mine["id"]: False}
    assert [c["id"] for c in projector["concerns"]] == [shown["id"]]
    assert {c["id"] for c in staff["concerns"]} == {shown["id"], mine["id"]}
    assert staff["counters"]["pending"] == 1


def test_snapshot_cache_is_bounded_and_drops_the_least_recently_used():
    """The cache keeps at most its size; the entry used least recently goes first."""
    cache = SnapshotCache(size=2)
    built: list[tuple[int, int, str]] = []

    def builder(key: tuple[int, int, str]) -> Any:
        """Return a builder that records what it built."""
        return lambda: built.append(key) or {"key": key}

    for key in ((1, 1, "room"), (1, 2, "room"), (1, 1, "room"), (2, 1, "room"), (1, 2, "room")):
        cache.get(key, builder(key))
    assert len(cache) == 2
    assert built == [(1, 1, "room"), (1, 2, "room"), (2, 1, "room"), (1, 2, "room")]


def test_snapshot_contents_are_those_of_its_version(app, factory, monkeypatch):
    """A concern committed while the snapshot is being read is neither in it nor counted in its version.

    On PostgreSQL the read is REPEATABLE READ; without it the concerns read after the version would
    include the new one. SQLite's write lock keeps writers out of the read altogether, so the
    concurrent write below could not even start there.
    """
    if app.extensions["ysdw_engine"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's reading transaction holds the write lock")
    from ysdw_live.live import services as live

    meeting = factory.meeting(status="live", moderation=False)
    staff_id = factory.user(Role.facilitator).id
    list_concerns = live.concerns.list_concerns
    written: list[int] = []

    def write_then_list(*args: Any, **kwargs: Any) -> Any:
        """Commit a concern from another session after the version was read, then list."""
        if not written:
            with session_scope(app) as other:
                staff = Actor(user=other.get(User, staff_id))
                concern = concerns.submit_concern(
                    other,
                    staff,
                    meetings.get_meeting(other, meeting.code),
                    text="Committed mid-read",
                    source="facilitator",
                    limiter=_no_limit(),
                )
                written.append(concern.id)
        return list_concerns(*args, **kwargs)

    monkeypatch.setattr(live.concerns, "list_concerns", write_then_list)
    received = connect(app, meeting, "projector").get_received()
    snapshots = [p["args"][0] for p in received if p["name"] == "meeting:snapshot"]
    assert written and snapshots[0]["concerns"] == []
    assert [c["id"] for c in snapshots[-1]["concerns"]] == written  # the handler sent a fresh one
    assert snapshots[-1]["version"] == snapshots[0]["version"] + 1
