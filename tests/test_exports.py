"""The meeting pack and the exports: CSVs that survive a round trip and never run as formulas, police.uk priorities."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.actions_support import add_concern
from tests.conftest import bearer, login, token_for
from tests.test_concurrency import join_tokens
from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.audit.models import ACTION_LABELS, AuditEntry
from ysdw_live.auth.models import Role
from ysdw_live.csv_export import BOM, csv_text

API = "/api/v1"
TRICKY = [
    "Plain words",
    'Commas, and "quotes" inside',
    "Two\nlines",
    "Non-ASCII: café, Łódź, 警察, مرحبا, emoji 🚓",
    "=1+1",
    "+x",
    "-x",
    "@x",
    "\tTab first",
    "\rCarriage return first",
]
FORMULA_LIKE = {"=1+1", "+x", "-x", "@x", "\tTab first", "\rCarriage return first"}


def parse(body: bytes) -> list[list[str]]:
    """Return a CSV download's rows as Python's csv module reads them, after checking the BOM."""
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def safe(text: str) -> str:
    """Return what a cell holding ``text`` must read after the round trip."""
    return "'" + text if text in FORMULA_LIKE else text


@pytest.fixture
def staff(client, factory) -> dict[str, str]:
    """A facilitator's bearer header."""
    return bearer(token_for(client, factory.user(Role.facilitator).email))


def audited(db, verb: str) -> list[AuditEntry]:
    """Return the audit entries with ``verb``."""
    db.expire_all()
    found = list(db.scalars(select(AuditEntry).where(AuditEntry.action == verb)))
    db.rollback()
    return found


# ---------------------------------------------------------------------------------------------
# The one CSV helper
# ---------------------------------------------------------------------------------------------


def test_csv_round_trip_keeps_every_text_and_defuses_formulas():
    """Commas, quotes, newlines and non-ASCII come back exactly; =, +, -, @, tab and CR starts get a quote."""
    text = csv_text(["number", "text", "=header"], [[n, value, -3] for n, value in enumerate(TRICKY, start=1)])
    assert text.startswith(BOM)
    body = text.encode("utf-8")
    rows = parse(body)
    assert rows[0] == ["number", "text", "'=header"]
    assert [row[1] for row in rows[1:]] == [safe(value) for value in TRICKY]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(TRICKY) + 1)]
    assert {row[2] for row in rows[1:]} == {"-3"}  # a number is a number, not a formula
    assert b"\r\n" in body


# ---------------------------------------------------------------------------------------------
# A meeting's exports
# ---------------------------------------------------------------------------------------------


