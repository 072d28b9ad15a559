"""The page's one store in a real browser: a snapshot never erases a change that overtook it."""

from __future__ import annotations

from typing import Any

from tests.browser.helpers import console_errors, wait_live

# Builds a store from the page's own module and returns what its concerns look like after each step.
STORE_RUN = """
async (steps) => {
  const { concernStore } = await import("/static/js/concern-store.js");
  const store = concernStore({ render() {} });
  const views = [];
  for (const [name, payload] of steps) {
    if (name === "put") store.put(payload);
    else if (name === "putProjector") store.putProjector(payload);
    else store.handlers[name](payload);
    views.push(Object.fromEntries([...store.concerns].map(([id, c]) => [id, c.status])));
  }
  return { views, live: store.live, projector: store.projector && store.projector.mode, version: store.version };
}
"""


def concern(concern_id: int, status: str = "approved", **extra: Any) -> dict[str, Any]:
    """Return a concern in the API shape."""
    return {
        "id": concern_id,
        "number": concern_id,
        "text": f"Concern {concern_id}",
        "topic_id": None,
        "author_name": None,
        "votes": 0,
        "voted": False,
        "status": status,
        "highlighted": False,
        "source": "attendee",
        "created_at": "2026-12-02T10:00:00+00:00",
        **extra,
    }


def snapshot(version: int, *concerns: dict[str, Any]) -> dict[str, Any]:
    """Return a snapshot at ``version`` holding ``concerns``."""
    projector = {"mode": "concerns", "concern_id": None, "poll_id": None, "action_index": 0, "version": version}
    return {
        "meeting": {"code": "ABCDEF", "version": version},
        "concerns": list(concerns),
        "polls": [],
        "projector": projector,
        "version": version,
    }


def run(page: Any, steps: list[tuple[str, Any]]) -> dict[str, Any]:
    """Feed ``steps`` (handler name, payload) to a fresh store in the page; return its views."""
    return page.evaluate(STORE_RUN, steps)


def test_an_event_that_arrives_before_the_snapshot_is_replayed_after_it(live_server, page):
    """concern:created v4 before meeting:snapshot v3 (the reproduced fault): the concern stays."""
    page.goto("/")
    result = run(
        page,
        [
            ("concern:created", {"concern": concern(2), "version": 4}),
            ("concern:created", {"concern": concern(9), "version": 2}),  # older than the snapshot: covered by it
            ("snapshot", snapshot(3, concern(1))),
        ],
    )
    assert result["views"][0] == {}  # waits for the snapshot
    assert result["views"][-1] == {"1": "approved", "2": "approved"}
    assert result["live"] is True and result["version"] == 4


def test_a_reconnect_buffers_again_and_a_second_older_snapshot_keeps_newer_changes(live_server, page):
    """After a disconnect events wait for the new snapshot; a snapshot older than applied events keeps them."""
    page.goto("/")
    result = run(
        page,
        [
            ("snapshot", snapshot(3, concern(1, "pending"))),
            ("concern:updated", {"concern": concern(1, "approved"), "version": 5}),
            ("snapshot", snapshot(4, concern(1, "pending"))),  # read before v5 was committed
            ("disconnect", None),
            ("concern:removed", {"id": 1, "version": 8}),
            ("snapshot", snapshot(7, concern(1, "approved"), concern(3))),
        ],
    )
    assert result["views"][2] == {"1": "approved"}
    assert result["views"][4] == {"1": "approved"}  # the removal waits for the reconnect's snapshot
    assert result["views"][5] == {"3": "approved"}


def test_an_older_api_reply_does_not_undo_a_newer_event(live_server, page):
    """A moderation reply as of v5 that arrives after the v6 event for the same concern is left out."""
    page.goto("/")
    result = run(
        page,
        [
            ("snapshot", snapshot(4, concern(1, "pending"))),
            ("concern:updated", {"concern": concern(1, "dismissed"), "version": 6}),
            ("put", concern(1, "approved", version=5)),
            ("put", concern(2, "pending", version=7)),
            ("putProjector", {"mode": "join", "concern_id": None, "poll_id": None, "action_index": 0, "version": 3}),
        ],
    )
    assert result["views"][-1] == {"1": "dismissed", "2": "pending"}
    assert result["projector"] == "concerns"


def test_the_page_counts_each_snapshot_including_a_reconnect(live_server, page):
    """<body data-snapshots> grows with every snapshot applied, so a test can wait for a reconnect's catch-up."""
    code = live_server.live_meeting()["code"]
    page.goto(f"/present/{code}")
    wait_live(page)
    page.evaluate(
        """async (code) => {
          const { connectMeeting } = await import("/static/js/live.js");
          window.__events = [];
          window.__socket = connectMeeting(code, "projector", {
            snapshot: (s) => window.__events.push(["snapshot", s.version]),
            disconnect: () => window.__events.push(["disconnect"]),
          });
        }""",
        code,
    )
    wait_live(page, 2)
    page.evaluate("() => window.__socket.io.engine.close()")  # the transport drops; the client reconnects
    wait_live(page, 3)
    events = page.evaluate("() => window.__events")
    assert [event[0] for event in events] == ["snapshot", "disconnect", "snapshot"]
    assert page.locator("body[data-live]").count() == 1
    assert console_errors(page) == []
