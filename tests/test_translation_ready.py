"""Every user-facing string is ready for translation, and the committed messages.pot holds them all.

No bare text in the checked templates; every string the code, templates and scripts mark is in
``ysdw_live/translations/messages.pot``.

The list of checked templates grows as each part of the product is made translatable (issue 13 adds
the rest): a template on it may show words only through ``_()``, ``ngettext()`` or ``pgettext()``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "ysdw_live" / "translations" / "messages.pot"

# The templates whose every word goes through the catalogue (polls and surveys, issue 10).
TRANSLATED_TEMPLATES = (
    "templates/surveys/about_you.html",
    "templates/surveys/check.html",
    "templates/surveys/done.html",
    "templates/surveys/equality.html",
    "templates/surveys/question.html",
    "templates/surveys/results.html",
    "templates/surveys/start.html",
    "templates/live/_poll.html",
    "templates/projector/_poll.html",
    "templates/moderate/_polls.html",
    # The frame and the public pages (issue 13).
    "templates/base.html",
    "templates/error.html",
    "templates/partials/not_for_crime.html",
    "templates/partials/error_summary.html",
    "templates/partials/field.html",
    "templates/partials/date_field.html",
    "templates/auth/login.html",
    "templates/public/home.html",
    "templates/public/privacy.html",
    # The attendee's page (issue 13).
    "templates/attendee/meeting.html",
    "templates/attendee/_follow_ups.html",
    "templates/attendee/_report_back.html",
    "templates/live/_concern.html",
    # The public action list and the projector (issue 13).
    "templates/actions/_macros.html",
    "templates/public/actions.html",
    "templates/projector/present.html",
    "templates/projector/_report_back_slide.html",
    "templates/kiosk/_idle.html",
    "templates/kiosk/_layout.html",
    "templates/kiosk/_not_for_crime.html",
    "templates/kiosk/concern.html",
    "templates/kiosk/survey.html",
    "templates/kiosk/thanks.html",
    "templates/public/accessibility.html",
    "templates/partials/close_confirm.html",
)

# Attributes a person reads or hears; ``value`` counts only on buttons that show it.
READ_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder"})
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
LETTER = re.compile(r"[^\W\d_]")
# Blocks that fill an attribute, not the page's text (``<body class="{% block body_class %}…">``).
MARKUP_BLOCKS = re.compile(r"\{%-?\s*block\s+(body_class)\s*-?%\}.*?\{%-?\s*endblock", re.DOTALL)
# Text that is only attributes (a macro that writes ``aria-invalid="true" …`` into a tag) is markup.
ATTRIBUTES_ONLY = re.compile(r'\s*([\w-]+="[^"]*"\s*)+')


def blank(match: re.Match[str]) -> str:
    """The matched text as spaces, keeping its line breaks (so line numbers stay right)."""
    return re.sub(r"[^\n]", " ", match.group())


def without_jinja(source: str) -> str:
    """Blank out attribute-filling blocks and every Jinja expression, statement and comment."""
    return JINJA.sub(blank, MARKUP_BLOCKS.sub(blank, source))


class BareText(HTMLParser):
    """Collect (line, text) for every text node or read attribute that still holds letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note read attributes with words; enter a script or style."""
        if tag in ("script", "style"):
            self.raw += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS
            )
            if shown and value and LETTER.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag: str) -> None:
        """Leave a script or style."""
        if tag in ("script", "style") and self.raw:
            self.raw -= 1

    def handle_data(self, data: str) -> None:
        """Note text with words outside scripts and styles."""
        if not self.raw and LETTER.search(data) and not ATTRIBUTES_ONLY.fullmatch(data):
            line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
            self.found.append((line, data.strip()))


def bare_text(path: str) -> list[str]:
    """Return ``path:line: text`` for each untranslated text of a template."""
    parser = BareText()
    parser.feed(without_jinja((ROOT / path).read_text(encoding="utf-8")))
    parser.close()
    return [f"{path}:{line}: {text}" for line, text in parser.found]


def test_the_checker_finds_bare_text_and_attributes_and_skips_marked_text(tmp_path, monkeypatch):
    """The checker itself: text nodes, read attributes and button values are caught; _() and scripts are not."""
    sample = tmp_path / "templates" / "sample.html"
    sample.parent.mkdir()
    sample.write_text(
        "{% block body_class %}page-class{% endblock %}{% set x = 'Hidden in a statement' %}\n"
        '<p>{{ _("Marked") }} · {{ value }}%</p>\n'
        "<p>Bare words</p>\n"
        '<img alt="A picture" src="x.png"><input type="submit" value="Go"><input name="q" value="typed">\n'
        '<script>const s = "script text";</script>{# a comment #}\n'
        '<a href="#" title="{{ _("Marked title") }}">{{ _("Link") }}</a>\n',
        encoding="utf-8",
    )
    monkeypatch.setattr("tests.test_translation_ready.ROOT", tmp_path)
    assert bare_text("templates/sample.html") == [
        "templates/sample.html:3: Bare words",
        'templates/sample.html:4: alt="A picture"',
        'templates/sample.html:4: value="Go"',
    ]


def test_checked_templates_show_words_only_through_the_catalogue():
    """No text node or read attribute of a checked template holds letters outside _() / ngettext()."""
    found = [problem for path in TRANSLATED_TEMPLATES for problem in bare_text(path)]
    assert not found, 'Wrap these in {{ _("…") }} (or ngettext):\n' + "\n".join(found)


def extracted() -> dict[tuple[str | None, str], list[str]]:
    """Every (context, msgid) that babel.cfg's files mark now, with where it is."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, _line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), []).append(filename)
    return found


def test_the_committed_template_has_every_marked_string():
    """messages.pot is up to date: re-run `bash scripts/i18n.sh` after adding or changing wording."""
    with POT.open("rb") as file:
        catalogue = read_po(file)
    committed = {
        (message.context, message.id[0] if isinstance(message.id, tuple) else message.id) for message in catalogue
    }
    missing = {key: where for key, where in extracted().items() if key not in committed}
    assert not missing, "Not in ysdw_live/translations/messages.pot (run `bash scripts/i18n.sh`):\n" + "\n".join(
        f"{sorted(set(where))}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), where in sorted(missing.items(), key=lambda item: item[0][1])
    )


def test_the_checked_templates_and_poll_and_survey_modules_are_extracted():
    """The catalogue really covers the polls and surveys: a sample of their strings is in messages.pot."""
    text = POT.read_text(encoding="utf-8")
    for msgid in (
        "Check your answers before sending them",  # templates/surveys/check.html
        "Prepare a poll",  # templates/moderate/_polls.html
        "This poll has closed.",  # ysdw_live/polls/models.py
        "Strongly agree",  # ysdw_live/surveys/models.py, stored English marked with N_
        "What is your ethnic group?",  # ysdw_live/surveys/content.py
        "Sending…",  # static/js/attendee-polls.js
    ):
        assert f'msgid "{msgid}"' in text, msgid
