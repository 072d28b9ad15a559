"""Concern endpoints of /api/v1: shapes, who may call them, bad input, CSRF and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, login, token_for
from ysdw_live.auth.models import Role
from ysdw_live.concerns.models import Concern, Vote

API = "/api/v1"


def join(client, meeting) -> str:
    """Join ``meeting`` as a participant (cookie set on ``client``) and return the token."""
    response = client.post(f"{API}/meetings/{meeting.code}/participants")
    assert response.status_code == 201
    return response.get_json()["token"]


def post_concern(client, meeting, **body):
    """POST a concern as whoever ``client`` is."""
    return client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "Street lights out", **body})


@pytest.fixture
def staff(app, factory):
    """A facilitator's bearer token (header auth, no cookie, no CSRF)."""
    user = factory.user(Role.facilitator)
    return bearer(token_for(app.test_client(), user.email))


def approve(client, staff, concern_id: int, **extra):
    """Approve a concern through the API and return the response."""
    return client.patch(f"{API}/concerns/{concern_id}", json={"status": "approved", **extra}, headers=staff)


def test_participant_raises_and_lists_concerns(client, factory):
    """A participant's concern comes back 201 in the api.md shape and is listed for them while pending."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    response = post_concern(client, meeting, author_name="Sam", topic_id=meeting.series.topics[0].id)
    assert response.status_code == 201
    concern = response.get_json()
    assert set(concern) == {
        "id",
        "number",
        "text",
        "topic_id",
        "author_name",
        "votes",
        "voted",
        "status",
        "highlighted",
        "source",
        "language",  # added by issue 13: the language the author's browser said it reads
        "created_at",
        "version",  # added by issue 8: the meeting version this state is as of
    }
    assert concern["status"] == "pending" and concern["source"] == "attendee" and concern["number"] == 1
    assert concern["author_name"] == "Sam" and concern["topic_id"] == meeting.series.topics[0].id
    listed = client.get(f"{API}/meetings/{meeting.code.lower()}/concerns").get_json()
    assert [c["id"] for c in listed["concerns"]] == [concern["id"]]
    assert listed["version"] >= 1
    assert concern["version"] == listed["version"]  # nothing changed since the concern was raised


def test_write_replies_say_which_version_their_state_is_as_of(client, factory, staff):
    """A moderation reply carries the version of its change; a no-op reply one no newer than its state."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    raised = post_concern(client, meeting).get_json()
    approved = approve(client, staff, raised["id"]).get_json()
    assert approved["version"] == raised["version"] + 1 and approved["status"] == "approved"
    again = approve(client, staff, raised["id"]).get_json()  # nothing changes: no bump
    assert again["version"] == approved["version"] and again["status"] == "approved"
    listed = client.get(f"{API}/meetings/{meeting.code}/concerns").get_json()
    assert listed["version"] == approved["version"]


def test_header_token_works_without_cookie_or_origin(anon_client, client, factory):
    """An API client using X-Participant-Token needs no cookie and no Origin."""
    meeting = factory.meeting(status="live", moderation=False)
    token = join(client, meeting)
    headers = {"X-Participant-Token": token}
    response = anon_client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "Hi"}, headers=headers)
    assert response.status_code == 201
    concern_id = response.get_json()["id"]
    vote = anon_client.put(f"{API}/concerns/{concern_id}/vote", headers=headers)
    assert vote.status_code == 200 and vote.get_json() == {"id": concern_id, "votes": 1, "voted": True}
    listed = anon_client.get(f"{API}/meetings/{meeting.code}/concerns", headers=headers).get_json()
    assert listed["concerns"][0]["voted"] is True


def test_participant_call_without_joining_is_401(anon_client, factory):
    """Listing, raising or voting without a participant of that meeting says how to join."""
    meeting = factory.meeting(status="live")
    for response in (
        anon_client.get(f"{API}/meetings/{meeting.code}/concerns"),
        anon_client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "x"}),
    ):
        assert response.status_code == 401
        message = response.get_json()["error"]["message"]
        assert "/meetings/{code}/participants" in message and meeting.code not in message
    other = factory.meeting(status="live")
    foreign = anon_client.post(f"{API}/meetings/{other.code}/participants").get_json()["token"]
    response = anon_client.get(f"{API}/meetings/{meeting.code}/concerns", headers={"X-Participant-Token": foreign})
    assert response.status_code == 401


