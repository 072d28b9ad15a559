"""/api/v1 action endpoints: the role matrix, private notes, report-back, bad input and the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.actions_support import add_concern, counts
from tests.conftest import bearer, login, token_for
from ysdw_live.actions import services
from ysdw_live.actors import Actor
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import Role
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting
from ysdw_live.series import services as series_services

SECRET = "SECRET-NOTE-do-not-publish-7731"
STAFF_ROLES = ("admin", "facilitator", "leader")


@dataclass
class World:
    """A series with a live meeting, two concerns, one action with a private note, and staff tokens."""

    series_id: int
    meeting: Meeting
    concern_ids: list[int]
    foreign_concern_id: int
    action_id: int
    tokens: dict[str, str]
    emails: dict[str, str]


def live_meeting(db, manager: Actor, title: str) -> Meeting:
    """Create a series and a live meeting in it through the real services."""
    series = series_services.create_series(db, manager, title, "", ["Roads", "Youth"])
    meeting = meeting_services.create_meeting(db, manager, series.id, title="Spring meeting")
    return meeting_services.update_meeting(db, manager, meeting.code, {"status": "live"})


@pytest.fixture
def world(db, factory) -> World:
    """Arrange the world every API test starts from (few accounts: password hashing is slow on purpose)."""
    users = {role: factory.user(Role(role)) for role in STAFF_ROLES}
    facilitator, leader = Actor(user=users["facilitator"]), Actor(user=users["leader"])
    meeting = live_meeting(db, facilitator, "Hull community focus group")
    first = add_concern(db, meeting, "Speeding on Anlaby Road", votes=3)
    second = add_concern(db, meeting, "Speed bumps please", votes=1)
    foreign = add_concern(db, live_meeting(db, facilitator, "Another series"), "Not ours")
    action = services.create_action(
        db,
        leader,
        meeting.series_id,
        {
            "you_said": "Cars speed on Anlaby Road",
            "we_did": "We will run speed checks.",
            "owner": "Roads policing",
            "concern_ids": [first.id],
            "private_notes": SECRET,
        },
    )
    services.add_update(db, leader, action.id, {"text": "First checks done.", "progress": 30})
    db.commit()
    return World(
        series_id=meeting.series_id,
        meeting=meeting,
        concern_ids=[first.id, second.id],
        foreign_concern_id=foreign.id,
        action_id=action.id,
        tokens={role: auth_services.issue_token(db, user, "tests") for role, user in users.items()},
        emails={role: user.email for role, user in users.items()},
    )


def call(client, method: str, url: str, who: str, world: World, body: Any = None):
    """Make a request as ``who``: anonymous, participant, or a staff role (bearer token)."""
    headers: dict[str, str] = {}
    if who in STAFF_ROLES:
        headers.update(bearer(world.tokens[who]))
    elif who == "participant":
        joined = client.post(f"/api/v1/meetings/{world.meeting.code}/participants")
        headers["X-Participant-Token"] = joined.get_json()["token"]
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.open(url, method=method, **kwargs)


def endpoints(world: World) -> list[tuple[str, str, Any, bool, int]]:
    """Every action endpoint: (method, url, body, staff only?, success status)."""
    action = f"/api/v1/actions/{world.action_id}"
    return [
        ("GET", f"/api/v1/series/{world.series_id}/actions", None, False, 200),
        ("GET", f"/api/v1/series/{world.series_id}/actions?include=private", None, True, 200),
        (
            "POST",
            f"/api/v1/series/{world.series_id}/actions",
            {"you_said": "Bins overflowing", "concern_ids": [world.concern_ids[1]]},
            True,
            201,
        ),
        ("GET", action, None, False, 200),
        ("GET", action + "?include=private", None, True, 200),
        ("PATCH", action, {"progress": 60}, True, 200),
        ("POST", action + "/updates", {"text": "Halfway there.", "status": "in_progress"}, True, 201),
        ("GET", f"/api/v1/meetings/{world.meeting.code}/report-back", None, False, 200),
    ]


@pytest.mark.parametrize("who", ["anonymous", "participant", *STAFF_ROLES])
def test_role_matrix_for_every_action_endpoint(client, db, world, who):
    """Reads are public; writes and private notes need admin, facilitator or leader (401 otherwise)."""
    for method, url, body, staff_only, success in endpoints(world):
        response = call(client, method, url, who, world, body)
        expected = success if (who in STAFF_ROLES or not staff_only) else 401
        assert response.status_code == expected, (method, url, who, response.get_json())
        if expected >= 400:
            assert response.get_json()["error"]["code"] == "not_authenticated"
    after = counts(db)
    if who in STAFF_ROLES:
        # The PATCH moved the progress, so it added a dated public update too.
        assert (after["action"], after["action_update"]) == (2, 3)
    else:
        assert (after["action"], after["action_update"]) == (1, 1)


def test_writes_by_cookie_need_same_origin(client, anon_client, world):
    """A logged-in browser writes from the site itself; the same cookie from elsewhere is refused (CSRF)."""
    login(client, world.emails["leader"])
    assert client.patch(f"/api/v1/actions/{world.action_id}", json={"owner": "Team B"}).status_code == 200
    login(anon_client, world.emails["leader"])
    response = anon_client.patch(
        f"/api/v1/actions/{world.action_id}", json={"owner": "Team C"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf_failed"
    assert anon_client.get(f"/api/v1/actions/{world.action_id}").get_json()["owner"] == "Team B"


def test_token_from_the_login_endpoint_works_for_writes(client, anon_client, world):
    """A token obtained from POST /auth/token can write actions."""
    token = token_for(anon_client, world.emails["facilitator"])
    response = anon_client.patch(f"/api/v1/actions/{world.action_id}", json={"owner": "Team T"}, headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["owner"] == "Team T"


def test_deactivated_staff_cannot_write(client, db, world):
    """A deactivated account's token stops working."""
    from ysdw_live.auth.models import User

    user = db.query(User).filter_by(email=world.emails["leader"]).one()
    user.active = False
    db.commit()
    response = call(client, "PATCH", f"/api/v1/actions/{world.action_id}", "leader", world, {"owner": "x"})
    assert response.status_code == 401


