"""The kiosk on a tablet: started by a facilitator, one person at a time, clearing itself (clock faked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap, watch_console

TABLET = {"width": 1024, "height": 768}
IDLE_SECONDS = 90  # the default YSDW_KIOSK_IDLE_SECONDS
THANKS_SECONDS = 10  # the default YSDW_KIOSK_THANKS_SECONDS
WARN_SECONDS = 20


@pytest.fixture
def tablet(browser: Any, live_server: Any) -> Iterator[Any]:
    """A touch tablet whose timers run on a fake clock the test moves (Playwright's clock)."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, has_touch=True)
    context.set_default_timeout(10_000)
    # Paused: time moves only when the test runs it on (a slow machine counts no extra seconds).
    start = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    context.clock.install(time=start)
    context.clock.pause_at(start + timedelta(seconds=1))
    page = context.new_page()
    watch_console(page)
    yield page
    context.close()


def _start_kiosk(live_server: Any, page: Any, *, moderation: bool = False) -> str:
    """Log a facilitator in on ``page``, press "Open the kiosk on this device"; return the meeting's code."""
    code = live_server.live_meeting()["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": moderation}).raise_for_status()
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/staff/meetings/{code}")
    page.get_by_role("button", name="Open the kiosk on this device").click()
    expect(page.get_by_role("heading", name="Raise a concern or ask a question")).to_be_visible()
    return code


def test_one_person_after_another_and_the_screen_clears_itself(live_server, tablet):
    """Send, thank you, a countdown back to an empty form; the back button shows nothing of the last person."""
    code = _start_kiosk(live_server, tablet)
    box = tablet.get_by_label("Your concern or question")
    assert box.get_attribute("autocomplete") == "off"
    box.fill("The bus shelter on Anlaby Road is always smashed")
    tablet.get_by_role("button", name="Send").click()
    expect(tablet.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(tablet.locator("body")).not_to_contain_text("Anlaby Road")
    expect(tablet.locator("#kiosk-clear-count")).to_have_text(str(THANKS_SECONDS))
    tablet.clock.run_for(3_000)
    expect(tablet.locator("#kiosk-clear-count")).to_have_text(str(THANKS_SECONDS - 3))
    tablet.clock.run_for((THANKS_SECONDS - 3) * 1000 + 500)
    expect(tablet).to_have_url(f"{live_server.url}/kiosk/{code}")
    expect(tablet.get_by_label("Your concern or question")).to_have_value("")
    tablet.go_back()
    expect(tablet.locator("body")).not_to_contain_text("Anlaby Road")
    texts = [c["text"] for c in live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]]
    assert "The bus shelter on Anlaby Road is always smashed" in texts
    assert console_errors(tablet) == []


def test_an_idle_half_typed_concern_counts_down_and_clears(live_server, tablet):
    """Typed, then left: "Are you still there?" with a countdown; "I'm still here" keeps it; left again, it clears."""
    code = _start_kiosk(live_server, tablet)
    tablet.get_by_label("Your concern or question").fill("Someone's half-typed worry")
    tablet.clock.run_for((IDLE_SECONDS - 5) * 1000)
    expect(tablet.get_by_role("alertdialog")).to_be_hidden()
    tablet.clock.run_for(5_000)
    dialog = tablet.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible()
    expect(tablet.locator("#kiosk-idle-count")).to_have_text(str(WARN_SECONDS))
    expect(dialog.get_by_role("button", name="I’m still here")).to_be_focused()
    tablet.clock.run_for(4_000)
    expect(tablet.locator("#kiosk-idle-count")).to_have_text(str(WARN_SECONDS - 4))
    dialog.get_by_role("button", name="I’m still here").click()
    expect(dialog).to_be_hidden()
    expect(tablet.get_by_label("Your concern or question")).to_have_value("Someone's half-typed worry")
    tablet.clock.run_for((IDLE_SECONDS + WARN_SECONDS + 2) * 1000)
    expect(tablet).to_have_url(f"{live_server.url}/kiosk/{code}")
    expect(tablet.get_by_label("Your concern or question")).to_have_value("")
    expect(tablet.get_by_role("alertdialog")).to_be_hidden()


def test_the_kiosk_pages_pass_axe(live_server, browser):
    """The form, the idle countdown and the thank-you screen pass axe on a tablet (real clock: axe needs timers)."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch_console(page)
    try:
        _start_kiosk(live_server, page)
        assert_accessible(page, "kiosk form")
        snap(page, "kiosk-tablet-form")
        # The countdown as kiosk.js shows it after 90 idle seconds, without waiting for them.
        page.evaluate("document.getElementById('kiosk-idle').hidden = false")
        assert_accessible(page, "kiosk idle countdown")
        snap(page, "kiosk-tablet-idle", full_page=False)
        page.evaluate("document.getElementById('kiosk-idle').hidden = true")
        page.get_by_label("Your concern or question").fill("Parking on the pavement by the school")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        assert_accessible(page, "kiosk thank-you")
        snap(page, "kiosk-tablet-thanks")
        assert console_errors(page) == []
    finally:
        context.close()


def test_a_kiosk_tablet_cannot_reach_staff_pages(live_server, tablet):
    """Whatever address a passer-by types, the tablet stays on the kiosk; the staff login there has ended."""
    code = _start_kiosk(live_server, tablet)
    for path in ("/dashboard", f"/moderate/{code}", f"/staff/meetings/{code}", f"/j/{code}"):
        tablet.goto(path)
        expect(tablet).to_have_url(f"{live_server.url}/kiosk/{code}")
    cookies = {c["name"] for c in tablet.context.cookies()}
    assert "ysdw_participant" not in cookies


def test_the_kiosk_works_without_javascript(live_server, browser):
    """Plain forms: send a concern, the thank-you page refreshes itself back (meta refresh), Next person works."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        code = _start_kiosk(live_server, page, moderation=True)
        snap(page, "kiosk-phone-nojs-form")
        page.get_by_label("Your concern or question").fill("No phone, but I have a question about stop and search")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(page.locator("body")).to_contain_text("once a moderator has read it")
        refresh = page.locator('meta[http-equiv="refresh"]')
        assert refresh.get_attribute("content") == f"{THANKS_SECONDS};url=/kiosk/{code}"
        page.get_by_role("link", name="Next person").click()
        expect(page.get_by_label("Your concern or question")).to_have_value("")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        snap(page, "kiosk-phone-nojs-error")
    finally:
        context.close()


def test_the_survey_at_the_kiosk_and_the_accessibility_statement(live_server, browser):
    """After the meeting the kiosk takes whole survey responses on one page; both pages pass axe at phone size."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch_console(page)
    try:
        code = _start_kiosk(live_server, page)
        live_server.api("PATCH", f"/meetings/{code}", json={"status": "closed"}).raise_for_status()
        created = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
        created.raise_for_status()
        page.goto(f"/kiosk/{code}")
        expect(page).to_have_url(f"{live_server.url}/kiosk/{code}/survey")
        assert_accessible(page, "kiosk survey")
        snap(page, "kiosk-phone-survey")
        page.locator("fieldset").first.locator("label").first.click()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(page.locator("body")).to_contain_text("Your answers were sent.")
        page.goto("/accessibility")
        expect(page.get_by_role("heading", name="Accessibility statement for YSWD Live")).to_be_visible()
        assert_accessible(page, "accessibility statement")
        snap(page, "accessibility-statement-phone")
        assert console_errors(page) == []
    finally:
        context.close()
