"""The room: what the projector and the attendees' phones show through a meeting (issue 12).

The projector fits the top concerns to the screen; a meeting that has ended says so on both; a
dismissed concern's author is told at once (and nobody else learns its text); every attendee page
reflows at 320 CSS px with text at 200%; the report-back and follow-ups say what is useful first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, console_errors, snap, wait_live

LONG = (
    "The street lights on the path between the station and the estate have been out for weeks, "
    "and people walking home after the late shift feel unsafe: can patrols pass by after ten?"
)


@contextmanager
def sized(browser: Any, live_server: Any, width: int, height: int, **options: Any) -> Iterator[Any]:
    """A page in a fresh context at ``width``×``height``."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _facilitator_concern(live_server: Any, code: str, text: str) -> dict[str, Any]:
    """Enter a concern as the facilitator (approved at once, 0 votes); return it."""
    made = live_server.api("POST", f"/meetings/{code}/concerns", json={"text": text, "source": "facilitator"})
    made.raise_for_status()
    return made.json()


def _vote(live_server: Any, code: str, concern_id: int, times: int) -> None:
    """Add ``times`` votes to a concern from as many new participants."""
    for _ in range(times):
        token = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10).json()["token"]
        requests.put(
            f"{live_server.url}/api/v1/concerns/{concern_id}/vote",
            headers={"X-Participant-Token": token},
            timeout=10,
        ).raise_for_status()


def _drawn_boxes(projector: Any) -> list[dict[str, Any]]:
    """Every concern the projector draws (not hidden), with its box and text."""
    return projector.evaluate(
        """() => [...document.querySelectorAll('#concerns-screen .concern')]
             .filter((item) => item.getClientRects().length > 0)
             .map((item) => { const b = item.getBoundingClientRect();
                              return {top: b.top, bottom: b.bottom, left: b.left, right: b.right,
                                      text: item.querySelector('.concern__text').textContent,
                                      pinned: Boolean(item.closest('#highlighted-list'))}; })"""
    )