def test_concerns_csv_round_trips_and_is_audited(app, client, db, factory, staff):
    """export.csv: BOM, the api.md header, every concern in number order, formula-like text made safe, audited."""
    meeting = factory.meeting(status="live", moderation=False)
    topic = meeting.series.topics[0]
    for n, text in enumerate(TRICKY):
        add_concern(db, meeting, text, topic=topic if n % 2 else None, votes=n)
    response = client.get(f"{API}/meetings/{meeting.code}/export.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="concerns-' in response.headers["Content-Disposition"]
    rows = parse(response.data)
    assert rows[0] == ["number", "text", "topic", "votes", "status", "source", "created_at"]
    assert [row[1] for row in rows[1:]] == [safe(text) for text in TRICKY]
    assert [row[3] for row in rows[1:]] == [str(n) for n in range(len(TRICKY))]
    assert rows[2][2] == topic.name and rows[1][2] == ""
    (entry,) = audited(db, "meeting.export_concerns")
    assert entry.object_id == meeting.code and entry.action_label == ACTION_LABELS["meeting.export_concerns"]


def poll_world(app, client, staff, meeting) -> list[str]:
    """Give ``meeting`` four answered polls (single, rating, word cloud, ranking); return the phones' tokens."""
    tokens = join_tokens(app, meeting, 3)

    def make(body: dict[str, Any]) -> dict[str, Any]:
        poll = client.post(f"{API}/meetings/{meeting.code}/polls", json=body, headers=staff).get_json()
        return client.patch(f"{API}/polls/{poll['id']}", json={"status": "open"}, headers=staff).get_json()

    single = make({"kind": "single", "question": "Best night, for you?", "options": ["=Monday", "Mardi, ünï"]})
    rating = make({"kind": "rating", "question": "How safe do you feel?", "scale": 5})
    words = make({"kind": "word_cloud", "question": "One word for the park"})
    ranking = make({"kind": "ranking", "question": "Rank these", "options": ["Parking", "Drugs"]})
    for n, token in enumerate(tokens):
        phone = {"X-Participant-Token": token}
        answers = [
            (single, {"option_ids": [single["options"][min(n, 1)]["id"]]}),
            (rating, {"value": 4}),
            (words, {"text": "dark" if n else "+lit"}),
            (ranking, {"ranking": [o["id"] for o in ranking["options"]][:: (1 if n else -1)]}),
        ]
        for poll, body in answers:
            response = app.test_client().post(f"{API}/polls/{poll['id']}/responses", json=body, headers=phone)
            assert response.status_code in (200, 201), response.get_json()
    return tokens


def test_polls_csv_has_one_row_per_answer_and_no_tokens(app, client, db, factory, staff):
    """polls.csv: each option / rating value / word / ranked option with its figure; never a participant token."""
    meeting = factory.meeting(status="live")
    tokens = poll_world(app, client, staff, meeting)
    response = client.get(f"{API}/meetings/{meeting.code}/polls.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = parse(response.data)
    assert rows[0] == ["poll", "question", "kind", "status", "answered", "answer", "count", "mean_rank"]
    by_poll: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_poll.setdefault(row[1], []).append(row)
    assert [(r[5], r[6]) for r in by_poll["Best night, for you?"]] == [("'=Monday", "1"), ("Mardi, ünï", "2")]
    assert [(r[5], r[6]) for r in by_poll["How safe do you feel?"]] == [
        ("1", "0"),
        ("2", "0"),
        ("3", "0"),
        ("4", "3"),
        ("5", "0"),
    ]
    assert [(r[5], r[6]) for r in by_poll["One word for the park"]] == [("dark", "2"), ("'+lit", "1")]
    ranked = by_poll["Rank these"]
    assert [(r[5], r[6], r[7]) for r in ranked] == [("Parking", "", "1.33"), ("Drugs", "", "1.67")]
    assert {r[4] for r in rows[1:]} == {"3"} and {r[2] for r in rows[1:]} >= {"single", "ranking"}
    content = response.data.decode("utf-8-sig")
    assert not any(token in content for token in tokens)
    assert len(audited(db, "meeting.export_polls")) == 1


def test_a_meeting_with_nothing_gives_header_only_csvs_and_a_clear_pack(app, client, db, factory, staff):
    """No concerns, polls or survey: valid header-only CSVs, and a pack that says so in words."""
    meeting = factory.meeting(status="closed")
    for path, header in (("export.csv", "number"), ("polls.csv", "poll")):
        response = client.get(f"{API}/meetings/{meeting.code}/{path}", headers=staff)
        assert response.status_code == 200
        rows = parse(response.data)
        assert len(rows) == 1 and rows[0][0] == header
    login(client, factory.user(Role.leader).email)
    page = client.get(f"/staff/meetings/{meeting.code}/pack")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for words in (
        "No concerns were raised at this meeting.",
        "This meeting had no polls.",
        "This meeting had no survey.",
        "No actions were raised at this meeting.",
        "There were no actions to report back on.",
    ):
        assert words in html


def test_unknown_meeting_or_series_is_a_json_404(client, staff):
    """A code or series that does not exist is a 404 with the API's error object, never a 500."""
    for path in ("meetings/ZZZZZZ/export.csv", "meetings/ZZZZZZ/polls.csv"):
        response = client.get(f"{API}/{path}", headers=staff)
        assert response.status_code == 404 and response.get_json()["error"]["code"]
    for path in ("series/999999/actions.csv", "series/999999/priorities.json"):
        response = client.get(f"{API}/{path}", headers=staff)
        assert response.status_code == 404 and response.get_json()["error"]["code"]


def test_participants_and_strangers_get_no_export(app, client, factory):
    """A participant's token or no identity at all gets 401 from every export."""
    meeting = factory.meeting(status="live")
    (token,) = join_tokens(app, meeting, 1)
    for path in (
        f"meetings/{meeting.code}/export.csv",
        f"meetings/{meeting.code}/polls.csv",
        f"series/{meeting.series_id}/actions.csv",
        f"series/{meeting.series_id}/priorities.json",
    ):
        assert app.test_client().get(f"{API}/{path}").status_code == 401
        assert app.test_client().get(f"{API}/{path}", headers={"X-Participant-Token": token}).status_code == 401


# ---------------------------------------------------------------------------------------------
# The series' actions: CSV and police.uk priorities
# ---------------------------------------------------------------------------------------------


def action_world(db, factory):
    """A series with a meeting and three actions: completed (with a reply), in progress (an update), none yet."""
    meeting = factory.meeting(status="live")
    leader = Actor(user=factory.user(Role.leader))
    series_id = meeting.series_id
    concern = add_concern(db, meeting, "Speeding on Hessle Road")
    done = actions.create_action(
        db,
        leader,
        series_id,
        {
            "you_said": "=Speeding on Hessle Road\n\nEvery night <b>after 10</b>",
            "we_did": "Speed checks twice a week & a camera",
            "status": "completed",
            "concern_ids": [concern.id],
            "raised_at_meeting": meeting.code,
            "private_notes": "SECRET informant name",
        },
    )
    going = actions.create_action(db, leader, series_id, {"you_said": "Lighting in the park", "status": "agreed"})
    actions.add_update(db, leader, going.id, {"text": "Council asked", "status": "in_progress", "progress": 30})
    actions.create_action(db, leader, series_id, {"you_said": "-Parking at the school"})
    return meeting, done


def test_actions_csv_has_public_fields_only(app, client, db, factory, staff):
    """actions.csv: issue, dates, public response, status; formula-like text made safe; no private notes."""
    meeting, _done = action_world(db, factory)
    response = client.get(f"{API}/series/{meeting.series_id}/actions.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = parse(response.data)
    assert rows[0][:5] == ["id", "issue", "issue_date", "action", "action_date"]
    assert "SECRET" not in response.data.decode("utf-8-sig")
    issues = {row[1]: row for row in rows[1:]}
    completed = issues["'=Speeding on Hessle Road\n\nEvery night <b>after 10</b>"]
    assert completed[3] == "Speed checks twice a week & a camera" and completed[5] == "completed"
    assert completed[4] and completed[9] == meeting.title
    assert issues["'-Parking at the school"][4] == ""  # nothing done yet: no action date
    assert issues["Lighting in the park"][5] == "in_progress" and issues["Lighting in the park"][4]
    (entry,) = audited(db, "series.export_actions")
    assert entry.object_id == str(meeting.series_id)


def test_priorities_json_has_the_police_uk_shape(app, client, db, factory, staff):
    """priorities.json is a list of {issue, issue-date, action, action-date}: escaped HTML, police.uk dates."""
    meeting, _done = action_world(db, factory)
    response = client.get(f"{API}/series/{meeting.series_id}/priorities.json", headers=staff)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    found = response.get_json()
    assert isinstance(found, list) and len(found) == 3
    date = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
    for priority in found:
        assert set(priority) == {"issue", "issue-date", "action", "action-date"}
        assert date.match(priority["issue-date"])
        assert priority["action-date"] is None or date.match(priority["action-date"])
    by_issue = {p["issue"]: p for p in found}
    completed = by_issue["<p>=Speeding on Hessle Road</p><p>Every night &lt;b&gt;after 10&lt;/b&gt;</p>"]
    assert completed["action"] == "<p>Speed checks twice a week &amp; a camera</p>"
    assert completed["action-date"] is not None
    waiting = by_issue["<p>-Parking at the school</p>"]
    assert waiting["action"] is None and waiting["action-date"] is None
    assert by_issue["<p>Lighting in the park</p>"]["action-date"] is not None  # its update says when
    assert "SECRET" not in response.get_data(as_text=True)
    assert "issue_date" not in response.get_data(as_text=True)
    assert len(audited(db, "series.export_priorities")) == 1


# ---------------------------------------------------------------------------------------------
# The meeting pack
# ---------------------------------------------------------------------------------------------


def test_pack_shows_concerns_outcomes_polls_survey_and_actions(app, client, db, factory, staff):
    """The pack lists visible concerns with votes and linked actions, poll tables, a suppressed survey, actions."""
    meeting, _done = action_world(db, factory)
    add_concern(db, meeting, "Held back concern", status="pending")
    add_concern(db, meeting, "Answered concern <script>", status="answered", votes=7)
    poll_world(app, client, staff, meeting)
    survey = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    ).get_json()
    for token in join_tokens(app, meeting, 3):
        rating = survey["questions"][0]
        body = {"answers": {str(rating["id"]): rating["options"][1]["id"]}}
        app.test_client().post(
            f"{API}/surveys/{survey['id']}/responses", json=body, headers={"X-Participant-Token": token}
        )
    login(client, factory.user(Role.leader).email)
    manage = client.get(f"/staff/meetings/{meeting.code}").get_data(as_text=True)
    assert f"/staff/meetings/{meeting.code}/pack" in manage
    response = client.get(f"/staff/meetings/{meeting.code}/pack")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Speeding on Hessle Road" in html
    assert "Answered concern &lt;script&gt;" in html and "<script>" not in html.split("</main>")[0]
    assert "7 votes" in html
    assert "Held back concern" not in html and "1 more was not put on the screen" in html
    assert "Speed checks twice a week &amp; a camera" in html  # the concern's linked action
    assert "Best night, for you?" in html and "Mardi, ünï" in html
    assert "Fewer than 10 people answered the survey, so no figures are shown." in html
    assert "SECRET" not in html
    assert "Actions raised at this meeting" in html and "Report-back given at this meeting" in html
    (entry,) = audited(db, "meeting.pack")
    assert entry.object_id == meeting.code


def test_pack_and_series_pages_link_the_exports(client, factory):
    """The meeting page links the pack and CSVs; the series page links the actions CSV and JSON."""
    meeting = factory.meeting(status="closed")
    login(client, factory.user(Role.facilitator).email)
    manage = client.get(f"/staff/meetings/{meeting.code}").get_data(as_text=True)
    for link in ("/pack", f"{API}/meetings/{meeting.code}/export.csv", f"{API}/meetings/{meeting.code}/polls.csv"):
        assert link in manage
    series = client.get(f"/staff/series/{meeting.series_id}").get_data(as_text=True)
    for link in (f"{API}/series/{meeting.series_id}/actions.csv", f"{API}/series/{meeting.series_id}/priorities.json"):
        assert link in series


def test_pack_survey_figures_from_ten_and_suppressed_questions_under_ten(app, client, db, factory, staff):
    """Ten responses: the rating shows its counts and per cents; a question fewer than 10 answered shows none."""
    meeting = factory.meeting(status="live")
    survey = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    ).get_json()
    rating, second = survey["questions"][0], survey["questions"][1]
    for n, token in enumerate(join_tokens(app, meeting, 10)):
        answers = {str(rating["id"]): rating["options"][1]["id"]}
        if n < 9:
            answers[str(second["id"])] = second["options"][0]["id"]
        response = app.test_client().post(
            f"{API}/surveys/{survey['id']}/responses", json={"answers": answers}, headers={"X-Participant-Token": token}
        )
        assert response.status_code == 201, response.get_json()
    login(client, factory.user(Role.leader).email)
    html = client.get(f"/staff/meetings/{meeting.code}/pack").get_data(as_text=True)
    assert "10 responses" in html
    rating_part = html.split(rating["prompt"])[1].split("</table>")[0]
    assert ">10</td>" in rating_part and ">100%</td>" in rating_part
    second_part = html.split(second["prompt"])[1].split("</div>")[0]
    assert "Fewer than 10 people answered this question" in second_part


def test_meeting_page_title_is_the_meeting_title_only(client, factory):
    """The staff meeting page's <title> names the meeting and holds no markup (the polls panel once leaked into it)."""
    meeting = factory.meeting(status="live", title="Title check")
    login(client, factory.user(Role.facilitator).email)
    html = client.get(f"/staff/meetings/{meeting.code}").get_data(as_text=True)
    title = html.split("<title>")[1].split("</title>")[0]
    assert "Title check" in title and "<" not in title and len(title) < 80
