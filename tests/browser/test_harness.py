"""The browser harness itself can fail: axe finds real violations, and CSP violations reach console_errors."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_accessible, axe_report, console_errors

pytestmark = pytest.mark.browser


def test_axe_reports_a_planted_violation(page, axe):
    """An image without alt text and an unlabelled input are reported by id, help and node."""
    page.goto("/")
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = '/static/css/app.css';
        img.id = 'planted-image';
        document.querySelector('main').append(img);
        const input = document.createElement('input');
        input.id = 'planted-input';
        document.querySelector('main').append(input);
    }""")
    violations = axe(page)
    ids = {v["id"] for v in violations}
    assert {"image-alt", "label"} <= ids, axe_report(violations)
    report = axe_report(violations)
    assert "#planted-image" in report and "#planted-input" in report
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "planted page")


def test_inline_script_is_blocked_and_reported(page):
    """The pages' CSP refuses inline scripts, and the refusal shows up in console_errors."""
    page.goto("/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("""() => {
            const s = document.createElement('script');
            s.textContent = 'window.inlineRan = true';
            document.body.append(s);
        }""")
    assert page.evaluate("() => window.inlineRan === true") is False
    assert any("Content Security Policy" in error for error in console_errors(page)), console_errors(page)
