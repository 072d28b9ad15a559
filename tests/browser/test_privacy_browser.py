"""Privacy in a real browser: the footer link to the notice from a phone, the admin's audit trail."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors

pytestmark = pytest.mark.browser


def test_an_attendee_reaches_the_privacy_notice_from_the_meeting_page(phone_page, live_server):
    """On a phone, the meeting page's footer leads to the notice, which is accessible and fits the screen."""
    meeting = live_server.live_meeting(title="Privacy footer meeting")
    phone_page.goto(f"/j/{meeting['code']}")
    expect(phone_page.get_by_role("heading", name="Privacy footer meeting")).to_be_visible()
    phone_page.get_by_role("contentinfo").get_by_role("link", name="Privacy: how we use what you tell us").click()
    expect(phone_page).to_have_url(re.compile(r"/privacy$"))
    expect(phone_page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()
    expect(phone_page.get_by_role("heading", name="How long we keep it")).to_be_visible()
    expect(phone_page.get_by_text("24 months", exact=False).first).to_be_visible()
    assert_accessible(phone_page, "privacy notice (phone)")
    overflow = phone_page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"/privacy scrolls sideways by {overflow}px at phone width"
    assert console_errors(phone_page) == []


def test_an_admin_reads_filters_and_exports_the_audit_trail(page, live_server):
    """The admin follows "Audit trail" in the navigation, filters to one person, and downloads the CSV."""
    admin = live_server.user("admin")
    facilitator = live_server.user("facilitator")
    live_server.login(page, facilitator)
    page.get_by_role("button", name=re.compile("Log out")).click()
    live_server.login(page, admin)

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("cell", name=facilitator, exact=True).first).to_be_visible()
    assert_accessible(page, "audit trail")

    page.get_by_label("Who").select_option(label=facilitator)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"2 entries matching the filters"))).to_be_visible()
    actions = page.locator("tbody td:nth-child(3)").all_inner_texts()
    assert actions == ["Logged out", "Logged in"]  # the page says it in words; the CSV keeps the codes
    assert_accessible(page, "audit trail, filtered")

    link = page.get_by_role("link", name="Download these entries as CSV")
    href = link.get_attribute("href")
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    response = requests.get(f"{live_server.url}{href}", cookies=cookies, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "created_at,who,user_id,action,object_type,object_id,detail"
    assert [line.split(",")[3] for line in lines[1:]] == ["auth.logout", "auth.login"]
    assert console_errors(page) == []
