"""Old phones, poor signal: the attendee page is light, useful before any script, and live without WebSockets."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live, watch_console
from ysdw_live.demo import load_demo

PHONE = {"width": 390, "height": 844}
# HTML, CSS and JavaScript of the attendee page, uncompressed: what an old phone on 3G must fetch.
BUDGET_BYTES = 200 * 1024
COUNTED = {"document", "stylesheet", "script"}


def _demo_code(live_server: Any) -> str:
    """The demo's live meeting on the live server (loaded once; concerns, polls, a report-back)."""
    with live_server.db() as db:
        return load_demo(db)


def _phone(browser: Any, live_server: Any, **options: Any) -> Any:
    """A fresh phone-sized context (390×844, touch)."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1, **options
    )
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_attendee_page_stays_under_its_weight_budget(live_server, browser, lang):
    """The demo's live meeting on a phone: HTML + CSS + JS under 200 KB, no chart library, no font.

    Arabic too: its words take two bytes a letter, and the page carries the scripts' catalogue.
    """
    code = _demo_code(live_server)
    context = _phone(browser, live_server, locale=lang)
    try:
        page = context.new_page()
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.goto(f"/j/{code}")
        wait_live(page)
        page.wait_for_load_state("load")
        counted = [r for r in responses if r.request.resource_type in COUNTED]
        sizes = {r.url: len(r.body()) for r in counted}
        total = sum(sizes.values())
        listing = "\n".join(f"{size:>8} {url}" for url, size in sorted(sizes.items(), key=lambda item: -item[1]))
        assert total < BUDGET_BYTES, f"the attendee page loads {total} bytes of HTML/CSS/JS:\n{listing}"
        assert not [url for url in sizes if "chart" in url.lower()], f"a chart library was loaded:\n{listing}"
        fonts = [r.url for r in responses if r.request.resource_type == "font"]
        assert fonts == [], f"font requests: {fonts}"
        assert page.evaluate("() => document.documentElement.lang") == lang
        print(f"\nattendee page ({lang}): {total} bytes of HTML/CSS/JS\n{listing}")
    finally:
        context.close()


def test_the_concerns_are_in_the_page_before_any_script_runs(live_server, browser):
    """With JavaScript off the demo's concerns are there to read and vote on: the HTML carries them."""
    code = _demo_code(live_server)
    context = _phone(browser, live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/j/{code}")
        concerns = page.locator(".concern")
        expect(concerns.first).to_be_visible()
        assert concerns.count() >= 3
        expect(page.get_by_role("button", name="Send")).to_be_visible()
    finally:
        context.close()


def test_the_live_page_works_when_websockets_cannot_connect(live_server, browser):
    """No WebSocket in the browser: Socket.IO stays on long-polling, and a new concern still arrives live."""
    code = live_server.live_meeting()["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False}).raise_for_status()
    context = _phone(browser, live_server)
    # As behind a proxy or a venue firewall that refuses the upgrade: the browser has no WebSocket at all.
    context.add_init_script("delete window.WebSocket; delete window.WebSocketStream;")
    try:
        page = context.new_page()
        watch_console(page)
        sockets: list[Any] = []
        page.on("websocket", lambda socket: sockets.append(socket))
        page.goto(f"/j/{code}")
        wait_live(page)
        page.evaluate("window.__noReload = true")
        joined = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10)
        joined.raise_for_status()
        sent = requests.post(
            f"{live_server.url}/api/v1/meetings/{code}/concerns",
            json={"text": "Heard over long-polling"},
            headers={"X-Participant-Token": joined.json()["token"]},
            timeout=10,
        )
        sent.raise_for_status()
        expect(page.locator(".concern").filter(has_text="Heard over long-polling")).to_be_visible()
        assert page.evaluate("window.__noReload") is True, "the page reloaded instead of updating live"
        assert sockets == [], "a WebSocket was opened"
        assert console_errors(page) == []
    finally:
        context.close()