def _assert_fits(projector: Any, width: int, height: int, total: int) -> list[dict[str, Any]]:
    """Every drawn concern lies inside the window and clear of the join corner; the rest are counted."""
    boxes = _drawn_boxes(projector)
    corner = projector.locator("#join-corner").bounding_box()
    for box in boxes:
        where = f"{box['text'][:40]!r} at {box} in {width}x{height}"
        assert box["top"] >= 0 and box["left"] >= 0, where
        assert box["bottom"] <= height and box["right"] <= width, f"drawn off screen: {where}"
        assert box["right"] <= corner["x"] or box["bottom"] <= corner["y"], f"under the join corner: {where}"
    assert any(box["pinned"] for box in boxes), "the highlighted concern is not drawn"
    listed = [box for box in boxes if not box["pinned"]]
    assert len(listed) >= 2, f"only {len(listed)} concerns besides the highlight fit at {width}x{height}"
    more = projector.locator("#concerns-more")
    if len(listed) < total:
        expect(more).to_be_visible()
        expect(more).to_contain_text(f"+{total - len(listed)} more")
        box = more.bounding_box()
        assert box["y"] + box["height"] <= height, "the '+N more' line is off screen"
    else:
        expect(more).to_be_hidden()
    return boxes


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_projector_fits_the_top_concerns_and_keeps_the_highlight_and_the_rest_in_sight(
    live_server, browser, width, height
):
    """Long concerns and a long highlight fit the screen; what does not fit is counted, never silently cut."""
    code = live_server.live_meeting(title="Projector fit")["code"]
    made = [_facilitator_concern(live_server, code, f"Concern {n}: {LONG}") for n in range(1, 9)]
    for votes, concern in zip([3, 2, 2, 1, 1], made, strict=False):
        _vote(live_server, code, concern["id"], votes)
    highlighted = made[3]
    live_server.api("PATCH", f"/concerns/{highlighted['id']}", json={"highlighted": True}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()

    with sized(browser, live_server, width, height) as projector:
        projector.goto(f"/present/{code}")
        wait_live(projector)
        expect(projector.locator("#highlighted-list .concern")).to_contain_text("Concern 4:")
        boxes = _assert_fits(projector, width, height, total=7)
        # The concern the facilitator just entered has 0 votes and sorts last: drawn, or counted.
        late = _facilitator_concern(live_server, code, "Raised on paper: the bus shelter on Hall Road is smashed")
        expect(projector.locator("#concerns-screen")).to_contain_text(
            re.compile(r"\+\d+ more|bus shelter on Hall Road")
        )
        projector.wait_for_function("() => document.querySelectorAll('#concern-list .concern').length >= 8")
        boxes = _assert_fits(projector, width, height, total=8)
        late_drawn = any("bus shelter" in box["text"] for box in boxes)
        assert late_drawn or projector.locator("#concerns-more").is_visible(), late
        # The join details are big enough to read from the back of the hall.
        sizes = projector.evaluate(
            """() => ({code: parseFloat(getComputedStyle(document.querySelector('.projector__corner-code')).fontSize),
                       url: parseFloat(getComputedStyle(document.querySelector('.projector__corner-url')).fontSize)})"""
        )
        assert sizes["code"] >= 0.03 * width and sizes["url"] >= 0.013 * width, sizes
        if width == 1920:
            snap(projector, f"projector-concerns-{width}x{height}", full_page=False)
        assert console_errors(projector) == []


def _open_poll(live_server: Any, code: str) -> dict[str, Any]:
    """Create and open a single-choice poll; return it."""
    body = {"question": "How safe do you feel at night?", "kind": "single", "options": ["Safe", "Unsafe"]}
    made = live_server.api("POST", f"/meetings/{code}/polls", json=body)
    made.raise_for_status()
    opened = live_server.api("PATCH", f"/polls/{made.json()['id']}", json={"status": "open"})
    opened.raise_for_status()
    return opened.json()


def _assert_phone_shows_ended(phone: Any, code: str) -> None:
    """The phone says the meeting has ended and what happens next, and offers nothing that cannot work."""
    ended = phone.get_by_role("region", name="This meeting has ended")
    expect(ended).to_be_visible()
    survey = phone.get_by_role("region", name="Tell us what you thought")
    expect(survey.get_by_role("link", name="Answer the survey")).to_have_attribute("href", f"/j/{code}/survey")
    assert survey.bounding_box()["y"] > ended.bounding_box()["y"], "the survey is not among what happens next"
    expect(ended.get_by_role("link", name=re.compile("Follow what they do"))).to_be_visible()
    expect(phone.get_by_role("button", name=re.compile("^Upvote"))).to_have_count(0)
    expect(phone.get_by_text("On screen now")).to_be_hidden()
    expect(phone.get_by_role("heading", name="Raise a concern or ask a question")).to_be_hidden()
    expect(phone.get_by_role("button", name="Send")).to_have_count(0)
    expect(phone.get_by_role("group", name="How safe do you feel at night?")).to_have_count(0)
    # The concerns are still there to read, with their counts, the highlighted one among them.
    expect(phone.locator("#concern-list .concern")).to_have_count(2)
    expect(phone.locator("#concern-list")).to_contain_text("Lights out on Mill Road")
    expect(phone.locator("#concern-list .concern__final-votes").first).to_be_visible()


def test_a_closed_meeting_says_so_on_the_phone_and_the_projector_live_and_after_reload(
    live_server, phone_page, browser
):
    """Closing the meeting turns the phone into "This meeting has ended" with next steps, and the projector too."""
    meeting = live_server.live_meeting(title="Closing meeting")
    code = meeting["code"]
    first = _facilitator_concern(live_server, code, "Lights out on Mill Road")
    _facilitator_concern(live_server, code, "Parking on the pavement by the school")
    live_server.api("PATCH", f"/concerns/{first['id']}", json={"highlighted": True}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "concerns"}).raise_for_status()
    live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"}).raise_for_status()
    _open_poll(live_server, code)

    phone = phone_page
    phone.goto(f"/j/{code}")
    wait_live(phone)
    expect(phone.get_by_text("On screen now")).to_be_visible()
    phone.evaluate("window.__noReload = true")
    with sized(browser, live_server, 1920, 1080) as projector:
        projector.goto(f"/present/{code}")
        wait_live(projector)
        expect(projector.locator("#join-corner")).to_contain_text(code)
        projector.evaluate("window.__noReload = true")

        live_server.api("PATCH", f"/meetings/{code}", json={"status": "closed"}).raise_for_status()

        _assert_phone_shows_ended(phone, code)
        assert phone.evaluate("window.__noReload") is True, "the phone reloaded"
        ended = projector.get_by_role("region", name="This meeting has ended")
        expect(ended).to_be_visible()
        shown_code = projector.get_by_text(code, exact=True).evaluate_all(
            "(nodes) => nodes.filter((node) => node.getClientRects().length > 0).length"
        )
        assert shown_code == 0, "the join code is still on the projector"
        expect(projector.locator("#join-corner")).to_be_hidden()
        expect(projector.locator("#concerns-screen")).to_be_hidden()
        expect(ended).to_contain_text(f"/series/{meeting['series_id']}/actions")
        box = ended.bounding_box()
        assert box["y"] + box["height"] <= 1080, f"the ended screen runs off the bottom ({box})"
        assert projector.evaluate("window.__noReload") is True, "the projector reloaded"

        projector.reload()
        wait_live(projector)
        expect(projector.get_by_role("region", name="This meeting has ended")).to_be_visible()
        expect(projector.locator("#join-corner")).to_be_hidden()
        qr_shown = projector.locator("img[src*='qr']:visible").evaluate_all("(imgs) => imgs.map((i) => i.src)")
        assert all("survey" in src for src in qr_shown), qr_shown
        snap(projector, "projector-ended-1920x1080", full_page=False)
        assert console_errors(projector) == []

    phone.reload()
    wait_live(phone)
    _assert_phone_shows_ended(phone, code)
    snap(phone, "phone-ended-360")
    assert_accessible(phone, "attendee page of a closed meeting")
    assert console_errors(phone) == []


