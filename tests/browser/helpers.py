"""Helpers for real-browser tests: axe accessibility checks, QR decoding, screenshots, console errors."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import PIL.Image
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_PATH = ROOT / "static" / "vendor" / "axe.min.js"
AXE_URL = "/static/vendor/axe.min.js"
CHROMIUM = os.environ.get("YSDW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
IN_CI = os.environ.get("CI") == "true"

_AXE_RUN = """
async ([tags, disabled]) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
  // Only violations are reported: passes and incomplete results are cut to one node each (faster).
  const options = { runOnly: { type: "tag", values: tags }, rules, resultTypes: ["violations"] };
  const result = await window.axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary })),
  }));
}
"""


def wait_live(page: Any, snapshots: int = 1) -> None:
    """Wait until the page has applied ``snapshots`` meeting snapshots (live.js counts them in <body data-snapshots>).

    ``<body data-live>`` appears with the first one; the count also tells a reconnect's catch-up apart.
    """
    page.wait_for_function("(n) => Number(document.body.dataset.snapshots || 0) >= n", arg=snapshots)


def skip_or_fail(reason: str) -> None:
    """Skip the test with ``reason``; under CI=true a missing prerequisite is a failure instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def axe(page: Any, *, disable: tuple[str, ...] = (), tags_extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run axe-core on the page (WCAG 2.0–2.2 A and AA) and return its violations.

    axe is loaded from the app's own ``/static/vendor/`` so the page's CSP (``script-src 'self'``)
    allows it; nothing is injected inline.
    """
    if not AXE_PATH.exists():
        skip_or_fail(f"{AXE_PATH} is missing: run `make setup` (it copies axe-core from node_modules)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(_AXE_RUN, [AXE_TAGS + list(tags_extra), list(disable)])


def axe_report(violations: list[dict[str, Any]]) -> str:
    """Return violations as readable text: id, impact, help, and each offending node."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            for detail in (node.get("summary") or "").splitlines():
                lines.append(f"        {detail}")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "", *, disable: tuple[str, ...] = ()) -> None:
    """Fail with a readable report when axe finds WCAG A/AA violations on the page."""
    violations = axe(page, disable=disable)
    if violations:
        report = axe_report(violations)
        print(f"\naxe violations on {where or page.url}:\n{report}")
        raise AssertionError(f"axe found {len(violations)} WCAG A/AA violation(s) on {where or page.url}:\n{report}")


def safe_name(text: str) -> str:
    """Return ``text`` made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150]


def snap(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot to test-artifacts/screens/NAME.png (to look at) and return its path."""
    path = ARTIFACTS / "screens" / f"{safe_name(name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path


def decode_qr(png: bytes) -> list[str]:
    """Return the texts of the QR codes zxing finds in a PNG (e.g. a screenshot)."""
    import zxingcpp

    image = PIL.Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def console_errors(page: Any) -> list[str]:
    """Return the page's console errors, uncaught exceptions and failed sub-resources (CSP violations show here).

    A page itself answering 4xx (a form re-shown with errors is a 400) is not counted: that is the
    app's deliberate answer, not a broken page.
    """
    return list(getattr(page, "_ysdw_console_errors", []))


def watch_console(page: Any) -> None:
    """Start recording console errors, page errors and failed sub-resources for :func:`console_errors`."""
    errors: list[str] = []
    page._ysdw_console_errors = errors  # our own note on the page object

    def on_console(message: Any) -> None:
        """Keep console errors; failed loads are reported (with their URL) by on_response instead."""
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Any) -> None:
        """Keep sub-resources (scripts, styles, images, API calls) that failed."""
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def demo_world(live_server: Any) -> dict[str, Any]:
    """Load `make run DEMO=1`'s demo into the live server (once) and return its ids and codes.

    ``live``: the live meeting's code; ``closed``/``closed_id``: the latest closed meeting (the winter
    one, with its survey); ``series_id``, ``survey_id`` (that meeting's survey), ``action_id`` (the
    series' first action), ``first_poll_id`` (the live meeting's first prepared poll).
    """
    from sqlalchemy import select

    from ysdw_live.actions.models import Action
    from ysdw_live.demo import DEMO_TITLE, load_demo
    from ysdw_live.meetings.models import Meeting, MeetingStatus
    from ysdw_live.polls.models import Poll
    from ysdw_live.series.models import Series
    from ysdw_live.surveys.models import Survey

    with live_server.db() as db:
        live = load_demo(db)
        series = db.scalar(select(Series).where(Series.title == DEMO_TITLE))
        closed = db.scalar(
            select(Meeting)
            .where(Meeting.series_id == series.id, Meeting.status == MeetingStatus.closed)
            .order_by(Meeting.starts_at.desc())
        )
        live_id = db.scalar(select(Meeting.id).where(Meeting.code == live))
        return {
            "live": live,
            "closed": closed.code,
            "closed_id": closed.id,
            "series_id": series.id,
            "survey_id": db.scalar(select(Survey.id).where(Survey.meeting_id == closed.id)),
            "action_id": db.scalar(select(Action.id).where(Action.series_id == series.id).order_by(Action.id)),
            "first_poll_id": db.scalar(select(Poll.id).where(Poll.meeting_id == live_id).order_by(Poll.id)),
        }
