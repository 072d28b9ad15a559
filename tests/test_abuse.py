"""Issue 9, findings 1, 2 and 5: forged participants and vote stuffing, leaked join codes, CSRF skipped by a header.

Each test replays what the probe did against ``main`` and checks the answer it must get now.
Rate limits count on the test app's hand-moved clock (``ManualSeconds``) and vote surges on a
clock the test gives the batcher, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import ManualSeconds, bearer, login, make_test_app, token_for
from ysdw_live import config as config_module
from ysdw_live import web
from ysdw_live.actions import services as action_services
from ysdw_live.auth.models import Role
from ysdw_live.concerns.models import Concern, Vote
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting, Participant, hash_device_token
from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import MemoryDirtyStore, VoteBatcher, flush_votes

API = "/api/v1"


def device(app: Flask, address: str = "192.0.2.10") -> FlaskClient:
    """Return a new same-site browser-like client (its own cookies) calling from ``address``."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    client.environ_base["REMOTE_ADDR"] = address
    return client


def joined(app: Flask, meeting: Meeting, address: str = "192.0.2.10") -> tuple[FlaskClient, str]:
    """Return a device that joined ``meeting`` (cookie set) and its token."""
    client = device(app, address)
    response = client.post(f"{API}/meetings/{meeting.code}/participants")
    assert response.status_code == 201, response.get_json()
    return client, response.get_json()["token"]


def clock_of(app: Flask) -> ManualSeconds:
    """Return the hand-moved clock the app's rate limiter counts on."""
    clock = app.extensions["ysdw_limiter"].store.clock
    assert isinstance(clock, ManualSeconds)
    return clock


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check a JSON error answer and return its error object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def read(db: Session, statement: Any) -> Any:
    """Return the first column of ``statement``'s first row as committed now.

    It reads on a connection of its own, closed at once, so the test's session keeps its objects
    loaded (touching an expired one would begin a transaction that holds SQLite's write lock).
    """
    with db.get_bind().connect() as connection:
        return connection.scalar(statement)


def participants(db: Session) -> int:
    """Return how many participants exist in every meeting."""
    return read(db, select(func.count(Participant.id)))


def approved_concern(app: Flask, factory: Any, meeting: Meeting) -> int:
    """Raise a concern in a meeting without moderation and return its id."""
    author, _token = joined(app, meeting)
    response = author.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "Speeding on Anlaby Road"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


# --- 1. forged participants ----------------------------------------------------------------------


def test_a_made_up_token_is_never_adopted(app, factory, db):
    """``X-Participant-Token: x`` on join is a 401, not ``201 {"token": "x"}``; a made-up cookie is replaced."""
    meeting = factory.meeting(status="live")
    url = f"{API}/meetings/{meeting.code}/participants"
    error = error_of(device(app).post(url, headers={"X-Participant-Token": "x"}), 401, "unknown_participant")
    assert "not issued by this server" in error["message"]
    assert participants(db) == 0
    # A browser cannot clear its HttpOnly cookie, so a cookie nobody issued gets a fresh token instead.
    browser = device(app)
    browser.set_cookie(web.PARTICIPANT_COOKIE, "made-up-by-a-script")
    response = browser.post(url)
    assert response.status_code == 201
    minted = response.get_json()["token"]
    assert minted != "made-up-by-a-script" and len(minted) >= 32
    assert f"{web.PARTICIPANT_COOKIE}={minted}" in response.headers["Set-Cookie"]
    assert read(db, select(Participant.device_hash)) == hash_device_token(minted)
    # The same goes for the attendee page: opening it joins nobody; its first form post joins with a fresh token.
    page = device(app)
    page.set_cookie(web.PARTICIPANT_COOKIE, "another-made-up-one")
    assert page.get(f"/j/{meeting.code}").status_code == 200
    assert participants(db) == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get(f"/j/{meeting.code}").get_data(as_text=True))
    page.post(f"/j/{meeting.code}/concerns", data={"csrf_token": token.group(1), "text": "Bus stop lights"})
    made_up = hash_device_token("another-made-up-one")
    assert read(db, select(Participant.id).where(Participant.device_hash == made_up)) is None
    assert participants(db) == 2


def test_a_token_the_server_issued_is_the_same_device_in_the_next_meeting(app, factory, db):
    """A device keeps its anonymous identity across meetings: the token it was given joins the next one."""
    first, second = factory.meeting(status="live"), factory.meeting(status="live")
    _client, token = joined(app, first)
    again = device(app).post(f"{API}/meetings/{second.code}/participants", headers={"X-Participant-Token": token})
    assert again.status_code == 201 and again.get_json()["token"] == token
    same = device(app).post(f"{API}/meetings/{second.code}/participants", headers={"X-Participant-Token": token})
    assert same.get_json()["token"] == token
    assert participants(db) == 2  # one in each meeting


