"""The facilitator console run from the keyboard: the queue, undo, shortcuts, closing, filtering, the projector."""

from __future__ import annotations

import re
from typing import Any

import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, wait_live


def _meeting(live_server: Any, *, moderation: bool = True) -> dict[str, Any]:
    """Create a live meeting (topics "Stop and search" and "Youth") with the projector on the concerns."""
    meeting = live_server.live_meeting()
    code = meeting["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": moderation}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()
    return meeting


def _raise(live_server: Any, code: str, text: str, **body: Any) -> dict[str, Any]:
    """Raise a concern as a new participant (waits for approval when moderation is on); return it."""
    joined = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10)
    joined.raise_for_status()
    response = requests.post(
        f"{live_server.url}/api/v1/meetings/{code}/concerns",
        json={"text": text, **body},
        headers={"X-Participant-Token": joined.json()["token"]},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def _statuses(live_server: Any, code: str) -> dict[int, str]:
    """Return each concern's number → status, as the server has it."""
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()
    items = listed["concerns"] if isinstance(listed, dict) else listed
    return {c["number"]: c["status"] for c in items}


def _console(live_server: Any, page: Any, code: str) -> Any:
    """Log ``page`` in as a facilitator and open the console of ``code``, live."""
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    wait_live(page)
    return page


def test_a_approves_the_whole_queue_one_key_press_each(live_server, page):
    """After A the next waiting concern is selected: six concerns take six presses, typed as fast as keys go."""
    code = _meeting(live_server)["code"]
    for n in range(1, 7):
        _raise(live_server, code, f"Queued concern number {n}")
    console = _console(live_server, page, code)
    pending = console.locator("#pending-list .mod-row")
    expect(pending).to_have_count(6)

    presses = 0
    for _ in range(4):
        console.keyboard.press("a")
        presses += 1
    # Focus stays in the queue, on the next waiting concern, not on the approved one below.
    expect(console.locator("#pending-list .mod-row")).to_have_count(2)
    expect(console.locator("#pending-list .mod-row").first).to_be_focused()
    expect(console.locator("#pending-list .mod-row").first).to_contain_text("Queued concern number 5")
    for _ in range(2):
        console.keyboard.press("a")
        presses += 1
    expect(console.locator("#live-list .mod-row")).to_have_count(6)
    expect(pending).to_have_count(0)
    assert presses == 6
    assert set(_statuses(live_server, code).values()) == {"approved"}
    assert console_errors(console) == []


def test_d_keeps_the_focus_in_the_queue_and_undo_stays_on_screen(live_server, page):
    """After D the next waiting concern is focused (not the page), and "Dismissed — Undo" stays visible for seconds."""
    code = _meeting(live_server)["code"]
    for n in range(1, 4):
        _raise(live_server, code, f"Concern for dismissal {n}")
    # A fake clock, so "a few seconds" pass without waiting for them.
    page.clock.install()
    console = _console(live_server, page, code)

    console.keyboard.press("j")
    console.keyboard.press("d")
    toast = console.locator("#undo-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Dismissed #1")
    expect(toast.get_by_role("button", name="Undo")).to_be_visible()
    first_waiting = console.locator("#pending-list .mod-row").first
    expect(first_waiting).to_contain_text("Concern for dismissal 2")
    expect(first_waiting).to_be_focused()
    assert console.evaluate("document.activeElement !== document.body")

    # The socket needs the page's timers, so the clock runs on; jumps skip the seconds in between.
    console.clock.fast_forward(4000)
    expect(toast).to_be_visible()  # still there seconds later
    console.clock.fast_forward(5000)
    expect(toast).to_be_hidden()

    console.keyboard.press("d")
    expect(toast).to_contain_text("Dismissed #2")
    expect(console.locator("#pending-list .mod-row").first).to_be_focused()
    toast.get_by_role("button", name="Undo").click()
    expect(console.locator("#pending-list .mod-row").filter(has_text="Concern for dismissal 2")).to_have_count(1)
    expect(toast).to_be_hidden()
    assert _statuses(live_server, code) == {1: "dismissed", 2: "pending", 3: "pending"}


def test_ctrl_enter_sends_the_add_box_and_the_edit_box(live_server, page):
    """/ then Ctrl+Enter adds a concern; E opens the edit with the caret at the end, Ctrl+Enter saves it."""
    code = _meeting(live_server)["code"]
    _raise(live_server, code, "Speeding on Elm Street")
    console = _console(live_server, page, code)

    console.keyboard.press("/")
    expect(console.get_by_label("What they raised")).to_be_focused()
    console.keyboard.type("From a card: lights out in the underpass")
    console.keyboard.press("Control+Enter")
    expect(console.locator("#live-list .mod-row").filter(has_text="lights out in the underpass")).to_have_count(1)
    expect(console.get_by_label("What they raised")).to_have_value("")

    console.keyboard.press("Escape")
    row = console.locator("#pending-list .mod-row").first
    row.focus()
    console.keyboard.press("e")
    box = row.get_by_role("textbox", name="Text")
    expect(box).to_be_focused()
    assert box.evaluate("(b) => [b.selectionStart, b.selectionEnd, b.value.length]") == [22, 22, 22]
    console.keyboard.type(" near the school")
    console.keyboard.press("Control+Enter")
    expect(row.locator(".mod-row__text")).to_have_text("Speeding on Elm Street near the school")
    expect(row.locator("details.mod-edit")).not_to_have_attribute("open", "")
    concerns = live_server.api("GET", f"/meetings/{code}/concerns").json()
    items = concerns["concerns"] if isinstance(concerns, dict) else concerns
    assert "Speeding on Elm Street near the school" in {c["text"] for c in items}


def test_skip_link_and_each_button_names_its_concern(live_server, page):
    """A skip link reaches the projector controls; row buttons say which concern they act on, live rows too."""
    code = _meeting(live_server)["code"]
    first = _raise(live_server, code, "Parking on the pavement")
    console = _console(live_server, page, code)

    console.keyboard.press("Tab")
    expect(console.get_by_role("link", name="Skip to main content")).to_be_focused()
    console.keyboard.press("Tab")
    skip = console.get_by_role("link", name="Skip to projector controls")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    console.keyboard.press("Enter")
    expect(console.locator("#projector-panel")).to_be_focused()
    console.keyboard.press("Tab")
    expect(console.get_by_role("button", name="Join screen")).to_be_focused()

    number = first["number"]
    for name in (f"Approve concern {number}", f"Dismiss concern {number}"):
        expect(console.get_by_role("button", name=name, exact=True)).to_be_visible()
    # A row drawn live (from the page's template) names its concern the same way.
    second = _raise(live_server, code, "Bins not collected")
    expect(console.get_by_role("button", name=f"Approve concern {second['number']}", exact=True)).to_be_visible()
    console.get_by_role("button", name=f"Approve concern {second['number']}", exact=True).click()
    expect(console.get_by_role("button", name=f"Highlight concern {second['number']}", exact=True)).to_be_visible()
    assert_accessible(console, "console")


def test_single_key_shortcuts_can_be_turned_off(live_server, page):
    """WCAG 2.1.4: a visible switch turns single keys off (remembered in this browser); Ctrl+Enter still works."""
    code = _meeting(live_server)["code"]
    _raise(live_server, code, "Noise from the late bar")
    console = _console(live_server, page, code)
    toggle = console.get_by_role("checkbox", name="Single-key shortcuts")
    expect(toggle).to_be_checked()
    approve_help = console.locator("#keys-list dd").filter(has_text=re.compile("^Approve$"))
    expect(approve_help).to_be_visible()

    toggle.uncheck()
    expect(approve_help).to_be_hidden()  # the help lists what still works
    expect(console.locator("#keys-list .keys__always")).to_be_visible()
    row = console.locator("#pending-list .mod-row").first
    row.focus()
    console.keyboard.press("a")
    console.keyboard.press("/")
    expect(console.get_by_label("What they raised")).not_to_be_focused()
    # Something done after the key press comes back; the key's approval would have come first.
    console.get_by_label("What they raised").fill("Typed with shortcuts off")
    console.keyboard.press("Control+Enter")
    expect(console.locator("#live-list .mod-row").filter(has_text="Typed with shortcuts off")).to_have_count(1)
    expect(row).to_have_attribute("data-status", "pending")
    expect(console.locator("[aria-keyshortcuts]")).to_have_count(0)

    console.reload()
    wait_live(console)
    expect(console.get_by_role("checkbox", name="Single-key shortcuts")).not_to_be_checked()
    console.get_by_role("checkbox", name="Single-key shortcuts").check()
    console.locator("#pending-list .mod-row").first.focus()
    console.keyboard.press("a")
    expect(console.locator("#pending-list .mod-row")).to_have_count(0)


def test_closing_the_meeting_asks_first(live_server, page):
    """Close the meeting takes two steps, sits below the projector controls, and is not a red button at the top."""
    code = _meeting(live_server)["code"]
    console = _console(live_server, page, code)
    side = console.locator(".console__side > section")
    ids = side.evaluate_all("(sections) => sections.map((s) => s.id)")
    assert ids.index("close-section") > ids.index("projector-panel")
    expect(console.locator(".console__side .button--warning:visible")).to_have_count(0)

    console.get_by_text("Close the meeting…").click()
    confirm = console.get_by_role("button", name="Yes, close the meeting")
    expect(confirm).to_be_visible()
    assert live_server.api("GET", f"/meetings/{code}").json()["status"] == "live"  # the first click changed nothing
    confirm.click()
    expect(console.locator("#meeting-status")).to_have_text("Closed")
    expect(console.get_by_role("button", name="Reopen the meeting")).to_be_focused()
    assert live_server.api("GET", f"/meetings/{code}").json()["status"] == "closed"
    console.get_by_role("button", name="Reopen the meeting").click()
    expect(console.locator("#meeting-status")).to_have_text("Live")
    expect(console.get_by_text("Close the meeting…")).to_be_visible()


def test_closing_asks_first_without_javascript(live_server, nojs_page):
    """The confirmation step is plain HTML: without JavaScript the first click still closes nothing."""
    code = _meeting(live_server)["code"]
    live_server.login(nojs_page, live_server.user("facilitator"))
    nojs_page.goto(f"/moderate/{code}")
    nojs_page.get_by_text("Close the meeting…").click()
    assert live_server.api("GET", f"/meetings/{code}").json()["status"] == "live"
    nojs_page.get_by_role("button", name="Yes, close the meeting").click()
    expect(nojs_page.locator("#meeting-status")).to_have_text("Closed")
    assert live_server.api("GET", f"/meetings/{code}").json()["status"] == "closed"


def _visible_texts(page: Any) -> list[str]:
    """Return the texts of the concern rows the console shows, in page order."""
    return page.locator(".mod-row:visible .mod-row__text").all_inner_texts()


def test_the_list_filters_by_topic_and_status_and_searches(live_server, page, nojs_page):
    """Search, topic and status narrow every list as you type; without JavaScript the same filter is a GET form."""
    meeting = _meeting(live_server)
    code = meeting["code"]
    topics = {t["name"]: t["id"] for t in live_server.api("GET", f"/series/{meeting['series_id']}").json()["topics"]}
    park = _raise(live_server, code, "Motorbikes in the PARK at night", topic_id=topics["Youth"])
    stops = _raise(live_server, code, "Stop and search figures by area", topic_id=topics["Stop and search"])
    bins = _raise(live_server, code, "Bins left in the park lane")
    live_server.api("PATCH", f"/concerns/{stops['id']}", json={"status": "approved"}).raise_for_status()
    live_server.api("PATCH", f"/concerns/{bins['id']}", json={"status": "dismissed"}).raise_for_status()

    console = _console(live_server, page, code)
    console.keyboard.press("f")
    search = console.get_by_role("searchbox", name="Search", exact=True)
    expect(search).to_be_focused()
    console.keyboard.type("park")
    expect(console.locator("#filter-summary")).to_have_text("Showing 2 of 3 concerns.")
    expect(console.locator(f"#concern-{stops['id']}")).to_be_hidden()
    expect(console.locator("#live-nomatch")).to_be_visible()
    finder = console.get_by_role("search", name="Find concerns")
    finder.get_by_label("Topic").select_option(label="Youth")
    expect(console.locator("#filter-summary")).to_have_text("Showing 1 of 3 concerns.")
    assert _visible_texts(console) == ["Motorbikes in the PARK at night"]
    # J and K move through what the filter shows.
    console.keyboard.press("Escape")
    expect(console.locator(f"#concern-{park['id']}")).to_be_focused()
    console.get_by_role("link", name="Clear the filter").click()
    expect(console.locator("#filter-summary")).to_have_text("")
    finder.get_by_label("Status").select_option(label="Dismissed")
    expect(console.locator("#done-section")).to_have_attribute("open", "")
    assert _visible_texts(console) == ["Bins left in the park lane"]
    # A concern arriving while filtered is filtered too.
    _raise(live_server, code, "Another waiting concern")
    expect(console.locator("#count-concerns")).to_have_text("4")
    assert _visible_texts(console) == ["Bins left in the park lane"]

    live_server.login(nojs_page, live_server.user("facilitator"))
    nojs_page.goto(f"/moderate/{code}")
    finder = nojs_page.get_by_role("search", name="Find concerns")
    finder.get_by_label("Search").fill("park")
    finder.get_by_label("Status").select_option(label="Waiting for approval")
    nojs_page.get_by_role("button", name="Filter").click()
    expect(nojs_page).to_have_url(re.compile(r"q=park"))
    assert _visible_texts(nojs_page) == ["Motorbikes in the PARK at night"]
    expect(nojs_page.locator("#filter-summary")).to_have_text("Showing 1 of 4 concerns.")


def test_the_console_previews_the_projector_and_counts_its_screens(live_server, page, browser):
    """A small panel mirrors what the projector shows (mode, highlight) and says whether a projector is connected."""
    code = _meeting(live_server, moderation=False)["code"]
    shown = _raise(live_server, code, "Cycle lane blocked by vans")
    console = _console(live_server, page, code)
    preview = console.locator("#projector-preview")
    screens = console.locator("#projector-screens")
    expect(preview).to_contain_text("Concerns")
    expect(preview).to_contain_text("Cycle lane blocked by vans")
    expect(screens).to_have_text(re.compile("No projector screen is connected"))

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    try:
        projector = context.new_page()
        projector.goto(f"/present/{code}")
        wait_live(projector)
        expect(screens).to_have_text("1 projector screen connected.")

        console.locator(f"#concern-{shown['id']}").focus()
        console.keyboard.press("h")
        expect(preview).to_contain_text(f"Highlighted: #{shown['number']} Cycle lane blocked by vans")
        console.keyboard.press("1")
        expect(preview).to_contain_text("Join screen")
        expect(preview).to_contain_text(code)
        expect(projector.locator("#join-screen")).to_be_visible()
        # Changed elsewhere (another console, the API): the preview follows.
        live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()
        expect(console.locator("#projector-mode")).to_have_text("Concerns")
        projector.close()
        expect(screens).to_have_text(re.compile("No projector screen is connected"))
    finally:
        context.close()
    assert console_errors(console) == []


def test_the_console_reflows_at_200_percent_and_on_a_phone(live_server, browser):
    """1366×768 at 200% zoom is 683 CSS pixels wide; there and at 320 px nothing scrolls sideways."""
    meeting = _meeting(live_server)
    _raise(live_server, meeting["code"], "A long concern " * 20)
    email = live_server.user("facilitator")
    for width, height in ((683, 384), (320, 568)):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            live_server.login(page, email)
            page.goto(f"/moderate/{meeting['code']}")
            wait_live(page)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the console scrolls sideways by {overflow}px at {width}px wide"
        finally:
            context.close()
