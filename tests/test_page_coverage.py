"""Every page is in the accessibility sweep: a GET endpoint that renders HTML needs a state in page_states.py."""

from __future__ import annotations

from tests.browser.page_states import NOT_PAGES, PAGE_STATES


def test_every_page_has_a_state_in_the_accessibility_sweep(app):
    """A new page fails here until tests/browser/page_states.py says how to reach it (and who sees it)."""
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint not in NOT_PAGES
    }
    swept = {state.endpoint for state in PAGE_STATES}
    assert sorted(pages - swept) == [], "pages with no state in tests/browser/page_states.py"
    assert sorted(swept - pages) == [], "states for endpoints that do not exist"
    names = [state.name for state in PAGE_STATES]
    assert len(names) == len(set(names)), "two states share a name"