def test_an_unknown_token_is_a_clear_401_everywhere_and_never_a_vote(app, factory, db):
    """Listing, raising, voting and un-voting with a token nobody issued: 401s with a JSON error, no vote counted."""
    meeting = factory.meeting(status="live", moderation=False)
    concern_id = approved_concern(app, factory, meeting)
    forged = {"X-Participant-Token": "x"}
    script = device(app)
    for response in (
        script.get(f"{API}/meetings/{meeting.code}/concerns", headers=forged),
        script.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "stuffed"}, headers=forged),
        script.put(f"{API}/concerns/{concern_id}/vote", headers=forged),
        script.delete(f"{API}/concerns/{concern_id}/vote", headers=forged),
    ):
        error = error_of(response, 401, "not_joined")
        assert "Join this meeting first" in error["message"]
    refused = socketio.test_client(app, auth={"meeting": meeting.code, "role": "attendee", "token": "x"})
    assert not refused.is_connected()
    assert read(db, select(func.count(Vote.participant_id))) == 0
    assert read(db, select(Concern.votes).where(Concern.id == concern_id)) == 0
    assert read(db, select(func.count(Concern.id))) == 1


def test_joins_are_limited_per_address_on_a_moving_window(app, factory, monkeypatch):
    """A burst across a clock minute's boundary gets one budget, not two (the probe got about 2,400)."""
    monkeypatch.setattr(meeting_services, "JOIN_LIMIT_PER_ADDRESS", (5, 60))
    meeting = factory.meeting(status="live")
    url = f"{API}/meetings/{meeting.code}/participants"
    clock = clock_of(app)
    clock.advance(29.5)  # the last half second of a clock minute
    assert [device(app).post(url).status_code for _ in range(5)] == [201] * 5
    clock.advance(1)  # the next clock minute: a fixed window would start again from zero here
    refused = device(app).post(url)
    error = error_of(refused, 429, "rate_limited")
    assert "from this network" in error["message"] and refused.headers["Retry-After"] == "59"
    assert device(app, "198.51.100.7").post(url).status_code == 201  # another network has its own budget
    clock.advance(59)
    assert device(app).post(url).status_code == 201


def test_joins_are_limited_per_meeting_whatever_the_address(app, factory, monkeypatch):
    """A script spread over many addresses meets the meeting's budget; other meetings and joined devices go on."""
    monkeypatch.setattr(meeting_services, "JOIN_LIMIT_PER_MEETING", (3, 60))
    meeting, other = factory.meeting(status="live"), factory.meeting(status="live")
    url = f"{API}/meetings/{meeting.code}/participants"
    first, token = joined(app, meeting, "203.0.113.1")
    assert [device(app, f"203.0.113.{n}").post(url).status_code for n in (2, 3)] == [201, 201]
    error = error_of(device(app, "203.0.113.4").post(url), 429, "rate_limited")
    assert "joining this meeting" in error["message"]
    assert device(app, "203.0.113.4").post(f"{API}/meetings/{other.code}/participants").status_code == 201
    # A device that already joined is not a new participant: it gets back in.
    assert first.post(url).get_json()["token"] == token
    assert device(app).post(url, headers={"X-Participant-Token": token}).status_code == 201


def test_the_budgets_let_a_room_of_1000_phones_behind_one_address_in_within_a_minute(app):
    """1,000 phones from one venue address, all in one meeting, within a minute: none is refused."""
    limiter = app.extensions["ysdw_limiter"]
    clock = clock_of(app)
    for _ in range(1000):
        limiter.check("join-address", "venue", *meeting_services.JOIN_LIMIT_PER_ADDRESS)
        limiter.check("join-meeting", 1, *meeting_services.JOIN_LIMIT_PER_MEETING)
        clock.advance(0.05)
    assert meeting_services.JOIN_LIMIT_PER_ADDRESS[1] == meeting_services.JOIN_LIMIT_PER_MEETING[1] == 60
    # One address alone cannot spend a whole meeting's budget.
    assert meeting_services.JOIN_LIMIT_PER_MEETING[0] > meeting_services.JOIN_LIMIT_PER_ADDRESS[0] >= 1000


