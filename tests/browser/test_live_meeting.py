"""A meeting end to end in three browsers: a phone, the facilitator console and the projector."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, wait_live


def _meeting(live_server: Any, *, moderation: bool) -> str:
    """Create a live meeting with moderation on or off and put concerns on the projector."""
    code = live_server.live_meeting()["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": moderation}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()
    return code


def _wait_live(page: Any) -> None:
    """Wait until the page's Socket.IO connection has delivered its snapshot and the store applied it."""
    wait_live(page)


def test_phone_raises_and_votes_projector_follows_without_reload(live_server, phone_page, page):
    """With moderation off, a phone's concern and vote reach the projector live, without a reload."""
    code = _meeting(live_server, moderation=False)
    projector = page
    projector.goto(f"/present/{code}")
    expect(projector.get_by_role("heading", name="Top concerns")).to_be_visible()
    projector.evaluate("window.__noReload = true")

    phone_page.goto(f"/j/{code}")
    _wait_live(phone_page)
    phone_page.get_by_label("Your concern or question").fill("Street lights on <Mill Road> are out")
    phone_page.get_by_role("button", name="Send").click()
    expect(phone_page.get_by_role("status").filter(has_text="Thank you")).to_be_visible()
    item = phone_page.locator(".concern").filter(has_text="Street lights on <Mill Road> are out")
    expect(item).to_be_visible()

    shown = projector.locator("#concern-list .concern").filter(has_text="Street lights on <Mill Road> are out")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("0 votes")

    vote = item.get_by_role("button", name=re.compile(r"^Upvote number 1"))
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(shown).to_contain_text("1 vote")
    assert projector.evaluate("window.__noReload") is True, "the projector reloaded"
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(shown).to_contain_text("0 votes")
    assert console_errors(phone_page) == []
    assert console_errors(projector) == []


def test_facilitator_approves_and_highlights_with_the_keyboard(live_server, phone_page, page, browser):
    """With moderation on, a concern waits, the facilitator approves it with A and highlights it with H."""
    code = _meeting(live_server, moderation=True)
    phone_page.goto(f"/j/{code}")
    _wait_live(phone_page)
    phone_page.get_by_label("Your concern or question").fill("Can we have a youth officer at the club?")
    phone_page.get_by_role("button", name="Send").click()
    mine = phone_page.locator(".concern").filter(has_text="Can we have a youth officer at the club?")
    expect(mine.locator(".concern__badge--pending")).to_be_visible()
    expect(mine.locator(".concern__badge--pending")).to_have_text("Waiting for the moderator")

    console = page
    live_server.login(console, live_server.user("facilitator"))
    console.goto(f"/moderate/{code}")
    _wait_live(console)
    pending = console.locator("#pending-list .mod-row").filter(has_text="Can we have a youth officer")
    expect(pending).to_be_visible()

    projector_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    projector = projector_context.new_page()
    try:
        projector.goto(f"/present/{code}")
        expect(projector.locator("#concern-list")).not_to_contain_text("youth officer")

        console.keyboard.press("j")
        expect(pending).to_be_focused()
        console.keyboard.press("a")
        approved = console.locator("#live-list .mod-row").filter(has_text="Can we have a youth officer")
        expect(approved).to_be_visible()
        expect(approved).to_be_focused()
        expect(projector.locator("#concern-list")).to_contain_text("Can we have a youth officer at the club?")
        expect(mine.locator(".concern__badge--pending")).to_be_hidden()

        console.keyboard.press("h")
        expect(approved.locator(".mod-row__highlight")).to_be_visible()
        expect(projector.locator("#highlighted-list")).to_contain_text("Can we have a youth officer at the club?")
        expect(phone_page.locator("#highlighted-list")).to_contain_text("Can we have a youth officer")

        console.keyboard.press("d")
        expect(console.locator("#done-list .mod-row").filter(has_text="youth officer")).to_have_count(1)
        expect(projector.locator("body")).not_to_contain_text("youth officer")
        console.keyboard.press("u")
        expect(projector.locator("#concern-list, #highlighted-list").filter(has_text="youth officer")).to_have_count(1)
    finally:
        projector_context.close()
    assert console_errors(console) == []


