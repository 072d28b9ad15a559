"""A survey completed on a phone-size page with the keyboard only, by someone who never joined the meeting."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, wait_live

pytestmark = pytest.mark.browser


def tab_to(page, test: str, limit: int = 40) -> None:
    """Press Tab until the focused element passes the JavaScript ``test`` (given the element as ``el``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean(el && ({test})); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_phone_completes_the_trust_and_confidence_survey_with_the_keyboard_only(phone_page, live_server):
    """Open the survey's link, answer every question page by keyboard, skip equality, check, send, reach thank you."""
    meeting = live_server.live_meeting(title="Survey meeting")
    code = meeting["code"]
    created = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
    assert created.status_code == 201
    questions = created.json()["questions"]
    page = phone_page

    page.goto(f"/j/{code}/survey")
    expect(page.get_by_role("heading", name="Trust and confidence in the police", level=1)).to_be_visible()
    tab_to(page, "el.textContent.trim() === 'Start now'")
    page.keyboard.press("Enter")

    for number, question in enumerate(questions, start=1):
        expect(page).to_have_url(re.compile(rf"/j/{code}/survey/{number}$"))
        expect(page.get_by_text(f"Question {number} of {len(questions)}")).to_be_visible()
        if number == 1:
            assert_accessible(page, "survey question (phone)")
        tab_to(page, "el.name === 'answer'")
        if question["kind"] == "text":
            page.keyboard.type("Walk the estate after dark")
            tab_to(page, "el.textContent.trim() === 'Continue'")
        else:
            page.keyboard.press("Space")  # choose the focused (first) option
        page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Questions about you (optional)")).to_be_visible()
    tab_to(page, "el.textContent.trim() === 'Skip this section'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Check your answers before sending them")).to_be_visible()
    expect(page.get_by_text("Walk the estate after dark")).to_be_visible()
    assert_accessible(page, "check your answers (phone)")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the check page scrolls sideways by {overflow}px at phone width"
    tab_to(page, "el.textContent.trim() === 'Send my answers'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("You said, we did"))).to_be_visible()
    assert console_errors(page) == []
    results = live_server.api("GET", f"/surveys/{created.json()['id']}/results").json()
    assert results["responses"] == 1
    assert results["questions"][-1]["answers"][0]["text"] == "Walk the estate after dark"


def test_staff_read_the_results_with_charts_and_tables(page, live_server):
    """Twelve responses: the results page has charts with tables, "fewer than 10" where due, and is accessible."""
    meeting = live_server.live_meeting(title="Results meeting")
    code = meeting["code"]
    survey = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"}).json()
    first, stop_search = survey["questions"][0], survey["questions"][8]
    for person in range(12):
        token = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10).json()["token"]
        answers = {str(first["id"]): first["options"][person % 3]["id"]}
        if person < 5:
            answers[str(stop_search["id"])] = stop_search["options"][0]["id"]
        sent = requests.post(
            f"{live_server.url}/api/v1/surveys/{survey['id']}/responses",
            json={"answers": answers, "equality": {"sex": "Female"}},
            headers={"X-Participant-Token": token},
            timeout=10,
        )
        assert sent.status_code == 201
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/staff/meetings/{code}")
    page.get_by_role("link", name="See the results").click()
    expect(page.get_by_role("heading", name=re.compile("results"), level=1)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Bar chart")).first).to_be_visible()
    expect(page.get_by_text("Fewer than 10").first).to_be_visible()
    expect(page.get_by_role("cell", name="fewer than 10").first).to_be_visible()
    assert_accessible(page, "survey results")


def test_the_survey_appears_on_phones_and_the_projector_the_moment_it_opens(phone_page, page, live_server):
    """No reload: survey:updated shows the phone's survey panel and fills the projector's survey screen."""
    meeting = live_server.live_meeting(title="Survey appears")
    code = meeting["code"]
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)
    expect(phone_page.locator("#survey")).to_be_hidden()
    page.goto(f"/present/{code}")
    wait_live(page)
    assert live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "join"}).status_code == 200

    created = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
    assert created.status_code == 201
    expect(phone_page.locator("#survey")).to_be_visible()
    expect(phone_page.locator("#live-announcer")).to_contain_text("The survey is open")
    expect(phone_page.locator("#survey img")).to_have_attribute("src", f"/j/{code}/survey/qr.svg")
    assert live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "survey"}).status_code == 200
    expect(page.locator("#survey-screen")).to_be_visible()
    expect(page.locator("[data-survey-title]")).to_have_text("Trust and confidence in the police")
    page.wait_for_function("() => document.querySelector('#survey-screen img').naturalWidth > 0")
    assert console_errors(phone_page) == [] and console_errors(page) == []
