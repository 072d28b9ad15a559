"""Surveys through the API: the template's wording, one response per participant, bad input, results, CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, token_for
from tests.test_concurrency import in_parallel, join_tokens
from ysdw_live.auth.models import Role
from ysdw_live.surveys.content import EQUALITY, PREFER_NOT_TO_SAY, TRUST_CONFIDENCE
from ysdw_live.surveys.models import EqualityAnswers, SurveyAnswer, SurveyResponse

API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent
SURVEY_ITEMS = next(
    path
    for path in (ROOT.parent / "shared/design/survey-items.md", Path("/work/shared/design/survey-items.md"))
    if path.exists()
)


def flat(text: str) -> str:
    """Return ``text`` with runs of white space (line breaks of the Markdown) as one space."""
    return " ".join(text.split())


@pytest.fixture
def staff(client, factory) -> dict[str, str]:
    """A facilitator's bearer header."""
    user = factory.user(Role.facilitator)
    return bearer(token_for(client, user.email))


def new_survey(client, staff, meeting, **body) -> dict:
    """Create the meeting's survey (the template unless ``body`` says otherwise) and return it."""
    response = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json=body or {"template": "trust_confidence"}, headers=staff
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def full_answers(survey: dict, pick: int = 1) -> dict[str, object]:
    """Answer every choice question with its ``pick``-th option and the text question with words."""
    answers: dict[str, object] = {}
    for question in survey["questions"]:
        if question["options"]:
            answers[str(question["id"])] = question["options"][pick]["id"]
        elif question["kind"] == "text":
            answers[str(question["id"])] = "=Patrol the park after dark"
    return answers


def stored(db) -> tuple[int, int, int]:
    """Return how many responses, answers and equality rows are stored."""
    db.expire_all()
    counts = tuple(db.scalar(select(func.count(model.id))) for model in (SurveyResponse, SurveyAnswer, EqualityAnswers))
    db.rollback()
    return counts  # type: ignore[return-value]


def test_template_wording_is_word_for_word_from_survey_items():
    """Every prompt and every option list of the trust_confidence template appears verbatim in survey-items.md."""
    source = flat(SURVEY_ITEMS.read_text(encoding="utf-8"))
    for question in TRUST_CONFIDENCE:
        assert f'"{question.prompt}"' in source, question.prompt
        if question.kind.value == "single":
            assert " / ".join(question.options) in source, question.options
        if question.kind.value == "likert":
            assert "Scale: " + " / ".join(question.options) + "." in source
    # Six numbered items, the agree/disagree battery has seven statements: 1 + 7 + 1 + 2 + 2 + 1.
    assert len(TRUST_CONFIDENCE) == 14
    battery = SURVEY_ITEMS.read_text(encoding="utf-8").split("**Agree/disagree")[1].split("3. **Stop")[0]
    statements = re.findall(r'- "([^"]+)"', battery)
    assert [q.prompt for q in TRUST_CONFIDENCE if q.kind.value == "likert"] == [flat(s) for s in statements]


def test_equality_categories_are_word_for_word_from_survey_items():
    """Every equality option is in survey-items.md, and every question offers "Prefer not to say"."""
    source = flat(SURVEY_ITEMS.read_text(encoding="utf-8"))
    for question in EQUALITY:
        assert question.choices[-1] == PREFER_NOT_TO_SAY
        if question.groups:
            for group, details in question.groups.items():
                assert f"{group}: {' · '.join(details)}" in source
        elif question.key != "ethnic_group":
            assert " / ".join(question.options) in source, question.options
    assert flat("Is the gender you identify with the same as your sex registered at birth?") in source
    for key in ("disability", "disability_impact"):
        prompt = next(q.prompt for q in EQUALITY if q.key == key)
        assert f'"{prompt}"' in source


