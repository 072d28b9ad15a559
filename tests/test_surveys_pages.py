"""The survey's pages: answerable without JavaScript by someone who never joined, one question per page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, csrf_from, token_for
from ysdw_live.auth.models import Role
from ysdw_live.surveys.models import EqualityAnswers, SurveyAnswer, SurveyResponse

API = "/api/v1"


@pytest.fixture
def survey(client, db, factory) -> dict:
    """The trust_confidence survey of a closed meeting, created by a facilitator."""
    meeting = factory.meeting(status="closed")
    staff = bearer(token_for(client, factory.user(Role.facilitator).email))
    response = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    )
    assert response.status_code == 201
    db.rollback()  # on SQLite the test's read would hold the lock the pages need to write
    return response.get_json()


def post(client, url: str, data: dict) -> object:
    """Post a form with the page's CSRF token."""
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_someone_who_never_joined_completes_the_survey_without_javascript(app, db, survey):
    """A fresh browser opens the link (gets a cookie), answers page by page, skips equality, checks and sends."""
    code = survey["meeting_code"]
    browser = app.test_client()
    start = browser.get(f"/j/{code}/survey")
    assert start.status_code == 200 and "Start now" in start.get_data(as_text=True)
    assert "ysdw_participant" in start.headers.get("Set-Cookie", "")
    questions = survey["questions"]
    for number, question in enumerate(questions, start=1):
        url = f"/j/{code}/survey/{number}"
        page = browser.get(url).get_data(as_text=True)
        assert f"Question {number} of {len(questions)}" in page
        assert "(optional)" in page
        answer = "More patrols" if question["kind"] == "text" else str(question["options"][0]["id"])
        response = post(browser, url, {"answer": answer})
        assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/j/{code}/survey/about-you")
    about = browser.get(f"/j/{code}/survey/about-you").get_data(as_text=True)
    assert "Skip this section" in about and "fewer than 10" in about
    check = browser.get(f"/j/{code}/survey/check").get_data(as_text=True)
    assert "Check your answers before sending them" in check and "More patrols" in check and "Skipped" in check
    sent = browser.post(f"/j/{code}/survey/send", data={"csrf_token": csrf_from(check)})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/j/{code}/survey/done")
    done = browser.get(f"/j/{code}/survey/done").get_data(as_text=True)
    assert "You said, we did" in done
    db.expire_all()
    assert db.scalar(select(func.count(SurveyResponse.id))) == 1
    assert db.scalar(select(func.count(SurveyAnswer.id))) == len(questions)
    db.rollback()
    # Opening the link again leads to the thank-you page: one response per person.
    assert browser.get(f"/j/{code}/survey").headers["Location"].endswith("/survey/done")


def test_equality_answers_travel_to_the_check_page_and_are_stored_apart(app, db, survey):
    """The equality page's answers are carried by the check page's form, then stored without a link to the response."""
    code = survey["meeting_code"]
    browser = app.test_client()
    browser.get(f"/j/{code}/survey")
    page = post(
        browser,
        f"/j/{code}/survey/about-you/questions",
        {"age_band": "35–44", "ethnic_detail": "Indian", "religion": "Prefer not to say"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Answered (kept apart" in html
    assert 'name="ethnic_group" value="Asian or Asian British"' in html
    browser.post(
        f"/j/{code}/survey/send",
        data={
            "csrf_token": csrf_from(html),
            **dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)),
        },
    )
    db.expire_all()
    stored = db.scalar(select(EqualityAnswers.answers))
    assert stored == {
        "age_band": "35–44",
        "ethnic_group": "Asian or Asian British",
        "ethnic_detail": "Indian",
        "religion": "Prefer not to say",
    }


def test_a_missing_required_answer_shows_the_error_summary(app, client, db, factory):
    """A required question left empty: 400, "Error:" in the title, a summary linking to the field, nothing kept."""
    meeting = factory.meeting(status="closed")
    staff = bearer(token_for(client, factory.user(Role.facilitator).email))
    body = {"title": "Quick", "questions": [{"kind": "rating", "prompt": "How was it?", "required": True}]}
    survey = client.post(f"{API}/meetings/{meeting.code}/surveys", json=body, headers=staff).get_json()
    qid = survey["questions"][0]["id"]
    db.rollback()
    browser = app.test_client()
    browser.get(f"/j/{meeting.code}/survey")
    page = browser.get(f"/j/{meeting.code}/survey/1").get_data(as_text=True)
    assert "(optional)" not in page
    response = browser.post(f"/j/{meeting.code}/survey/1", data={"csrf_token": csrf_from(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in html and "There is a problem" in html and f'href="#q{qid}"' in html
    assert f'id="q{qid}"' in html
    # Sending without answering it is refused too, back on the check page.
    check = browser.get(f"/j/{meeting.code}/survey/check").get_data(as_text=True)
    sent = browser.post(f"/j/{meeting.code}/survey/send", data={"csrf_token": csrf_from(check)})
    assert sent.status_code == 400 and "There is a problem" in sent.get_data(as_text=True)


def test_attendee_page_links_to_the_open_survey_with_its_qr(app, client, db, factory):
    """Once the meeting's survey is open, the attendee page shows its link and QR code."""
    meeting = factory.meeting(status="live")
    db.rollback()
    browser = app.test_client()
    before = browser.get(f"/j/{meeting.code}").get_data(as_text=True)
    # The panel is in the page for the live script, but hidden and without its QR image loaded.
    assert '<section class="panel" id="survey" aria-labelledby="survey-heading" hidden>' in before
    assert ' src="/j/' not in before[before.index('id="survey"') :].split("</section>")[0]
    staff = bearer(token_for(client, factory.user(Role.facilitator).email))
    client.post(f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff)
    page = browser.get(f"/j/{meeting.code}").get_data(as_text=True)
    assert f'href="/j/{meeting.code}/survey"' in page
    assert f"/j/{meeting.code}/survey/qr.svg" in page
    qr = browser.get(f"/j/{meeting.code}/survey/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_a_closed_survey_says_so(app, client, db, factory):
    """The link of a closed survey says it is closed and offers no form."""
    meeting = factory.meeting(status="closed")
    staff = bearer(token_for(client, factory.user(Role.facilitator).email))
    survey = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    ).get_json()
    client.patch(f"{API}/surveys/{survey['id']}", json={"status": "closed"}, headers=staff)
    db.rollback()
    page = app.test_client().get(f"/j/{meeting.code}/survey").get_data(as_text=True)
    assert "This survey is closed" in page and "Start now" not in page


def test_equality_page_drops_follow_ups_whose_question_was_not_answered_yes(app, db, survey):
    """Without JavaScript every question is on one page: a follow-up without its trigger is left out, not an error."""
    code = survey["meeting_code"]
    browser = app.test_client()
    browser.get(f"/j/{code}/survey")
    page = post(
        browser,
        f"/j/{code}/survey/about-you/questions",
        {"disability": "No", "disability_impact": "Yes, a lot", "ethnic_detail": "Prefer not to say"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert 'name="disability" value="No"' in html
    assert "disability_impact" not in html and "ethnic_detail" not in html


def test_equality_page_error_links_to_its_question(app, survey):
    """A background from another group than the one chosen: 400, and the summary's link has a target on the page."""
    code = survey["meeting_code"]
    browser = app.test_client()
    browser.get(f"/j/{code}/survey")
    page = post(browser, f"/j/{code}/survey/about-you/questions", {"ethnic_group": "White", "ethnic_detail": "Indian"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'href="#ethnic_detail"' in html and 'id="ethnic_detail"' in html
