"""You Said, We Did in a real browser: a leader pushes two concerns into one action; the public page shows it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap, wait_live

SECRET = "SECRET-briefing-note-0413"


def _wait_live(page: Any) -> None:
    """Wait until the page's Socket.IO connection has delivered its snapshot and the store applied it."""
    wait_live(page)


def _facilitator_concern(live_server: Any, code: str, text: str, topic_id: int | None = None) -> dict[str, Any]:
    """Enter a concern the way a facilitator does for someone without a phone (approved at once)."""
    body: dict[str, Any] = {"text": text, "source": "facilitator"}
    if topic_id is not None:
        body["topic_id"] = topic_id
    response = live_server.api("POST", f"/meetings/{code}/concerns", json=body, role="facilitator")
    response.raise_for_status()
    return response.json()


def test_leader_pushes_two_concerns_into_one_action_and_the_public_page_shows_it(live_server, page, phone_page):
    """Select two concerns in the leaders' stream, add them as ONE action, and read it on the public page."""
    meeting = live_server.live_meeting(topics=["Stop and search", "Youth"])
    code, series_id = meeting["code"], meeting["series_id"]
    topics = live_server.api("GET", f"/series/{series_id}").json()["topics"]
    youth = next(topic["id"] for topic in topics if topic["name"] == "Youth")
    first = _facilitator_concern(live_server, code, "Nowhere for teenagers to go after the youth club shut", youth)
    _facilitator_concern(live_server, code, "More police at the bus station at night")

    live_server.login(page, live_server.user("leader"))
    page.goto(f"/lead/{code}")
    expect(page.get_by_role("heading", name=re.compile("Leaders’ stream"))).to_be_visible()
    _wait_live(page)
    youth_group = page.get_by_role("region", name="Youth")
    expect(youth_group.get_by_label(re.compile("Nowhere for teenagers"))).to_be_visible()
    snap(page, "desktop-lead-stream")
    assert_accessible(page, "leaders' stream")

    # A concern approved while the page is open arrives without a reload, under its topic.
    page.evaluate("window.__noReload = true")
    second = _facilitator_concern(live_server, code, "Young people are stopped and searched for <nothing>", youth)
    arrived = youth_group.get_by_label(re.compile("stopped and searched for <nothing>"))
    expect(arrived).to_be_visible()
    assert page.evaluate("window.__noReload") is True, "the stream reloaded instead of updating live"

    # Select the two youth concerns and push them into one action.
    youth_group.get_by_label(re.compile("Nowhere for teenagers")).check()
    arrived.check()
    page.get_by_role("button", name="Add to the action list").click()
    expect(page.get_by_role("heading", name="Add to the action list")).to_be_visible()
    you_said = page.get_by_label("You said (public)")
    # A short summary to check (not the concerns' texts run together), marked as public.
    expect(you_said).to_have_value(re.compile(r"^People raised 2 concerns about Youth, for example: [^\n]+$"))
    assert_accessible(page, "new action form")

    # A missing reason is explained in the error summary, then fixed.
    you_said.fill("Young people feel targeted and have nowhere to go")
    page.get_by_label("Status").select_option(label="Not taken forward")
    page.get_by_label("Owner (public, optional)").fill("Neighbourhood policing team")
    page.get_by_label("Private notes (staff only, optional)").fill(SECRET)
    page.get_by_role("button", name="Add the action").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error:"))
    page.get_by_label("Status").select_option(label="Agreed")
    page.get_by_label("We will / we did (public, optional)").fill("A youth worker will join the Friday patrol.")
    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("9")
    page.get_by_label("Year").fill("2026")
    page.get_by_label(re.compile("can be made public")).check()
    page.get_by_role("button", name="Add the action").click()

    # Back in the stream, both concerns now show the same action.
    expect(page).to_have_url(re.compile(f"/lead/{code}$"))
    expect(page.get_by_role("status").filter(has_text="Action added to the list")).to_be_visible()
    links = page.get_by_role("link", name=re.compile(r"^action \d+$"))
    expect(links).to_have_count(2)
    targets = {links.nth(i).get_attribute("href") for i in range(2)}
    assert len(targets) == 1, targets
    action_id = int(next(iter(targets)).rsplit("/", 1)[1])
    action = live_server.api("GET", f"/actions/{action_id}?include=private").json()
    assert sorted(action["concern_ids"]) == sorted([first["id"], second["id"]])
    assert action["raised_at_meeting"] == code

    # The public page, as anyone (the phone has no staff login), tells the story without private notes.
    phone_page.goto(f"/series/{series_id}/actions")
    expect(phone_page.get_by_role("heading", name="You said, we did")).to_be_visible()
    card = phone_page.locator(f"#action-{action_id}")
    expect(card).to_contain_text("Young people feel targeted and have nowhere to go")
    expect(card).to_contain_text("A youth worker will join the Friday patrol.")
    expect(card).to_contain_text("Agreed")
    expect(card).to_contain_text("Neighbourhood policing team")
    expect(card).to_contain_text("30 September 2026")
    expect(phone_page.get_by_role("heading", name="Youth")).to_be_visible()
    assert SECRET not in phone_page.content()
    snap(phone_page, "phone-public-actions")
    assert_accessible(phone_page, "public You Said, We Did page")
    # Chromium may log the form we sent without a reason (served with status 400); nothing else may appear.
    bad_form = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    assert [error for error in console_errors(page) if error != bad_form] == []
    assert console_errors(phone_page) == []


def test_update_timeline_and_report_back_on_the_projector(live_server, page, browser):
    """An update on the action page reaches the public timeline and the projector's report-back slide."""
    meeting = live_server.live_meeting()
    code, series_id = meeting["code"], meeting["series_id"]
    created = live_server.api(
        "POST",
        f"/series/{series_id}/actions",
        role="leader",
        json={"you_said": "Street lights out on Mill Road", "owner": "Council liaison"},
    )
    created.raise_for_status()
    action_id = created.json()["id"]

    live_server.login(page, live_server.user("leader"))
    page.goto(f"/staff/actions/{action_id}")
    page.get_by_label("What has happened").fill("The council replaced six lights.")
    page.get_by_label("New status").select_option(label="Completed")
    page.get_by_role("button", name="Add the update").click()
    expect(page.get_by_role("status").filter(has_text="Update added")).to_be_visible()
    timeline = page.get_by_role("region", name="Public updates, latest first")
    expect(timeline).to_contain_text("The council replaced six lights.")
    expect(page.get_by_role("region", name="Change history (staff only)")).to_contain_text("Completed")
    assert_accessible(page, "action page")
    page.goto(f"/staff/series/{series_id}/actions?status=completed")
    expect(page.get_by_role("link", name="Street lights out on Mill Road")).to_be_visible()
    assert_accessible(page, "staff action list with a filter")

    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "report_back"}).raise_for_status()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    try:
        projector = context.new_page()
        projector.goto(f"/present/{code}")
        slide = projector.locator("#report-back-screen article").first
        expect(slide).to_contain_text("Street lights out on Mill Road")
        expect(slide).to_contain_text("Completed")
        expect(slide).to_contain_text("1 of 1")
    finally:
        context.close()
