"""Socket.IO: connection auth, rooms, snapshots, who receives which event, versions and vote batching."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import pytest

from tests.conftest import bearer, login, token_for
from ysdw_live.auth.models import Role
from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import MemoryDirtyStore, RedisDirtyStore, flush_votes, stop_vote_batcher
from ysdw_live.realtime.presence import RedisPresence

API = "/api/v1"
SECRET = "PENDING-TEXT-only-for-moderators"


def browser(app) -> Any:
    """Return a Flask test client that behaves like a same-site browser."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    return client


def connect(app, meeting, role: str, flask_client=None, token: str | None = None, **extra) -> Any:
    """Open a Socket.IO test connection to ``meeting`` in ``role``."""
    auth: dict[str, Any] = {"meeting": meeting.code, "role": role, **extra}
    if token is not None:
        auth["token"] = token
    return socketio.test_client(app, auth=auth, flask_test_client=flask_client)


def attendee(app, meeting) -> tuple[Any, Any]:
    """Return (HTTP client, socket) of a participant who joined ``meeting``."""
    client = browser(app)
    assert client.post(f"{API}/meetings/{meeting.code}/participants").status_code == 201
    sock = connect(app, meeting, "attendee", client)
    assert sock.is_connected()
    return client, sock


def moderator(app, factory, meeting) -> tuple[Any, Any]:
    """Return (HTTP client logged in as a facilitator, moderator socket)."""
    client = browser(app)
    login(client, factory.user(Role.facilitator).email)
    sock = connect(app, meeting, "moderator", client)
    assert sock.is_connected()
    return client, sock


def events(sock, name: str | None = None) -> list[dict[str, Any]]:
    """Drain the socket's received events, optionally only those called ``name``; return their payloads."""
    received = sock.get_received()
    return [{"name": e["name"], **e["args"][0]} for e in received if name is None or e["name"] == name]


def raise_concern(client, meeting, text: str = "Speeding on Anlaby Road") -> dict[str, Any]:
    """Raise a concern over HTTP and return it."""
    response = client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": text})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def moderate(client, concern_id: int, **payload) -> dict[str, Any]:
    """PATCH a concern as a facilitator over HTTP."""
    response = client.patch(f"{API}/concerns/{concern_id}", json=payload)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- connecting ----------------------------------------------------------------------------------


def test_snapshot_right_after_connect_shows_each_role_what_it_may_see(app, factory):
    """Moderators get pending ones, the author gets their own pending one, the projector only visible ones."""
    meeting = factory.meeting(status="live", moderation=True)
    mod_client, _mod = moderator(app, factory, meeting)
    author_client, _ = attendee(app, meeting)
    pending = raise_concern(author_client, meeting, SECRET)
    shown = raise_concern(author_client, meeting, "Visible one")
    moderate(mod_client, shown["id"], status="approved")
    voter_client, _ = attendee(app, meeting)
    assert voter_client.put(f"{API}/concerns/{shown['id']}/vote").status_code == 200

    snapshots = {}
    for role, flask_client in (
        ("moderator", mod_client),
        ("attendee", author_client),
        ("projector", None),
        ("voter", voter_client),
    ):
        sock = connect(app, meeting, "attendee" if role == "voter" else role, flask_client)
        (snapshot,) = events(sock, "meeting:snapshot")
        snapshots[role] = snapshot
    assert {c["id"] for c in snapshots["moderator"]["concerns"]} == {pending["id"], shown["id"]}
    assert {c["id"] for c in snapshots["attendee"]["concerns"]} == {pending["id"], shown["id"]}
    assert [c["id"] for c in snapshots["projector"]["concerns"]] == [shown["id"]]
    assert [c["id"] for c in snapshots["voter"]["concerns"]] == [shown["id"]]
    assert snapshots["voter"]["concerns"][0]["voted"] is True
    assert snapshots["attendee"]["concerns"][0]["voted"] is False
    for snapshot in snapshots.values():
        assert set(snapshot) >= {"meeting", "concerns", "polls", "projector", "version"}
        assert snapshot["meeting"]["code"] == meeting.code and snapshot["polls"] == []
        assert snapshot["version"] == snapshot["meeting"]["version"] == snapshot["projector"]["version"]
    assert SECRET not in json.dumps(snapshots["projector"]) + json.dumps(snapshots["voter"])
    assert snapshots["moderator"]["counters"]["pending"] == 1


