"""Issue 13's "done when": three people each join, raise a concern, vote and answer the survey.

- Someone with a screen reader: every step found by its role and accessible name (what a screen
  reader speaks), done with the keyboard, and each change heard through a live region.
- An Arabic speaker: the browser asks for Arabic; every page is in Arabic, right to left, and the
  facilitator's console tags their concern "Arabic".
- Someone on a five-year-old phone with JavaScript off: 320 CSS pixels, an old Android browser's
  user agent, plain forms and redirects only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from babel.support import Translations
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import console_errors, skip_or_fail, snap, wait_live, watch_console

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "ysdw_live" / "translations"
NEIGHBOUR = "The bus shelter on Mill Lane has been broken since May"
# A phone from about 2021 (Android 8, Chrome 70): what the user agent says; the page must not care.
OLD_ANDROID = (
    "Mozilla/5.0 (Linux; Android 8.0.0; SM-G930F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/70.0.3538.110 Mobile Safari/537.36"
)


def _room(live_server: Any) -> tuple[str, int]:
    """A live meeting without moderation, a neighbour's concern to vote for, and the survey open."""
    code = live_server.live_meeting(title="Community meeting")["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False}).raise_for_status()
    created = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
    assert created.status_code == 201, created.text
    _neighbour_says(live_server, code, NEIGHBOUR)
    return code, created.json()["id"]


def _neighbour_says(live_server: Any, code: str, text: str) -> None:
    """Another phone in the room raises ``text`` through the API."""
    joined = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", json={}, timeout=10)
    header = {"X-Participant-Token": joined.json()["token"]}
    said = requests.post(
        f"{live_server.url}/api/v1/meetings/{code}/concerns", json={"text": text}, headers=header, timeout=10
    )
    assert said.status_code == 201, said.text


def _no_sideways_scroll(page: Any, where: str) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{where} scrolls sideways by {wide}px"


def _answer_the_survey(page: Any, tr: Any, *, keyboard: bool = False, check_each: Any = None) -> int:
    """From the survey's start page: answer every question (the first option, or a sentence), send.

    The questions about you are skipped; returns how many question pages there were.
    """
    press = (lambda locator: (locator.focus(), page.keyboard.press("Enter"))) if keyboard else (lambda loc: loc.click())
    press(page.get_by_role("button", name=tr("Start now")))
    pages = 0
    while "/survey/about-you" not in page.url:
        pages += 1
        assert pages <= 30, "the survey never ended"
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        if check_each:
            check_each(page)
        text = page.get_by_role("textbox")
        if text.count():
            if keyboard:
                text.focus()
                page.keyboard.type("Walk the estate after dark")
            else:
                text.fill("Walk the estate after dark")
        else:
            # The question is the fieldset's name: a screen reader says it with the options.
            first = page.get_by_role("group").first.get_by_role("radio").or_(page.get_by_role("checkbox")).first
            if keyboard:
                first.focus()
                page.keyboard.press("Space")
            else:
                first.check()
        before = page.url
        press(page.get_by_role("button", name=tr("Continue")))
        page.wait_for_url(lambda url, before=before: url != before)
    press(page.get_by_role("button", name=tr("Skip this section")))
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Check your answers before sending them"))
    press(page.get_by_role("button", name=tr("Send my answers")))
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Thank you: your answers have been sent"))
    return pages


def _survey_responses(live_server: Any, survey_id: int) -> int:
    return live_server.api("GET", f"/surveys/{survey_id}/results").json()["responses"]


def _votes(live_server: Any, code: str) -> dict[str, int]:
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    return {concern["text"]: concern["votes"] for concern in listed}


def test_a_screen_reader_user_joins_raises_votes_and_answers_the_survey(live_server, phone_page):
    """By role and name, with the keyboard; what changes is spoken through polite live regions."""
    code, survey_id = _room(live_server)
    page = phone_page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    page.get_by_role("textbox", name="Meeting code").focus()
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/j/{code}$"))
    wait_live(page)

    # What a screen reader navigates by: one main landmark, one h1, the form's named fields.
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    announcer = page.locator("#live-announcer")
    assert announcer.get_attribute("aria-live") == "polite"

    # Raise a concern; the form's status (role=status) says it was added.
    page.get_by_role("textbox", name="Your concern or question").focus()
    page.keyboard.type("Cars race along the seafront after midnight")
    page.get_by_role("button", name="Send", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#concern-form").get_by_role("status")).to_have_text("Thank you. Your concern has been added.")

    # Someone else raises one: heard, without moving focus.
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 80)")
    _neighbour_says(live_server, code, "The underpass lights are out again")
    expect(announcer).to_have_text("A new concern was added.")
    assert page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 80)") == focused

    # Vote for the neighbour's concern: the button's name says which, its state says it is pressed.
    neighbour = page.locator(".concern", has_text=NEIGHBOUR)
    vote = neighbour.get_by_role("button", name=re.compile(r"^Upvote number \d+"))
    vote.focus()
    page.keyboard.press("Space")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(announcer).to_have_text("Vote added.")
    # Other people's votes are not read out one by one: only a new most-supported concern, a moment later.
    number = neighbour.locator("[data-slot=number]").first.inner_text().lstrip("#")
    expect(announcer).to_have_text(f"The most supported concern is now number {number}, with 1 vote.", timeout=10_000)

    # A poll opens: heard, and answered by keyboard inside its named group.
    poll = live_server.open_poll(code, "Is the seafront safe?", ["Yes", "No"])
    expect(announcer).to_have_text("A poll has opened: Is the seafront safe?")
    group = page.get_by_role("group", name="Is the seafront safe?")
    group.get_by_role("radio", name="No").focus()
    page.keyboard.press("Space")
    form = page.locator(f"#poll-{poll['id']}")
    form.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    expect(form.get_by_role("status")).to_contain_text("Thank you")

    # The survey: from the link on the meeting page, every question by keyboard.
    page.get_by_role("link", name="Answer the survey").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trust and confidence in the police")

    def named_question(question_page: Any) -> None:
        # The h1 is the field's label or the fieldset's legend, so the question is read with the answer.
        heading = question_page.get_by_role("heading", level=1).inner_text().strip()
        named = question_page.get_by_role("textbox", name=heading).or_(question_page.get_by_role("group", name=heading))
        expect(named.first).to_be_visible()

    assert _answer_the_survey(page, str, keyboard=True, check_each=named_question) >= 10
    assert _survey_responses(live_server, survey_id) == 1
    assert _votes(live_server, code)[NEIGHBOUR] == 1
    assert console_errors(page) == []


