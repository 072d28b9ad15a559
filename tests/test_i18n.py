"""The message catalogue: templates and code mark strings with ``_`` and render English by default."""

from __future__ import annotations

from flask import render_template_string

from ysdw_live.i18n import gettext


def test_templates_and_code_share_one_catalogue(app):
    """``_`` and ``ngettext`` work in a template, ``gettext`` with variables in code."""
    with app.test_request_context("/"):
        app.preprocess_request()
        assert render_template_string('{{ _("Send") }} {{ ngettext("%(num)d vote", "%(num)d votes", 2) }}') == (
            "Send 2 votes"
        )
        assert gettext("Hello %(name)s", name="Sam") == "Hello Sam"


def test_outside_a_request_the_english_source_text_is_returned():
    """The CLI and background tasks get English, the source of truth for stored wording."""
    assert gettext("Trust and confidence") == "Trust and confidence"