def test_staff_see_every_status_and_filter(client, anon_client, factory, staff):
    """Staff (bearer token) list pending and dismissed ones too, and can filter by status."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    ids = [post_concern(client, meeting, text=f"Concern {n}").get_json()["id"] for n in range(3)]
    approve(anon_client, staff, ids[0])
    anon_client.patch(f"{API}/concerns/{ids[1]}", json={"status": "dismissed"}, headers=staff)
    everything = anon_client.get(f"{API}/meetings/{meeting.code}/concerns", headers=staff).get_json()
    assert {c["status"] for c in everything["concerns"]} == {"approved", "dismissed", "pending"}
    filtered = anon_client.get(
        f"{API}/meetings/{meeting.code}/concerns?status=pending,dismissed", headers=staff
    ).get_json()
    assert sorted(c["id"] for c in filtered["concerns"]) == [ids[1], ids[2]]
    bad = anon_client.get(f"{API}/meetings/{meeting.code}/concerns?status=deleted", headers=staff)
    assert bad.status_code == 400
    assert anon_client.get(f"{API}/meetings/{meeting.code}/concerns?sort=best", headers=staff).status_code == 400
    mine = client.get(f"{API}/meetings/{meeting.code}/concerns").get_json()["concerns"]
    assert sorted(c["id"] for c in mine) == [ids[0], ids[2]]


def test_facilitator_enters_a_concern_with_login_cookie(client, factory):
    """A logged-in facilitator posts source facilitator and it is approved at once."""
    meeting = factory.meeting(status="live", moderation=True)
    login(client, factory.user(Role.facilitator).email)
    response = post_concern(client, meeting, text="From a paper card", source="facilitator")
    assert response.status_code == 201
    assert response.get_json()["status"] == "approved" and response.get_json()["source"] == "facilitator"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n  "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "ring\u0007bell"}, "text"),
        ({"text": "null\u0000"}, "text"),
        ({"text": ["list"]}, "text"),
        ({"text": "ok", "topic_id": 999999}, "topic_id"),
        ({"text": "ok", "topic_id": "seven"}, "topic_id"),
        ({"text": "ok", "author_name": "a" * 61}, "author_name"),
        ({"text": "ok", "colour": "red"}, "colour"),
        ({"text": "ok", "source": "bot"}, "source"),
    ],
)
def test_bad_concern_input_is_400_and_stores_nothing(client, db, factory, body, field):
    """Bad concern input gets a 400 naming the field and nothing is stored."""
    meeting = factory.meeting(status="live")
    join(client, meeting)
    response = client.post(f"{API}/meetings/{meeting.code}/concerns", json=body)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.scalar(select(func.count(Concern.id))) == 0


def test_exactly_500_characters_and_markup_are_accepted_verbatim(client, factory):
    """The limit is inclusive and markup comes back as the same text (never interpreted)."""
    meeting = factory.meeting(status="live", moderation=False)
    join(client, meeting)
    assert post_concern(client, meeting, text="é" * 500).status_code == 201
    typed = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    assert post_concern(client, meeting, text=typed).get_json()["text"] == typed


def test_topic_of_another_series_is_refused(client, factory):
    """A topic id from a different series is 400."""
    meeting = factory.meeting(status="live")
    other = factory.series(title="Elsewhere", topics=["Parking"])
    join(client, meeting)
    response = post_concern(client, meeting, topic_id=other.topics[0].id)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "unknown_topic"


def test_malformed_or_non_json_bodies_are_400(client, factory):
    """Broken JSON, a JSON array and a form body are all 400, not 500."""
    meeting = factory.meeting(status="live")
    join(client, meeting)
    url = f"{API}/meetings/{meeting.code}/concerns"
    broken = client.post(url, data='{"text": "unterminated', content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "malformed_json"
    assert client.post(url, json=["text"]).status_code == 400
    assert client.post(url, data={"text": "form"}).status_code == 400


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_writing_to_a_meeting_that_is_not_live_is_409(client, factory, status, staff):
    """Concerns for a draft or closed meeting get 409 with a plain message, from attendees and staff."""
    meeting = factory.meeting(status=status)
    join(client, meeting)
    response = post_concern(client, meeting)
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] in ("This meeting has not started yet.", "This meeting has ended.")
    staff_response = client.application.test_client().post(
        f"{API}/meetings/{meeting.code}/concerns", json={"text": "x", "source": "facilitator"}, headers=staff
    )
    assert staff_response.status_code == 409


def test_unknown_meeting_is_404(client):
    """A code that names no meeting is 404 for list and post."""
    assert client.get(f"{API}/meetings/ZZZZZZ/concerns").status_code == 404
    assert client.post(f"{API}/meetings/ZZZZZZ/concerns", json={"text": "x"}).status_code == 404


def test_vote_endpoints(client, anon_client, db, factory, staff):
    """PUT and DELETE are idempotent and answer {id, votes, voted}; refusals are 401/404/409."""
    meeting = factory.meeting(status="live", moderation=False)
    join(client, meeting)
    concern_id = post_concern(client, meeting).get_json()["id"]
    url = f"{API}/concerns/{concern_id}/vote"
    assert client.put(url).get_json() == {"id": concern_id, "votes": 1, "voted": True}
    assert client.put(url).get_json() == {"id": concern_id, "votes": 1, "voted": True}
    assert client.delete(url).get_json() == {"id": concern_id, "votes": 0, "voted": False}
    assert client.delete(url).get_json() == {"id": concern_id, "votes": 0, "voted": False}
    assert client.put(f"{API}/concerns/999999/vote").status_code == 404
    assert client.put(f"{API}/concerns/{10**30}/vote").status_code == 404
    assert anon_client.put(url).status_code == 401
    anon_client.patch(f"{API}/concerns/{concern_id}", json={"status": "dismissed"}, headers=staff)
    dismissed = client.put(url)
    assert dismissed.status_code == 409 and dismissed.get_json()["error"]["code"] == "concern_closed"
    assert db.scalar(select(func.count(Vote.id))) == 0


def test_vote_on_someone_elses_pending_concern_is_404(client, app, factory):
    """A pending concern is invisible to other attendees, so voting on it is 404."""
    meeting = factory.meeting(status="live", moderation=True)
    author = app.test_client()
    author.environ_base["HTTP_ORIGIN"] = "http://localhost"
    join(author, meeting)
    concern_id = post_concern(author, meeting).get_json()["id"]
    join(client, meeting)
    assert client.put(f"{API}/concerns/{concern_id}/vote").status_code == 404
    assert author.put(f"{API}/concerns/{concern_id}/vote").status_code == 409


def test_moderation_endpoint(client, anon_client, factory, staff):
    """Facilitators moderate with PATCH; leaders get 403, strangers 401, bad fields 400, highlight of pending 409."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    concern_id = post_concern(client, meeting).get_json()["id"]
    url = f"{API}/concerns/{concern_id}"
    assert anon_client.patch(url, json={"highlighted": True}, headers=staff).status_code == 409
    response = anon_client.patch(url, json={"status": "approved", "highlighted": True, "text": "Edited"}, headers=staff)
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved" and response.get_json()["highlighted"] is True
    assert response.get_json()["text"] == "Edited"
    leader = bearer(token_for(anon_client, factory.user(Role.leader).email))
    assert anon_client.patch(url, json={"status": "dismissed"}, headers=leader).status_code == 403
    assert anon_client.patch(url, json={"status": "dismissed"}).status_code == 401
    assert anon_client.patch(url, json={"status": "gone"}, headers=staff).status_code == 400
    assert anon_client.patch(url, json={"votes": 100}, headers=staff).status_code == 400
    assert anon_client.patch(f"{API}/concerns/424242", json={"status": "approved"}, headers=staff).status_code == 404