def test_public_json_never_carries_private_notes(client, world):
    """The secret note is absent from every public answer and present only for staff who ask."""
    public_urls = [
        f"/api/v1/series/{world.series_id}/actions",
        f"/api/v1/actions/{world.action_id}",
        f"/api/v1/meetings/{world.meeting.code}/report-back",
    ]
    for url in public_urls:
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.get_data(as_text=True)
        assert "private_notes" not in response.get_data(as_text=True)
    staff = client.get(
        f"/api/v1/series/{world.series_id}/actions?include=private", headers=bearer(world.tokens["leader"])
    )
    assert staff.get_json()["actions"][0]["private_notes"] == SECRET
    plain_staff = client.get(f"/api/v1/actions/{world.action_id}", headers=bearer(world.tokens["admin"]))
    assert SECRET not in plain_staff.get_data(as_text=True)


def test_public_shape_matches_the_contract(client, world):
    """GET /series/{id}/actions returns {actions} with exactly api.md's action fields."""
    actions = client.get(f"/api/v1/series/{world.series_id}/actions").get_json()["actions"]
    assert len(actions) == 1
    action = actions[0]
    assert set(action) == {
        "id",
        "series_id",
        "you_said",
        "we_did",
        "owner",
        "status",
        "progress",
        "due_date",
        "concern_ids",
        "raised_at",
        "updates",
        "created_at",
        "updated_at",
    }
    assert action["concern_ids"] == [world.concern_ids[0]]
    assert action["raised_at"]["title"] == world.meeting.title  # by title and date: never a join code
    assert action["progress"] == 30
    assert action["updates"][0]["text"] == "First checks done."
    assert set(action["updates"][0]) == {"id", "text", "status", "progress", "created_at"}


