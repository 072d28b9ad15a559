"""The message catalogue: templates and code mark strings with ``_`` and render English by default.

A test catalogue shows the round trip: pages, the scripts' catalogue and API errors come out translated.
"""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po
from flask import render_template_string

from tests.conftest import bearer, token_for
from ysdw_live.auth.models import Role
from ysdw_live.errors import Conflict
from ysdw_live.i18n import gettext, lazy_gettext


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


# ---------------------------------------------------------------------------------------------
# A translated round trip: a tiny Polish catalogue, made here from a .po, read by the app.
# ---------------------------------------------------------------------------------------------

RATING_PROMPT = "Taking everything into account, how good a job do you think the police in this area are doing?"
POLISH = (
    ("Poll", "Ankieta", "templates/live/_poll.html"),
    ("Send", "Wyślij", "templates/live/_poll.html"),
    ("This poll has closed.", "Ta ankieta jest już zamknięta.", "ysdw_live/polls/models.py"),
    ("Question %(number)d of %(count)d", "Pytanie %(number)d z %(count)d", "templates/surveys/question.html"),
    (
        RATING_PROMPT,
        "Biorąc wszystko pod uwagę, jak dobrze pracuje policja w tej okolicy?",
        "ysdw_live/surveys/content.py",
    ),
    ("Excellent", "Doskonale", "ysdw_live/surveys/content.py"),
    ("Sending…", "Wysyłanie…", "static/js/attendee-polls.js"),
)
ANSWERS_PL = ("%(num)d odpowiedź", "%(num)d odpowiedzi", "%(num)d odpowiedzi")


@pytest.fixture
def polish(app, tmp_path, monkeypatch) -> dict[str, str]:
    """Polish pages (chosen by Accept-Language) with a test catalogue; returns the request header."""
    catalogue = Catalog(locale="pl", project="test")
    for msgid, string, where in POLISH:
        catalogue.add(msgid, string, locations=[(where, 1)])
    catalogue.add(("%(num)d answer", "%(num)d answers"), ANSWERS_PL, locations=[("static/js/polls-panel.js", 1)])
    catalogue.add("Not for scripts", "Nie dla skryptów", locations=[("templates/base.html", 1)])
    folder = tmp_path / "translations" / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as file:
        write_po(file, catalogue)
    with (folder / "messages.mo").open("wb") as file:
        write_mo(file, catalogue)
    monkeypatch.setitem(app.config, "LANGUAGES", ["en", "pl"])
    # What BABEL_TRANSLATION_DIRECTORIES=<tmp>/translations gives an app at creation.
    app.extensions["babel"].translation_directories = [str(tmp_path / "translations")]
    return {"Accept-Language": "pl"}


def js_messages(html: str) -> dict:
    """The scripts' catalogue the page carries."""
    found = re.search(r'<script type="application/json" id="js-messages">(.*?)</script>', html, re.DOTALL)
    assert found, "every page carries the scripts' catalogue"
    return json.loads(found.group(1))


def test_a_poll_page_its_scripts_catalogue_and_an_api_error_come_out_translated(app, factory, polish):
    """A Polish phone sees the poll form, the scripts' words and the API's refusal in Polish; English is unchanged."""
    meeting = factory.meeting(status="live")
    staff = bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))
    admin = app.test_client()
    poll = admin.post(
        f"/api/v1/meetings/{meeting.code}/polls",
        json={"kind": "single", "question": "Safe?", "options": ["Yes", "No"]},
        headers=staff,
    ).get_json()
    assert admin.patch(f"/api/v1/polls/{poll['id']}", json={"status": "open"}, headers=staff).status_code == 200
    phone = app.test_client()
    phone.environ_base["HTTP_ORIGIN"] = "http://localhost"
    assert phone.post(f"/api/v1/meetings/{meeting.code}/participants").status_code == 201

    page = phone.get(f"/j/{meeting.code}", headers=polish).get_data(as_text=True)
    assert '<html lang="pl" dir="ltr">' in page
    assert '<span class="caption">Ankieta</span>' in page and ">Wyślij</button>" in page
    assert "Safe?" in page  # what staff typed is never translated
    scripts = js_messages(page)
    assert scripts["messages"]["Sending…"] == "Wysyłanie…"
    assert scripts["messages"]["%(num)d answer"] == list(ANSWERS_PL)
    assert "Not for scripts" not in scripts["messages"]  # only entries found in static/js
    assert scripts["plural"] == {"one": 0, "few": 1, "many": 2, "other": 2}

    english = phone.get(f"/j/{meeting.code}").get_data(as_text=True)
    assert '<html lang="en"' in english and ">Send</button>" in english and js_messages(english) == {}

    assert admin.patch(f"/api/v1/polls/{poll['id']}", json={"status": "closed"}, headers=staff).status_code == 200
    option = poll["options"][0]["id"]
    refused = phone.post(f"/api/v1/polls/{poll['id']}/responses", json={"option_ids": [option]}, headers=polish)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == {"code": "poll_closed", "message": "Ta ankieta jest już zamknięta."}
    again = phone.post(f"/api/v1/polls/{poll['id']}/responses", json={"option_ids": [option]})
    assert again.get_json()["error"]["message"] == "This poll has closed."


def test_a_survey_question_page_is_translated_while_the_stored_wording_stays_english(app, factory, polish):
    """The shipped question and its options show in Polish; the API (and so reports and CSVs) keep English."""
    meeting = factory.meeting(status="closed")
    staff = bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))
    survey = app.test_client().post(
        f"/api/v1/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    )
    assert survey.status_code == 201
    assert survey.get_json()["questions"][0]["prompt"] == RATING_PROMPT
    browser = app.test_client()
    browser.get(f"/j/{meeting.code}/survey", headers=polish)
    page = browser.get(f"/j/{meeting.code}/survey/1", headers=polish).get_data(as_text=True)
    count = len(survey.get_json()["questions"])
    assert f"Pytanie 1 z {count}" in page
    assert "Biorąc wszystko pod uwagę" in page and RATING_PROMPT not in page
    assert "Doskonale</" in page and ">Good</" in page  # an option the test catalogue lacks stays English


LAZY_REFUSAL = Conflict(lazy_gettext("This poll has closed."), code="poll_closed", field="poll")


def test_a_message_defined_at_import_time_is_rendered_in_the_requests_language(app, polish):
    """A lazy_gettext message becomes text only when read: Polish in a Polish request, English outside one."""
    assert LAZY_REFUSAL.message == "This poll has closed."
    with app.test_request_context("/", headers=polish):
        app.preprocess_request()
        assert LAZY_REFUSAL.to_dict() == {
            "error": {
                "code": "poll_closed",
                "message": "Ta ankieta jest już zamknięta.",
                "fields": {"poll": "Ta ankieta jest już zamknięta."},
            }
        }
        assert type(LAZY_REFUSAL.message) is str
        # Stored survey wording goes through the `translated` filter: no % formatting, empty stays empty.
        assert render_template_string(
            '{{ "Excellent" | translated }}|{{ "" | translated }}|{{ "100% sure" | translated }}'
        ) == ("Doskonale||100% sure")