def test_moderator_with_staff_bearer_token(app, factory):
    """A staff token in auth.token opens the moderator view without any cookie."""
    meeting = factory.meeting(status="live")
    token = token_for(app.test_client(), factory.user(Role.admin).email)
    sock = connect(app, meeting, "moderator", token=token)
    assert sock.is_connected()
    assert events(sock, "meeting:snapshot")


def test_attendee_with_participant_token(app, factory):
    """A participant token in auth.token opens the attendee view without any cookie."""
    meeting = factory.meeting(status="live")
    token = app.test_client().post(f"{API}/meetings/{meeting.code}/participants").get_json()["token"]
    assert connect(app, meeting, "attendee", token=token).is_connected()


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "meeting",
        ["meeting", "attendee"],
        {"role": "projector"},
        {"meeting": "ZZZZZZ", "role": "projector"},
        {"meeting": "short", "role": "projector"},
        {"meeting": 123456, "role": "projector"},
        {"meeting": "{code}", "role": "admin"},
        {"meeting": "{code}", "role": None},
        {"meeting": "{code}", "role": "projector", "token": 42},
        {"meeting": "{code}", "role": "projector", "token": ""},
        {"meeting": "{code}", "role": "projector", "token": "t" * 1000},
        {"meeting": "{code}", "role": "projector", "extra": True},
        {"meeting": "{code}", "role": "moderator"},
        {"meeting": "{code}", "role": "moderator", "token": "not-a-real-token"},
        {"meeting": "{code}", "role": "attendee"},
        {"meeting": "{code}", "role": "attendee", "token": "not-a-participant"},
    ],
)
def test_bad_handshakes_are_refused(app, factory, auth):
    """Malformed auth, unknown codes and roles, and roles the caller may not take refuse the connection."""
    meeting = factory.meeting(status="live")
    if isinstance(auth, dict) and auth.get("meeting") == "{code}":
        auth = {**auth, "meeting": meeting.code}
    sock = socketio.test_client(app, auth=auth)
    assert not sock.is_connected()
    assert not [e for e in sock.queue if e["name"] == "meeting:snapshot"]


def test_moderator_role_needs_a_login_and_attendee_a_participant_of_this_meeting(app, factory):
    """A browser without login cannot be a moderator; a participant of another meeting cannot attend this one."""
    meeting = factory.meeting(status="live")
    other = factory.meeting(status="live")
    stranger = browser(app)
    stranger.get("/")
    assert not connect(app, meeting, "moderator", stranger).is_connected()
    elsewhere = browser(app)
    elsewhere.post(f"{API}/meetings/{other.code}/participants")
    assert not connect(app, meeting, "attendee", elsewhere).is_connected()
    assert connect(app, other, "attendee", elsewhere).is_connected()
    leader = browser(app)
    login(leader, factory.user(Role.leader).email)
    assert connect(app, meeting, "moderator", leader).is_connected()
    projector = connect(app, meeting, "projector")
    assert projector.is_connected()
    assert events(projector, "meeting:snapshot")[0]["meeting"]["code"] == meeting.code


# --- who receives what ---------------------------------------------------------------------------


def test_pending_text_reaches_only_moderators_and_its_author(app, factory):
    """Through submit, edit, dismiss and undo, pending text never reaches other attendees or the projector."""
    meeting = factory.meeting(status="live", moderation=True)
    mod_client, mod = moderator(app, factory, meeting)
    author_client, author = attendee(app, meeting)
    _other_client, other = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    for sock in (mod, author, other, projector):
        sock.get_received()

    concern = raise_concern(author_client, meeting, SECRET)
    created = events(mod, "concern:created")
    assert [e["concern"]["text"] for e in created] == [SECRET]
    assert [e["concern"]["id"] for e in events(author, "concern:created")] == [concern["id"]]
    moderate(mod_client, concern["id"], text=SECRET + " (edited)")
    assert [e["concern"]["text"] for e in events(mod, "concern:updated")] == [SECRET + " (edited)"]
    assert [e["concern"]["text"] for e in events(author, "concern:updated")] == [SECRET + " (edited)"]
    moderate(mod_client, concern["id"], status="dismissed")
    assert [e["id"] for e in events(author, "concern:removed")] == [concern["id"]]
    assert events(mod, "concern:updated")[0]["concern"]["status"] == "dismissed"
    assert mod_client.post(f"{API}/meetings/{meeting.code}/moderation/undo").status_code == 200
    assert [e["concern"]["status"] for e in events(author, "concern:created")] == ["pending"]

    for sock in (other, projector):
        assert SECRET not in json.dumps(sock.get_received())


