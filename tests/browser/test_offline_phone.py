"""A phone that loses its signal keeps what it raised and voted, and sends it once when the signal is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

pytestmark = pytest.mark.browser


def test_a_concern_and_a_vote_made_offline_are_sent_once_when_the_signal_returns(live_server, phone_page, page):
    """Offline: the concern waits on the phone (listed), the vote stays; online again: both arrive, once."""
    code = live_server.live_meeting(title="Poor signal")["code"]
    settings = live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False})
    assert settings.status_code == 200
    # Someone else's concern to vote for.
    page.goto(f"/j/{code}")
    wait_live(page)
    page.get_by_label("Your concern or question").fill("The bus shelter on Elm Road is smashed")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#form-status")).to_contain_text("Thank you")

    phone = phone_page
    phone.goto(f"/j/{code}")
    wait_live(phone)
    phone.context.set_offline(True)
    phone.get_by_label("Your concern or question").fill("Speeding outside the primary school")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#form-status")).to_contain_text("saved on this phone")
    expect(phone.locator(".outbox")).to_contain_text("Speeding outside the primary school")
    expect(phone.get_by_label("Your concern or question")).to_have_value("")
    phone.locator(".concern", has_text="bus shelter").get_by_role("button", name="Vote").first.click()
    expect(phone.locator("#live-announcer")).to_contain_text("saved on this phone")

    # Still nothing on the server: the phone really had no connection.
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    assert [c["text"] for c in listed] == ["The bus shelter on Elm Road is smashed"]

    phone.context.set_offline(False)
    expect(phone.locator(".outbox")).to_be_hidden(timeout=20_000)
    expect(phone.locator("#form-status")).to_contain_text("has been sent")
    expect(phone.locator(".concern", has_text="Speeding outside the primary school")).to_be_visible()
    # A reload (a reconnect's snapshot, a later flush) sends nothing twice.
    phone.reload()
    wait_live(phone)
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    texts = sorted(c["text"] for c in listed)
    assert texts == ["Speeding outside the primary school", "The bus shelter on Elm Road is smashed"]
    votes = {c["text"]: c["votes"] for c in listed}
    assert votes["The bus shelter on Elm Road is smashed"] == 1
    assert phone.evaluate(f"localStorage.getItem('ysdw-outbox-{code}')") is None
    assert console_errors(phone) == []
