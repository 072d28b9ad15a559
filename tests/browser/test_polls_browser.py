"""Live polls in real browsers: a phone sees a poll open, answers it, and the projector's chart changes."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, wait_live


def _open_poll(live_server: Any, code: str, **body: Any) -> dict[str, Any]:
    """Create and open a poll through the API; return it."""
    made = live_server.api("POST", f"/meetings/{code}/polls", json=body)
    made.raise_for_status()
    opened = live_server.api("PATCH", f"/polls/{made.json()['id']}", json={"status": "open"})
    opened.raise_for_status()
    return opened.json()


def test_phone_answers_and_the_projector_chart_changes(live_server, phone_page, page):
    """The poll appears on the phone as it opens; one tap and Send; the projector's count and chart follow."""
    code = live_server.live_meeting()["code"]
    projector = page
    projector.goto(f"/present/{code}")
    wait_live(projector)
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)

    poll = _open_poll(
        live_server, code, kind="single", question="Do you feel safe in the town centre?", options=["Yes", "No"]
    )
    live_server.api(
        "PATCH", f"/meetings/{code}/projector", json={"mode": "poll", "poll_id": poll["id"]}
    ).raise_for_status()
    expect(projector.locator("#poll-question")).to_have_text("Do you feel safe in the town centre?")
    expect(projector.locator("#poll-count")).to_have_text("0 answers.")

    question = phone_page.get_by_role("group", name="Do you feel safe in the town centre?")
    expect(question).to_be_visible()  # no reload: poll:opened built the form
    question.get_by_label("Yes").check()
    phone_page.locator(f"#poll-{poll['id']}").get_by_role("button", name="Send").click()
    expect(phone_page.locator(f"#poll-{poll['id']} .form-status")).to_contain_text("Thank you")

    expect(projector.locator("#poll-count")).to_have_text("1 answer.")
    expect(projector.locator("#poll-table")).to_contain_text("Yes")
    assert projector.evaluate("Boolean(window.Chart && Chart.getChart('poll-canvas'))"), "no chart drawn"
    assert projector.evaluate("Chart.getChart('poll-canvas').data.datasets[0].data") == [1, 0]
    assert_accessible(phone_page)
    assert console_errors(phone_page) == []
    assert console_errors(projector) == []


def test_ranking_reorders_with_the_keyboard(live_server, phone_page):
    """A ranking is put in order with the Up and Down buttons (no dragging), and the answer is the new order."""
    code = live_server.live_meeting()["code"]
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)
    poll = _open_poll(
        live_server, code, kind="ranking", question="What matters most?", options=["Drugs", "Speeding", "Litter"]
    )
    section = phone_page.locator(f"#poll-{poll['id']}")
    expect(section.get_by_role("button", name="Move up: Speeding")).to_be_visible()
    section.get_by_role("button", name="Move up: Speeding").focus()
    phone_page.keyboard.press("Enter")
    expect(section.locator(".ranking__item").first).to_contain_text("Speeding")
    section.get_by_role("button", name="Send").click()
    expect(section.locator(".form-status")).to_contain_text("Thank you")
    results = live_server.api("GET", f"/polls/{poll['id']}/results").json()
    assert [option["label"] for option in results["options"]] == ["Speeding", "Drugs", "Litter"]


def test_the_console_approves_free_text_answers_as_they_arrive(live_server, phone_page, page):
    """An approve-first open-text poll: the console shows the waiting answer live; approving puts it on screen."""
    code = live_server.live_meeting()["code"]
    console = page
    live_server.login(console, live_server.user("facilitator"))
    console.goto(f"/moderate/{code}")
    wait_live(console)
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)

    poll = _open_poll(live_server, code, kind="open_text", question="What should we look at?", approve_answers=True)
    row = console.locator(f"#poll-row-{poll['id']}")
    expect(row).to_contain_text("Open")  # drawn again when the poll opened, no reload

    form = phone_page.locator(f"#poll-{poll['id']}")
    form.get_by_label("Your answer").fill("Lighting in the underpass")
    form.get_by_role("button", name="Send").click()
    expect(form.locator(".form-status")).to_contain_text("Thank you")

    expect(row.get_by_text("1 answer waiting for approval")).to_be_visible()
    assert live_server.api("GET", f"/polls/{poll['id']}/results").json()["answers"] == []
    row.get_by_role("button", name=re.compile(r"^Approve ?: Lighting in the underpass$")).click()
    expect(console.locator(f"#poll-row-{poll['id']}").get_by_text("waiting for approval")).to_have_count(0)
    assert live_server.api("GET", f"/polls/{poll['id']}/results").json()["answers"] == ["Lighting in the underpass"]
    assert console_errors(console) == []
