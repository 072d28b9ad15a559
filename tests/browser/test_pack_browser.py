"""The meeting pack in a real browser: readable on screen and on a phone, accessible, and printed to A4 as a PDF."""

from __future__ import annotations

import re
from typing import Any

import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap

# A4 in PDF points (210 × 297 mm); Chromium writes it with a little rounding.
A4_POINTS = (595, 842)


def _seed(live_server: Any) -> dict[str, Any]:
    """A live meeting with concerns (one linked to an action), an answered poll, a survey and actions."""
    meeting = live_server.live_meeting(title="Autumn meeting", topics=["Speeding", "Youth"])
    code, series_id = meeting["code"], meeting["series_id"]
    concerns = []
    for text in ("Speeding on Hessle Road every night", "=Nowhere for teenagers to go, café closed"):
        response = live_server.api(
            "POST", f"/meetings/{code}/concerns", json={"text": text, "source": "facilitator"}, role="facilitator"
        )
        response.raise_for_status()
        concerns.append(response.json())
    action = live_server.api(
        "POST",
        f"/series/{series_id}/actions",
        json={
            "you_said": "Speeding on Hessle Road",
            "we_did": "Speed checks twice a week",
            "status": "in_progress",
            "concern_ids": [concerns[0]["id"]],
            "raised_at_meeting": code,
        },
        role="leader",
    )
    action.raise_for_status()
    poll = live_server.api(
        "POST",
        f"/meetings/{code}/polls",
        json={"kind": "single", "question": "Which night suits you?", "options": ["Monday", "Thursday"]},
        role="facilitator",
    )
    poll.raise_for_status()
    poll_id = poll.json()["id"]
    live_server.api("PATCH", f"/polls/{poll_id}", json={"status": "open"}, role="facilitator")
    options = [option["id"] for option in poll.json()["options"]]
    for n in range(3):  # three phones answer, so the bars have something to show
        token = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10).json()["token"]
        answered = requests.post(
            f"{live_server.url}/api/v1/polls/{poll_id}/responses",
            json={"option_ids": [options[min(n, 1)]]},
            headers={"X-Participant-Token": token},
            timeout=10,
        )
        answered.raise_for_status()
    survey = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
    survey.raise_for_status()
    return meeting


def test_pack_reads_on_screen_and_prints_to_a4(live_server, page, phone_page):
    """Meeting page to pack: no console errors, axe passes, 320px fits, printing hides the chrome, the PDF is A4."""
    meeting = _seed(live_server)
    code = meeting["code"]
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/staff/meetings/{code}")
    page.get_by_role("link", name="Meeting pack").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Meeting pack: Autumn meeting"))).to_be_visible()
    for heading in ("Concerns raised", "Polls", "Survey", "Actions raised at this meeting"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_text("Speeding on Hessle Road every night")).to_be_visible()
    expect(page.get_by_text("=Nowhere for teenagers to go, café closed")).to_be_visible()
    expect(page.get_by_role("table", name="Results of poll 1")).to_be_visible()
    expect(page.get_by_text("Fewer than 10 people answered the survey")).to_be_visible()
    snap(page, "desktop-meeting-pack")
    assert_accessible(page, "meeting pack")
    assert console_errors(page) == []

    # At 320px wide (and so at 200% text on a 640px window) nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    snap(page, "phone-meeting-pack")

    # Printed: the site's header, footer and the links for staff are gone; the record fits the A4 width.
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("link", name="Concerns (CSV)")).to_be_hidden()
    expect(page.get_by_text("Speeding on Hessle Road every night")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    snap(page, "print-meeting-pack")

    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 1, "the PDF has no pages"
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all((int(float(w)), int(float(h))) == A4_POINTS for w, h in boxes), boxes
    assert console_errors(page) == []


def test_pack_on_a_phone_is_accessible(live_server, phone_page):
    """A leader reads the pack on a phone: the same record, axe passes, no console errors."""
    meeting = _seed(live_server)
    live_server.login(phone_page, live_server.user("leader"))
    phone_page.goto(f"/staff/meetings/{meeting['code']}/pack")
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Meeting pack")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    snap(phone_page, "phone-meeting-pack-leader")
    assert_accessible(phone_page, "meeting pack on a phone")
    assert console_errors(phone_page) == []