def test_a_dismissed_concern_s_author_is_told_at_once_and_nobody_else_sees_it(live_server, browser):
    """The author's phone shows the kind note live when a moderator dismisses; another phone never gets the text."""
    code = live_server.live_meeting(title="Dismissal meeting")["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": True}).raise_for_status()
    secret = "My neighbour at number 12 deals from his van"
    with (
        sized(browser, live_server, 390, 844) as author,
        sized(browser, live_server, 390, 844) as other,
    ):
        author.goto(f"/j/{code}")
        wait_live(author)
        other.goto(f"/j/{code}")
        wait_live(other)
        texts: list[str] = []
        other.on("websocket", lambda ws: ws.on("framereceived", lambda frame: texts.append(str(frame))))
        author.evaluate("window.__noReload = true")
        note = author.locator("#hidden-note")
        expect(note).to_be_hidden()

        author.get_by_label("Your concern or question").fill(secret)
        author.get_by_role("button", name="Send").click()
        mine = author.locator(".concern").filter(has_text=secret)
        expect(mine).to_be_visible()
        concern_id = int(mine.get_attribute("data-concern-id"))
        live_server.api("PATCH", f"/concerns/{concern_id}", json={"status": "dismissed"}).raise_for_status()

        expect(note).to_be_visible()
        expect(note).to_contain_text("One of your concerns was not shown to the room.")
        expect(author.locator("#live-announcer")).to_contain_text("not shown to the room")
        expect(mine).to_have_count(0)
        assert author.evaluate("window.__noReload") is True, "the author's page reloaded"

        # A visible concern dismissed later: the author's note counts two, live.
        author.get_by_label("Your concern or question").fill("Speeding on Anlaby Road")
        author.get_by_role("button", name="Send").click()
        second = author.locator(".concern").filter(has_text="Speeding on Anlaby Road")
        expect(second).to_be_visible()
        second_id = int(second.get_attribute("data-concern-id"))
        live_server.api("PATCH", f"/concerns/{second_id}", json={"status": "approved"}).raise_for_status()
        expect(other.locator(".concern").filter(has_text="Speeding on Anlaby Road")).to_be_visible()
        live_server.api("PATCH", f"/concerns/{second_id}", json={"status": "dismissed"}).raise_for_status()
        expect(note).to_contain_text("2 of your concerns were not shown to the room.")
        expect(other.locator(".concern").filter(has_text="Speeding on Anlaby Road")).to_have_count(0)
        expect(other.locator("#hidden-note")).to_be_hidden()
        snap(author, "phone-dismissed-note-390", full_page=False)

        author.reload()
        wait_live(author)
        expect(note).to_contain_text("2 of your concerns were not shown to the room.")
        assert secret not in other.content()
        assert not any(secret in frame for frame in texts), "the dismissed text reached another phone"
        assert console_errors(author) == [] and console_errors(other) == []


def _make_report_back(live_server: Any, series_id: int, *, phone_concern_id: int | None = None) -> dict[str, Any]:
    """An action with an owner, a due date and a public update (linked to a concern when given)."""
    body: dict[str, Any] = {
        "you_said": "Street lights out on Mill Road",
        "we_did": "The council will replace the lights.",
        "owner": "Council liaison officer",
        "status": "in_progress",
        "due_date": "2026-09-30",
    }
    if phone_concern_id is not None:
        body["concern_ids"] = [phone_concern_id]
    made = live_server.api("POST", f"/series/{series_id}/actions", role="leader", json=body)
    made.raise_for_status()
    action = made.json()
    update = {"text": "Six of the eight lights are back on.", "status": "in_progress", "progress": 75}
    live_server.api("POST", f"/actions/{action['id']}/updates", role="leader", json=update).raise_for_status()
    return action


