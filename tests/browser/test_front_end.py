"""The shared front end in a real browser: one store, one concern renderer, requests that time out, API slides."""

from __future__ import annotations

import re
from typing import Any

import requests
from playwright.sync_api import expect

from tests.browser.helpers import console_errors, wait_live

# What a concern item shows, as (mark, hidden, text) for each part the renderer fills, and the
# tags of the visible parts, leaving out the votes: a vote button for attendees and a plain
# count on the projector is the one difference by role, on purpose.
ITEM_STRUCTURE = """
(item) => {
  const common = (node) => !node.closest("form, .concern__votes");
  return {
    classes: [...item.classList].sort(),
    parts: [...item.querySelectorAll("[data-slot], [data-show-if], [data-hide-if]")]
      .filter(common)
      .map((node) => [node.dataset.slot || node.dataset.showIf || node.dataset.hideIf, node.hidden,
                      node.textContent.trim()]),
    tags: [...item.querySelectorAll("*")].filter((node) => common(node) && !node.hidden)
      .map((node) => node.tagName).join(" "),
  };
}
"""
SLIDE_STRUCTURE = """
(slide) => [...slide.querySelectorAll("*")].filter((n) => !n.closest("[hidden]")).map((n) =>
  [n.tagName, n.className, n.getAttribute("aria-label"), n.children.length ? "" : n.textContent.trim()])
"""


def _wait_live(page: Any) -> None:
    """Wait until the page's store has loaded its first snapshot (live.js counts them on <body>)."""
    wait_live(page)


def _meeting(live_server: Any, *, moderation: bool = False, mode: str = "concerns") -> dict[str, Any]:
    """Create a live meeting (topics "Stop and search" and "Youth") with the projector in ``mode``."""
    meeting = live_server.live_meeting()
    code = meeting["code"]
    live_server.api("PATCH", f"/meetings/{code}", json={"moderation": moderation}).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": mode}).raise_for_status()
    return meeting


def _topic_id(live_server: Any, series_id: int, name: str) -> int:
    """Return the id of the series' topic called ``name``."""
    topics = live_server.api("GET", f"/series/{series_id}").json()["topics"]
    return next(topic["id"] for topic in topics if topic["name"] == name)


def _participant(live_server: Any, code: str) -> dict[str, str]:
    """Join ``code`` as a new participant through the API; return the header that identifies them."""
    response = requests.post(f"{live_server.url}/api/v1/meetings/{code}/participants", timeout=10)
    response.raise_for_status()
    return {"X-Participant-Token": response.json()["token"]}


def _raise(live_server: Any, code: str, who: dict[str, str], **body: Any) -> dict[str, Any]:
    """Raise a concern as participant ``who``; return the concern."""
    response = requests.post(f"{live_server.url}/api/v1/meetings/{code}/concerns", json=body, headers=who, timeout=10)
    response.raise_for_status()
    return response.json()


def test_attendee_and_projector_draw_a_concern_with_the_same_renderer(live_server, phone_page, page):
    """A concern that arrives live looks the same on a phone and on the projector, and like the server's own markup."""
    meeting = _meeting(live_server)
    code = meeting["code"]
    youth = _topic_id(live_server, meeting["series_id"], "Youth")
    phone_page.goto(f"/j/{code}")
    page.goto(f"/present/{code}")
    _wait_live(phone_page)
    _wait_live(page)

    text = "The <b>youth club</b> needs a safe way home & lights"
    concern = _raise(live_server, code, _participant(live_server, code), text=text, topic_id=youth, author_name="Sam")
    live_server.api("PATCH", f"/concerns/{concern['id']}", json={"status": "answered"}).raise_for_status()
    on_phone = phone_page.locator(f"#concern-{concern['id']}")
    on_screen = page.locator(f"#concern-{concern['id']}")
    expect(on_phone.locator(".concern__badge--answered")).to_be_visible()
    expect(on_screen.locator(".concern__badge--answered")).to_be_visible()
    expect(on_phone.locator(".concern__text")).to_have_text(text)

    phone_live = on_phone.evaluate(ITEM_STRUCTURE)
    screen_live = on_screen.evaluate(ITEM_STRUCTURE)
    assert phone_live == screen_live
    assert ["topic", False, "Youth"] in phone_live["parts"]
    assert ["author", False, "Sam"] in phone_live["parts"]
    assert ["facilitator", True, "Raised in the room"] in phone_live["parts"]
    assert "concern--answered" in phone_live["classes"]
    assert (
        on_phone.locator(".vote-button__count").text_content()
        == on_screen.locator(".concern__votes-count").text_content()
    )

    # The server draws the same item when the page is loaded afresh.
    page.reload()
    _wait_live(page)
    assert page.locator(f"#concern-{concern['id']}").evaluate(ITEM_STRUCTURE) == screen_live
    assert console_errors(phone_page) == []
    assert console_errors(page) == []


