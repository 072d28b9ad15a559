"""Socket.IO: connection auth, rooms, snapshots, who receives which event, versions and vote batching."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from typing import Any

import pytest

from tests.conftest import bearer, login, token_for
from ysdw_live.auth.models import Role
from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import MemoryDirtyStore, RedisDirtyStore, VoteBatcher, flush_votes
from ysdw_live.realtime.presence import PresenceAnnouncer, RedisPresence, flush_presence, presence, presence_announcer

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
    # The author's own phone keeps its own concern, now dismissed, to say kindly that it was not shown.
    dismissed = events(author)
    assert [(e["name"], e["concern"]["status"]) for e in dismissed] == [("concern:updated", "dismissed")]
    assert events(mod, "concern:updated")[0]["concern"]["status"] == "dismissed"
    assert mod_client.post(f"{API}/meetings/{meeting.code}/moderation/undo").status_code == 200
    assert [e["concern"]["status"] for e in events(author, "concern:updated")] == ["pending"]

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


def test_dismissing_a_visible_concern_tells_only_its_author_that_it_was_not_shown(app, factory):
    """Others get concern:removed (no text); the author gets it removed, then back as dismissed.

    In that order, so the author's phone ends up knowing its concern was not shown to the room.
    """
    meeting = factory.meeting(status="live", moderation=False)
    mod_client, _mod = moderator(app, factory, meeting)
    author_client, author = attendee(app, meeting)
    _other_client, other = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    concern = raise_concern(author_client, meeting, SECRET)
    for sock in (author, other, projector):
        sock.get_received()

    moderate(mod_client, concern["id"], status="dismissed")
    for sock in (other, projector):
        (event,) = events(sock)
        assert event == {"name": "concern:removed", "id": concern["id"], "version": event["version"]}
    names = [(e["name"], e.get("concern", {}).get("status")) for e in events(author)]
    assert names == [("concern:removed", None), ("concern:updated", "dismissed")]

    # A reconnecting author gets it in the snapshot too; nobody else does.
    again = connect(app, meeting, "attendee", author_client)
    (snapshot,) = events(again, "meeting:snapshot")
    assert [(c["id"], c["status"]) for c in snapshot["concerns"]] == [(concern["id"], "dismissed")]
    other_again = connect(app, meeting, "attendee", _other_client)
    assert SECRET not in json.dumps(other_again.get_received())


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


def test_a_failed_presence_announcement_is_retried_on_the_next_tick(app, factory, monkeypatch):
    """An announcement that fails (message queue away) keeps its meeting marked; the next tick sends it."""
    meeting = factory.meeting(status="live")
    _mod_client, mod = moderator(app, factory, meeting)
    attendee(app, meeting)
    announcer = presence_announcer(app)
    with monkeypatch.context() as broken:
        broken.setattr(announcer, "_announce", lambda code: (_ for _ in ()).throw(RuntimeError("queue away")))
        assert announcer.flush() == 0
    assert events(mod, "presence:updated") == []
    assert announcer.flush() == 1
    assert [e["connected"] for e in events(mod, "presence:updated")] == [1]


def test_the_presence_task_announces_each_tick_and_stops_when_nothing_changes(app, factory):
    """Driven by hand: one announcement per tick for the connections of that tick, then the task ends."""
    meeting = factory.meeting(status="live")
    _mod_client, mod = moderator(app, factory, meeting)
    ticks: list[float] = []
    phones = []

    def tick(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 1:  # during the first interval three phones connect
            phones.extend(attendee(app, meeting) for _ in range(3))

    announcer = PresenceAnnouncer(app, presence(app), sleep=tick)
    announcer.mark(meeting.code)
    announcer.run()
    assert ticks == [announcer.interval, announcer.interval]  # announced once, then found nothing marked
    assert [e["connected"] for e in events(mod, "presence:updated")] == [3]


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
    """Attendees count once per participant, projector views once each; moderators hear the counts once per tick."""
    meeting = factory.meeting(status="live")
    _mod_client, mod = moderator(app, factory, meeting)
    assert events(mod, "meeting:snapshot")[0]["counters"]["connected"] == 0
    phone, first_tab = attendee(app, meeting)
    second_tab = connect(app, meeting, "attendee", phone)
    _other_phone, other = attendee(app, meeting)
    projector = connect(app, meeting, "projector")
    assert events(mod, "presence:updated") == []  # nothing until the announcer's tick
    assert flush_presence(app) == 1
    # The projector view is no attendee; it is counted apart, so the console knows the big screen is on.
    assert [(e["connected"], e["participants"], e["projectors"]) for e in events(mod, "presence:updated")] == [
        (2, 2, 1)
    ]
    assert flush_presence(app) == 0  # nothing changed since: nothing sent
    second_screen = connect(app, meeting, "projector")
    flush_presence(app)
    assert [e["projectors"] for e in events(mod, "presence:updated")] == [2]
    assert events(connect(app, meeting, "moderator", _mod_client), "meeting:snapshot")[0]["counters"]["projectors"] == 2
    first_tab.disconnect()
    second_screen.disconnect()
    flush_presence(app)
    assert [(e["connected"], e["projectors"]) for e in events(mod, "presence:updated")] == [(2, 1)]
    second_tab.disconnect()
    other.disconnect()
    projector.disconnect()
    flush_presence(app)
    assert [e["connected"] for e in events(mod, "presence:updated")] == [0]
    late = connect(app, meeting, "moderator", _mod_client)
    assert events(late, "meeting:snapshot")[0]["counters"] == {
        "participants": 2,
        "concerns": 0,
        "votes": 0,
        "pending": 0,
        "connected": 0,
        "projectors": 0,
    }


# --- vote batching -------------------------------------------------------------------------------


def test_a_vote_is_not_broadcast_by_itself(app, factory):
    """A vote sends nothing until the batcher flushes; the flush sends one votes:updated with DB counts."""
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
    assert event["seq"] == 1
    assert flush_votes(app) == 0


def test_hundred_votes_make_only_a_handful_of_updates(app, factory):
    """100 votes over HTTP between two ticks make exactly one votes:updated per meeting, with the final counts.

    The flusher is driven by hand (no background task), so the figures are exact on any machine.
    """
    meeting = factory.meeting(status="live", moderation=False)
    author_client, _ = attendee(app, meeting)
    concerns = [raise_concern(author_client, meeting, f"Concern {n}")["id"] for n in range(4)]
    voters = [attendee(app, meeting)[0] for _ in range(25)]
    projector = connect(app, meeting, "projector")
    _att_client, att = attendee(app, meeting)
    projector.get_received()
    att.get_received()
    for voter in voters:
        for concern_id in concerns:
            assert voter.put(f"{API}/concerns/{concern_id}/vote").status_code == 200
    assert events(projector, "votes:updated") == []
    assert flush_votes(app) == 1
    (update,) = events(projector, "votes:updated")
    assert update["counts"] == {str(concern_id): 25 for concern_id in concerns}
    assert update["seq"] == 1
    assert [e["counts"] for e in events(att, "votes:updated")] == [update["counts"]]
    # Another round, one concern at a time with a tick after each: one update per tick, numbered on.
    for concern_id in concerns:
        for voter in voters[:5]:
            assert voter.delete(f"{API}/concerns/{concern_id}/vote").status_code == 200
        assert flush_votes(app) == 1
    assert [(e["seq"], e["counts"]) for e in events(projector, "votes:updated")] == [
        (seq, {str(concern_id): 20}) for seq, concern_id in enumerate(concerns, start=2)
    ]
    assert flush_votes(app) == 0


def test_the_flusher_sends_at_most_one_update_per_meeting_each_interval(app, factory):
    """The background loop sleeps one interval (a quarter second) per tick and sends one update per dirty meeting.

    Its sleep is replaced by a function that plays the next step of the test, so the ticks are
    counted, not timed: at most 4 votes:updated per second per meeting.
    """
    first, second = factory.meeting(status="live", moderation=False), factory.meeting(status="live", moderation=False)
    author, _ = attendee(app, first)
    other_author, _ = attendee(app, second)
    here, there = raise_concern(author, first)["id"], raise_concern(other_author, second)["id"]
    voters = [attendee(app, first)[0] for _ in range(10)] + [attendee(app, second)[0] for _ in range(2)]
    projectors = connect(app, first, "projector"), connect(app, second, "projector")
    for sock in projectors:
        sock.get_received()
    sleeps: list[float] = []
    per_tick: list[tuple[int, int]] = []

    def one_step(seconds: float) -> None:
        """Stand in for the wait between ticks: note what the last tick sent, then cast the next votes."""
        sleeps.append(seconds)
        if len(sleeps) > 1:
            per_tick.append(tuple(len(events(sock, "votes:updated")) for sock in projectors))
        if len(sleeps) == 1:
            for voter in voters[:10]:
                voter.put(f"{API}/concerns/{here}/vote")
            for voter in voters[10:]:
                voter.put(f"{API}/concerns/{there}/vote")
        elif len(sleeps) == 2:
            for voter in voters[:3]:
                voter.delete(f"{API}/concerns/{here}/vote")
        elif len(sleeps) == 4:
            batcher.stop()

    batcher = VoteBatcher(app, MemoryDirtyStore(), sleep=one_step)
    app.extensions["ysdw_vote_batcher"] = batcher
    batcher.run()
    assert sleeps == [app.config["VOTE_FLUSH_INTERVAL"]] * 4
    assert per_tick == [(1, 1), (1, 0), (0, 0)]


def test_votes_of_hidden_concerns_are_not_sent(app, factory):
    """If a concern is dismissed before the flush, its count is left out."""
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
    """Marks accumulate per meeting and are handed out exactly once; each meeting numbers its own batches."""
    store = MemoryDirtyStore()
    store.add(1, {10, 11})
    store.add(1, {11, 12})
    store.add(2, {20})
    assert store.take() == {1: {10, 11, 12}, 2: {20}}
    assert store.take() == {}
    assert store.current_seq(1) == 0
    assert [store.next_seq(1), store.next_seq(1), store.next_seq(2)] == [1, 2, 1]
    assert store.current_seq(1) == 2


# --- vote batching when something fails (fault 3 of issue 8) -------------------------------------


class FailingEmits:
    """Stands in for the Socket.IO server's emit: fails ``times`` times for the rooms named, sends otherwise."""

    def __init__(self, rooms: set[str], times: int = 1) -> None:
        self.rooms = rooms
        self.left = times
        self.real = socketio.emit

    def __call__(self, event: str, *args: Any, **kwargs: Any) -> None:
        """Raise for a votes:updated to one of ``rooms`` while failures are left, else emit."""
        if event == "votes:updated" and kwargs.get("to") in self.rooms and self.left > 0:
            self.left -= 1
            raise ConnectionError("message queue unreachable")
        self.real(event, *args, **kwargs)