def test_report_back_slides_show_the_latest_update_owner_and_due_date(live_server, browser):
    """The slide, drawn by the server and again from the API, says the latest update, who and by when."""
    meeting = live_server.live_meeting(title="Report-back meeting")
    code = meeting["code"]
    _make_report_back(live_server, meeting["series_id"])
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "report_back"}).raise_for_status()
    with sized(browser, live_server, 1920, 1080) as projector:
        projector.goto(f"/present/{code}")
        slide = projector.locator(".report-back-slide:visible")
        for drawn_by in ("server", "script"):
            expect(slide).to_contain_text("Six of the eight lights are back on.")
            expect(slide).to_contain_text(re.compile(r"Latest update, \d{1,2} \w+ \d{4}"))
            expect(slide).to_contain_text("Council liaison officer")
            expect(slide).to_contain_text("30 September 2026")
            if drawn_by == "server":
                wait_live(projector)
                live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "join"}).raise_for_status()
                expect(projector.locator("#join-screen")).to_be_visible()
                live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "report_back"}).raise_for_status()
                expect(projector.locator("#report-back-screen")).to_be_visible()
                projector.wait_for_function("() => !document.querySelector('.report-back-slide[data-index=\"\"]')")
        snap(projector, "projector-report-back-1920x1080", full_page=False)
        assert console_errors(projector) == []


def test_a_returning_phone_sees_its_own_follow_up_before_the_report_back(live_server, browser):
    """What happened to what this phone raised last time comes before the whole report-back."""
    first = live_server.live_meeting(title="Autumn meeting")
    with sized(browser, live_server, 390, 844) as phone:
        phone.goto(f"/j/{first['code']}")
        wait_live(phone)
        phone.get_by_label("Your concern or question").fill("Street lights out on Mill Road")
        phone.get_by_role("button", name="Send").click()
        mine = phone.locator(".concern").filter(has_text="Street lights out on Mill Road")
        expect(mine).to_be_visible()
        _make_report_back(live_server, first["series_id"], phone_concern_id=int(mine.get_attribute("data-concern-id")))
        live_server.api(
            "POST",
            f"/series/{first['series_id']}/actions",
            json={"you_said": "More youth provision", "status": "agreed"},
        ).raise_for_status()
        live_server.api("PATCH", f"/meetings/{first['code']}", json={"status": "closed"}).raise_for_status()
        second = live_server.api(
            "POST", f"/series/{first['series_id']}/meetings", json={"title": "Winter meeting"}
        ).json()
        live_server.api("PATCH", f"/meetings/{second['code']}", json={"status": "live"}).raise_for_status()

        phone.goto(f"/j/{second['code']}")
        follow_ups = phone.get_by_role("heading", name="What happened to what you raised")
        report_back = phone.get_by_role("heading", name=re.compile("You said, we did: since the last meeting"))
        expect(follow_ups).to_be_visible()
        expect(report_back).to_be_visible()
        assert follow_ups.bounding_box()["y"] < report_back.bounding_box()["y"], "the follow-up comes after"
        snap(phone, "phone-follow-up-first-390")


def test_the_join_button_is_above_the_fold_on_a_small_phone(live_server, browser):
    """On a 320×568 phone the Join button shows without scrolling."""
    with sized(browser, live_server, 320, 568, is_mobile=True, has_touch=True) as phone:
        phone.goto("/")
        button = phone.get_by_role("button", name="Join")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["y"] + box["height"] <= 568, f"the Join button ends at {box['y'] + box['height']}px"
        snap(phone, "phone-join-320x568", full_page=False)


