"""The README's pictures, taken from `make run DEMO=1`'s demo as each person sees it.

Each picture is also a check that its page shows what the README says it shows. The pictures go to
test-artifacts/screens/; with YSDW_UPDATE_SCREENSHOTS=1 they replace those in docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import ROOT, console_errors, demo_world, snap, wait_live

pytestmark = pytest.mark.browser

DOCS = ROOT / "docs" / "screenshots"


def keep(shot: Path, name: str) -> None:
    """Copy a picture into docs/screenshots/ when asked to (YSDW_UPDATE_SCREENSHOTS=1)."""
    if os.environ.get("YSDW_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, DOCS / f"{name}.png")


def shoot(page: Any, name: str, **options: Any) -> None:
    """Take the picture ``name`` of the page's viewport (or ``full_page``) and keep it."""
    shot = snap(page, f"readme-{name}", full_page=options.pop("full_page", False))
    keep(shot, name)


@pytest.fixture(scope="module")
def demo(live_server) -> dict[str, Any]:
    """The demo's live meeting, its series, the closed winter meeting's survey, and a facilitator and leader."""
    world = demo_world(live_server)
    return {
        "code": world["live"],
        "series_id": world["series_id"],
        "survey_id": world["survey_id"],
        "poll_id": world["first_poll_id"],
        "facilitator": live_server.user("facilitator"),
        "leader": live_server.user("leader"),
    }


def projector(live_server: Any, code: str, mode: str, **extra: Any) -> None:
    """Switch the demo's projector (as the console would)."""
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": mode, **extra}).raise_for_status()


def test_the_readme_pictures_show_what_the_readme_says(browser, live_server, demo):
    """Phone, console, projector in three modes, the public page, a poll on both screens, results, the stream."""
    code = demo["code"]
    contexts = []

    def context(**options: Any) -> Any:
        made = browser.new_context(base_url=live_server.url, **options)
        made.set_default_timeout(10_000)
        contexts.append(made)
        return made

    try:
        phone = context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=1)
        laptop = context(viewport={"width": 1280, "height": 860})
        leader = context(viewport={"width": 1280, "height": 860})
        # Reduced motion: the projector's bars are drawn at once (no animation to wait for).
        screen = context(viewport={"width": 1600, "height": 900}, reduced_motion="reduce")
        live_server.login(laptop.new_page(), demo["facilitator"])
        live_server.login(leader.new_page(), demo["leader"])

        attendee = phone.new_page()
        attendee.goto(f"/j/{code}")
        wait_live(attendee)
        expect(attendee.get_by_label("Your concern or question")).to_be_visible()
        expect(attendee.get_by_text("Not for reporting crime.")).to_be_visible()
        shoot(attendee, "phone")

        # The same page for someone whose phone asks for Arabic: translated, right to left.
        arabic = context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=1, locale="ar"
        ).new_page()
        arabic.goto(f"/j/{code}")
        wait_live(arabic)
        assert arabic.evaluate("() => document.documentElement.dir") == "rtl"
        expect(arabic.locator("#concern-form")).to_be_visible()
        shoot(arabic, "phone-arabic")

        console = laptop.new_page()
        console.goto(f"/moderate/{code}")
        wait_live(console)
        expect(console.locator(".mod-row").first).to_be_visible()
        shoot(console, "console")

        room = screen.new_page()
        projector(live_server, code, "join")
        room.goto(f"/present/{code}")
        wait_live(room)
        expect(room.locator("#join-screen")).to_contain_text(code)
        shoot(room, "projector-join")
        projector(live_server, code, "concerns")
        expect(room.locator("#concerns-screen .concern").first).to_be_visible()
        shoot(room, "projector-concerns")
        projector(live_server, code, "report_back", action_index=0)
        expect(room.locator(".report-back-slide:not([hidden])")).to_be_visible()
        shoot(room, "projector-report-back")

        public = context(viewport={"width": 1100, "height": 1000}).new_page()
        public.goto(f"/series/{demo['series_id']}/actions")
        expect(public.get_by_role("heading", level=1)).to_be_visible()
        shoot(public, "public-actions")

        # A poll: open it, put it on the projector, a few phones answer, one phone shows its form.
        live_server.api("PATCH", f"/polls/{demo['poll_id']}", json={"status": "open"})
        projector(live_server, code, "poll", poll_id=demo["poll_id"])
        poll = live_server.api("GET", f"/meetings/{code}/polls").json()["polls"][0]
        options = [option["id"] for option in poll["options"]]
        for n, choice in enumerate([0, 0, 1, 0, 2, 1, 0, 1, 0]):
            voter = requests.Session()
            voter.headers["Origin"] = live_server.url
            voter.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10).raise_for_status()
            voter.post(
                f"{live_server.url}/api/v1/polls/{demo['poll_id']}/responses",
                json={"option_ids": [options[choice]]},
                timeout=10,
            ).raise_for_status()
            assert n >= 0
        attendee.goto(f"/j/{code}")
        wait_live(attendee)
        form = attendee.locator(f"#poll-{demo['poll_id']}")
        expect(form.get_by_role("button", name="Send")).to_be_visible()
        form.scroll_into_view_if_needed()
        form.screenshot(path=str(snap(attendee, "readme-poll-phone")))
        keep(ROOT / "test-artifacts" / "screens" / "readme-poll-phone.png", "poll-phone")
        expect(room.locator("#poll-count")).to_contain_text("9 answers")
        room.wait_for_function("() => window.Chart && Chart.getChart('poll-canvas')")
        shoot(room, "poll-projector")

        results = laptop.new_page()
        results.goto(f"/staff/surveys/{demo['survey_id']}")
        expect(results.get_by_role("heading", level=1)).to_be_visible()
        shoot(results, "survey-results")

        stream = leader.new_page()
        stream.goto(f"/lead/{code}")
        wait_live(stream)
        expect(stream.get_by_role("checkbox").first).to_be_visible()
        shoot(stream, "leaders-stream")

        for page in (attendee, console, room, public, results, stream):
            assert console_errors(page) == [], page.url
    finally:
        for made in contexts:
            made.close()
