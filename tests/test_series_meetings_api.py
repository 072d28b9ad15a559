"""The series and meeting API: the happy paths, and every kind of bad input → a clear 4xx JSON error, nothing saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, token_for
from ysdw_live.auth.models import Role
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.series.models import Series


@pytest.fixture
def api(anon_client, client, factory):
    """A curl-like client plus the Authorization header of a facilitator."""
    user = factory.user(Role.facilitator)
    return anon_client, bearer(token_for(client, user.email))


def count(db, model) -> int:
    """Return how many rows ``model`` has now, ending the read."""
    db.expire_all()
    n = db.scalar(select(func.count()).select_from(model))
    db.commit()
    return n


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """Check a JSON error object and return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, error
    if field:
        assert field in error.get("fields", {}), error
    return error


# --- series ------------------------------------------------------------------------------------


def test_create_series_returns_the_series_with_topics(api, db):
    """POST /series creates the series with its topics (duplicates ignoring case dropped) → 201."""
    client, auth = api
    response = client.post(
        "/api/v1/series",
        headers=auth,
        json={
            "title": "  Hull community focus group ",
            "description": "Every three months",
            "topics": ["Stop and search", "Youth", "youth", "  Roads  "],
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Hull community focus group"
    assert [t["name"] for t in body["topics"]] == ["Stop and search", "Youth", "Roads"]
    assert set(body) == {"id", "title", "description", "topics", "retention_months"}
    assert body["retention_months"] == 24  # the default
    assert client.get(f"/api/v1/series/{body['id']}").get_json() == body


SERIES_BAD = [
    pytest.param({"title": ""}, "required", "title", id="empty title"),
    pytest.param({"title": "   "}, "required", "title", id="blank title"),
    pytest.param({}, "required", "title", id="no title"),
    pytest.param({"title": "x" * 201}, "too_long", "title", id="title too long"),
    pytest.param({"title": 42}, "invalid", "title", id="title not text"),
    pytest.param({"title": "Bad\x00title"}, "bad_character", "title", id="control character"),
    pytest.param({"title": "T", "description": "d" * 2001}, "too_long", "description", id="description too long"),
    pytest.param({"title": "T", "topics": "Youth"}, "invalid", "topics", id="topics a string"),
    pytest.param({"title": "T", "topics": {"Youth": 1}}, "invalid", "topics", id="topics an object"),
    pytest.param({"title": "T", "topics": 5}, "invalid", "topics", id="topics a number"),
    pytest.param({"title": "T", "topics": [1, 2]}, "invalid", "topics", id="topic not text"),
    pytest.param({"title": "T", "topics": ["t" * 81]}, "too_long", "topics", id="topic too long"),
    pytest.param(
        {"title": "T", "topics": [f"Topic {i}" for i in range(31)]}, "invalid", "topics", id="too many topics"
    ),
    pytest.param({"title": "T", "colour": "red"}, "unknown_field", "colour", id="unknown field"),
]


@pytest.mark.parametrize(("body", "code", "field"), SERIES_BAD)
def test_create_series_bad_input(api, db, body, code, field):
    """Each kind of bad series input is a 400 naming the field, and no series is saved."""
    client, auth = api
    assert_error(client.post("/api/v1/series", headers=auth, json=body), 400, code, field)
    assert count(db, Series) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        ('{"title": "T",}', "application/json", "malformed_json"),
        ("{not json", "application/json", "malformed_json"),
        ('["a list"]', "application/json", "malformed_json"),
        ('"a string"', "application/json", "malformed_json"),
        ("", "application/json", "malformed_json"),
        ("title=T", "application/x-www-form-urlencoded", "unsupported_content_type"),
        ('{"title": "T"}', "text/plain", "unsupported_content_type"),
        ('{"title": "T"}', None, "unsupported_content_type"),
    ],
)
def test_malformed_bodies_and_wrong_content_types(api, db, data, content_type, code):
    """Broken JSON, non-object JSON and non-JSON content types are 400s that save nothing."""
    client, auth = api
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    assert_error(client.post("/api/v1/series", headers=headers, data=data), 400, code)
    assert count(db, Series) == 0


def test_too_large_body_is_413(api, db):
    """A body over the size limit is a 413 JSON error."""
    client, auth = api
    response = client.post(
        "/api/v1/series",
        headers={**auth, "Content-Type": "application/json"},
        data='{"title": "' + "x" * 300_000 + '"}',
    )
    assert_error(response, 413, "too_large")
    assert count(db, Series) == 0