def test_join_budgets_can_be_configured(tmp_path):
    """YSDW_JOIN_LIMIT_PER_ADDRESS / _PER_MEETING (joins a minute) replace the built-in budgets; bad values fail."""
    settings = config_module.from_environment(tmp_path, {"YSDW_JOIN_LIMIT_PER_MEETING": "5000"})
    assert settings["JOIN_LIMIT_PER_MEETING"] == 5000 and settings["JOIN_LIMIT_PER_ADDRESS"] is None
    assert config_module.from_environment(tmp_path, {})["VOTE_SURGE"] == (50, 5)
    assert config_module.from_environment(tmp_path, {"YSDW_VOTE_SURGE": "120/10"})["VOTE_SURGE"] == (120, 10)
    for name, value in (
        ("YSDW_JOIN_LIMIT_PER_ADDRESS", "0"),
        ("YSDW_JOIN_LIMIT_PER_MEETING", "lots"),
        ("YSDW_VOTE_SURGE", "50"),
        ("YSDW_VOTE_SURGE", "50/600"),
    ):
        with pytest.raises(ValueError, match=name):
            config_module.from_environment(tmp_path, {name: value})
    app = make_test_app(tmp_path / "i", f"sqlite:///{tmp_path / 'c.sqlite3'}", JOIN_LIMIT_PER_MEETING=3000)
    try:
        assert app.extensions["ysdw_limiter"].overrides == {"join-meeting": (3000, 60)}
    finally:
        app.extensions["ysdw_engine"].dispose()


# --- 1. votes faster than people tap ------------------------------------------------------------


def surge_batcher(app: Flask, taps: int = 5, seconds: int = 5) -> tuple[VoteBatcher, ManualSeconds]:
    """Give ``app`` a hand-driven vote batcher that counts taps on a hand-moved clock."""
    app.config["VOTE_SURGE"] = (taps, seconds)
    clock = ManualSeconds()
    batcher = VoteBatcher(app, MemoryDirtyStore(), clock=clock)
    app.extensions["ysdw_vote_batcher"] = batcher
    return batcher, clock


def socket_for(app: Flask, meeting: Meeting, role: str, client: FlaskClient | None = None) -> Any:
    """Open a Socket.IO test connection in ``role`` and drain what it got on connecting."""
    sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": role}, flask_test_client=client)
    assert sock.is_connected()
    sock.get_received()
    return sock


def surge_events(sock: Any) -> list[dict[str, Any]]:
    """Return the ``votes:surge`` payloads a socket received."""
    return [event["args"][0] for event in sock.get_received() if event["name"] == "votes:surge"]


def test_moderators_are_told_when_votes_arrive_faster_than_people_tap(app, factory):
    """Six votes on one concern within a second (threshold 5 in 5 s) make a ``votes:surge`` for moderators only."""
    _batcher, clock = surge_batcher(app)
    meeting = factory.meeting(status="live", moderation=False)
    concern_id = approved_concern(app, factory, meeting)
    staff = device(app)
    login(staff, factory.user(Role.facilitator).email)
    moderator = socket_for(app, meeting, "moderator", staff)
    voters = [joined(app, meeting)[0] for _ in range(6)]
    attendee = socket_for(app, meeting, "attendee", voters[0])
    projector = socket_for(app, meeting, "projector")
    for voter in voters:
        assert voter.put(f"{API}/concerns/{concern_id}/vote").status_code == 200
        clock.advance(0.1)
    assert flush_votes(app) == 1
    (surge,) = surge_events(moderator)
    assert surge == {"surges": [{"concern_id": concern_id, "taps": 6, "seconds": 5, "votes": 6}]}
    assert surge_events(attendee) == [] and surge_events(projector) == []
    # The console lists it too (after a reload, and without JavaScript).
    page = staff.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "Votes arriving faster than people tap" in page and "6 votes in 5 seconds" in page
    # Told once per window while it lasts, not on every flush.
    voters[0].delete(f"{API}/concerns/{concern_id}/vote")
    assert flush_votes(app) == 1
    assert surge_events(moderator) == []


def test_votes_at_the_pace_of_a_room_make_no_surge(app, factory):
    """The same votes spread over time (one every two seconds) stay under the threshold: no notice, none listed."""
    _batcher, clock = surge_batcher(app)
    meeting = factory.meeting(status="live", moderation=False)
    concern_id = approved_concern(app, factory, meeting)
    staff = device(app)
    login(staff, factory.user(Role.facilitator).email)
    moderator = socket_for(app, meeting, "moderator", staff)
    for voter in [joined(app, meeting)[0] for _ in range(8)]:
        assert voter.put(f"{API}/concerns/{concern_id}/vote").status_code == 200
        flush_votes(app)
        clock.advance(2)
    assert surge_events(moderator) == []
    assert 'id="surge-section" aria-labelledby="surge-heading" hidden' in staff.get(
        f"/moderate/{meeting.code}"
    ).get_data(as_text=True)