def test_undo_endpoint(client, anon_client, factory, staff):
    """Undo restores the last step; with nothing left it is 409."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    concern_id = post_concern(client, meeting).get_json()["id"]
    undo = f"{API}/meetings/{meeting.code}/moderation/undo"
    assert anon_client.post(undo, headers=staff).status_code == 409
    approve(anon_client, staff, concern_id)
    response = anon_client.post(undo, headers=staff)
    assert response.status_code == 200 and response.get_json()["concern"]["status"] == "pending"
    assert isinstance(response.get_json()["version"], int)
    assert anon_client.post(undo).status_code == 401


def test_projector_endpoint(client, anon_client, factory, staff):
    """PATCH projector returns {mode, concern_id, poll_id, version}; hidden concerns and bad modes are 400."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    concern_id = post_concern(client, meeting).get_json()["id"]
    url = f"{API}/meetings/{meeting.code}/projector"
    hidden = anon_client.patch(url, json={"mode": "concerns", "concern_id": concern_id}, headers=staff)
    assert hidden.status_code == 400
    approve(anon_client, staff, concern_id)
    response = anon_client.patch(url, json={"mode": "concerns", "concern_id": concern_id}, headers=staff)
    assert response.status_code == 200
    body = response.get_json()
    assert body["mode"] == "concerns" and body["concern_id"] == concern_id and body["poll_id"] is None
    assert isinstance(body["version"], int)
    assert anon_client.patch(url, json={"mode": "cinema"}, headers=staff).status_code == 400
    assert anon_client.patch(url, json={"mode": "join", "extra": 1}, headers=staff).status_code == 400
    assert anon_client.patch(url, json={"mode": "join"}).status_code == 401
    # The highlight is what the projector pins, so switching the mode keeps it.
    assert anon_client.patch(url, json={"mode": "join"}, headers=staff).get_json()["concern_id"] == concern_id
    # No poll exists yet: any poll id is a 404, never stored; one no database id can be is a 400.
    refused = anon_client.patch(url, json={"mode": "poll", "poll_id": 7}, headers=staff)
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "poll_not_found"
    refused = anon_client.patch(url, json={"mode": "poll", "poll_id": 2**40}, headers=staff)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "out_of_range"
    assert anon_client.patch(url, json={"mode": "concerns"}, headers=staff).get_json()["poll_id"] is None


