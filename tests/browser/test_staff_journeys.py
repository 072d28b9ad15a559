"""Issue 12, the staff's side of running the room, in a real browser.

A facilitator finds the console and the projector, a leader turns concerns into an action with a
public update, an admin adds a leader.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap, wait_live

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


def test_leader_turns_two_concerns_into_an_action_with_a_public_update(page, phone_page, live_server):
    """Stream → a public summary to confirm (not the raw texts) → one form moves status and progress with an update."""
    from tests.browser.test_actions_browser import _facilitator_concern

    meeting = live_server.live_meeting("Leaders' flow meeting", topics=["Roads", "Youth"])
    code, series_id = meeting["code"], meeting["series_id"]
    long_text = "Cars race down Mill Road every night after ten. Somebody will be killed. " * 3
    _facilitator_concern(live_server, code, long_text)
    _facilitator_concern(live_server, code, "No crossing outside the primary school on Mill Road")

    live_server.login(page, live_server.user("leader"))
    page.goto("/dashboard")
    row = page.get_by_role("table", name="Live now").get_by_role("row").filter(has_text="Leaders' flow meeting")
    row.get_by_role("link", name=re.compile(r"^Leaders’ stream")).click()
    expect(page).to_have_url(re.compile(f"/lead/{code}$"))
    wait_live(page)
    page.get_by_label(re.compile("Cars race down Mill Road")).check()
    page.get_by_label(re.compile("No crossing outside")).check()
    page.get_by_role("button", name="Add to the action list").click()

    you_said = page.get_by_label("You said (public)")
    prefilled = you_said.input_value()
    assert prefilled.startswith(
        "People raised 2 concerns, for example: Cars race down Mill Road every night after ten."
    )
    assert "Somebody will be killed" not in prefilled and "No crossing" not in prefilled and "\n" not in prefilled
    expect(page.get_by_text("is shown on the public You Said, We Did page")).to_be_visible()
    assert_accessible(page, "new action form with the public summary")
    _snap_both(page, "leader-new-action")

    # Not confirmed: the summary does not go public.
    page.get_by_role("button", name="Add the action").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary.get_by_role("link", name="Confirm that the “You said” summary can be made public")).to_be_visible()
    you_said.fill("Speeding on Mill Road, and no safe crossing by the school")
    page.get_by_label(re.compile("can be made public")).check()
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Add the action").click()
    expect(summary.get_by_role("link", name="The due date must be a real date")).to_be_visible()
    page.get_by_label("Day").fill("28")
    page.get_by_label(re.compile("can be made public")).check()
    page.get_by_role("button", name="Add the action").click()
    expect(page).to_have_url(re.compile(f"/lead/{code}$"))
    page.get_by_role("link", name=re.compile(r"^action \d+$")).first.click()

    # The action page: ONE form changes status and progress, and it needs the public explanation.
    expect(page.get_by_label("New status")).to_have_count(1)
    expect(page.get_by_label("Status", exact=True)).to_have_count(0)
    edit = page.get_by_role("region", name="Edit the action")
    expect(edit.get_by_role("combobox")).to_have_count(0)
    expect(edit.get_by_label("Day")).to_have_value("28")
    page.get_by_label("New status").select_option(label="In progress")
    page.get_by_label("New progress, per cent (optional)").fill("25")
    page.get_by_role("button", name="Add the update").click()
    expect(page.get_by_role("alert").get_by_role("link", name="Enter what has happened")).to_be_visible()
    page.get_by_label(re.compile("What has happened")).fill("Speed cameras ordered for Mill Road.")
    page.get_by_role("button", name="Add the update").click()
    expect(page.get_by_role("status").filter(has_text="Update added")).to_be_visible()
    assert_accessible(page, "action page with its single update form")
    _snap_both(page, "leader-action-page")
    action_id = page.url.rsplit("/", 1)[1]

    phone_page.goto(f"/series/{series_id}/actions")
    card = phone_page.locator(f"#action-{action_id}")
    expect(card).to_contain_text("Speeding on Mill Road, and no safe crossing by the school")
    expect(card).to_contain_text("In progress")
    expect(card).to_contain_text("Speed cameras ordered for Mill Road.")
    expect(card).to_contain_text("28 February 2027")
    assert "Somebody will be killed" not in phone_page.content()


def test_meeting_dates_are_typed_as_day_month_year(page, live_server):
    """The meeting form has GOV.UK day/month/year boxes, no browser date picker, and GOV.UK error wording."""
    series = live_server.api("POST", "/series", json={"title": "Dates series", "topics": []}).json()
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/staff/series/{series['id']}/meetings/new")
    assert page.locator('input[type="date"], input[type="datetime-local"]').count() == 0
    group = page.get_by_role("group", name="Date of the meeting (optional)")
    group.get_by_label("Day").fill("14")
    group.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Add meeting").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter a title for the meeting")).to_be_visible()
    summary.get_by_role("link", name="Enter a title for the meeting").click()
    expect(page.get_by_label("Title")).to_be_focused()
    page.get_by_label("Title").fill("Dated meeting")
    page.get_by_role("button", name="Add meeting").click()
    link = summary.get_by_role("link", name="The date of the meeting must include a month")
    expect(link).to_be_visible()
    link.click()
    expect(group.get_by_label("Day")).to_be_focused()
    assert_accessible(page, "meeting form with a date error")
    _snap_both(page, "meeting-form-date-error")
    group.get_by_label("Month").fill("3")
    page.get_by_label("Start time (optional)").fill("6.30pm")
    page.get_by_role("button", name="Add meeting").click()
    expect(page.get_by_role("heading", name=re.compile("Dated meeting"))).to_be_visible()
    expect(page.get_by_text("Sat 14 Mar 2026, 18:30")).to_be_visible()