def two_voted_meetings(app, factory) -> tuple[list[Any], list[int], list[str]]:
    """Return the projector sockets, concern ids and codes of two live meetings, each with one vote not yet sent."""
    projectors, concern_ids, codes = [], [], []
    for _ in range(2):
        meeting = factory.meeting(status="live", moderation=False)
        codes.append(meeting.code)
        client, _ = attendee(app, meeting)
        concern_id = raise_concern(client, meeting)["id"]
        projector = connect(app, meeting, "projector")
        projector.get_received()
        assert client.put(f"{API}/concerns/{concern_id}/vote").status_code == 200
        projectors.append(projector)
        concern_ids.append(concern_id)
    return projectors, concern_ids, codes


def batcher_on(app, store) -> Any:
    """Give ``app`` a hand-driven vote batcher on ``store`` and return it."""
    batcher = VoteBatcher(app, store)
    app.extensions["ysdw_vote_batcher"] = batcher
    return batcher


def check_a_failed_flush_is_retried_and_others_still_sent(app, factory, monkeypatch, store) -> None:
    """The failing meeting's marks come back for the next tick; the meeting after it is sent in the same tick."""
    from ysdw_live.realtime import batching
    from ysdw_live.realtime.rooms import meeting_room

    batcher_on(app, store)
    projectors, concern_ids, codes = two_voted_meetings(app, factory)
    failing = FailingEmits({meeting_room(codes[0])})
    monkeypatch.setattr(batching.socketio, "emit", failing)
    assert flush_votes(app) == 1
    assert events(projectors[0], "votes:updated") == []
    assert [e["counts"] for e in events(projectors[1], "votes:updated")] == [{str(concern_ids[1]): 1}]
    assert flush_votes(app) == 1
    assert [e["counts"] for e in events(projectors[0], "votes:updated")] == [{str(concern_ids[0]): 1}]
    assert flush_votes(app) == 0