def test_create_from_template_answer_once_then_409(app, client, db, factory, staff):
    """Staff create the template survey (open); a participant answers once; a second answer is 409, nothing added."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    assert survey["status"] == "open"
    assert survey["meeting_code"] == meeting.code
    assert [q["prompt"] for q in survey["questions"]] == [q.prompt for q in TRUST_CONFIDENCE]
    (token,) = join_tokens(app, meeting, 1)
    header = {"X-Participant-Token": token}
    assert client.get(f"{API}/surveys/{survey['id']}", headers=header).status_code == 200
    body = {"answers": full_answers(survey), "equality": {"age_band": "25–34", "sex": PREFER_NOT_TO_SAY}}
    first = client.post(f"{API}/surveys/{survey['id']}/responses", json=body, headers=header)
    assert first.status_code == 201, first.get_json()
    second = client.post(f"{API}/surveys/{survey['id']}/responses", json=body, headers=header)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "already_answered"
    assert stored(db) == (1, 14, 1)
    # Equality answers carry no link back to the response or the participant.
    assert set(EqualityAnswers.__table__.columns.keys()) == {"id", "survey_id", "answers"}


def test_one_response_rule_holds_under_parallel_requests(app, db, factory, client, staff):
    """Eight simultaneous responses from one participant store exactly one; the rest are 409."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    (token,) = join_tokens(app, meeting, 1)
    body = {"answers": full_answers(survey)}
    url = f"{API}/surveys/{survey['id']}/responses"
    answers = in_parallel(
        app, [lambda c: c.post(url, json=body, headers={"X-Participant-Token": token}).status_code] * 8
    )
    assert sorted(answers) == [201] + [409] * 7
    assert stored(db)[0] == 1


def test_outsiders_cannot_read_a_survey(app, client, factory, staff):
    """A participant of another meeting, or nobody, is told the survey does not exist (its code stays hidden)."""
    meeting = factory.meeting(status="closed")
    other = factory.meeting(status="live")
    survey = new_survey(client, staff, meeting)
    (stranger,) = join_tokens(app, other, 1)
    anon = app.test_client()
    assert anon.get(f"{API}/surveys/{survey['id']}").status_code == 404
    response = anon.get(f"{API}/surveys/{survey['id']}", headers={"X-Participant-Token": stranger})
    assert response.status_code == 404
    assert meeting.code not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("missing_required", "required"),
        ("out_of_range", "out_of_range"),
        ("unknown_option", "unknown_option"),
        ("unknown_question", "unknown_question"),
        ("too_long", "too_long"),
        ("bad_equality", "unknown_option"),
        ("closed", "survey_closed"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(app, client, db, factory, staff, change, code):
    """Each kind of bad answer is a clear 400 (409 when closed) and stores nothing."""
    meeting = factory.meeting(status="closed")
    questions = [
        {"kind": "single", "prompt": "Which?", "options": ["A", "B"], "required": True},
        {"kind": "rating", "prompt": "How good?", "scale_max": 5},
        {"kind": "nps", "prompt": "Recommend?"},
        {"kind": "multiple", "prompt": "Which ones?", "options": ["X", "Y", "Z"]},
        {"kind": "likert", "prompt": "Agree?"},
        {"kind": "text", "prompt": "Anything else?"},
    ]
    survey = new_survey(client, staff, meeting, title="Custom", questions=questions)
    single, rating, nps, multiple, likert, text = survey["questions"]
    assert likert["options"][0]["label"] == "Strongly agree"
    assert rating["scale"] == {"min": 1, "max": 5} and nps["scale"] == {"min": 0, "max": 10}
    answers = {str(single["id"]): single["options"][0]["id"], str(rating["id"]): 5, str(nps["id"]): 0}
    body: dict[str, object] = {"answers": answers}
    if change == "missing_required":
        del answers[str(single["id"])]
    elif change == "out_of_range":
        answers[str(rating["id"])] = 6
    elif change == "unknown_option":
        answers[str(multiple["id"])] = [multiple["options"][0]["id"], single["options"][1]["id"]]
    elif change == "unknown_question":
        answers["999999"] = 1
    elif change == "too_long":
        answers[str(text["id"])] = "x" * 2001
    elif change == "bad_equality":
        body["equality"] = {"ethnic_group": "White", "ethnic_detail": "Indian"}
    elif change == "closed":
        assert (
            client.patch(f"{API}/surveys/{survey['id']}", json={"status": "closed"}, headers=staff).status_code == 200
        )
    (token,) = join_tokens(app, meeting, 1)
    response = client.post(f"{API}/surveys/{survey['id']}/responses", json=body, headers={"X-Participant-Token": token})
    assert response.status_code == (409 if change == "closed" else 400), response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert stored(db) == (0, 0, 0)


def test_survey_closes_by_itself_after_its_days(app, client, factory, staff, time_machine):
    """A survey opened for 2 days refuses responses (409) after them."""
    time_machine.move_to("2026-12-01T10:00:00Z", tick=False)
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting, template="trust_confidence", days=2)
    (token,) = join_tokens(app, meeting, 1)
    time_machine.move_to("2026-12-03T10:00:01Z", tick=False)
    header = {"X-Participant-Token": token}
    assert client.get(f"{API}/surveys/{survey['id']}", headers=header).get_json()["status"] == "closed"
    response = client.post(f"{API}/surveys/{survey['id']}/responses", json={"answers": {}}, headers=header)
    assert response.status_code == 409