def test_update_series_keeps_topic_ids_and_validates(api, factory, db):
    """PATCH keeps kept topics' ids, drops removed ones, and refuses bad input without saving."""
    client, auth = api
    series = factory.series(topics=["Stop and search", "Youth"])
    ids = {t.name: t.id for t in series.topics}
    response = client.patch(
        f"/api/v1/series/{series.id}", headers=auth, json={"topics": ["youth", "Roads"], "description": "New"}
    )
    assert response.status_code == 200
    topics = response.get_json()["topics"]
    assert topics[0] == {"id": ids["Youth"], "name": "youth"}
    assert topics[1]["name"] == "Roads" and topics[1]["id"] not in ids.values()
    for bad, code in (({"title": ""}, "required"), ({"topics": "Roads"}, "invalid"), ({"id": 3}, "unknown_field")):
        assert_error(client.patch(f"/api/v1/series/{series.id}", headers=auth, json=bad), 400, code)
    after = client.get(f"/api/v1/series/{series.id}").get_json()
    assert after["title"] == "Hull community focus group" and after["description"] == "New"
    assert [t["name"] for t in after["topics"]] == ["youth", "Roads"]


@pytest.mark.parametrize("series_id", ["999", "0", "99999999999999999999", "2147483648"])
def test_unknown_series_ids_are_404(api, series_id):
    """Unknown, zero and absurdly large series ids are 404 JSON on every series route, never a 500."""
    client, auth = api
    for method, path, body in (
        ("GET", "", None),
        ("PATCH", "", {"title": "X"}),
        ("GET", "/meetings", None),
        ("POST", "/meetings", {"title": "X"}),
    ):
        response = client.open(f"/api/v1/series/{series_id}{path}", method=method, headers=auth, json=body)
        assert_error(response, 404)


@pytest.mark.parametrize("series_id", ["-1", "abc", "1.5"])
def test_non_numeric_series_ids_are_404(api, series_id):
    """Ids that are not whole positive numbers do not match the route: 404 JSON."""
    client, auth = api
    assert_error(client.get(f"/api/v1/series/{series_id}", headers=auth), 404, "not_found")


# --- meetings ------------------------------------------------------------------------------------


