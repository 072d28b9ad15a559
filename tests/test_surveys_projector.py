"""The projector's survey mode: the survey's link and QR code, chosen from the console or the API."""

from __future__ import annotations

from tests.conftest import bearer, csrf_from, login, token_for
from ysdw_live.auth.models import Role

API = "/api/v1"


def test_projector_shows_the_survey_link_and_qr_in_survey_mode(app, client, db, factory):
    """Survey mode needs a survey (409 before), then the projector page shows its link and QR code."""
    facilitator = factory.user(Role.facilitator)
    code = factory.meeting(status="live").code
    db.rollback()
    staff = bearer(token_for(client, facilitator.email))
    refused = client.patch(f"{API}/meetings/{code}/projector", json={"mode": "survey"}, headers=staff)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_survey"
    client.post(f"{API}/meetings/{code}/surveys", json={"template": "trust_confidence"}, headers=staff)
    switched = client.patch(f"{API}/meetings/{code}/projector", json={"mode": "survey"}, headers=staff)
    assert switched.status_code == 200 and switched.get_json()["mode"] == "survey"
    page = app.test_client().get(f"/present/{code}").get_data(as_text=True)
    assert 'data-mode="survey"' in page
    assert f"/j/{code}/survey/qr.svg" in page and f"/j/{code}/survey" in page


def test_console_offers_the_survey_button_once_there_is_a_survey(app, client, db, factory):
    """The console's projector panel gains "Survey" (key 5) when the meeting has a survey, and it switches."""
    facilitator = factory.user(Role.facilitator)
    code = factory.meeting(status="live").code
    db.rollback()
    login(client, facilitator.email)
    assert 'data-mode="survey"' not in client.get(f"/moderate/{code}").get_data(as_text=True)
    staff = bearer(token_for(app.test_client(), facilitator.email))
    client.post(f"{API}/meetings/{code}/surveys", json={"template": "trust_confidence"}, headers=staff)
    page = client.get(f"/moderate/{code}").get_data(as_text=True)
    assert 'data-mode="survey"' in page and 'aria-keyshortcuts="5"' in page
    client.post(f"/moderate/{code}/projector", data={"mode": "survey", "csrf_token": csrf_from(page)})
    assert 'data-mode="survey"' in app.test_client().get(f"/present/{code}").get_data(as_text=True)