def test_approval_shows_a_concern_to_everyone_and_dismissal_removes_it(app, factory):
    """Approval sends concern:created to attendees and projector; dismissal sends concern:removed without text."""
    meeting = factory.meeting(status="live", moderation=True)
    mod_client, mod = moderator(app, factory, meeting)
    author_client, _author = attendee(app, meeting)
    _other_client, other = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    concern = raise_concern(author_client, meeting, "Make it visible")
    for sock in (mod, other, projector):
        sock.get_received()

    approved = moderate(mod_client, concern["id"], status="approved")
    for sock in (other, projector):
        (event,) = events(sock)
        assert event["name"] == "concern:created" and event["concern"]["text"] == "Make it visible"
        assert event["concern"]["status"] == "approved"
    (mod_event,) = events(mod)
    assert mod_event["name"] == "concern:updated" and mod_event["concern"]["status"] == approved["status"]

    moderate(mod_client, concern["id"], status="answered")
    for sock in (other, projector, mod):
        (event,) = events(sock)
        assert event["name"] == "concern:updated" and event["concern"]["status"] == "answered"

    moderate(mod_client, concern["id"], status="archived")
    for sock in (other, projector):
        (event,) = events(sock)
        assert event == {"name": "concern:removed", "id": concern["id"], "version": event["version"]}
    assert events(mod, "concern:updated")[0]["concern"]["status"] == "archived"


def test_no_moderation_means_everyone_sees_new_concerns_at_once(app, factory):
    """With moderation off a new concern goes straight to attendees and the projector."""
    meeting = factory.meeting(status="live", moderation=False)
    author_client, _author = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    projector.get_received()
    raise_concern(author_client, meeting, "Straight to the screen")
    (event,) = events(projector)
    assert event["name"] == "concern:created" and event["concern"]["text"] == "Straight to the screen"


def test_highlight_moves_pin_and_projector(app, factory):
    """Highlighting B un-highlights A for everyone and sends projector:updated pointing at B."""
    meeting = factory.meeting(status="live", moderation=False)
    mod_client, _mod = moderator(app, factory, meeting)
    author_client, _ = attendee(app, meeting)
    first, second = raise_concern(author_client, meeting, "A"), raise_concern(author_client, meeting, "B")
    moderate(mod_client, first["id"], highlighted=True)
    projector = connect(app, meeting, "projector")
    snapshot = events(projector, "meeting:snapshot")[0]
    assert snapshot["projector"]["concern_id"] == first["id"]
    moderate(mod_client, second["id"], highlighted=True)
    received = events(projector)
    updates = {e["concern"]["id"]: e["concern"]["highlighted"] for e in received if e["name"] == "concern:updated"}
    assert updates == {first["id"]: False, second["id"]: True}
    (projector_event,) = [e for e in received if e["name"] == "projector:updated"]
    assert projector_event["concern_id"] == second["id"]


def test_projector_updated_reaches_everyone_in_the_meeting(app, factory):
    """PATCH projector sends projector:updated {mode, concern_id, poll_id, action_index, version} to every role."""
    meeting = factory.meeting(status="live")
    mod_client, mod = moderator(app, factory, meeting)
    _client, att = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    for sock in (mod, att, projector):
        sock.get_received()
    response = mod_client.patch(f"{API}/meetings/{meeting.code}/projector", json={"mode": "concerns"})
    assert response.status_code == 200
    for sock in (mod, att, projector):
        (event,) = events(sock, "projector:updated")
        assert event == {
            "name": "projector:updated",
            "mode": "concerns",
            "concern_id": None,
            "poll_id": None,
            "action_index": 0,
            "version": response.get_json()["version"],
        }


def test_meetings_do_not_hear_each_other(app, factory):
    """Events of one meeting never reach connections of another."""
    meeting = factory.meeting(status="live", moderation=False)
    other = factory.meeting(status="live", moderation=False)
    author_client, _ = attendee(app, meeting)
    _, elsewhere = attendee(app, other)
    other_projector = connect(app, other, "projector")
    elsewhere.get_received()
    other_projector.get_received()
    concern = raise_concern(author_client, meeting, "Only for the first meeting")
    assert author_client.put(f"{API}/concerns/{concern['id']}/vote").status_code == 200
    flush_votes(app)
    assert elsewhere.get_received() == [] and other_projector.get_received() == []