def test_create_returns_201_with_the_action(client, world):
    """POST /series/{id}/actions creates and returns the action, linked to the given concerns."""
    response = call(
        client,
        "POST",
        f"/api/v1/series/{world.series_id}/actions",
        "leader",
        world,
        {
            "you_said": "Both speeding concerns",
            "concern_ids": world.concern_ids,
            "status": "agreed",
            "due_date": "2026-09-30",
            "owner": "Roads policing",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["due_date"], body["concern_ids"]) == ("agreed", "2026-09-30", world.concern_ids)
    fetched = client.get(f"/api/v1/actions/{body['id']}").get_json()
    assert fetched["you_said"] == "Both speeding concerns"


def test_update_with_reason_can_close_an_action(client, world):
    """An update may move to not_taken_forward because its text is the reason; it is then public."""
    response = call(
        client,
        "POST",
        f"/api/v1/actions/{world.action_id}/updates",
        "facilitator",
        world,
        {"text": "The road belongs to National Highways; we cannot act.", "status": "not_taken_forward"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "not_taken_forward"
    assert body["updates"][0]["text"].startswith("The road belongs")


def test_report_back_lists_the_series_actions(client, world):
    """The report-back has the series' actions, but not those raised at that same meeting; unknown codes are 404."""
    body = client.get(f"/api/v1/meetings/{world.meeting.code.lower()}/report-back").get_json()
    assert body["actions"] == []  # the world's one action was raised at this meeting: not "raised before"
    other = call(client, "POST", f"/api/v1/series/{world.series_id}/actions", "leader", world, {"you_said": "Bins"})
    body = client.get(f"/api/v1/meetings/{world.meeting.code.lower()}/report-back").get_json()
    assert [a["id"] for a in body["actions"]] == [other.get_json()["id"]]
    missing = client.get("/api/v1/meetings/ZZZZZZ/report-back")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "meeting_not_found"


def test_unknown_action_and_series_are_404(client, world):
    """Unknown ids give JSON 404s."""
    assert client.get("/api/v1/actions/999999").status_code == 404
    assert client.get("/api/v1/series/999999/actions").status_code == 404
    response = call(client, "PATCH", "/api/v1/actions/999999", "leader", world, {"owner": "x"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "action_not_found"


BAD_CREATE = [
    ({"you_said": "x", "concern_ids": [999999]}, "concern_ids", "999999"),
    ({"you_said": "x", "concern_ids": "1"}, "concern_ids", None),
    ({"you_said": "x", "progress": 101}, "progress", None),
    ({"you_said": "x", "progress": -1}, "progress", None),
    ({"you_said": "x", "progress": "50"}, "progress", None),
    ({"you_said": "x", "progress": 12.5}, "progress", None),
    ({"you_said": "x", "progress": True}, "progress", None),
    ({"you_said": "x", "due_date": "2026-02-30"}, "due_date", None),
    ({"you_said": "x", "due_date": "next Tuesday"}, "due_date", None),
    ({"you_said": "x", "due_date": 20260101}, "due_date", None),
    ({"you_said": "x", "status": "done"}, "status", None),
    ({"you_said": "x", "status": "not_taken_forward"}, "we_did", None),
    ({"you_said": "x", "status": "referred", "we_did": "  "}, "we_did", None),
    ({"you_said": ""}, "you_said", None),
    ({"we_did": "no summary"}, "you_said", None),
    ({"you_said": "x" * 4001}, "you_said", None),
    ({"you_said": "x", "owner": "o" * 201}, "owner", None),
    ({"you_said": "x", "colour": "red"}, "colour", None),
    ({"you_said": "x", "raised_at_meeting": "NOPE22"}, "raised_at_meeting", None),
]


@pytest.mark.parametrize(("body", "field", "named"), BAD_CREATE)
def test_bad_create_input_is_a_400_and_creates_nothing(client, db, world, body, field, named):
    """Each kind of bad input gets a 400 JSON error naming the field; no row is written."""
    before = counts(db)
    response = call(client, "POST", f"/api/v1/series/{world.series_id}/actions", "leader", world, body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert field in error.get("fields", {}), error
    if named:
        assert named in error["message"]
    assert counts(db) == before


def test_foreign_concern_ids_are_named(client, db, world):
    """A concern from another series is refused by id, and nothing is created."""
    before = counts(db)
    response = call(
        client,
        "POST",
        f"/api/v1/series/{world.series_id}/actions",
        "admin",
        world,
        {"you_said": "x", "concern_ids": [world.concern_ids[0], world.foreign_concern_id]},
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "foreign_concern" and str(world.foreign_concern_id) in error["message"]
    assert counts(db) == before


BAD_PATCH = [
    {"progress": 150},
    {"progress": "ten"},
    {"due_date": "31/12/2026"},
    {"status": "finished"},
    {"status": "referred", "we_did": ""},
    {"you_said": ""},
    {"you_said": None},
    {"concern_ids": [999999]},
    {"concern_ids": [1, "2"]},
    {"id": 5},
    {"updates": []},
    {"owner": 7},
]


@pytest.mark.parametrize("body", BAD_PATCH)
def test_bad_patch_is_a_400_and_changes_nothing(client, db, world, body):
    """A refused PATCH leaves the action and its audit trail exactly as they were."""
    url = f"/api/v1/actions/{world.action_id}"
    before_json = client.get(url + "?include=private", headers=bearer(world.tokens["admin"])).get_json()
    before = counts(db)
    response = call(client, "PATCH", url, "leader", world, body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"]
    assert client.get(url + "?include=private", headers=bearer(world.tokens["admin"])).get_json() == before_json
    assert counts(db) == before


def test_patch_clearing_the_reason_of_a_referred_action_is_refused(client, world):
    """Created referred with its reason in we_did only, emptying we_did is refused (the community is told why).

    A PATCH that moves the status adds a dated update carrying the reason, which then stays on record.
    """
    created = call(
        client,
        "POST",
        f"/api/v1/series/{world.series_id}/actions",
        "leader",
        world,
        {"you_said": "Bins", "status": "referred", "we_did": "Passed to the council."},
    )
    assert created.status_code == 201 and created.get_json()["updates"] == []
    url = f"/api/v1/actions/{created.get_json()['id']}"
    refused = call(client, "PATCH", url, "leader", world, {"we_did": ""})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "reason_required"
    moved = call(
        client,
        "PATCH",
        f"/api/v1/actions/{world.action_id}",
        "leader",
        world,
        {"status": "referred", "we_did": "Passed to the council."},
    )
    assert moved.status_code == 200
    assert moved.get_json()["updates"][0]["text"].endswith(": Passed to the council.")


BAD_UPDATE = [
    {},
    {"text": ""},
    {"text": "ok", "progress": 101},
    {"text": "ok", "progress": 1.5},
    {"text": "ok", "status": "cancelled"},
    {"text": "ok", "created_at": "2020-01-01"},
    {"text": ["a"]},
]


@pytest.mark.parametrize("body", BAD_UPDATE)
def test_bad_update_is_a_400_and_appends_nothing(client, db, world, body):
    """A refused update appends nothing and changes nothing."""
    before = counts(db)
    response = call(client, "POST", f"/api/v1/actions/{world.action_id}/updates", "leader", world, body)
    assert response.status_code == 400, response.get_json()
    assert counts(db) == before


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        ("{not json", "application/json", "malformed_json"),
        ("[1, 2]", "application/json", "malformed_json"),
        ("you_said=x", "application/x-www-form-urlencoded", "unsupported_content_type"),
    ],
)
def test_malformed_bodies_are_400(client, db, world, data, content_type, code):
    """Malformed JSON, non-objects and other content types get a 400 JSON error on every write."""
    before = counts(db)
    urls = [
        ("POST", f"/api/v1/series/{world.series_id}/actions"),
        ("PATCH", f"/api/v1/actions/{world.action_id}"),
        ("POST", f"/api/v1/actions/{world.action_id}/updates"),
    ]
    for method, url in urls:
        response = client.open(
            url, method=method, data=data, content_type=content_type, headers=bearer(world.tokens["leader"])
        )
        assert response.status_code == 400, (url, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == code
    assert counts(db) == before


@pytest.mark.parametrize("query", ["status=nope", "topic=abc", "topic=99999", "overdue=perhaps", "include=secret"])
def test_bad_list_queries_are_400(client, world, query):
    """Unknown filter values are a clear 400, not an empty list or a 500."""
    response = client.get(f"/api/v1/series/{world.series_id}/actions?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in {"invalid", "unknown_topic"}


def test_list_filters_work_over_the_api(client, world):
    """Status and owner filters narrow the public list."""
    call(
        client,
        "POST",
        f"/api/v1/series/{world.series_id}/actions",
        "leader",
        world,
        {"you_said": "Other", "owner": "Youth team", "status": "agreed"},
    )
    base = f"/api/v1/series/{world.series_id}/actions"
    assert [a["owner"] for a in client.get(base + "?status=agreed").get_json()["actions"]] == ["Youth team"]
    assert [a["owner"] for a in client.get(base + "?owner=ROADS").get_json()["actions"]] == ["Roads policing"]


def test_no_endpoint_edits_or_deletes_an_update(app, client, world):
    """Updates are append-only over HTTP too: only POST exists for them, and no route names one update."""
    rules = [rule for rule in app.url_map.iter_rules() if "/updates" in rule.rule and rule.rule.startswith("/api/")]
    assert [sorted(rule.methods - {"HEAD", "OPTIONS"}) for rule in rules] == [["POST"]]
    assert not [rule for rule in rules if rule.rule.rstrip("/").endswith(">") and "updates/<" in rule.rule]
    update_id = client.get(f"/api/v1/actions/{world.action_id}").get_json()["updates"][0]["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        url = f"/api/v1/actions/{world.action_id}/updates"
        assert call(client, method, url, "admin", world, {"text": "x"}).status_code == 405
        assert call(client, method, f"{url}/{update_id}", "admin", world, {"text": "x"}).status_code == 404
    assert call(client, "DELETE", f"/api/v1/actions/{world.action_id}", "admin", world).status_code == 405


def test_openapi_describes_every_action_endpoint(app, client):
    """Each action route is in the OpenAPI document with its methods, and that part of it is valid OpenAPI 3.1."""
    document = client.get("/api/openapi.json").get_json()
    expected = {
        "/series/{series_id}/actions": {"get", "post"},
        "/actions/{action_id}": {"get", "patch"},
        "/actions/{action_id}/updates": {"post"},
        "/meetings/{code}/report-back": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(document["paths"][path]), path
    ours = {**document, "paths": {path: document["paths"][path] for path in expected}}
    validate(ours)
    action_schema = document["components"]["schemas"]["Action"]
    assert set(action_schema["required"]) == {
        "id",
        "series_id",
        "you_said",
        "we_did",
        "owner",
        "status",
        "progress",
        "due_date",
        "concern_ids",
        "raised_at",
        "updates",
        "created_at",
        "updated_at",
    }