def test_create_meeting_returns_a_draft_with_a_code(api, factory):
    """POST /series/{id}/meetings makes a draft meeting with a fresh code and the join URL."""
    client, auth = api
    series = factory.series()
    response = client.post(
        f"/api/v1/series/{series.id}/meetings",
        headers=auth,
        json={
            "title": "Spring meeting",
            "starts_at": "2026-03-14T18:30:00+01:00",
            "venue": "Riverside Centre",
            "mode": "hybrid",
            "moderation": False,
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}", body["code"])
    assert body == {
        "code": body["code"],
        "title": "Spring meeting",
        "series_id": series.id,
        "starts_at": "2026-03-14T17:30:00+00:00",
        "venue": "Riverside Centre",
        "mode": "hybrid",
        "status": "draft",
        "moderation": False,
        "join_url": f"http://yswd.test/j/{body['code']}",
        "version": 1,
    }
    listed = client.get(f"/api/v1/series/{series.id}/meetings", headers=auth).get_json()["meetings"]
    assert [m["code"] for m in listed] == [body["code"]]


def test_create_meeting_defaults(api, factory):
    """Only a title is needed: in person, moderated, no start time, no venue."""
    client, auth = api
    series = factory.series()
    body = client.post(f"/api/v1/series/{series.id}/meetings", headers=auth, json={"title": "Quick"}).get_json()
    assert (body["mode"], body["moderation"], body["starts_at"], body["venue"]) == ("in_person", True, None, "")


MEETING_BAD = [
    pytest.param({}, "required", "title", id="no title"),
    pytest.param({"title": ""}, "required", "title", id="empty title"),
    pytest.param({"title": "x" * 201}, "too_long", "title", id="title too long"),
    pytest.param({"title": ["x"]}, "invalid", "title", id="title not text"),
    pytest.param({"title": "T", "mode": "telepathy"}, "invalid", "mode", id="bad mode"),
    pytest.param({"title": "T", "mode": None}, "invalid", "mode", id="null mode"),
    pytest.param({"title": "T", "starts_at": "tomorrow evening"}, "invalid", "starts_at", id="starts_at words"),
    pytest.param({"title": "T", "starts_at": "2026-13-01T10:00"}, "invalid", "starts_at", id="starts_at month 13"),
    pytest.param({"title": "T", "starts_at": 1773512400}, "invalid", "starts_at", id="starts_at a number"),
    pytest.param(
        {"title": "T", "starts_at": "9999-12-31T23:00:00-05:00"}, "invalid", "starts_at", id="starts_at past year 9999"
    ),
    pytest.param({"title": "T", "starts_at": "2026-03-14T18:30"}, "naive_timestamp", "starts_at", id="starts_at naive"),
    pytest.param(
        {"title": "T", "starts_at": "2026-03-14T18:30:00"}, "naive_timestamp", "starts_at", id="starts_at no offset"
    ),
    pytest.param({"title": "T", "venue": "v" * 201}, "too_long", "venue", id="venue too long"),
    pytest.param({"title": "T", "moderation": "maybe"}, "invalid", "moderation", id="moderation not boolean"),
    pytest.param({"title": "T", "status": "live"}, "unknown_field", "status", id="status on create"),
    pytest.param({"title": "T", "code": "AAAAAA"}, "unknown_field", "code", id="code chosen by caller"),
]


@pytest.mark.parametrize(("body", "code", "field"), MEETING_BAD)
def test_create_meeting_bad_input(api, factory, db, body, code, field):
    """Each kind of bad meeting input is a 400 naming the field, and no meeting is saved."""
    client, auth = api
    series = factory.series()
    assert_error(client.post(f"/api/v1/series/{series.id}/meetings", headers=auth, json=body), 400, code, field)
    assert count(db, Meeting) == 0


def test_create_meeting_malformed_json(api, factory, db):
    """Broken JSON and a form body on the meeting route are 400s."""
    client, auth = api
    series = factory.series()
    url = f"/api/v1/series/{series.id}/meetings"
    assert_error(
        client.post(url, headers={**auth, "Content-Type": "application/json"}, data="{"), 400, "malformed_json"
    )
    assert_error(client.post(url, headers=auth, data={"title": "T"}), 400, "unsupported_content_type")
    assert count(db, Meeting) == 0


def test_patch_meeting_walks_the_status_machine(api, factory):
    """PATCH status goes draft → live → closed → live, each step bumping the version."""
    client, auth = api
    meeting = factory.meeting()
    url = f"/api/v1/meetings/{meeting.code}"
    versions = []
    for status in ("live", "closed", "live"):
        body = client.patch(url, headers=auth, json={"status": status}).get_json()
        assert body["status"] == status
        versions.append(body["version"])
    assert versions == [2, 3, 4]


PATCH_BAD = [
    pytest.param({"status": "finished"}, 400, "invalid", id="unknown status"),
    pytest.param({"status": "closed", "title": "Renamed"}, 409, "invalid_transition", id="draft to closed"),
    pytest.param({"title": ""}, 400, "required", id="empty title"),
    pytest.param({"mode": "carrier pigeon"}, 400, "invalid", id="bad mode"),
    pytest.param({"starts_at": "soon"}, 400, "invalid", id="bad start"),
    pytest.param({"moderation": 3}, 400, "invalid", id="moderation a number"),
    pytest.param({"version": 9}, 400, "unknown_field", id="unknown field"),
    pytest.param({"code": "BBBBBB"}, 400, "unknown_field", id="code not editable"),
]


@pytest.mark.parametrize(("body", "status", "code"), PATCH_BAD)
def test_patch_meeting_bad_input_changes_nothing(api, factory, body, status, code):
    """A refused PATCH is a JSON error and the meeting is exactly as before."""
    client, auth = api
    meeting = factory.meeting()
    url = f"/api/v1/meetings/{meeting.code}"
    before = client.get(url).get_json()
    assert_error(client.patch(url, headers=auth, json=body), status, code)
    assert client.get(url).get_json() == before


def test_patch_meeting_malformed_json_and_unknown_code(api, factory):
    """A broken body is 400; an unknown code is 404; both JSON."""
    client, auth = api
    meeting = factory.meeting()
    assert_error(
        client.patch(
            f"/api/v1/meetings/{meeting.code}", headers={**auth, "Content-Type": "application/json"}, data="nope"
        ),
        400,
        "malformed_json",
    )
    assert_error(client.patch("/api/v1/meetings/ZZZZZZ", headers=auth, json={"title": "X"}), 404, "meeting_not_found")


def test_patch_meeting_with_lower_case_code(api, factory):
    """Staff may use the code in any case when editing too."""
    client, auth = api
    meeting = factory.meeting()
    response = client.patch(f"/api/v1/meetings/{meeting.code.lower()}", headers=auth, json={"venue": "Library"})
    assert response.status_code == 200 and response.get_json()["venue"] == "Library"


# --- participants ----------------------------------------------------------------------------


def test_joining_sets_a_cookie_and_is_one_participant_per_device(anon_client, factory, db):
    """POST participants returns a token and sets the cookie; the same device joining again is not a new one."""
    meeting = factory.meeting(status="live")
    url = f"/api/v1/meetings/{meeting.code}/participants"
    first = anon_client.post(url)
    assert first.status_code == 201
    token = first.get_json()["token"]
    assert len(token) >= 20
    cookie = first.headers["Set-Cookie"]
    assert "ysdw_participant=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again = anon_client.post(url, headers={"X-Participant-Token": token})
    assert again.get_json()["token"] == token
    assert count(db, Participant) == 1
    assert anon_client.__class__(anon_client.application).post(url).get_json()["token"] != token
    assert count(db, Participant) == 2


def test_joining_unknown_meeting_is_404(anon_client, db):
    """No participant is made for a code that does not exist."""
    assert_error(anon_client.post("/api/v1/meetings/ZZZZZZ/participants"), 404, "meeting_not_found")
    assert count(db, Participant) == 0


# --- routing errors ------------------------------------------------------------------------------


def test_unknown_api_path_and_wrong_method_are_json(anon_client):
    """Unknown addresses and wrong methods under /api/ are JSON errors too."""
    assert_error(anon_client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(anon_client.put("/api/v1/series"), 405, "method_not_allowed")


def test_joining_is_limited_per_address_but_lets_a_whole_room_in(anon_client, factory, monkeypatch):
    """1,000 phones behind one Wi-Fi address all get in; past the limit a script gets a clear 429."""
    from ysdw_live.meetings import services

    meeting = factory.meeting(status="live")
    url = f"/api/v1/meetings/{meeting.code}/participants"
    monkeypatch.setattr(services, "JOIN_LIMIT_PER_ADDRESS", (5, 60))
    for _ in range(5):
        assert anon_client.__class__(anon_client.application).post(url).status_code == 201
    refused = anon_client.__class__(anon_client.application).post(url)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    assert services.JOIN_LIMIT_PER_ADDRESS[0] >= 5
    monkeypatch.undo()
    assert services.JOIN_LIMIT_PER_ADDRESS[0] >= 1000 and services.JOIN_LIMIT_PER_ADDRESS[1] <= 60


def test_naive_start_time_is_refused_with_a_clear_message(api, factory):
    """A start time without an offset is a 400 that names starts_at and says what to add; Z is fine."""
    client, auth = api
    series = factory.series()
    url = f"/api/v1/series/{series.id}/meetings"
    error = assert_error(
        client.post(url, headers=auth, json={"title": "T", "starts_at": "2026-03-14T18:30"}),
        400,
        "naive_timestamp",
        "starts_at",
    )
    assert "time zone" in error["message"] and error["fields"]["starts_at"] == error["message"]
    made = client.post(url, headers=auth, json={"title": "T", "starts_at": "2026-03-14T18:30:00Z"})
    assert made.status_code == 201 and made.get_json()["starts_at"] == "2026-03-14T18:30:00+00:00"


@pytest.mark.parametrize("value", [2**31, 2**40, 10**30])
def test_ids_in_bodies_beyond_the_database_range_are_400(api, factory, value):
    """Integers no database column can hold are a 400 naming the field, never a 500."""
    anon, auth = api
    meeting = factory.meeting(status="live")
    projector = anon.patch(
        f"/api/v1/meetings/{meeting.code}/projector", headers=auth, json={"mode": "poll", "poll_id": value}
    )
    assert_error(projector, 400, "out_of_range", "poll_id")
    concern = anon.post(
        f"/api/v1/meetings/{meeting.code}/concerns",
        headers=auth,
        json={"text": "Hi", "source": "facilitator", "topic_id": value},
    )
    assert_error(concern, 400, "out_of_range", "topic_id")
    action = anon.post(
        f"/api/v1/series/{meeting.series_id}/actions", headers=auth, json={"you_said": "x", "concern_ids": [value]}
    )
    assert_error(action, 400, "invalid", "concern_ids")
