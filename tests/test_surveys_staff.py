"""Staff survey pages: create (template or custom), open and close, results, text answers into concerns."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_from, login
from tests.test_concurrency import join_tokens
from ysdw_live.auth.models import Role
from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus
from ysdw_live.surveys.views import parse_custom_questions

API = "/api/v1"


def staff_post(client, page_url: str, url: str, data: dict) -> object:
    """Post a staff form with the CSRF token of ``page_url``."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def answer(app, survey: dict, count: int, text: str = "Walk the estate at night") -> None:
    """Send ``count`` responses through the API (choice questions get their second option)."""
    tokens = join_tokens(app, _meeting(survey), count)
    for token in tokens:
        answers = {}
        for question in survey["questions"]:
            answers[str(question["id"])] = question["options"][1]["id"] if question["options"] else text
        response = app.test_client().post(
            f"{API}/surveys/{survey['id']}/responses", json={"answers": answers}, headers={"X-Participant-Token": token}
        )
        assert response.status_code == 201


class _meeting:
    """The meeting of a survey, as join_tokens needs it."""

    def __init__(self, survey: dict) -> None:
        self.code = survey["meeting_code"]


def test_facilitator_opens_the_template_survey_closes_it_and_reads_results(app, client, db, factory):
    """From the meeting's page: open the survey, see it counted, close it; results show "fewer than 10" then figures."""
    facilitator = factory.user(Role.facilitator)
    series = factory.series()
    meeting = factory.meeting(series, status="closed")
    next_meeting = factory.meeting(series, title="Summer meeting")
    code, next_id = meeting.code, next_meeting.id
    db.rollback()
    login(client, facilitator.email)
    page = f"/staff/meetings/{code}"
    assert "Open the trust and confidence survey" in client.get(page).get_data(as_text=True)
    created = staff_post(client, page, f"/staff/meetings/{code}/survey", {"source": "template", "days": "7"})
    assert created.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Close the survey" in html and f"/j/{code}/survey" in html
    survey_id = int(html.split("/staff/surveys/")[1].split('"')[0])
    survey = client.get(f"{API}/surveys/{survey_id}").get_json()

    answer(app, survey, 9)
    results = client.get(f"/staff/surveys/{survey_id}").get_data(as_text=True)
    assert "<strong>Fewer than 10</strong> people answered" in results
    assert "<svg" not in results

    answer(app, survey, 3)
    results = client.get(f"/staff/surveys/{survey_id}").get_data(as_text=True)
    assert "Fewer than 10</strong> people answered" not in results
    assert '<svg class="survey-chart"' in results and "Bar chart of the answers" in results
    assert "<td>12</td><td>100%</td>" in results  # the table: the chart's text alternative
    assert "Turn into a concern for the next meeting" in results

    closed = staff_post(client, page, f"/staff/surveys/{survey_id}/status", {"status": "closed"})
    assert closed.status_code == 302
    assert "Reopen the survey" in client.get(page).get_data(as_text=True)

    answer_id = client.get(f"{API}/surveys/{survey_id}/results").get_json()["questions"][-1]["answers"][0]["id"]
    turned = staff_post(
        client, f"/staff/surveys/{survey_id}", f"/staff/surveys/{survey_id}/answers/{answer_id}/concern", {}
    )
    assert turned.status_code == 302
    concern = db.scalar(select(Concern).where(Concern.meeting_id == next_id))
    assert concern.text == "Walk the estate at night"
    assert concern.status is ConcernStatus.approved and concern.source is ConcernSource.facilitator
    db.rollback()


def test_custom_questions_from_the_form(app, client, db, factory):
    """The custom form's lines become questions of each kind; required ones are marked with *."""
    parsed = parse_custom_questions(
        "single | How did you hear? * | Leaflet | Friend\nrating10 | How useful?\n\ntext | Why?"
    )
    assert parsed == [
        {"kind": "single", "prompt": "How did you hear?", "required": True, "options": ["Leaflet", "Friend"]},
        {"kind": "rating", "prompt": "How useful?", "scale_max": 10},
        {"kind": "text", "prompt": "Why?"},
    ]
    facilitator = factory.user(Role.facilitator)
    code = factory.meeting(status="closed").code
    db.rollback()
    login(client, facilitator.email)
    page = f"/staff/meetings/{code}"
    bad = staff_post(
        client,
        page,
        f"/staff/meetings/{code}/survey",
        {"source": "custom", "title": "Mine", "questions": "single | Only one | A"},
    )
    assert bad.status_code == 302
    assert "at least two options" in client.get(page).get_data(as_text=True)
    good = staff_post(
        client,
        page,
        f"/staff/meetings/{code}/survey",
        {"source": "custom", "title": "Mine", "questions": "nps | Recommend?"},
    )
    assert good.status_code == 302
    assert "Mine" in client.get(page).get_data(as_text=True)


def test_leaders_see_no_survey_controls(app, client, db, factory):
    """A leader can read the meeting page but gets no button to create a survey, and the post is refused."""
    leader = factory.user(Role.leader)
    code = factory.meeting(status="closed").code
    db.rollback()
    login(client, leader.email)
    page = client.get(f"/staff/meetings/{code}").get_data(as_text=True)
    assert "Open the trust and confidence survey" not in page
    refused = client.post(f"/staff/meetings/{code}/survey", data={"source": "template", "csrf_token": csrf_from(page)})
    assert refused.status_code == 403


def test_the_csv_downloads_with_a_login_cookie(client, db, factory):
    """The export notes itself in the audit trail: a GET that writes, also for a browser's login (it was a 500)."""
    facilitator = factory.user(Role.facilitator)
    meeting = factory.meeting(status="live")
    code = meeting.code
    db.rollback()
    login(client, facilitator.email)
    page = f"/staff/meetings/{code}"
    assert (
        staff_post(client, page, f"/staff/meetings/{code}/survey", {"source": "template", "days": "7"}).status_code
        == 302
    )
    survey_id = int(client.get(page).get_data(as_text=True).split("/staff/surveys/")[1].split('"')[0])
    download = client.get(f"{API}/surveys/{survey_id}/responses.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
