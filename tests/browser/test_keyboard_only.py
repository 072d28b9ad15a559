"""Keyboard only: raise a concern, vote and answer a poll with Tab, Space and Enter, the focus always visible."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

pytestmark = pytest.mark.browser

# The focused element and whether something shows where focus is (an outline, a box shadow or a
# changed background: the app's focus style is a yellow outline with a dark ring).
_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return { tag: el.tagName, name: el.name || "", text: (el.innerText || el.value || "").trim().slice(0, 60),
           label: el.getAttribute("aria-label") || "", visible: ring || shadow };
}"""


def tab_until(page: Any, wanted: str, limit: int = 60) -> dict[str, Any]:
    """Press Tab until the focused element passes ``wanted`` (a JS test of ``el``); every stop must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        if focus is None:
            continue
        assert focus["visible"], f"focus is not visible on {focus}"
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean({wanted}); }}"):
            return focus
    raise AssertionError(f"Tab never reached {wanted}")


def test_raise_a_concern_vote_and_answer_a_poll_with_the_keyboard_only(live_server, phone_page):
    """No pointer at all: the whole attendee journey by Tab, typing, Space and Enter."""
    code = live_server.live_meeting(title="Keyboard meeting")["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False}).raise_for_status()
    poll = live_server.open_poll(code, "Is the park safe?", ["Yes", "No"])
    page = phone_page
    page.goto(f"/j/{code}")
    wait_live(page)

    # Answer the poll: Tab to its first option, Space, Tab on to Send, Enter.
    tab_until(page, "el.type === 'radio' && el.closest('.poll')")
    page.keyboard.press("Space")
    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Send' && el.closest('.poll')")
    page.keyboard.press("Enter")
    expect(page.locator(f"#poll-{poll['id']} .form-status")).to_contain_text("Thank you")

    # Raise a concern.
    tab_until(page, "el.id === 'text'")
    page.keyboard.type("The footpath by the canal has no lights")
    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Send' && el.closest('#concern-form')")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("Thank you")
    concern = page.locator(".concern", has_text="The footpath by the canal has no lights")
    expect(concern).to_be_visible()

    # Vote for it.
    tab_until(page, "el.closest('.vote-form') && el.tagName === 'BUTTON'")
    page.keyboard.press("Space")
    expect(concern.locator(".vote-form button")).to_have_attribute("aria-pressed", "true")
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    assert [(c["text"], c["votes"]) for c in listed] == [("The footpath by the canal has no lights", 1)]
    assert live_server.api("GET", f"/polls/{poll['id']}/results").json()["total"] == 1
    assert console_errors(page) == []