def test_a_hung_or_failed_request_keeps_the_concern_on_the_phone(live_server, phone_page):
    """A hung or failed send: Send works again, the concern waits on the phone, then goes through once.

    Sending hangs past the timeout, or the network fails: the concern is listed as kept on the phone
    (never lost) and goes through once the connection is back — once, not twice.
    """
    code = _meeting(live_server)["code"]
    phone_page.goto(f"/j/{code}")
    _wait_live(phone_page)
    # A short timeout so the test never waits on the clock for 10 s.
    phone_page.evaluate("document.body.dataset.requestTimeoutMs = '200'")
    message = phone_page.locator("#form-status")
    send = phone_page.get_by_role("button", name="Send")
    waiting = phone_page.locator(".outbox")
    hung, failed = "The underpass lights have been out for a month", "Cars parked on the school zigzags"

    def hang(route: Any) -> None:
        """Never answer: the request stays open until the page gives up on it."""

    phone_page.route("**/api/v1/meetings/*/concerns", hang)
    phone_page.get_by_label("Your concern or question").fill(hung)
    send.click()
    expect(message).to_contain_text("saved on this phone")
    expect(send).to_be_enabled()
    expect(waiting).to_contain_text(hung)
    expect(phone_page.get_by_label("Your concern or question")).to_have_value("")

    phone_page.unroute("**/api/v1/meetings/*/concerns")
    phone_page.route("**/api/v1/meetings/*/concerns", lambda route: route.abort("internetdisconnected"))
    phone_page.get_by_label("Your concern or question").fill(failed)
    send.click()
    expect(waiting).to_contain_text(failed)
    expect(phone_page.locator(".concern").filter(has_text=hung)).to_have_count(0)

    # Back online: both go through, in order, and the list of waiting ones goes away.
    phone_page.unroute("**/api/v1/meetings/*/concerns")
    phone_page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(waiting).to_be_hidden()
    expect(message).to_contain_text("has been sent")
    for text in (hung, failed):
        expect(phone_page.locator(".concern").filter(has_text=text)).to_be_visible()
    listed = live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"]
    assert sorted(c["text"] for c in listed) == sorted([hung, failed])


def test_a_failed_vote_is_kept_and_counted_when_the_signal_returns(live_server, phone_page):
    """A vote that cannot reach the server stays on screen, is announced as kept, and is counted once back online."""
    code = _meeting(live_server)["code"]
    _raise(live_server, code, _participant(live_server, code), text="More patrols near the school gates")
    phone_page.goto(f"/j/{code}")
    _wait_live(phone_page)
    phone_page.route("**/api/v1/concerns/*/vote", lambda route: route.abort("internetdisconnected"))
    vote = phone_page.get_by_role("button", name=re.compile(r"^Upvote number 1"))
    vote.click()
    expect(phone_page.locator("#live-announcer")).to_contain_text("Your vote is saved on this phone")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_contain_text("1 vote")
    expect(vote).to_be_enabled()
    assert live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"][0]["votes"] == 0

    phone_page.unroute("**/api/v1/concerns/*/vote")
    phone_page.evaluate("window.dispatchEvent(new Event('online'))")
    phone_page.wait_for_function(f"() => localStorage.getItem('ysdw-outbox-{code}') === null")
    assert live_server.api("GET", f"/meetings/{code}/concerns").json()["concerns"][0]["votes"] == 1


def test_console_keeps_a_facilitators_text_when_the_server_does_not_answer(live_server, page):
    """The console's "add a concern" form keeps the typed text and says the concern was not added when sending hangs."""
    code = _meeting(live_server, moderation=True)["code"]
    live_server.login(page, live_server.user("facilitator"))
    page.goto(f"/moderate/{code}")
    _wait_live(page)
    page.evaluate("document.body.dataset.requestTimeoutMs = '200'")
    page.route("**/api/v1/meetings/*/concerns", lambda route: None)
    page.get_by_label("What they raised").fill("From a paper card: speeding on Elm Street")
    page.get_by_role("button", name="Add concern").click()
    expect(page.locator("#connection-status")).to_have_text("No connection. The concern was not added — try again.")
    expect(page.get_by_role("button", name="Add concern")).to_be_enabled()
    expect(page.get_by_label("What they raised")).to_have_value("From a paper card: speeding on Elm Street")