def test_questions_freeze_once_answered(app, client, factory, staff):
    """Questions can be replaced until the first response; afterwards 409 survey_frozen."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting, title="Custom", questions=[{"kind": "text", "prompt": "Why?"}])
    url = f"{API}/surveys/{survey['id']}"
    replaced = client.patch(url, json={"questions": [{"kind": "nps", "prompt": "Recommend?"}]}, headers=staff)
    assert replaced.status_code == 200 and replaced.get_json()["questions"][0]["kind"] == "nps"
    (token,) = join_tokens(app, meeting, 1)
    qid = replaced.get_json()["questions"][0]["id"]
    post = client.post(f"{url}/responses", json={"answers": {str(qid): 9}}, headers={"X-Participant-Token": token})
    assert post.status_code == 201
    frozen = client.patch(url, json={"questions": [{"kind": "text", "prompt": "Why?"}]}, headers=staff)
    assert frozen.status_code == 409 and frozen.get_json()["error"]["code"] == "survey_frozen"


def test_results_are_suppressed_under_ten_and_shown_from_ten(app, client, factory, staff):
    """Nine responses: no counts or percentages; the tenth shows them; equality groups under 10 stay hidden."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    url = f"{API}/surveys/{survey['id']}"
    tokens = join_tokens(app, meeting, 10)
    for n, token in enumerate(tokens):
        equality = {"age_band": "25–34" if n < 9 else "75 or over"}
        body = {"answers": full_answers(survey), "equality": equality}
        assert client.post(f"{url}/responses", json=body, headers={"X-Participant-Token": token}).status_code == 201
        results = client.get(f"{url}/results", headers=staff).get_json()
        rating = results["questions"][0]
        if n == 8:
            assert results["responses"] == 9
            assert rating["suppressed"] is True
            assert all(option["count"] is None and option["percent"] is None for option in rating["options"])
    assert rating["suppressed"] is False
    assert [option["count"] for option in rating["options"]] == [0, 10, 0, 0, 0, 0]
    assert rating["options"][1]["percent"] == 100
    text = results["questions"][-1]
    assert [answer["text"] for answer in text["answers"]] == ["=Patrol the park after dark"] * 10
    age = next(item for item in results["equality"] if item["key"] == "age_band")
    groups = {group["label"]: group["count"] for group in age["groups"]}
    assert age["answered"] == 10
    assert groups["25–34"] is None  # nine people: suppressed
    assert groups["75 or over"] is None  # one person: suppressed


