"""Issue 12, the staff's side of running the room, in a real browser.

A facilitator finds the console and the projector, a leader turns concerns into an action with a
public update, an admin adds a leader.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _snap_both(page, name: str) -> None:
    """Screenshot the page at laptop and phone size (test-artifacts/screens), then back to laptop."""
    page.set_viewport_size(LAPTOP)
    snap(page, f"{name}-1366")
    page.set_viewport_size(PHONE)
    snap(page, f"{name}-390")
    scroll = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert scroll <= 0, f"{name} scrolls sideways at 390px by {scroll}px"
    page.set_viewport_size(LAPTOP)


def test_facilitator_finds_the_console_and_the_projector(page, live_server):
    """After going live, the meeting page and the dashboard lead to the console, the projector and the poster."""
    meeting = live_server.live_meeting("Run-the-room meeting")
    code = meeting["code"]
    live_server.login(page, live_server.user("facilitator"))

    page.goto(f"/staff/meetings/{code}")
    panel = page.get_by_role("region", name="Run the meeting")
    expect(panel).to_be_visible()
    console = panel.get_by_role("link", name="Open the console")
    expect(console).to_have_attribute("href", f"/moderate/{code}")
    projector = panel.get_by_role("link", name=re.compile(r"^Open the projector"))
    expect(projector).to_have_attribute("href", f"/present/{code}")
    expect(projector).to_have_attribute("target", "_blank")
    expect(panel).to_contain_text("second screen")
    expect(panel).to_contain_text("F11")
    expect(panel.get_by_role("link", name="Print the poster")).to_have_attribute(
        "href", f"/staff/meetings/{code}/poster"
    )
    assert_accessible(page, "meeting page with the Run the meeting panel")
    _snap_both(page, "staff-meeting-run-panel")

    # The projector opens in a window of its own; the staff page stays where it was.
    with page.expect_popup() as popup_info:
        projector.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.endswith(f"/present/{code}")
    popup.close()

    console.click()
    expect(page).to_have_url(re.compile(f"/moderate/{code}$"))

    # The dashboard lists the live meeting with the same links.
    page.goto("/dashboard")
    live_table = page.get_by_role("table", name="Live now")
    row = live_table.get_by_role("row").filter(has_text="Run-the-room meeting")
    expect(row.get_by_role("link", name=re.compile(r"^Console"))).to_have_attribute("href", f"/moderate/{code}")
    expect(row.get_by_role("link", name=re.compile(r"^Projector"))).to_have_attribute("href", f"/present/{code}")
    expect(row.get_by_role("link", name=re.compile(r"^Poster"))).to_be_visible()
    assert_accessible(page, "dashboard with live meetings")
    _snap_both(page, "staff-dashboard-live")
    assert not console_errors(page)


def test_leaders_dashboard_links_to_the_stream_not_the_poster(page, live_server):
    """A leader's dashboard leads to the leaders' stream of a live meeting and has no poster link."""
    meeting = live_server.live_meeting("Leaders' meeting")
    code = meeting["code"]
    live_server.login(page, live_server.user("leader"))
    page.goto("/dashboard")
    row = page.get_by_role("table", name="Live now").get_by_role("row").filter(has_text="Leaders' meeting")
    expect(row.get_by_role("link", name=re.compile(r"^Leaders’ stream"))).to_have_attribute("href", f"/lead/{code}")
    expect(page.get_by_role("link", name=re.compile(r"^Poster"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Console"))).to_have_count(0)
    page.goto(f"/staff/meetings/{code}")
    panel = page.get_by_role("region", name="Run the meeting")
    expect(panel.get_by_role("link", name="Leaders’ stream")).to_have_attribute("href", f"/lead/{code}")
    expect(page.get_by_role("link", name=re.compile("poster", re.I))).to_have_count(0)


def test_admin_adds_a_leader_in_the_browser(page, phone_page, live_server):
    """An admin adds a leader with a one-time password; the leader chooses a password; deactivation logs them out."""
    tag = re.sub(r"\W", "", live_server.user("leader"))[:8]  # a fresh tag; the account itself is not used
    leader_email = f"leader-{tag}@example.org"
    live_server.login(page, live_server.user("admin"))

    page.goto("/dashboard")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_role("link", name="Add a member of staff").click()

    # Nothing filled in: GOV.UK error summary, every problem at once.
    page.get_by_role("button", name="Add and get a one-time password").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter the staff member’s e-mail address")).to_be_visible()
    expect(summary.get_by_role("link", name="Choose what the new member of staff may do")).to_be_visible()
    assert_accessible(page, "add staff form with errors")

    page.get_by_label("E-mail address").fill(leader_email)
    page.get_by_label("Name (optional)").fill("Sergeant Leader")
    page.get_by_label("Leader", exact=True).check()
    _snap_both(page, "staff-user-new")
    page.get_by_role("button", name="Add and get a one-time password").click()
    expect(page.get_by_role("heading", name="Account created")).to_be_visible()
    password = page.locator("#one-time-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password), password
    assert_accessible(page, "one-time password page")
    _snap_both(page, "staff-user-one-time-password")

    # The leader logs in on their phone with it and must choose their own password first.
    live_server.login(phone_page, leader_email, password)
    expect(phone_page).to_have_url(re.compile(r"/account/password"))
    phone_page.get_by_label("Current password").fill(password)
    phone_page.get_by_label("New password", exact=True).fill("harbour kettle meadow")
    phone_page.get_by_label("New password again").fill("harbour kettle meadow")
    phone_page.get_by_role("button", name="Save password").click()
    expect(phone_page.get_by_role("heading", name="Meetings", exact=True)).to_be_visible()
    expect(phone_page.get_by_role("link", name="Staff", exact=True)).to_have_count(0)

    # The admin sees them in the list, opens their account and deactivates it: the phone is logged out at once.
    page.get_by_role("link", name="Done: back to their account").click()
    page.get_by_role("link", name="Staff", exact=True).first.click()
    page.get_by_role("link", name="Sergeant Leader").click()
    assert_accessible(page, "staff account page")
    _snap_both(page, "staff-user-show")
    page.get_by_role("button", name=re.compile(r"^Deactivate")).click()
    expect(page.get_by_role("status")).to_contain_text("is deactivated")
    phone_page.goto("/dashboard")
    expect(phone_page).to_have_url(re.compile(r"/login"))

    # Listed as deactivated; reactivated, they log in with their own password again.
    page.get_by_role("button", name=re.compile(r"^Reactivate")).click()
    expect(page.get_by_role("status")).to_contain_text("can log in again")
    live_server.login(phone_page, leader_email, "harbour kettle meadow")
    expect(phone_page.get_by_role("heading", name="Meetings", exact=True)).to_be_visible()
    page.goto("/staff/users")
    _snap_both(page, "staff-users")
    assert not console_errors(page)