def test_console_buttons_follow_one_rule_with_and_without_javascript(live_server, page, nojs_page):
    """For every status, the live console shows exactly the moderation buttons the server-rendered page shows."""
    code = _meeting(live_server, moderation=True)["code"]
    who = _participant(live_server, code)
    wanted = {
        "pending": {},
        "approved": {"status": "approved"},
        "on screen": {"status": "approved", "highlighted": True},
        "answered": {"status": "answered"},
        "dismissed": {"status": "dismissed"},
        "archived": {"status": "archived"},
    }
    ids = {}
    for name, change in wanted.items():
        ids[name] = _raise(live_server, code, who, text=f"Concern that is {name}")["id"]
        if "highlighted" in change:
            live_server.api("PATCH", f"/concerns/{ids[name]}", json={"status": "approved"}).raise_for_status()
        if change:
            live_server.api("PATCH", f"/concerns/{ids[name]}", json=change).raise_for_status()
    email = live_server.user("facilitator")
    # What each shown button says on screen (its name adds the concern's number, for screen readers).
    buttons = (
        "(row) => [...row.querySelectorAll('.mod-form:not([hidden]) button')].map((b) => [...b.childNodes]"
        ".filter((n) => !n.classList?.contains('visually-hidden')).map((n) => n.textContent).join('')"
        ".replace(/\\s+/g, ' ').trim())"
    )

    live_server.login(nojs_page, email)
    nojs_page.goto(f"/moderate/{code}")
    served = {name: nojs_page.locator(f"#concern-{id_}").evaluate(buttons) for name, id_ in ids.items()}
    assert served["pending"] == ["Approve A", "Dismiss D", "Save changes"]
    assert served["on screen"][:2] == ["Dismiss D", "Remove highlight H"]
    assert served["dismissed"][0] == "Show again A"

    live_server.login(page, email)
    page.goto(f"/moderate/{code}")
    _wait_live(page)
    # The snapshot redraws every row through the renderer; then each row changes live once more.
    assert {name: page.locator(f"#concern-{id_}").evaluate(buttons) for name, id_ in ids.items()} == served
    live_server.api("PATCH", f"/concerns/{ids['pending']}", json={"status": "approved"}).raise_for_status()
    live_server.api("PATCH", f"/concerns/{ids['approved']}", json={"highlighted": True}).raise_for_status()
    expect(page.locator(f"#live-list #concern-{ids['pending']}")).to_be_visible()
    expect(page.locator(f"#concern-{ids['approved']} .mod-row__highlight")).to_be_visible()
    assert page.locator(f"#concern-{ids['pending']}").evaluate(buttons) == served["approved"]
    assert page.locator(f"#concern-{ids['approved']}").evaluate(buttons) == served["on screen"]
    assert console_errors(page) == []


def test_projector_takes_report_back_slides_from_the_api(live_server, page):
    """Switching to the report-back gets its slides as JSON, not the page again, and draws them as the server does."""
    meeting = _meeting(live_server)
    code, series_id = meeting["code"], meeting["series_id"]
    live_server.api(
        "POST", f"/series/{series_id}/actions", json={"you_said": "Old <i>lights</i> request", "status": "agreed"}
    ).raise_for_status()
    page.goto(f"/present/{code}")
    _wait_live(page)
    seen: list[tuple[str, str, str]] = []
    page.on("request", lambda request: seen.append((request.method, request.url, request.resource_type)))

    # Agreed after the projector page was loaded: only a fresh fetch knows about it.
    live_server.api(
        "POST",
        f"/series/{series_id}/actions",
        json={
            "you_said": "Speeding on <b>Elm Street</b>",
            "we_did": "Two speed checks a week.",
            "status": "in_progress",
        },
    ).raise_for_status()
    live_server.api("PATCH", f"/meetings/{code}/projector", json={"mode": "report_back"}).raise_for_status()
    slide = page.locator(".report-back-slide:visible")
    expect(slide).to_contain_text("Speeding on <b>Elm Street</b>")
    expect(slide).to_contain_text("1 of 2")
    expect(slide).to_contain_text("We will")
    expect(slide).to_contain_text("Two speed checks a week.")
    expect(slide.locator(".action-status")).to_have_text("In progress")
    expect(slide.locator(".action-progress__text")).to_have_text("0% done")
    expect(slide.get_by_role("article", name="Action 1 of 2")).to_be_visible()

    api_calls = [url for method, url, _ in seen if url.endswith(f"/api/v1/meetings/{code}/report-back")]
    assert api_calls, seen
    assert not [url for _, url, _ in seen if f"/present/{code}" in url], "the projector downloaded its own page again"
    drawn = slide.evaluate(SLIDE_STRUCTURE)

    # The server-rendered slide for the same action has the same structure and words.
    page.reload()
    _wait_live(page)
    assert page.locator(".report-back-slide:visible").evaluate(SLIDE_STRUCTURE) == drawn
    live_server.api(
        "PATCH", f"/meetings/{code}/projector", json={"mode": "report_back", "action_index": 1}
    ).raise_for_status()
    expect(page.locator(".report-back-slide:visible")).to_contain_text("Old <i>lights</i> request")
    assert console_errors(page) == []


