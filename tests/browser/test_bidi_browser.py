"""Bidi isolation in a real browser: typed text drawn live by the JS renderers is isolated like the server's."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

# A right-to-left override and zero-width characters inside otherwise plain words.
EVIL = "Stop\u202esiht\u200bdaer\u200d"
# Every visible text node holding the marker, with its element and that element's computed unicode-bidi.
EXPOSED = """
(marker) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.includes(marker)) continue;
    const element = node.parentElement;
    if (element.closest("template, script, textarea, option, [hidden]")) continue;
    found.push([element.tagName, element.className, getComputedStyle(element).unicodeBidi]);
  }
  return found;
}
"""


def _exposed(page: Any) -> tuple[int, list[Any]]:
    """Return how many visible texts hold the marker, and those whose element does not isolate them."""
    found = page.evaluate(EXPOSED, "siht")
    return len(found), [item for item in found if item[2] not in ("isolate", "plaintext", "isolate-override")]


def test_live_concerns_and_slides_are_isolated_everywhere(live_server, phone_page, page, browser):
    """A concern with an override drawn live on phone, projector and console, and a report-back slide: all isolated."""
    meeting = live_server.live_meeting()
    code, series_id = meeting["code"], meeting["series_id"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()
    console = browser.new_page(base_url=live_server.url)
    live_server.login(console, live_server.user("facilitator"))
    console.goto(f"/moderate/{code}")
    phone_page.goto(f"/j/{code}")
    page.goto(f"/present/{code}")
    for each in (console, phone_page, page):
        wait_live(each)

    joined = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10)
    who = {"X-Participant-Token": joined.json()["token"]}
    raised = requests.post(
        f"{live_server.url}/api/v1/meetings/{code}/concerns",
        json={"text": f"Concern {EVIL}", "author_name": f"Sam {EVIL}"},
        headers=who,
        timeout=10,
    )
    raised.raise_for_status()
    concern_id = raised.json()["id"]
    for each in (console, phone_page, page):
        expect(
            each.locator(f"#concern-{concern_id} .concern__text, #concern-{concern_id} .mod-row__text")
        ).to_be_visible()
        seen, exposed = _exposed(each)
        assert seen >= 2 and exposed == [], (each.url, exposed)

    live_server.api(
        "POST",
        f"/series/{series_id}/actions",
        json={"you_said": f"Said {EVIL}", "we_did": f"Did {EVIL}", "status": "agreed"},
    ).raise_for_status()
    console.reload()  # the console learns the report-back list with the page
    wait_live(console)
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "report_back"}).raise_for_status()
    expect(page.locator(".report-back-slide:visible")).to_contain_text("Said")
    seen, exposed = _exposed(page)
    assert seen >= 2 and exposed == [], exposed
    expect(console.locator("#report-back-current")).to_contain_text("Said")
    assert console.locator("#report-back-current").evaluate("(node) => getComputedStyle(node).unicodeBidi") == "isolate"
    for each in (console, phone_page, page):
        assert console_errors(each) == []
    console.close()