def test_versions_grow_with_every_change(app, factory):
    """Every event a moderator sees carries a version larger than the one before, starting above the snapshot's."""
    meeting = factory.meeting(status="live", moderation=True)
    mod_client, mod = moderator(app, factory, meeting)
    start = events(mod, "meeting:snapshot")[0]["version"]
    author_client, _ = attendee(app, meeting)
    concern = raise_concern(author_client, meeting)
    moderate(mod_client, concern["id"], status="approved")
    moderate(mod_client, concern["id"], highlighted=True)
    mod_client.patch(f"{API}/meetings/{meeting.code}/projector", json={"mode": "concerns"})
    mod_client.patch(f"{API}/meetings/{meeting.code}", json={"moderation": False})
    voter, _ = attendee(app, meeting)
    voter.put(f"{API}/concerns/{concern['id']}/vote")
    flush_votes(app)
    # presence:updated reports connections, not a change of the meeting, so it repeats the current version.
    versions = [e["version"] for e in events(mod) if e["name"] != "presence:updated"]
    assert len(versions) >= 6
    assert versions[0] > start
    assert versions == sorted(versions)
    # One change may send several events (the concern and the projector), never an older version.
    assert len(set(versions)) >= 5


def test_moderators_hear_who_is_connected(app, factory):
    """Attendee connections count once per participant; moderators get presence:updated on connect and leave."""
    meeting = factory.meeting(status="live")
    _mod_client, mod = moderator(app, factory, meeting)
    assert events(mod, "meeting:snapshot")[0]["counters"]["connected"] == 0
    phone, first_tab = attendee(app, meeting)
    second_tab = connect(app, meeting, "attendee", phone)
    _other_phone, other = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    assert [(e["connected"], e["participants"]) for e in events(mod, "presence:updated")] == [(1, 1), (1, 1), (2, 2)]
    first_tab.disconnect()
    assert [e["connected"] for e in events(mod, "presence:updated")] == [2]
    second_tab.disconnect()
    other.disconnect()
    projector.disconnect()
    assert [e["connected"] for e in events(mod, "presence:updated")] == [1, 0]
    late = connect(app, meeting, "moderator", _mod_client)
    assert events(late, "meeting:snapshot")[0]["counters"] == {
        "participants": 2,
        "concerns": 0,
        "votes": 0,
        "pending": 0,
        "connected": 0,
    }


# --- vote batching -------------------------------------------------------------------------------


def test_a_vote_is_not_broadcast_by_itself(app, factory):
    """A vote sends nothing until the batcher flushes; the flush sends one votes:updated with DB counts."""
    app.config["VOTE_FLUSH_INTERVAL"] = 60  # keep the background flusher asleep during this test
    meeting = factory.meeting(status="live", moderation=False)
    author_client, _ = attendee(app, meeting)
    concern = raise_concern(author_client, meeting)
    projector = connect(app, meeting, "projector")
    projector.get_received()
    for _ in range(3):
        voter, _sock = attendee(app, meeting)
        assert voter.put(f"{API}/concerns/{concern['id']}/vote").status_code == 200
    assert events(projector, "votes:updated") == []
    assert flush_votes(app) == 1
    (event,) = events(projector, "votes:updated")
    assert event["counts"] == {str(concern["id"]): 3}
    assert flush_votes(app) == 0


def test_hundred_votes_make_only_a_handful_of_updates(app, factory):
    """100 votes over HTTP produce a few votes:updated (at most one per flush interval) with the final counts."""
    meeting = factory.meeting(status="live", moderation=False)
    author_client, _ = attendee(app, meeting)
    concerns = [raise_concern(author_client, meeting, f"Concern {n}")["id"] for n in range(4)]
    voters = [attendee(app, meeting)[0] for _ in range(25)]
    projector = connect(app, meeting, "projector")
    _att_client, att = attendee(app, meeting)
    projector.get_received()
    att.get_received()
    started = time.monotonic()
    for voter in voters:
        for concern_id in concerns:
            assert voter.put(f"{API}/concerns/{concern_id}/vote").status_code == 200
    elapsed = time.monotonic() - started
    # A background flush may have taken the last marks and not yet emitted them (on a busy machine
    # it can still be reading the counts): let it finish, start no other, then send what is left.
    stop_vote_batcher(app)
    flush_votes(app)
    updates = events(projector, "votes:updated")
    interval = app.config["VOTE_FLUSH_INTERVAL"]
    assert 1 <= len(updates) <= elapsed / interval + 3
    assert len(updates) < 25
    final: dict[str, int] = {}
    for update in updates:
        final.update(update["counts"])
    assert final == {str(concern_id): 25 for concern_id in concerns}
    assert len(events(att, "votes:updated")) == len(updates)


