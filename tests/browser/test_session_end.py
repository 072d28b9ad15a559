"""A console whose login ends (logout in another tab) says so and stops, instead of showing stale data."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import wait_live


def test_logging_out_in_another_tab_stops_the_console_and_says_why(live_server: Any, page: Any) -> None:
    """The server tells the console's socket why it ends and disconnects it; the page says to log in again."""
    code = live_server.live_meeting()["code"]
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    wait_live(page)
    other_tab = page.context.new_page()
    other_tab.goto("/dashboard")
    other_tab.get_by_role("button", name="Log out").click()
    expect(other_tab.get_by_role("heading", name="Log in")).to_be_visible()
    status = page.locator("#connection-status")
    expect(status).to_be_visible()
    expect(status).to_have_attribute("data-state", "ended")
    expect(status).to_contain_text("You logged out. Log in again to carry on.")
    other_tab.close()