def test_leaders_stream_follows_the_shared_store(live_server, page):
    """The leaders' stream adds approved concerns under their topic, re-sorts by votes, drops dismissed ones, live."""
    meeting = _meeting(live_server, moderation=True)
    code = meeting["code"]
    youth = _topic_id(live_server, meeting["series_id"], "Youth")
    live_server.login(page, live_server.user("leader"))
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(f"/lead/{code}")
    _wait_live(page)
    assert any(url.endswith("/static/js/concern-store.js") for url in loaded)
    assert any(url.endswith("/static/js/concern-view.js") for url in loaded)
    expect(page.locator("#lead-empty")).to_be_visible()

    who = _participant(live_server, code)
    first = _raise(live_server, code, who, text="Nowhere for <teenagers> to go", topic_id=youth)
    second = _raise(live_server, code, who, text="Bikes stolen from the youth club", topic_id=youth)
    youth_group = page.get_by_role("region", name="Youth")
    expect(youth_group).to_be_hidden()  # still waiting for the moderator
    for concern in (first, second):
        live_server.api("PATCH", f"/concerns/{concern['id']}", json={"status": "approved"}).raise_for_status()
    items = youth_group.locator(".lead-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Nowhere for <teenagers> to go")
    expect(page.locator("#lead-announcer")).to_have_text("New concern number 2: Bikes stolen from the youth club")
    expect(page.get_by_label("#2 Bikes stolen from the youth club")).to_have_value(str(second["id"]))

    voter = _participant(live_server, code)
    requests.put(f"{live_server.url}/api/v1/concerns/{second['id']}/vote", headers=voter, timeout=10).raise_for_status()
    expect(items.first).to_contain_text("Bikes stolen from the youth club")
    expect(items.first).to_contain_text("1 vote")

    live_server.api("PATCH", f"/concerns/{second['id']}", json={"status": "dismissed"}).raise_for_status()
    expect(items).to_have_count(1)
    live_server.api("PATCH", f"/concerns/{first['id']}", json={"status": "answered"}).raise_for_status()
    expect(items.first.locator(".lead-item__answered")).to_be_visible()
    assert console_errors(page) == []


def test_store_never_goes_back_to_an_older_version_or_count(live_server, page):
    """Fed events out of order, the shared store ignores the older concern state and the older vote counts.

    Vote counts are ordered per concern by the batch number ``seq``, not by ``version`` (a vote does
    not bump it): a batch read before the snapshot is dropped, an older batch arriving late is
    dropped for the concerns a newer batch already set, and still applies to the others; a concern
    event keeps the count a batch set (later votes come in a later batch).
    """
    code = _meeting(live_server)["code"]
    page.goto(f"/present/{code}")
    result = page.evaluate(
        """async () => {
          const { concernStore } = await import("/static/js/concern-store.js");
          const seen = [];
          const store = concernStore({
            render() {}, onProjector: (p) => seen.push(p.mode), onMeeting: (m) => seen.push(m.status),
          });
          const concern = (version, text, votes, id = 1) =>
            ({ concern: { id, number: id, text, votes, status: "approved" }, version });
          const h = store.handlers;
          const snapshot = { meeting: { status: "live" }, projector: { mode: "join" }, version: 5, vote_seq: 2 };
          h.snapshot({ ...snapshot, concerns: [concern(5, "second", 3, 2).concern] });
          h["concern:created"](concern(6, "first", 0));
          h["concern:updated"](concern(8, "edited", 0));
          h["concern:updated"](concern(7, "stale", 0));
          h["votes:updated"]({ counts: { 1: 9, 2: 9 }, version: 5, seq: 2 });
          h["votes:updated"]({ counts: { 1: 4 }, version: 8, seq: 4 });
          h["votes:updated"]({ counts: { 1: 2, 2: 5 }, version: 8, seq: 3 });
          h["projector:updated"]({ mode: "concerns", version: 10 });
          h["projector:updated"]({ mode: "join", version: 9 });
          h["meeting:updated"]({ meeting: { status: "closed" }, version: 11 });
          h["meeting:updated"]({ meeting: { status: "live" }, version: 10 });
          h["concern:updated"](concern(12, "edited again", 1));
          h["concern:removed"]({ id: 1, version: 3 });
          const c = store.concerns.get(1);
          return {
            text: c && c.text, votes: c && c.votes, second: store.concerns.get(2).votes, seen,
            projector: store.projector.mode, meeting: store.meeting.status,
          };
        }"""
    )
    assert result == {
        "text": "edited again",
        "votes": 4,
        "second": 5,
        "seen": ["concerns", "closed"],
        "projector": "concerns",
        "meeting": "closed",
    }