def test_votes_of_hidden_concerns_are_not_sent(app, factory):
    """If a concern is dismissed before the flush, its count is left out."""
    app.config["VOTE_FLUSH_INTERVAL"] = 60
    meeting = factory.meeting(status="live", moderation=False)
    mod_client, _mod = moderator(app, factory, meeting)
    author_client, _ = attendee(app, meeting)
    kept, hidden = raise_concern(author_client, meeting, "kept"), raise_concern(author_client, meeting, "hidden")
    voter, _ = attendee(app, meeting)
    voter.put(f"{API}/concerns/{kept['id']}/vote")
    voter.put(f"{API}/concerns/{hidden['id']}/vote")
    moderate(mod_client, hidden["id"], status="dismissed")
    projector = connect(app, meeting, "projector")
    projector.get_received()
    flush_votes(app)
    (event,) = events(projector, "votes:updated")
    assert event["counts"] == {str(kept["id"]): 1}


def test_memory_dirty_store_takes_everything_once():
    """Marks accumulate per meeting and are handed out exactly once."""
    store = MemoryDirtyStore()
    store.add(1, {10, 11})
    store.add(1, {11, 12})
    store.add(2, {20})
    assert store.take() == {1: {10, 11, 12}, 2: {20}}
    assert store.take() == {}


@pytest.mark.redis
def test_redis_stores_are_shared_across_processes():
    """Processes share vote marks (one flush per meeting per interval) and presence counts through Redis."""
    url = os.environ.get("YSDW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running")
    prefix = f"ysdw:test:{uuid.uuid4().hex}"
    first, second = RedisDirtyStore(url, prefix), RedisDirtyStore(url, prefix)
    first.add(7, {70, 71})
    second.add(7, {72})
    second.add(8, {80})
    assert second.take() == {7: {70, 71, 72}, 8: {80}}
    assert first.take() == {}
    assert first.claim(7, 0.3) is True
    assert second.claim(7, 0.3) is False
    assert second.claim(8, 0.3) is True
    time.sleep(0.35)
    assert second.claim(7, 0.3) is True

    code = f"T{uuid.uuid4().hex[:5]}"
    here, there = RedisPresence(url, prefix), RedisPresence(url, prefix)
    assert here.join(code, 1) == 1
    assert there.join(code, 1) == 1
    assert there.join(code, 2) == 2
    assert here.leave(code, 1) == 2
    assert there.leave(code, 1) == 1
    assert here.count(code) == 1


def test_poll_events_reach_the_right_rooms(app, factory, db):
    """poll:opened reaches everyone; poll:results reaches attendees only when results are visible."""
    from ysdw_live.realtime.publisher import publisher

    meeting = factory.meeting(status="live")
    _mod_client, mod = moderator(app, factory, meeting)
    _client, att = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    for sock in (mod, att, projector):
        sock.get_received()
    with app.test_request_context():
        publisher().poll_opened(meeting, {"id": 1, "question": "Safe at night?"})
        publisher().poll_results(meeting, 1, {"total": 3}, results_visible=False)
    assert [e["name"] for e in att.get_received()] == ["poll:opened"]
    for sock in (mod, projector):
        assert [e["name"] for e in sock.get_received()] == ["poll:opened", "poll:results"]
    with app.test_request_context():
        publisher().poll_results(meeting, 1, {"total": 4}, results_visible=True)
        publisher().poll_closed(meeting, {"id": 1})
    assert [e["name"] for e in att.get_received()] == ["poll:results", "poll:closed"]


def test_revoked_staff_token_is_refused(app, factory):
    """Once a staff token is revoked it no longer opens the moderator view."""
    meeting = factory.meeting(status="live")
    client = app.test_client()
    token = token_for(client, factory.user(Role.facilitator).email)
    assert connect(app, meeting, "moderator", token=token).is_connected()
    assert client.delete(f"{API}/auth/token", headers=bearer(token)).status_code == 204
    assert not connect(app, meeting, "moderator", token=token).is_connected()