def test_a_failed_flush_is_retried_and_other_meetings_still_sent(app, factory, monkeypatch):
    """In one process: a meeting whose send fails keeps its count for the next tick; the next meeting is sent."""
    check_a_failed_flush_is_retried_and_others_still_sent(app, factory, monkeypatch, MemoryDirtyStore())


def test_a_failed_database_read_is_retried(app, factory, monkeypatch):
    """When reading the counts fails, the marks stay for the next tick instead of being dropped."""
    from ysdw_live.realtime import batching

    batcher_on(app, MemoryDirtyStore())
    projectors, concern_ids, _codes = two_voted_meetings(app, factory)
    real_scope = batching.session_scope
    calls = []

    def flaky_scope(*args: Any, **kwargs: Any) -> Any:
        """Fail the first session the flusher opens, as a dropped database connection would."""
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real_scope(*args, **kwargs)

    monkeypatch.setattr(batching, "session_scope", flaky_scope)
    assert flush_votes(app) == 1
    assert flush_votes(app) == 1
    assert flush_votes(app) == 0
    received = [e["counts"] for sock in projectors for e in events(sock, "votes:updated")]
    assert received == [{str(concern_ids[0]): 1}, {str(concern_ids[1]): 1}]


def test_a_batch_read_while_a_later_one_was_drawn_is_not_sent_but_retried(app, factory):
    """If another flusher drew a later batch number while these counts were read, they wait for a later read.

    So the batches that are sent were read in the order of their numbers, whichever process sent them.
    """
    store = MemoryDirtyStore()
    batcher_on(app, store)
    projectors, concern_ids, _codes = two_voted_meetings(app, factory)
    real_current = store.current_seq
    raced: list[int] = []

    def racing_current(meeting_id: int) -> int:
        """Let "another process" draw the next number of the first meeting once, during the first read."""
        if not raced:
            raced.append(store.next_seq(meeting_id))
        return real_current(meeting_id)

    store.current_seq = racing_current  # type: ignore[method-assign]
    assert flush_votes(app) == 1
    assert events(projectors[0], "votes:updated") == []
    assert [e["seq"] for e in events(projectors[1], "votes:updated")] == [1]
    assert flush_votes(app) == 1
    ((seq, counts),) = [(e["seq"], e["counts"]) for e in events(projectors[0], "votes:updated")]
    assert seq == 3 > raced[0] == 2
    assert counts == {str(concern_ids[0]): 1}


