"""The impact dashboard in a real browser, from the demo's year of meetings: charts drawn, tables, axe-clean."""

from __future__ import annotations

import os
import shutil

from playwright.sync_api import expect

from tests.browser.helpers import ROOT, assert_accessible, console_errors, snap

# Every chart the demo's dashboard draws: reach, sources, trust, sex, ethnic group, actions, topics.
CHARTS = 7
TABLES = ("reach-table", "sources-table", "trust-table", "equality-sex-table", "actions-table", "topics-table")
# Pixels a canvas has that are not transparent: a drawn chart has thousands, an empty one none.
PAINTED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted;
}"""


def _demo_series(live_server) -> int:
    """Load the demo into the live server's database and return its series id."""
    from ysdw_live.demo import load_demo
    from ysdw_live.meetings.models import Meeting

    with live_server.db() as db:
        code = load_demo(db)
        return db.query(Meeting).filter_by(code=code).one().series_id


def test_dashboard_draws_the_demo_year(live_server, page, phone_page):
    """Staff open the dashboard from the series page: every chart drawn, a table under each, no errors."""
    series_id = _demo_series(live_server)
    live_server.login(page, live_server.user("leader"))
    page.goto(f"/staff/series/{series_id}")
    page.get_by_role("link", name="Impact across meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impact across meetings")
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(CHARTS)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(CHARTS)
    for i in range(CHARTS):
        canvas = canvases.nth(i)
        assert canvas.evaluate(PAINTED) > 500, f"chart {canvas.get_attribute('id')} is blank"
    for table in TABLES:
        expect(page.locator(f"#{table}")).to_be_visible()
    trust = page.locator("#trust-table")
    expect(trust).to_contain_text("38%")
    expect(trust).to_contain_text("(n=13)")
    expect(trust.get_by_role("row", name="Good or excellent job")).to_contain_text("no survey")
    expect(page.locator("#equality-ethnic_group-table")).to_contain_text("72.5%")
    assert_accessible(page, "impact dashboard")
    assert console_errors(page) == []
    snap(page, "impact-full")
    # The README's pictures: the top of the page (figures at a glance, reach), and the trust section.
    top = snap(page, "impact")
    page.screenshot(path=str(top), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1010})
    trust_shot = top.with_name("impact-trust.png")
    page.locator("section[aria-labelledby='trust']").screenshot(path=str(trust_shot))
    if os.environ.get("YSDW_UPDATE_SCREENSHOTS"):
        shutil.copy(top, ROOT / "docs" / "screenshots" / "impact.png")
        shutil.copy(trust_shot, ROOT / "docs" / "screenshots" / "impact-trust.png")

    # On a phone the page reflows: no sideways scrolling, and the wide tables scroll in their box.
    live_server.login(phone_page, live_server.user("leader"))
    phone_page.goto(f"/series/{series_id}/impact")
    expect(phone_page.locator("canvas[data-drawn='true']")).to_have_count(CHARTS)
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    snap(phone_page, "impact-phone")
    assert console_errors(phone_page) == []


def test_public_page_shows_the_summary_above_the_actions(live_server, page):
    """The community's page: meetings held, concerns, actions done and under way, trust where n >= 10."""
    series_id = _demo_series(live_server)
    page.goto(f"/series/{series_id}/actions")
    summary = page.get_by_role("region", name="So far")
    expect(summary).to_contain_text("5 meetings held")
    expect(summary).to_contain_text("64%")
    assert_accessible(page, "public actions page with its summary")
    assert console_errors(page) == []
    snap(page, "public-summary")


def test_admin_sets_the_area_baseline_by_label(live_server, page):
    """An admin types census shares into the plain form (a plain post, no script) and sees them on the dashboard."""
    series_id = _demo_series(live_server)
    live_server.login(page, live_server.user("admin"))
    page.goto(f"/series/{series_id}/impact")
    page.get_by_role("link", name="Set the area baseline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Area baseline")
    assert_accessible(page, "area baseline form")
    page.get_by_label("18–24 (%)").fill("11.5")
    page.get_by_label("Female (%)").fill("abc")
    page.get_by_role("button", name="Save the area baseline").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("18–24 (%)")).to_have_value("11.5")
    snap(page, "impact-baseline-error")
    page.get_by_label("Female (%)").fill("50.5")
    page.get_by_role("button", name="Save the area baseline").click()
    expect(page.get_by_role("status")).to_contain_text("Area baseline saved")
    expect(page.locator("#equality-sex-table")).to_contain_text("50.5%")
    snap(page, "impact-baseline-saved")
