"""Issue 12's "done when": a new facilitator makes a meeting and runs it from the console by keyboard.

They never read the README: the pages lead them to the console, which they use with the keyboard
alone, driving the projector, while phones raise concerns.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

pytestmark = pytest.mark.browser


def test_a_new_facilitator_runs_a_meeting_from_the_console_with_the_keyboard_only(
    page, phone_page, live_server, browser
):
    """Series, meeting, Go live, the Run the meeting panel; then A A, 2, H, 3, 1 in the console move the room."""
    tag = secrets.token_hex(3)
    live_server.login(page, live_server.user("facilitator"))

    # Make the meeting the way the pages lead: dashboard, series, meeting, Go live.
    page.goto("/dashboard")
    page.get_by_role("link", name="Create a series").click()
    page.get_by_label("Title").fill(f"Northfield focus group {tag}")
    page.get_by_label("Topics (optional)").fill("Stop and search\nYouth")
    page.get_by_role("button", name="Create series").click()
    page.get_by_role("link", name="Add a meeting").click()
    page.get_by_label("Title").fill(f"Autumn meeting {tag}")
    page.get_by_role("button", name="Add meeting").click()
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_role("status")).to_contain_text("The meeting is live.")
    code = re.search(r"/staff/meetings/([A-Z0-9]{6})", page.url).group(1)

    # The projector on the "second screen", from the panel's link.
    panel = page.get_by_role("region", name="Run the meeting")
    with page.expect_popup() as opened:
        panel.get_by_role("link", name=re.compile(r"^Open the projector")).click()
    projector = opened.value
    projector.set_viewport_size({"width": 1600, "height": 900})
    wait_live(projector)
    panel.get_by_role("link", name="Open the console").click()
    expect(page).to_have_url(re.compile(f"/moderate/{code}$"))
    wait_live(page)

    # Two people raise concerns from their phones (moderation is on by default: they wait).
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)
    for text in ("Stop and search at the station feels targeted", "No youth club since the summer"):
        phone_page.get_by_label("Your concern or question").fill(text)
        phone_page.get_by_role("button", name="Send").click()
        expect(phone_page.locator("#form-status")).to_contain_text("waiting for the moderator")
    queue = page.locator(".mod-row[data-status='pending']")
    expect(queue).to_have_count(2)

    # From here on, the keyboard only.
    page.locator("body").focus()
    page.keyboard.press("a")
    page.keyboard.press("a")
    expect(page.locator(".mod-row[data-status='approved']")).to_have_count(2)
    page.keyboard.press("2")
    expect(projector.locator("#concerns-screen")).to_be_visible()
    expect(projector.locator("#concerns-screen .concern")).to_have_count(2)
    page.keyboard.press("j")
    page.keyboard.press("h")
    expect(projector.locator(".projector__highlight .concern")).to_have_count(1)
    page.keyboard.press("3")
    expect(projector.locator("#report-back-screen")).to_be_visible()
    page.keyboard.press("1")
    expect(projector.locator("#join-screen")).to_be_visible()
    expect(projector.locator("#join-screen")).to_contain_text(code)
    # The phones follow: both concerns are shown to the room.
    for text in ("Stop and search at the station feels targeted", "No youth club since the summer"):
        expect(phone_page.locator(".concern", has_text=text)).to_be_visible()
    assert console_errors(page) == [] and console_errors(projector) == [] and console_errors(phone_page) == []