def test_votes_do_not_bump_the_version_but_batches_still_order(app, factory):
    """votes:updated repeats the meeting's current version; its seq grows with every batch of the meeting."""
    meeting = factory.meeting(status="live", moderation=False)
    client, _ = attendee(app, meeting)
    concern_id = raise_concern(client, meeting)["id"]
    projector = connect(app, meeting, "projector")
    version = events(projector, "meeting:snapshot")[0]["version"]
    for _ in range(3):
        voter, _sock = attendee(app, meeting)
        voter.put(f"{API}/concerns/{concern_id}/vote")
        flush_votes(app)
    updates = events(projector, "votes:updated")
    assert [(e["version"], e["seq"], e["counts"][str(concern_id)]) for e in updates] == [
        (version, 1, 1),
        (version, 2, 2),
        (version, 3, 3),
    ]
    late = connect(app, meeting, "projector")
    (snapshot,) = events(late, "meeting:snapshot")
    assert snapshot["version"] == version and snapshot["vote_seq"] == 3


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """The test Redis's URL, or a skip (a failure under CI=true) when it does not answer."""
    url = os.environ.get("YSDW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        reason = f"Redis is not reachable at {url}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: Redis must be there)")
        pytest.skip(reason)
    return url


def redis_store(url: str) -> RedisDirtyStore:
    """Return a RedisDirtyStore whose keys no other test run shares."""
    return RedisDirtyStore(url, f"ysdw:test:{uuid.uuid4().hex}")


@pytest.mark.redis
def test_redis_stores_are_shared_across_processes(redis_url):
    """Processes share vote marks, batch numbers (one flush per meeting per interval) and presence counts."""
    prefix = f"ysdw:test:{uuid.uuid4().hex}"
    first, second = RedisDirtyStore(redis_url, prefix), RedisDirtyStore(redis_url, prefix)
    first.add(7, {70, 71})
    second.add(7, {72})
    second.add(8, {80})
    assert second.take() == {7: {70, 71, 72}, 8: {80}}
    assert first.take() == {}
    assert [first.next_seq(7), second.next_seq(7), second.next_seq(8)] == [1, 2, 1]
    assert first.current_seq(7) == second.current_seq(7) == 2
    assert first.claim(7, 0.3) is True
    assert second.claim(7, 0.3) is False
    assert second.claim(8, 0.3) is True
    slot = f"{prefix}:slot:7"
    assert 0 < second._redis.pttl(slot) <= 300  # Redis frees the slot after one interval
    second.release(7)  # only its holder can give a slot back early
    assert second.claim(7, 0.3) is False
    first.release(7)
    assert second.claim(7, 0.3) is True

    code = f"T{uuid.uuid4().hex[:5]}"
    here, there = RedisPresence(redis_url, prefix), RedisPresence(redis_url, prefix)
    assert here.join(code, 1) == 1
    assert there.join(code, 1) == 1
    assert there.join(code, 2) == 2
    assert here.leave(code, 1) == 2
    assert there.leave(code, 1) == 1
    assert here.count(code) == 1


