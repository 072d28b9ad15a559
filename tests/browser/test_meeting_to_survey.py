"""A whole meeting's measuring half, as people do it in browsers: three polls, then the survey on the projector.

A facilitator prepares and runs three poll kinds from the console while a phone answers each; opens the
trust and confidence survey, puts it on the projector and closes the meeting; twelve phones answer the
survey (two page by page in Chromium, ten through the JSON API, so the figures pass the floor of ten
without a hundred page loads); staff read the results with charts and download the CSV.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

pytestmark = pytest.mark.browser

PHONES = 12
BROWSER_PHONES = 2  # the others answer through POST /api/v1/surveys/{id}/responses
POLLS = [
    ("single", "Do you feel safe in the town centre at night?", "Yes\nNo\nNot sure"),
    ("rating", "How well did tonight's meeting listen to you?", ""),
    ("word_cloud", "One word for policing on your street", ""),
]


def _run_poll(console: Any, phone: Any, kind: str, question: str, options: str) -> None:
    """Prepare the poll on the console, open it, let the phone answer, close it; the console shows the answer."""
    console.locator("summary", has_text="Prepare a poll").click()
    console.get_by_label("Kind").select_option(kind)
    console.get_by_label("Question").first.fill(question)
    if options:
        console.get_by_label("Options, one a line").first.fill(options)
    console.get_by_role("button", name="Prepare poll").click()
    console.locator(".poll-row", has_text=question).get_by_role("button", name=re.compile("^Open")).click()
    wait_live(console)

    form = phone.get_by_role("group", name=question)
    expect(form).to_be_visible()  # poll:opened built it, no reload
    if kind == "single":
        form.get_by_label("Yes").check()
    elif kind == "rating":
        form.get_by_label("4").check()
    else:
        form.get_by_label("Your answer").fill("Visible")
    form.locator("xpath=ancestor::form").get_by_role("button", name="Send").click()
    expect(form.locator("xpath=ancestor::form").locator(".form-status")).to_contain_text("Thank you")

    row = console.locator(".poll-row", has_text=question)
    expect(row.locator(".poll-row__total")).to_have_text("1 answer")
    row.get_by_role("button", name=re.compile("^Close")).click()
    expect(console.locator(".poll-row", has_text=question)).to_have_attribute("data-status", "closed")


def _answer_survey(phone: Any, code: str, number: int) -> None:
    """Answer every question on its own page (the first option, or a sentence), skip equality, send."""
    phone.goto(f"/j/{code}/survey")
    phone.get_by_role("button", name="Start now").click()
    while "/survey/about-you" not in phone.url:
        text = phone.locator("textarea[name=answer]")
        if text.count():
            text.fill(f"Phone {number}: more patrols near the park")
        else:
            phone.locator("input[name=answer]").first.check()
        phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("button", name="Skip this section").click()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()


def _join_by_api(url: str, code: str) -> str:
    """Join the live meeting as a new phone through the API and return its participant token."""
    response = requests.post(f"{url}/api/v1/meetings/{code}/participants", json={}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _answer_by_api(url: str, survey_id: int, token: str, number: int) -> None:
    """Answer every question as the browser phones do: the first option, or a sentence."""
    header = {"X-Participant-Token": token}
    survey = requests.get(f"{url}/api/v1/surveys/{survey_id}", headers=header, timeout=10).json()
    answers: dict[str, object] = {}
    for question in survey["questions"]:
        if question["options"]:
            answers[str(question["id"])] = question["options"][0]["id"]
        elif question["kind"] == "text":
            answers[str(question["id"])] = f"Phone {number}: more patrols near the park"
    response = requests.post(
        f"{url}/api/v1/surveys/{survey_id}/responses", json={"answers": answers}, headers=header, timeout=10
    )
    assert response.status_code == 201, response.text


def test_three_polls_then_twelve_phones_answer_the_survey_and_staff_read_the_results(
    live_server, browser, page, phone_page
):
    """The issue's whole journey in real browsers, with the projector, the console and thirteen phones."""
    code = live_server.live_meeting(title="Autumn meeting")["code"]
    facilitator = live_server.user("facilitator")
    console = page
    live_server.login(console, facilitator)
    console.goto(f"/moderate/{code}")
    wait_live(console)
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)

    for kind, question, options in POLLS:
        _run_poll(console, phone_page, kind, question, options)

    # The survey: opened from the meeting's staff page, then on the projector; the meeting closes.
    console.goto(f"/staff/meetings/{code}")
    console.get_by_role("button", name="Open the trust and confidence survey").click()
    expect(console.locator("#survey")).to_contain_text("Open")
    results_link = console.locator("a[href*='/staff/surveys/']").first.get_attribute("href")
    survey_id = int(re.search(r"/staff/surveys/(\d+)", results_link).group(1))
    api_phones = [_join_by_api(live_server.url, code) for _ in range(PHONES - BROWSER_PHONES)]
    projector = browser.new_page(base_url=live_server.url, viewport={"width": 1920, "height": 1080})
    projector.goto(f"/present/{code}")
    wait_live(projector)
    console.goto(f"/moderate/{code}")
    wait_live(console)
    console.get_by_role("button", name=re.compile("^Survey")).click()
    expect(projector.get_by_text(f"/j/{code}/survey")).to_be_visible()
    console.get_by_text("Close the meeting…").click()
    console.get_by_role("button", name="Yes, close the meeting").click()
    expect(console.get_by_text("Closed").first).to_be_visible()

    for number, token in enumerate(api_phones, start=BROWSER_PHONES + 1):
        _answer_by_api(live_server.url, survey_id, token, number)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        for number in range(1, BROWSER_PHONES + 1):
            context.clear_cookies()  # each phone is a device of its own
            phone = context.new_page()
            _answer_survey(phone, code, number)
            assert console_errors(phone) == []
            phone.close()
    finally:
        context.close()

    # Staff read the results: twelve responses, figures shown (not suppressed), charts, and the CSV.
    console.goto(f"/staff/meetings/{code}")
    console.get_by_role("link", name="See the results").click()
    expect(console.locator("dt", has_text="Responses").locator("xpath=following-sibling::dd")).to_have_text(str(PHONES))
    assert console.locator("svg.survey-chart").count() >= 5
    expect(console.get_by_text("so its figures are not shown")).to_have_count(0)  # twelve: above the floor of 10
    first = console.locator("section.survey-question").first
    expect(first.locator("tbody tr").first).to_contain_text(f"{PHONES}100%")
    expect(console.get_by_text("Phone 2: more patrols near the park")).to_be_visible()  # typed in Chromium
    expect(console.get_by_text("Phone 7: more patrols near the park")).to_be_visible()
    href = console.get_by_role("link", name="Download the responses (CSV)").get_attribute("href")
    download = console.request.get(href)
    assert download.ok and "text/csv" in download.headers["content-type"]
    rows = list(csv.DictReader(io.StringIO(download.text())))
    assert len(rows) == PHONES
    assert "Phone 12: more patrols near the park" in download.text()
    assert not any("token" in column.lower() for column in rows[0])
    projector.close()
    assert console_errors(console) == []