def test_an_arabic_speaker_does_it_all_in_arabic_right_to_left(live_server, browser, page):
    """The phone asks for Arabic: every page is Arabic and right to left; the console tags the concern "Arabic"."""
    if not (TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.mo").is_file():
        skip_or_fail("the Arabic catalogue is not compiled: run `make setup`")
    tr = Translations.load(str(TRANSLATIONS), ["ar"]).gettext
    code, survey_id = _room(live_server)
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    wait_live(page)

    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="ar"
    )  # Accept-Language: ar
    context.set_default_timeout(10_000)
    phone = context.new_page()
    watch_console(phone)
    try:
        phone.goto("/")
        assert phone.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        phone.get_by_label(tr("Meeting code")).fill(code)
        phone.get_by_role("button", name=tr("Join")).click()
        expect(phone).to_have_url(re.compile(f"/j/{code}$"))
        wait_live(phone)
        mine = "الإنارة في الممر مطفأة منذ شهر"
        phone.get_by_label(tr("Your concern or question")).fill(mine)
        phone.locator("#concern-form").get_by_role("button", name=tr("Send"), exact=True).click()
        expect(phone.locator("#form-status")).to_have_text(tr("Thank you. Your concern has been added."))
        expect(phone.locator(".concern__text", has_text=mine)).to_have_attribute("lang", "ar")
        phone.locator(".concern", has_text=NEIGHBOUR).locator(".vote-form button").click()
        expect(phone.locator(".concern", has_text=NEIGHBOUR).locator(".vote-form button")).to_have_attribute(
            "aria-pressed", "true"
        )
        _no_sideways_scroll(phone, "the Arabic meeting page")
        snap(phone, "done-when-arabic-meeting")

        # The facilitator's console, in English, says which language the concern came in.
        row = page.locator(".mod-row", has_text=mine)
        expect(row.locator("[data-slot=language]")).to_have_text("Arabic")
        expect(row.locator("[data-slot=text]")).to_have_attribute("lang", "ar")

        phone.get_by_role("link", name=tr("Answer the survey")).click()
        expect(phone.get_by_role("heading", level=1)).to_have_text(tr("Trust and confidence in the police"))

        def arabic_page(question_page: Any) -> None:
            assert question_page.evaluate("() => document.documentElement.dir") == "rtl"
            _no_sideways_scroll(question_page, question_page.url)
            expect(question_page.get_by_role("button", name=tr("Continue"))).to_be_visible()

        _answer_the_survey(phone, tr, check_each=arabic_page)
        snap(phone, "done-when-arabic-survey-done")
        assert console_errors(phone) == []
    finally:
        context.close()
    assert _survey_responses(live_server, survey_id) == 1
    assert _votes(live_server, code)[NEIGHBOUR] == 1
    stored = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    assert {c["text"]: c["language"] for c in stored}[mine] == "ar"
    assert console_errors(page) == []


def test_an_old_phone_with_javascript_off_does_it_all_with_plain_forms(live_server, browser):
    """320 CSS pixels, an old Android's user agent, no JavaScript: forms and redirects all the way."""
    code, survey_id = _room(live_server)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 320, "height": 568},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
        user_agent=OLD_ANDROID,
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        phone.goto("/")
        phone.get_by_label("Meeting code").fill(code.lower())
        phone.get_by_role("button", name="Join").click()
        expect(phone).to_have_url(re.compile(f"/j/{code}$"))
        assert phone.locator("body[data-live]").count() == 0  # no script ran
        _no_sideways_scroll(phone, "the meeting page")

        phone.get_by_label("Your concern or question").fill("The crossing by the school needs a warden")
        phone.locator("#concern-form").get_by_role("button", name="Send", exact=True).click()
        expect(phone.locator(".concern", has_text="The crossing by the school needs a warden")).to_be_visible()

        phone.locator(".concern", has_text=NEIGHBOUR).get_by_role("button", name=re.compile("^Upvote")).click()
        voted = phone.locator(".concern", has_text=NEIGHBOUR).get_by_role("button", name=re.compile("^Upvote"))
        expect(voted).to_have_attribute("aria-pressed", "true")
        expect(phone.locator(".concern", has_text=NEIGHBOUR)).to_contain_text("1 vote")

        phone.get_by_role("link", name="Answer the survey").click()
        _answer_the_survey(phone, str, check_each=lambda p: _no_sideways_scroll(p, p.url))
        snap(phone, "done-when-old-phone-survey-done")
    finally:
        context.close()
    assert _survey_responses(live_server, survey_id) == 1
    assert _votes(live_server, code)[NEIGHBOUR] == 1