def test_counters_endpoint(client, anon_client, factory, staff):
    """Staff read participants, concerns, votes and pending; others get 401."""
    meeting = factory.meeting(status="live", moderation=True)
    join(client, meeting)
    post_concern(client, meeting)
    body = anon_client.get(f"{API}/meetings/{meeting.code}/counters", headers=staff).get_json()
    assert body["participants"] == 1 and body["concerns"] == 1 and body["pending"] == 1 and body["votes"] == 0
    assert anon_client.get(f"{API}/meetings/{meeting.code}/counters").status_code == 401


def test_export_csv_defuses_formulas(client, anon_client, factory, staff):
    """The CSV has one row per concern with topic names, and formula-like cells are prefixed with a quote."""
    meeting = factory.meeting(status="live", moderation=False)
    join(client, meeting)
    topic = meeting.series.topics[0]
    texts = ('=HYPERLINK("http://evil","click")', "+1+1", "-2", "@SUM(A1)", 'Plain, with "quotes"\nand a line')
    for text in texts:
        assert post_concern(client, meeting, text=text, topic_id=topic.id).status_code == 201
    response = anon_client.get(f"{API}/meetings/{meeting.code}/export.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["number", "text", "topic", "votes", "status", "source", "created_at"]
    assert [row[1] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil","click")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        'Plain, with "quotes"\nand a line',
    ]
    assert {row[2] for row in rows[1:]} == {topic.name}
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert anon_client.get(f"{API}/meetings/{meeting.code}/export.csv").status_code == 401
    assert client.get(f"{API}/meetings/{meeting.code}/export.csv").status_code == 401


def test_cookie_write_from_a_foreign_origin_is_403(client, db, factory):
    """A cookie-authenticated POST or PUT from another site is refused and stores nothing."""
    meeting = factory.meeting(status="live", moderation=False)
    join(client, meeting)
    concern_id = post_concern(client, meeting).get_json()["id"]
    evil = {"Origin": "https://evil.example"}
    response = client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "forged"}, headers=evil)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf_failed"
    assert client.put(f"{API}/concerns/{concern_id}/vote", headers=evil).status_code == 403
    assert db.scalar(select(func.count(Concern.id))) == 1
    assert db.scalar(select(func.count(Vote.id))) == 0


def test_staff_cookie_moderation_from_a_foreign_origin_is_403(client, factory):
    """A logged-in facilitator's browser cannot be made to moderate from another site."""
    meeting = factory.meeting(status="live", moderation=False)
    login(client, factory.user(Role.facilitator).email)
    concern_id = post_concern(client, meeting, source="facilitator").get_json()["id"]
    response = client.patch(
        f"{API}/concerns/{concern_id}", json={"status": "dismissed"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_openapi_describes_every_concern_endpoint(client):
    """Each concern path and method of the url map is in the OpenAPI document."""
    document = client.get("/api/openapi.json").get_json()
    expected = {
        "/meetings/{code}/concerns": {"get", "post"},
        "/concerns/{concern_id}/vote": {"put", "delete"},
        "/concerns/{concern_id}": {"patch"},
        "/meetings/{code}/moderation/undo": {"post"},
        "/meetings/{code}/projector": {"patch"},
        "/meetings/{code}/counters": {"get"},
        "/meetings/{code}/export.csv": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(document["paths"][path]), path
    assert "Concern" in document["components"]["schemas"]


def test_report_back_stepping_stays_within_the_list(client, factory, db):
    """action_index picks the report-back slide and is kept within the list; bad values are 400."""
    from ysdw_live.actions import services as actions
    from ysdw_live.actors import Actor

    meeting = factory.meeting(status="live")
    leader = Actor(user=factory.user("leader"))
    for n in range(2):
        actions.create_action(db, leader, meeting.series_id, {"you_said": f"Said {n}", "status": "agreed"})
    staff = factory.user("facilitator")
    from tests.conftest import login

    login(client, staff.email)
    url = f"/api/v1/meetings/{meeting.code}/projector"
    assert client.patch(url, json={"mode": "report_back", "action_index": 1}).get_json()["action_index"] == 1
    assert client.patch(url, json={"mode": "report_back", "action_index": 9}).get_json()["action_index"] == 1
    bad = client.patch(url, json={"mode": "report_back", "action_index": -1})
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {
        "action_index": bad.get_json()["error"]["message"]
    }
    assert client.patch(url, json={"mode": "report_back", "action_index": "x"}).status_code == 400
    kept = client.patch(url, json={"mode": "concerns"}).get_json()
    assert kept["mode"] == "concerns" and kept["action_index"] == 1