def test_facilitator_enters_a_spoken_concern_and_drives_the_projector(live_server, page, browser):
    """A concern typed in for someone is shown at once, marked as raised in the room; 1 and 2 switch the screen."""
    code = _meeting(live_server, moderation=True)
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    _wait_live(page)
    projector_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    projector = projector_context.new_page()
    try:
        projector.goto(f"/present/{code}")
        page.keyboard.press("/")
        expect(page.get_by_label("What they raised")).to_be_focused()
        page.keyboard.type("From a paper card: more foot patrols on Saturday nights")
        page.get_by_role("button", name="Add concern").click()
        row = page.locator("#live-list .mod-row").filter(has_text="more foot patrols")
        expect(row.locator(".concern__badge--facilitator")).to_be_visible()
        shown = projector.locator("#concern-list .concern").filter(has_text="more foot patrols")
        expect(shown.locator(".concern__badge--facilitator")).to_have_text("Raised in the room")
        expect(shown.locator(".concern__badge--facilitator")).to_be_visible()

        page.locator("body").click()
        page.keyboard.press("1")
        expect(projector.locator("#join-screen")).to_be_visible()
        expect(projector.locator(".projector__code")).to_have_text(code)
        page.keyboard.press("2")
        expect(projector.locator("#concerns-screen")).to_be_visible()
        expect(projector.locator("#join-corner")).to_contain_text(code)
    finally:
        projector_context.close()


def test_meeting_works_without_javascript(live_server, nojs_page):
    """Joining, raising a concern and voting all work as plain forms with redirects."""
    code = _meeting(live_server, moderation=False)
    nojs_page.goto("/")
    nojs_page.get_by_label("Meeting code").fill(code.lower())
    nojs_page.get_by_role("button", name="Join").click()
    expect(nojs_page).to_have_url(re.compile(f"/j/{code}"))
    nojs_page.get_by_label("Your concern or question").fill("")
    nojs_page.get_by_role("button", name="Send").click()
    expect(nojs_page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(nojs_page).to_have_title(re.compile("^Error: "))
    nojs_page.get_by_label("Your concern or question").fill("Without JavaScript: the park gates are left open")
    nojs_page.get_by_role("button", name="Send").click()
    item = nojs_page.locator(".concern").filter(has_text="the park gates are left open")
    expect(item).to_be_visible()
    item.get_by_role("button", name=re.compile("^Upvote")).click()
    item = nojs_page.locator(".concern").filter(has_text="the park gates are left open")
    expect(item.get_by_role("button", name=re.compile("^Upvote"))).to_have_attribute("aria-pressed", "true")
    expect(item).to_contain_text("1 vote")


def test_console_steps_the_projector_through_the_report_back(live_server, page, browser):
    """The next meeting opens with the report-back: 3 shows it, the arrow keys step one action per slide."""
    first = live_server.live_meeting(title="Winter meeting")
    said = []
    for n, status in enumerate(["completed", "in_progress", "agreed"], start=1):
        concern = live_server.api(
            "POST",
            f"/meetings/{first['code']}/concerns",
            json={"text": f"Concern {n} from the winter", "source": "facilitator"},
        ).json()
        body = {
            "you_said": f"You said number {n}",
            "we_did": f"We did number {n}",
            "status": status,
            "concern_ids": [concern["id"]],
        }
        live_server.api("POST", f"/series/{first['series_id']}/actions", json=body).raise_for_status()
        said.append(body["you_said"])
    live_server.api("PATCH", f"/meetings/{first['code']}", json={"status": "closed"}).raise_for_status()
    second = live_server.api("POST", f"/series/{first['series_id']}/meetings", json={"title": "Spring meeting"}).json()
    code = second["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"status": "live"}).raise_for_status()
    order = [a["you_said"] for a in live_server.api("GET", f"/meetings/{code}/report-back").json()["actions"]]
    assert sorted(order) == sorted(said)

    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    _wait_live(page)
    projector_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    projector = projector_context.new_page()
    try:
        projector.goto(f"/present/{code}")
        expect(projector.locator("#join-screen")).to_be_visible()
        page.locator("body").click()
        page.keyboard.press("3")
        slide = projector.locator(".report-back-slide:visible")
        expect(slide).to_contain_text(order[0])
        expect(slide).to_contain_text("1 of 3")
        expect(page.locator("#report-back-position")).to_contain_text("Action 1 of 3")
        page.keyboard.press("ArrowRight")
        expect(projector.locator(".report-back-slide:visible")).to_contain_text(order[1])
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(projector.locator(".report-back-slide:visible")).to_contain_text(order[2])
        expect(page.locator("#report-back-position")).to_contain_text("Action 3 of 3")
        page.keyboard.press("ArrowLeft")
        expect(projector.locator(".report-back-slide:visible")).to_contain_text(order[1])
        assert_accessible(projector, "projector report-back")
    finally:
        projector_context.close()