def _luminance(rgb: str) -> float:
    """Relative luminance of a CSS rgb() colour."""
    channels = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS colours."""
    high, low = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_selected_sort_button_has_a_strong_focus(live_server, browser):
    """Keyboard focus on the selected (navy) sort button turns it yellow with a thick black bar."""
    code = live_server.live_meeting(title="Sort focus")["code"]
    _facilitator_concern(live_server, code, "Lights out on Mill Road")
    with sized(browser, live_server, 390, 844) as phone:
        phone.goto(f"/j/{code}")
        selected = phone.locator('.sort-nav a[aria-current="true"]')
        before = selected.evaluate("(el) => getComputedStyle(el).backgroundColor")
        for _ in range(60):
            phone.keyboard.press("Tab")
            if selected.evaluate("(el) => el === document.activeElement"):
                break
        else:
            raise AssertionError("Tab never reached the selected sort button")
        style = selected.evaluate(
            "(el) => { const s = getComputedStyle(el);"
            " return {bg: s.backgroundColor, fg: s.color, shadow: s.boxShadow}; }"
        )
        assert _contrast(style["bg"], before) >= 3, f"focus barely changes the button: {before} -> {style}"
        assert _contrast(style["bg"], style["fg"]) >= 4.5, style
        assert _contrast(style["bg"], "rgb(255, 255, 255)") < 3 or "5px" in style["shadow"], style
        assert re.search(r"\b[4-9]px\b", style["shadow"]), f"no thick bar under the focused button: {style}"
        snap(phone, "phone-sort-focus-390", full_page=False)


# --- Reflow: WCAG 1.4.10 at 320 CSS px with text at 200% ------------------------------------------


def _overflow(page: Any) -> int:
    """How far the page scrolls sideways (0 when it does not)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _wide_things(page: Any) -> list[str]:
    """The elements that stick out past the right edge (for a readable failure)."""
    return page.evaluate(
        """() => { const w = document.documentElement.clientWidth;
                   return [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w)
                     .slice(0, 8)
                     .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`); }"""
    )


def test_attendee_pages_reflow_at_320_px_with_text_at_200_percent(live_server, browser):
    """Meeting page (concerns, a poll, the report-back), join page and survey pages never scroll sideways."""
    meeting = live_server.live_meeting(
        title="Reflow meeting with a rather long title for a phone", topics=["Neighbourhood policing"]
    )
    code = meeting["code"]
    topic = live_server.api("GET", f"/series/{meeting['series_id']}").json()["topics"][0]
    made = live_server.api(
        "POST",
        f"/meetings/{code}/concerns",
        json={"text": LONG, "source": "facilitator", "topic_id": topic["id"], "author_name": "Bartholomew"},
    )
    made.raise_for_status()
    first = made.json()
    _facilitator_concern(live_server, code, "Parking on the pavement by the school gates every morning")
    _vote(live_server, code, first["id"], 2)
    live_server.api("PATCH", f"/concerns/{first['id']}", json={"highlighted": True}).raise_for_status()
    _open_poll(live_server, code)
    _make_report_back(live_server, meeting["series_id"])
    survey = live_server.api("POST", f"/meetings/{code}/surveys", json={"template": "trust_confidence"})
    survey.raise_for_status()

    with sized(browser, live_server, 320, 640, is_mobile=True, has_touch=True) as phone:
        session = phone.context.new_cdp_session(phone)
        # The browser's own text size setting at 200% (16px -> 32px), as a phone user would set it.
        session.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        checked = []

        def check(where: str) -> None:
            phone.wait_for_load_state()
            body = phone.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
            assert body >= 32, f"text is not at 200% on {where} ({body}px)"
            assert _overflow(phone) <= 0, f"{where} scrolls sideways by {_overflow(phone)}px: {_wide_things(phone)}"
            checked.append(where)

        phone.goto("/")
        check("join page")
        phone.goto(f"/j/{code}")
        wait_live(phone)
        expect(phone.locator("#highlighted-list .concern")).to_be_visible()
        expect(phone.locator(".poll")).to_be_visible()
        check("meeting page")
        for footer in phone.locator(".concern__footer").all():
            box = footer.bounding_box()
            assert box["x"] + box["width"] <= 320, f"a card footer is {box['width']}px wide"
        for link in phone.locator(".sort-nav a").all():
            box = link.bounding_box()
            assert box["x"] + box["width"] <= 320, f"a sort button ends at {box['x'] + box['width']}px"
        snap(phone, "phone-reflow-meeting-320-200pct")

        phone.goto(f"/j/{code}/survey")
        check("survey start")
        phone.get_by_role("button", name="Start now").click()
        check("survey question 1")
        snap(phone, "phone-reflow-survey-320-200pct")
        questions = survey.json()["questions"]
        for number, question in enumerate(questions, start=1):
            if question["kind"] == "text":
                phone.get_by_role("textbox").first.fill("More patrols")
            else:
                phone.locator("input[name='answer']").first.check()
            phone.get_by_role("button", name="Continue").click()
            if number == 2:
                check(f"survey question {number + 1}")
        check("survey: questions about you")
        phone.get_by_role("button", name="Skip this section").click()
        check("survey: check your answers")
        phone.get_by_role("button", name=re.compile("^Send")).click()
        check("survey: thank you")
        assert len(checked) >= 7
