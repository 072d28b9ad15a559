"""The survey reaches phones and the projector live: ``survey:updated`` and the snapshot's ``survey``."""

from __future__ import annotations

from typing import Any

from tests.conftest import bearer, token_for
from ysdw_live.auth.models import Role
from ysdw_live.realtime import socketio

API = "/api/v1"


def received(sock: Any, name: str) -> list[dict[str, Any]]:
    """Return the payloads of every ``name`` event the test client got since the last call."""
    return [event["args"][0] for event in sock.get_received() if event["name"] == name]


def phone(app: Any, code: str) -> Any:
    """A joined attendee's socket (with its own participant cookie)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    assert client.post(f"{API}/meetings/{code}/participants").status_code == 201
    return socketio.test_client(app, auth={"meeting": code, "role": "attendee"}, flask_test_client=client)


def test_opening_and_closing_the_survey_reaches_phones_and_the_projector(app, factory):
    """Creating the survey, closing and reopening it: one ``survey:updated`` each, with a newer version."""
    code = factory.meeting(status="live").code
    staff = bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))
    attendee = phone(app, code)
    screen = socketio.test_client(app, auth={"meeting": code, "role": "projector"})
    first = received(attendee, "meeting:snapshot")[-1]
    assert first["survey"] is None
    received(screen, "meeting:snapshot")

    admin = app.test_client()
    created = admin.post(f"{API}/meetings/{code}/surveys", json={"template": "trust_confidence"}, headers=staff)
    assert created.status_code == 201
    survey_id = created.get_json()["id"]
    opened = received(attendee, "survey:updated")
    assert [event["survey"]["status"] for event in opened] == ["open"]
    assert opened[0]["survey"]["id"] == survey_id and opened[0]["version"] > first["version"]
    assert [event["survey"]["id"] for event in received(screen, "survey:updated")] == [survey_id]

    assert admin.patch(f"{API}/surveys/{survey_id}", json={"status": "closed"}, headers=staff).status_code == 200
    closed = received(attendee, "survey:updated")
    assert [event["survey"]["status"] for event in closed] == ["closed"]
    assert closed[0]["version"] > opened[0]["version"]
    # Nothing changed, nothing sent.
    same = {"title": created.get_json()["title"]}
    assert admin.patch(f"{API}/surveys/{survey_id}", json=same, headers=staff).status_code == 200
    assert received(attendee, "survey:updated") == []

    # A phone that connects (or reconnects) now catches up from its snapshot.
    later = received(phone(app, code), "meeting:snapshot")[-1]
    assert later["survey"]["id"] == survey_id and later["survey"]["status"] == "closed"


def test_the_attendee_page_carries_the_survey_panel_for_scripts_to_show(app, factory):
    """Before there is a survey the panel is in the page but hidden, so a script can show it without a reload."""
    code = factory.meeting(status="live").code
    client = app.test_client()
    page = client.get(f"/j/{code}").get_data(as_text=True)
    panel = page[page.index('id="survey"') :]
    assert panel.index("hidden") < panel.index(">")
    assert 'data-src="/j/' in panel and "/survey/qr.svg" in panel