@pytest.mark.redis
def test_redis_tap_tallies_are_shared_and_expire(redis_url):
    """Taps counted by two processes add up per concern over the last whole seconds, and their keys expire."""
    prefix = f"ysdw:test:{uuid.uuid4().hex}"
    first, second = RedisDirtyStore(redis_url, prefix), RedisDirtyStore(redis_url, prefix)
    start = 1_800_000_030.0
    first.add(7, {70, 71}, tapped_at=start)
    second.add(7, {70}, tapped_at=start + 0.5)
    second.add(7, {70}, tapped_at=start + 3)
    first.add(7, {71})  # marks put back after a failed flush are not taps
    assert first.taps([70, 71, 72], start + 4, 5) == {70: 3, 71: 1, 72: 0}
    assert second.taps([70], start + 5, 5) == {70: 1}
    assert second.taps([], start, 5) == {}
    assert 0 < first._redis.ttl(f"{prefix}:taps:70:{int(start)}") <= 62


@pytest.mark.redis
def test_redis_failed_flush_is_retried_and_other_meetings_still_sent(app, factory, monkeypatch, redis_url):
    """On Redis too: the failing meeting's marks and slot come back at once; the meeting after it is sent."""
    check_a_failed_flush_is_retried_and_others_still_sent(app, factory, monkeypatch, redis_store(redis_url))


class DroppingRedis:
    """Wraps a Redis client so that the n-th command from now fails as a dropped connection would."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.fail_at: int | None = None

    def arm(self, nth: int) -> None:
        """Make the ``nth`` command (or pipeline) from now raise ConnectionError."""
        self.fail_at = nth

    def _count(self) -> None:
        """Count one round trip and fail it if it is the armed one."""
        import redis

        if self.fail_at is not None:
            self.fail_at -= 1
            if self.fail_at == 0:
                self.fail_at = None
                raise redis.ConnectionError("connection dropped")

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Send one command, unless it is the one to fail."""
        self._count()
        return self.client.execute_command(*args, **kwargs)

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        """Return a pipeline whose execute() counts as one round trip."""
        pipe = self.client.pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a: Any, **k: Any) -> Any:
            self._count()
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    def __getattr__(self, name: str) -> Any:
        """Everything else goes through execute_command (redis-py's commands call it on self)."""
        attribute = getattr(type(self.client), name, None)
        if callable(attribute):
            return attribute.__get__(self)
        return getattr(self.client, name)


@pytest.mark.redis
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_redis_take_that_fails_part_way_loses_no_mark(redis_url, monkeypatch, nth):
    """A connection dropped during take() leaves every mark for the next take (the take is one atomic step)."""
    import redis

    real_from_url = redis.Redis.from_url
    wrapped: list[DroppingRedis] = []

    def dropping_from_url(*args: Any, **kwargs: Any) -> DroppingRedis:
        """Hand the store a client whose connection can be dropped on cue."""
        wrapped.append(DroppingRedis(real_from_url(*args, **kwargs)))
        return wrapped[-1]

    monkeypatch.setattr(redis.Redis, "from_url", dropping_from_url)
    store = redis_store(redis_url)
    store.add(7, {70, 71})
    store.add(8, {80})
    wrapped[0].arm(nth)
    taken: dict[int, set[int]] = {}
    with contextlib.suppress(redis.ConnectionError):
        taken.update(store.take())
    wrapped[0].fail_at = None
    for meeting_id, concern_ids in store.take().items():
        taken.setdefault(meeting_id, set()).update(concern_ids)
    assert taken == {7: {70, 71}, 8: {80}}


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


def test_each_http_request_lets_other_connections_run_first_under_green_threads(app, monkeypatch):
    """Under eventlet or gevent every HTTP request yields once, so a burst cannot starve the sockets' writers."""
    import ysdw_live.realtime as realtime

    switches: list[float] = []
    monkeypatch.setattr(realtime.socketio, "sleep", switches.append)
    monkeypatch.setattr(realtime.socketio, "async_mode", "gevent")
    assert app.test_client().get("/healthz").status_code == 200
    assert switches == [0]
    monkeypatch.setattr(realtime.socketio, "async_mode", "threading")
    app.test_client().get("/healthz")
    assert switches == [0]  # the operating system schedules threads: nothing to do


def test_the_presence_announcer_can_be_the_first_realtime_part_an_app_asks_for(app):
    """Making the announcer makes the tracker it needs (the lock is re-entrant: this once deadlocked)."""
    import threading

    done = threading.Event()

    def first_use() -> None:
        assert flush_presence(app) == 0
        done.set()

    worker = threading.Thread(target=first_use, daemon=True)
    worker.start()
    worker.join(30)
    assert done.is_set()
    assert presence_announcer(app).tracker is presence(app)