def test_tap_tallies_count_a_moving_window_of_whole_seconds():
    """The memory store's tallies: taps of the last N whole seconds count, older ones are forgotten."""
    store = MemoryDirtyStore()
    start = ManualSeconds.START
    for offset in (0, 0.5, 1, 3, 4.9):
        store.add(1, {10}, tapped_at=start + offset)
    store.add(1, {11})  # a mark that is not a tap (a flush putting marks back)
    assert store.taps([10, 11, 12], start + 4.9, 5) == {10: 5}
    assert store.taps([10], start + 5, 5) == {10: 3}  # whole seconds 1 to 5: the taps at 1, 3 and 4.9
    assert store.taps([10], start + 200, 5) == {10: 0}
    assert store._taps[10] == {}


# --- 2. join codes ------------------------------------------------------------------------------


def test_no_error_names_the_meeting_code_to_someone_outside_it(app, factory):
    """A vote on any concern id without joining answers 401 without the code that would let the caller in."""
    meeting = factory.meeting(status="live", moderation=False)
    concern_id = approved_concern(app, factory, meeting)
    other, _token = joined(app, factory.meeting(status="live"))
    for client, headers in ((device(app), {}), (device(app), {"X-Participant-Token": "x"}), (other, {})):
        for response in (
            client.put(f"{API}/concerns/{concern_id}/vote", headers=headers),
            client.delete(f"{API}/concerns/{concern_id}/vote", headers=headers),
        ):
            error_of(response, 401, "not_joined")
            assert meeting.code not in response.get_data(as_text=True)


def test_public_actions_name_meetings_by_title_and_date_never_by_code(app, factory, db):
    """Public action list, one action, the next meeting's report-back, the public page: no closed meeting's code."""
    earlier = factory.meeting(status="closed", title="Winter meeting", starts_at="2026-01-14T18:30:00Z")
    leader = factory.actor(Role.leader)
    action = action_services.create_action(
        db, leader, earlier.series_id, {"you_said": "Lighting", "raised_at_meeting": earlier.code}
    )
    next_meeting = factory.meeting(earlier.series, status="live")
    anyone = device(app)
    answers = [
        anyone.get(f"{API}/series/{earlier.series_id}/actions"),
        anyone.get(f"{API}/actions/{action.id}"),
        anyone.get(f"{API}/meetings/{next_meeting.code}/report-back"),
        anyone.get(f"/series/{earlier.series_id}/actions"),
    ]
    for response in answers:
        assert response.status_code == 200
        assert earlier.code not in response.get_data(as_text=True)
    public = answers[1].get_json()
    assert public["raised_at"] == {"title": "Winter meeting", "starts_at": "2026-01-14T18:30:00+00:00"}
    assert "raised_at_meeting" not in public
    assert "Winter meeting" in answers[3].get_data(as_text=True)
    staff_token = token_for(anyone, factory.user(Role.leader).email)
    private = anyone.get(f"{API}/actions/{action.id}?include=private", headers=bearer(staff_token)).get_json()
    assert private["raised_at_meeting"] == earlier.code


