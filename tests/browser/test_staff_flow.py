"""A newcomer's first run, in a real browser: first admin, series, meeting, live, poster; accessible throughout."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, decode_qr, snap

pytestmark = pytest.mark.browser

NEW_PASSWORD = "river bridge lantern"


def test_newcomer_first_run(page, phone_page, live_server):
    """Log in with the printed one-time password, pick a password, make a live meeting, print its poster."""
    assert live_server.first_admin, f"app.py printed no first admin; see {live_server.log_path}"
    email, one_time = live_server.first_admin
    # The server is shared by the whole session, so names carry a tag other tests cannot have used.
    tag = secrets.token_hex(3)
    series_title, meeting_title = f"Riverside focus group {tag}", f"Spring meeting {tag}"

    # Log in with what app.py printed.
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    snap(page, "desktop-login")
    assert_accessible(page, "login page")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(one_time)
    page.get_by_role("button", name="Log in").click()

    # Forced to choose a real password before anything else.
    expect(page).to_have_url(re.compile(r"/account/password"))
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/account/password"))
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()

    # The dashboard.
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Meetings", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    snap(page, "desktop-dashboard-empty")
    assert_accessible(page, "dashboard")

    # A series: first with the title left empty, which the error summary explains and focuses.
    page.get_by_role("link", name="Create a series").click()
    page.get_by_role("button", name="Create series").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Create a series"))
    snap(page, "desktop-series-form-errors")
    assert_accessible(page, "series form with errors")
    summary.get_by_role("link", name="Enter a title for the series").click()
    expect(page.get_by_label("Title")).to_be_focused()

    page.get_by_label("Title").fill(series_title)
    page.get_by_label("Topics (optional)").fill("Stop and search\nYouth\nHate crime")
    page.get_by_role("button", name="Create series").click()
    expect(page.get_by_role("heading", name=series_title)).to_be_visible()
    for topic in ("Stop and search", "Youth", "Hate crime"):
        expect(page.get_by_role("listitem").filter(has_text=topic)).to_be_visible()

    # A meeting in it, taken live.
    page.get_by_role("link", name="Add a meeting").click()
    page.get_by_label("Title").fill(meeting_title)
    page.get_by_label("Venue (optional)").fill("Riverside Community Centre")
    page.get_by_label("Hybrid").check()
    page.get_by_role("button", name="Add meeting").click()
    expect(page.get_by_role("heading", name=re.compile(meeting_title))).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_role("status")).to_contain_text("The meeting is live.")
    expect(page.get_by_text("Live", exact=True)).to_be_visible()
    code = page.locator(".code--large").inner_text().strip()
    assert re.fullmatch(r"[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}", code), code
    join_url = f"{live_server.url}/j/{code}"
    expect(page.get_by_role("link", name=join_url)).to_be_visible()
    expect(page.get_by_role("img", name=f"QR code that opens {join_url}")).to_be_visible()
    snap(page, "desktop-meeting")
    assert_accessible(page, "meeting page")

    # The poster: big code, a QR image that loads and scans to the join URL.
    page.get_by_role("link", name="Print the poster").click()
    expect(page.get_by_role("heading", name=meeting_title)).to_be_visible()
    expect(page.locator(".poster__code")).to_have_text(code)
    code_size = page.locator(".poster__code").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert code_size >= 48, f"the code is only {code_size}px on the poster"
    qr = page.get_by_role("img", name=f"QR code that opens {join_url}")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image did not load"
    box = qr.bounding_box()
    assert box and box["width"] >= 250, f"the QR code is too small to scan from a distance: {box}"
    assert decode_qr(qr.screenshot()) == [join_url]
    assert decode_qr(page.screenshot(full_page=True)) == [join_url]
    snap(page, "desktop-poster")
    assert_accessible(page, "poster")

    # The dashboard now lists the live meeting.
    page.goto("/dashboard")
    live_now = page.get_by_role("table", name="Live now")
    expect(live_now.get_by_role("link", name=meeting_title, exact=True)).to_be_visible()
    snap(page, "desktop-dashboard")
    assert_accessible(page, "dashboard with a meeting")
    assert console_errors(page) == []

    # The same staff pages on a phone, and the attendee home page at phone size.
    live_server.login(phone_page, email, NEW_PASSWORD)
    expect(phone_page).to_have_url(re.compile(r"/dashboard$"))
    snap(phone_page, "phone-dashboard")
    phone_page.get_by_role("link", name=meeting_title, exact=True).click()
    expect(phone_page.locator(".code--large")).to_have_text(code)
    snap(phone_page, "phone-meeting")
    phone_page.goto(f"/staff/meetings/{code}/poster")
    snap(phone_page, "phone-poster")
    assert decode_qr(phone_page.get_by_role("img", name=re.compile("QR code")).screenshot()) == [join_url]
    phone_page.context.clear_cookies()
    phone_page.goto("/")
    expect(phone_page.get_by_role("heading", name="Join a meeting")).to_be_visible()
    snap(phone_page, "phone-home")
    assert_accessible(phone_page, "attendee home page (phone)")
    phone_page.goto("/login")
    snap(phone_page, "phone-login")
    assert console_errors(phone_page) == []


def test_phone_layout_does_not_scroll_sideways(phone_page, live_server):
    """At 360px wide, staff and public pages fit the screen (no horizontal scrolling)."""
    meeting = live_server.live_meeting(title="A meeting with quite a long title for a small phone screen")
    email = live_server.user("facilitator")
    pages = ["/", "/login"]
    live_server.login(phone_page, email)
    pages += [
        "/dashboard",
        "/staff/series",
        f"/staff/series/{meeting['series_id']}",
        f"/staff/meetings/{meeting['code']}",
        f"/staff/meetings/{meeting['code']}/poster",
        f"/staff/series/{meeting['series_id']}/meetings/new",
    ]
    for path in pages:
        phone_page.goto(path)
        # clientWidth, not innerWidth: a mobile browser zooms out to show content that overflows.
        overflow = phone_page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px wide"


def test_leader_sees_meetings_but_no_management(page, live_server):
    """A leader can follow meetings but is not offered buttons they may not use."""
    meeting = live_server.live_meeting()
    live_server.login(page, live_server.user("leader"))
    page.goto(f"/staff/meetings/{meeting['code']}")
    expect(page.locator(".code--large")).to_have_text(meeting["code"])
    expect(page.get_by_role("button", name="Close the meeting")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    assert_accessible(page, "meeting page as a leader")


def test_svg_qr_decodes_when_rendered(page, live_server):
    """The SVG QR code, rendered by Chromium, scans to the join URL (the poster and meeting page use it)."""
    meeting = live_server.live_meeting()
    page.goto(f"/api/v1/meetings/{meeting['code'].lower()}/qr.svg")
    assert decode_qr(page.screenshot()) == [meeting["join_url"]]
    assert meeting["join_url"] == f"{live_server.url}/j/{meeting['code']}"


def test_home_page_joins_without_javascript(nojs_page, live_server):
    """With JavaScript off, typing the code (in lower case) and pressing Join lands on /j/CODE."""
    meeting = live_server.live_meeting(title="No script meeting")
    nojs_page.goto("/")
    nojs_page.get_by_label("Meeting code").fill(meeting["code"].lower())
    nojs_page.get_by_role("button", name="Join").click()
    expect(nojs_page).to_have_url(re.compile(rf"/j/{meeting['code']}$"))
    expect(nojs_page.get_by_role("heading", name="No script meeting")).to_be_visible()


def test_home_page_explains_a_wrong_code_without_javascript(nojs_page):
    """With JavaScript off, a wrong code shows the error summary linked to the code box."""
    nojs_page.goto("/")
    nojs_page.get_by_label("Meeting code").fill("OOOOOO")
    nojs_page.get_by_role("button", name="Join").click()
    expect(nojs_page).to_have_title(re.compile(r"^Error: "))
    link = nojs_page.get_by_role("link", name=re.compile("Enter the 6-character code"))
    expect(link).to_have_attribute("href", "#code")
    expect(nojs_page.get_by_label("Meeting code")).to_have_value("OOOOOO")
