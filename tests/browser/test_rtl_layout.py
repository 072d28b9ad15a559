"""Right to left: with dir="rtl" the layout mirrors (logical CSS properties), and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.helpers import snap, wait_live

pytestmark = pytest.mark.browser

_SIDES = """(selector) => {
  const style = getComputedStyle(document.querySelector(selector));
  return { left: parseFloat(style.borderLeftWidth), right: parseFloat(style.borderRightWidth) };
}"""


def test_the_attendee_page_mirrors_right_to_left(live_server, phone_page):
    """The accent bars of concerns and notices move to the right edge; the page stays within the phone's width."""
    code = live_server.live_meeting(title="Right to left")["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": False}).raise_for_status()
    phone_page.goto(f"/j/{code}")
    wait_live(phone_page)
    phone_page.get_by_label("Your concern or question").fill("الإنارة في الممر مطفأة منذ شهر")
    phone_page.get_by_role("button", name="Send").click()
    phone_page.wait_for_selector(".concern")

    ltr = phone_page.evaluate(_SIDES, ".concern")
    assert ltr["left"] > ltr["right"], ltr
    phone_page.evaluate("document.documentElement.dir = 'rtl'")
    rtl = phone_page.evaluate(_SIDES, ".concern")
    assert rtl["right"] > rtl["left"], f"the concern's accent bar did not move to the right: {rtl}"
    assert rtl["right"] == ltr["left"]
    # The skip link hides off the right edge too, never widening the page.
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the right-to-left page scrolls sideways by {overflow}px"
    snap(phone_page, "rtl-attendee-phone")