def test_wrong_codes_are_limited_per_address_on_a_moving_window(app, factory, monkeypatch):
    """After the budget of wrong codes, an address gets 429 for any code (right ones too) until the window moves.

    Its staff and the devices that already joined the meeting go on working: a room shares one address.
    """
    monkeypatch.setattr(web, "CODE_MISS_LIMIT", (3, 60))
    meeting = factory.meeting(status="live")
    guesser = device(app, "203.0.113.66")
    inside, _token = joined(app, meeting, "203.0.113.66")
    staff = device(app, "203.0.113.66")
    login(staff, factory.user(Role.facilitator).email)
    clock = clock_of(app)
    for code in ("AAAAAA", "BBBBBB", "CCCCCC"):  # at 0, 1 and 2 seconds
        error_of(guesser.get(f"{API}/meetings/{code}"), 404, "meeting_not_found")
        clock.advance(1)
    clock.advance(7)
    refused = guesser.get(f"{API}/meetings/DDDDDD")
    error = error_of(refused, 429, "rate_limited")
    assert "wrong meeting codes" in error["message"] and refused.headers["Retry-After"] == "50"
    # A right code is refused too, or the answers would still tell which codes exist; so is every other way in.
    assert refused.get_data(as_text=True) == guesser.get(f"{API}/meetings/{meeting.code}").get_data(as_text=True)
    error_of(guesser.post(f"{API}/meetings/{meeting.code}/participants"), 429, "rate_limited")
    assert guesser.get(f"/j/{meeting.code}").status_code == 429
    form = guesser.post("/join", data={"code": meeting.code, "csrf_token": csrf_of(guesser)})
    assert form.status_code == 429 and "wrong meeting codes" in form.get_data(as_text=True)
    # Those who belong to the meeting are not locked out by the guesser on their Wi-Fi.
    assert inside.get(f"{API}/meetings/{meeting.code}/concerns").status_code == 200
    assert inside.get(f"/j/{meeting.code}").status_code == 200
    assert staff.get(f"/moderate/{meeting.code}").status_code == 200
    assert device(app, "198.51.100.1").get(f"{API}/meetings/{meeting.code}").status_code == 200
    clock.advance(50)  # the first miss leaves the window: room for one more
    assert guesser.get(f"{API}/meetings/{meeting.code}").status_code == 200
    assert guesser.get(f"{API}/meetings/EEEEEE").status_code == 404
    assert guesser.get(f"{API}/meetings/FFFFFF").status_code == 429


def test_wrong_codes_in_socket_handshakes_count_too(app, factory, monkeypatch):
    """Guessing codes by opening Socket.IO connections spends the same budget, and is refused the same way."""
    monkeypatch.setattr(web, "CODE_MISS_LIMIT", (2, 60))
    meeting = factory.meeting(status="live")

    def projector(code: str) -> bool:
        """Try to connect to ``code`` as the projector (which needs no login); return whether it connected."""
        return socketio.test_client(app, auth={"meeting": code, "role": "projector"}).is_connected()

    assert projector(meeting.code)
    assert [projector("AAAAAA"), projector("BBBBBB")] == [False, False]
    assert not projector(meeting.code)
    assert device(app, "198.51.100.1").get(f"{API}/meetings/{meeting.code}").status_code == 200
    clock_of(app).advance(60)
    assert projector(meeting.code)


def csrf_of(client: FlaskClient) -> str:
    """Return the CSRF token of the client's session (from the home page's form)."""
    from tests.conftest import csrf_from

    return csrf_from(client.get("/").get_data(as_text=True))


# --- 5. CSRF -------------------------------------------------------------------------------------


def test_a_participant_header_does_not_skip_csrf_for_a_staff_cookie(app, factory, db):
    """Staff login cookie + another site's Origin + ``X-Participant-Token: junk`` is refused (it passed before)."""
    meeting = factory.meeting(status="live", title="Spring meeting")
    browser = device(app)
    login(browser, factory.user(Role.facilitator).email)
    url = f"{API}/meetings/{meeting.code}"
    evil = {"Origin": "https://evil.example"}
    _client, real_token = joined(app, meeting)
    for extra in ({"X-Participant-Token": "junk"}, {"X-Participant-Token": real_token}, {}):
        response = browser.patch(url, json={"title": "Hijacked"}, headers={**evil, **extra})
        error_of(response, 403, "csrf_failed")
    assert read(db, select(Meeting.title).where(Meeting.id == meeting.id)) == "Spring meeting"
    # From the site itself the same cookie works, and a bearer token needs no Origin at all.
    assert browser.patch(url, json={"title": "Renamed"}).status_code == 200
    token = token_for(app.test_client(), factory.user(Role.facilitator).email)
    assert (
        app.test_client().patch(url, json={"title": "By token"}, headers={**bearer(token), **evil}).status_code == 200
    )


def test_a_staff_bearer_header_does_not_skip_csrf_for_a_participant_cookie(app, factory, db):
    """A participant cookie (the vote's identity) from another site is refused even when a bearer token comes along."""
    meeting = factory.meeting(status="live", moderation=False)
    concern_id = approved_concern(app, factory, meeting)
    phone, _token = joined(app, meeting)
    token = token_for(app.test_client(), factory.user(Role.facilitator).email)
    response = phone.put(
        f"{API}/concerns/{concern_id}/vote", headers={**bearer(token), "Origin": "https://evil.example"}
    )
    error_of(response, 403, "csrf_failed")
    assert read(db, select(Concern.votes).where(Concern.id == concern_id)) == 0
    assert json.loads(phone.put(f"{API}/concerns/{concern_id}/vote").get_data())["votes"] == 1
