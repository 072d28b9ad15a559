"""The console warns the facilitator, live, when votes on a concern arrive faster than people tap."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live


def test_the_console_shows_a_vote_surge_as_it_happens(live_server, page):
    """Three phones' votes within a minute (the live server's YSDW_VOTE_SURGE is 3/60) raise the warning live."""
    code = live_server.live_meeting()["code"]
    concern = live_server.api(
        "POST", f"/meetings/{code}/concerns", json={"text": "Parking on the <school> zigzags", "source": "facilitator"}
    ).json()
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    wait_live(page)
    warning = page.get_by_role("region", name="Votes arriving faster than people tap")
    expect(warning).to_be_hidden()

    api = f"{live_server.url}/api/v1"
    for _ in range(3):
        token = requests.post(f"{api}/meetings/{code}/participants", timeout=10).json()["token"]
        voted = requests.put(f"{api}/concerns/{concern['id']}/vote", headers={"X-Participant-Token": token}, timeout=10)
        assert voted.status_code == 200, voted.text

    expect(warning).to_be_visible()
    item = warning.get_by_role("listitem")
    expect(item).to_have_text(re.compile(rf"^#{concern['number']}: 3 votes in 60 seconds \(3 in all\)$"))
    item.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"#concern-{concern['id']}$"))
    # After a reload (or without JavaScript) the console still lists it.
    page.reload()
    expect(page.get_by_role("region", name="Votes arriving faster than people tap")).to_contain_text("3 votes in 60")
    assert console_errors(page) == []