def test_results_are_staff_only(app, client, factory, staff):
    """A participant asking for results is refused."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    (token,) = join_tokens(app, meeting, 1)
    response = app.test_client().get(f"{API}/surveys/{survey['id']}/results", headers={"X-Participant-Token": token})
    assert response.status_code == 401


def test_csv_has_answers_in_words_no_tokens_no_equality_and_no_formulas(app, client, factory, staff):
    """One row per response, labels not ids, formula-safe text, no participant token and no equality data."""
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    tokens = join_tokens(app, meeting, 2)
    for token in tokens:
        body = {"answers": full_answers(survey), "equality": {"religion": "Sikh"}}
        assert (
            client.post(
                f"{API}/surveys/{survey['id']}/responses", json=body, headers={"X-Participant-Token": token}
            ).status_code
            == 201
        )
    response = client.get(f"{API}/surveys/{survey['id']}/responses.csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    content = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:3] == ["response", "submitted_at", TRUST_CONFIDENCE[0].prompt]
    assert len(rows) == 3
    assert rows[1][0] == "1" and rows[1][2] == "Good" and rows[1][-1] == "'=Patrol the park after dark"
    for token in tokens:
        assert token not in content
    assert "Sikh" not in content


def test_a_meeting_has_one_survey(client, factory, staff):
    """A second survey for the same meeting is 409."""
    meeting = factory.meeting(status="closed")
    new_survey(client, staff, meeting)
    again = client.post(f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff)
    assert again.status_code == 409


def test_attendees_cannot_create_or_close_surveys(app, client, factory, staff):
    """Participants and leaders cannot create or change a survey."""
    meeting = factory.meeting(status="closed")
    leader = bearer(token_for(client, factory.user(Role.leader).email))
    response = client.post(
        f"{API}/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=leader
    )
    assert response.status_code == 403
    survey = new_survey(client, staff, meeting)
    assert client.patch(f"{API}/surveys/{survey['id']}", json={"status": "closed"}, headers=leader).status_code == 403


def test_retention_purge_keeps_the_results_and_deletes_responses_and_equality(app, client, db, factory, staff):
    """The surveys purger stores the aggregate first, then deletes responses, answers and equality rows."""
    from datetime import timedelta

    from ysdw_live.clock import Clock
    from ysdw_live.db import utcnow
    from ysdw_live.privacy.services import PURGERS, purge

    assert [p.domain for p in PURGERS].index("surveys") < [p.domain for p in PURGERS].index("participants")
    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    for token in join_tokens(app, meeting, 10):
        body = {"answers": full_answers(survey), "equality": {"sex": "Female"}}
        assert (
            client.post(
                f"{API}/surveys/{survey['id']}/responses", json=body, headers={"X-Participant-Token": token}
            ).status_code
            == 201
        )
    before = client.get(f"{API}/surveys/{survey['id']}/results", headers=staff).get_json()
    meeting.closed_at = utcnow() - timedelta(days=365 * 3)
    db.commit()
    report = purge(db, clock=Clock.named("UTC"))
    assert report.totals["survey responses"] == 10 and report.totals["equality monitoring answers"] == 10
    assert stored(db) == (0, 0, 0)
    after = client.get(f"{API}/surveys/{survey['id']}/results", headers=staff).get_json()
    assert after["responses"] == 10
    assert after["questions"][0] == before["questions"][0]
    assert after["questions"][-1]["answers"] == []  # free text went with the responses
    assert after["equality"] == before["equality"]


def test_good_or_excellent_headline_is_null_under_ten(app, client, db, factory, staff):
    """The impact headline: n always, the % Good or Excellent only from 10 answers."""
    from ysdw_live.surveys import services as surveys

    meeting = factory.meeting(status="closed")
    survey = new_survey(client, staff, meeting)
    rating = survey["questions"][0]
    tokens = join_tokens(app, meeting, 10)
    for n, token in enumerate(tokens):
        # Excellent, Good, Fair, Excellent, Good, Fair, …: 7 of 10 Good or Excellent.
        body = {"answers": {str(rating["id"]): rating["options"][n % 3]["id"]}}
        assert (
            client.post(
                f"{API}/surveys/{survey['id']}/responses", json=body, headers={"X-Participant-Token": token}
            ).status_code
            == 201
        )
        db.expire_all()
        headline = surveys.good_or_excellent(db, surveys.get_survey(db, survey["id"]))
        db.rollback()
        if n == 8:
            assert headline == {"n": 9, "pct": None}
    assert headline == {"n": 10, "pct": 70}
