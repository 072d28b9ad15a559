"""The impact of a series across its meetings: figures from a known fixture of three meetings, exactly."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import bearer, csrf_from, login, token_for
from ysdw_live.actions.models import Action, ActionStatus
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus
from ysdw_live.impact import services
from ysdw_live.impact.models import AreaBaseline
from ysdw_live.meetings.models import Participant, hash_device_token
from ysdw_live.surveys.models import EqualityAnswers, Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from ysdw_live.surveys.services import template_questions

API = "/api/v1"
T0 = datetime(2026, 1, 15, 18, 30, tzinfo=UTC)


def _devices(db, meeting, names: str) -> list[Participant]:
    """Add one participant per letter of ``names``; a letter is a device, the same across meetings."""
    people = [Participant(meeting_id=meeting.id, device_hash=hash_device_token(f"device-{name}")) for name in names]
    db.add_all(people)
    db.flush()
    return people


def _concerns(db, meeting, rows: list[tuple[ConcernSource, ConcernStatus, int, int | None]]) -> None:
    """Add concerns: (source, status, votes, topic id)."""
    for number, (source, status, votes, topic_id) in enumerate(rows, start=1):
        db.add(
            Concern(
                meeting_id=meeting.id,
                number=number,
                text=f"Concern {number}",
                source=source,
                status=status,
                votes=votes,
                topic_id=topic_id,
            )
        )


def _survey(db, meeting, people: list[Participant], ratings: list[str], agree: list[str], equality: list[dict]):
    """Give ``meeting`` the trust survey: person i rates ``ratings[i]`` and answers ``agree[i]`` to "confidence"."""
    title, questions = template_questions("trust_confidence")
    survey = Survey(meeting_id=meeting.id, title=title, template="trust_confidence", status=SurveyStatus.closed)
    survey.questions = questions
    db.add(survey)
    db.flush()
    rating = next(q for q in survey.questions if q.key == "police_rating")
    confidence = next(q for q in survey.questions if q.key == "confidence")
    for person, label, agreed in zip(people, ratings, agree, strict=True):
        response = SurveyResponse(survey_id=survey.id, participant_id=person.id)
        response.answers.append(
            SurveyAnswer(question_id=rating.id, value=next(o.id for o in rating.options if o.label == label))
        )
        response.answers.append(
            SurveyAnswer(question_id=confidence.id, value=next(o.id for o in confidence.options if o.label == agreed))
        )
        db.add(response)
    db.add_all(EqualityAnswers(survey_id=survey.id, answers=answers) for answers in equality)
    return survey


def _action(db, series, status: ActionStatus, *, days: int | None = None, due: date | None = None, meeting=None):
    """Add an action created at T0; a finished one finishes ``days`` later."""
    db.add(
        Action(
            series_id=series.id,
            you_said=f"Action {status.value}",
            we_did="Because we said so." if status is ActionStatus.not_taken_forward else "",
            status=status,
            progress=100 if status is ActionStatus.completed else 0,
            due_date=due,
            created_at=T0,
            updated_at=T0,
            finished_at=T0 + timedelta(days=days) if days is not None else None,
            raised_at_meeting_id=meeting.id if meeting is not None else None,
        )
    )


@pytest.fixture
def fixture(db, factory):
    """Three meetings of one series, a quarter apart, with known participants, concerns, surveys and actions.

    - Spring: 12 devices (A–L); 3 concerns typed in the room, 1 entered by a facilitator, 1 dismissed;
      a survey of 12: 6 Good or Excellent (50%), 7 agreeing they have confidence (58%); 10 women, 2 men.
    - Summer: 15 devices, 5 of them seen in spring (A–E); 2 + 2 concerns; a survey of 9 (all hidden).
    - Autumn (live): 8 devices: A, F, G from spring, M, N, O from summer, and 2 new: 6 returners; no survey.
    - Actions: completed after 4, 10 and 31 days (median 10), one agreed and overdue, one not taken forward.
    """
    series = factory.series(topics=["Roads", "Youth"])
    roads, youth = (topic.id for topic in series.topics)
    spring = factory.meeting(series, status="closed", title="Spring")
    summer = factory.meeting(series, status="closed", title="Summer")
    autumn = factory.meeting(series, status="live", title="Autumn")
    factory.meeting(series, title="Winter (draft)")
    for i, meeting in enumerate((spring, summer, autumn)):
        meeting.starts_at = T0 + timedelta(days=91 * i)
    attendee, facilitator = ConcernSource.attendee, ConcernSource.facilitator
    approved, dismissed = ConcernStatus.approved, ConcernStatus.dismissed

    spring_people = _devices(db, spring, "ABCDEFGHIJKL")
    _concerns(
        db,
        spring,
        [
            (attendee, approved, 5, roads),
            (attendee, ConcernStatus.answered, 3, roads),
            (attendee, ConcernStatus.pending, 0, youth),
            (facilitator, approved, 2, None),
            (attendee, dismissed, 4, youth),
        ],
    )
    _survey(
        db,
        spring,
        spring_people,
        [
            "Excellent",
            "Good",
            "Good",
            "Good",
            "Excellent",
            "Good",
            "Fair",
            "Fair",
            "Poor",
            "Very poor",
            "Fair",
            "Don't know",
        ],
        ["Strongly agree"] * 3 + ["Tend to agree"] * 4 + ["Tend to disagree"] * 3 + ["Don't know"] * 2,
        [{"sex": "Female"}] * 10 + [{"sex": "Male"}] * 2,
    )
    summer_people = _devices(db, summer, "ABCDE" + "MNOPQRSTUV")
    _concerns(db, summer, [(attendee, approved, 7, youth), (attendee, approved, 1, youth)])
    db.add_all(
        Concern(meeting_id=summer.id, number=n, text="From a card", source=facilitator, status=approved, votes=0)
        for n in (3, 4)
    )
    _survey(db, summer, summer_people[:9], ["Good"] * 9, ["Tend to agree"] * 9, [{"sex": "Female"}] * 9)
    _devices(db, autumn, "AFGMNO" + "WX")
    _concerns(db, autumn, [(attendee, approved, 2, roads)])

    for days in (4, 10, 31):
        _action(db, series, ActionStatus.completed, days=days, meeting=spring)
    _action(db, series, ActionStatus.agreed, due=date(2026, 3, 1), meeting=summer)
    _action(db, series, ActionStatus.not_taken_forward, days=2)
    db.commit()
    return series


class FixedClock(Clock):
    """A clock stopped on 1 June 2026 (the agreed action's due date of 1 March has passed)."""

    def now(self) -> datetime:
        """Return the stopped time."""
        return datetime(2026, 6, 1, 12, tzinfo=UTC)


CLOCK = FixedClock(UTC)


def test_reach_counts_participants_returners_concerns_votes_and_responses(db, factory, fixture):
    """Participants, returning devices, concerns (not dismissed) by source, votes and survey responses per meeting."""
    impact = services.series_impact(db, factory.actor(Role.leader), fixture.id, clock=CLOCK)
    rows = [
        (
            m.meeting.title,
            m.participants,
            m.returners,
            m.concerns,
            m.in_room,
            m.facilitator_entered,
            m.votes,
            m.survey_responses,
        )
        for m in impact.meetings
    ]
    assert rows == [
        ("Spring", 12, 0, 4, 3, 1, 10, 12),
        ("Summer", 15, 5, 4, 2, 2, 8, 9),
        ("Autumn", 8, 6, 1, 1, 0, 2, 0),
    ]
    assert [m.in_room_pct for m in impact.meetings] == [75, 50, 100]
    assert [m.actions_raised for m in impact.meetings] == [3, 1, 0]
    assert impact.topics == {
        "topics": ["Roads", "Youth", "No topic"],
        "counts": {"Roads": [2, 0, 1], "Youth": [1, 2, 0], "No topic": [1, 2, 0]},
    }


def test_trust_shares_are_hidden_under_ten_answers(db, factory, fixture):
    """50% Good or Excellent of 12; 58% agreeing of 12; the 9 of summer are counted but not shown."""
    impact = services.series_impact(db, factory.actor(Role.leader), fixture.id, clock=CLOCK)
    trust = {row["key"]: row["values"] for row in impact.trust}
    assert trust["police_rating"] == [{"n": 12, "pct": 50}, {"n": 9, "pct": None}, None]
    assert trust["confidence"] == [{"n": 12, "pct": 58}, {"n": 9, "pct": None}, None]
    assert trust["respect"] == [{"n": 0, "pct": None}, {"n": 0, "pct": None}, None]
    assert [m.good_or_excellent for m in impact.meetings] == [
        {"n": 12, "pct": 50},
        {"n": 9, "pct": None},
        {"n": 0, "pct": None},
    ]
    assert impact.any_survey and impact.any_trust_shown


def test_representation_suppresses_groups_under_ten_and_sets_the_baseline_beside(db, factory, fixture):
    """10 of 12 women shows 83%; 2 men and summer's 9 women are hidden; the area's shares stand beside."""
    db.add(AreaBaseline(series_id=fixture.id, question_key="sex", group_label="Female", percent=51.2))
    db.commit()
    impact = services.series_impact(db, factory.actor(Role.leader), fixture.id, clock=CLOCK)
    sex = next(item for item in impact.representation if item["key"] == "sex")
    assert sex["answered"] == [12, 9, None]
    groups = {group["label"]: (group["percents"], group["baseline"]) for group in sex["groups"]}
    assert groups["Female"] == ([83, None, None], 51.2)
    assert groups["Male"] == ([None, None, None], None)
    assert sex["shown"] and sex["has_baseline"]
    age = next(item for item in impact.representation if item["key"] == "age_band")
    assert not age["shown"]


def test_action_figures_and_median_days(db, factory, fixture):
    """Five actions: 3 completed (median 10 days), 4 agreed or beyond, 1 overdue, 1 not taken forward."""
    figures = services.action_figures(db, fixture.id, date(2026, 6, 1))
    assert figures["total"] == 5
    assert figures["by_status"] == {
        "under_consideration": 0,
        "agreed": 1,
        "in_progress": 0,
        "completed": 3,
        "not_taken_forward": 1,
        "referred": 0,
    }
    assert (figures["agreed"], figures["completed"], figures["not_taken_forward"], figures["overdue"]) == (4, 3, 1, 1)
    assert figures["median_days_to_complete"] == 10.0
    # Before the due date it is not overdue yet.
    assert services.action_figures(db, fixture.id, date(2026, 2, 1))["overdue"] == 0


def test_api_gives_the_documented_shape(client, factory, fixture):
    """GET /series/{id}/impact: meetings (drafts left out) and actions, exactly as api.md gives them."""
    staff = bearer(token_for(client, factory.user(Role.leader).email))
    response = client.get(f"{API}/series/{fixture.id}/impact", headers=staff)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["meetings", "actions"]
    assert [m["title"] for m in body["meetings"]] == ["Spring", "Summer", "Autumn"]
    first = body["meetings"][0]
    assert list(first) == [
        "code",
        "title",
        "starts_at",
        "participants",
        "concerns",
        "votes",
        "survey_responses",
        "good_or_excellent",
    ]
    assert (first["participants"], first["concerns"], first["votes"], first["survey_responses"]) == (12, 4, 10, 12)
    assert first["starts_at"].startswith("2026-01-15T18:30")
    assert [m["good_or_excellent"] for m in body["meetings"]] == [
        {"n": 12, "pct": 50},
        {"n": 9, "pct": None},
        {"n": 0, "pct": None},
    ]
    assert body["actions"] == {
        "total": 5,
        "by_status": {
            "under_consideration": 0,
            "agreed": 1,
            "in_progress": 0,
            "completed": 3,
            "not_taken_forward": 1,
            "referred": 0,
        },
        "median_days_to_complete": 10.0,
    }


def test_api_refuses_attendees_and_strangers_and_unknown_series(app, client, factory, fixture):
    """No staff login: 401 (a participant token too); an unknown series: a JSON 404."""
    assert client.get(f"{API}/series/{fixture.id}/impact").status_code == 401
    meeting = factory.meeting(fixture, status="live", title="Another")
    token = client.post(f"{API}/meetings/{meeting.code}/participants").get_json()["token"]
    refused = client.get(f"{API}/series/{fixture.id}/impact", headers={"X-Participant-Token": token})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "not_authenticated"
    staff = bearer(token_for(client, factory.user(Role.admin).email))
    missing = client.get(f"{API}/series/999999/impact", headers=staff)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"]


def test_dashboard_page_shows_every_section_with_tables(client, factory, fixture):
    """The staff page: the four sections, a chart canvas with a table under each, n and hidden figures."""
    login(client, factory.user(Role.leader).email)
    html = client.get(f"/series/{fixture.id}/impact").get_data(as_text=True)
    for section in ("reach", "trust", "representation", "actions", "topics"):
        assert f'id="{section}"' in html
    for table in ("reach-table", "sources-table", "trust-table", "equality-sex-table", "actions-table", "topics-table"):
        assert f'id="{table}"' in html
    assert html.count("<canvas") == 6
    assert '50% <span class="impact-n">(n=12)</span>' in html
    assert 'not shown</span> <span class="impact-n">(n=9)</span>' in html
    assert "never next to the national" in html
    assert "Set the area baseline" not in html  # admins only


def test_series_page_links_to_the_dashboard(client, factory, fixture):
    """The series' staff page links to its impact dashboard."""
    login(client, factory.user(Role.leader).email)
    assert f'href="/series/{fixture.id}/impact"' in client.get(f"/staff/series/{fixture.id}").get_data(as_text=True)


def test_an_empty_series_says_so_and_draws_no_chart(client, factory):
    """A series with only a draft meeting: clear words, no canvas, no chart script."""
    series = factory.series()
    factory.meeting(series)
    login(client, factory.user(Role.facilitator).email)
    html = client.get(f"/series/{series.id}/impact").get_data(as_text=True)
    assert "has not held a meeting yet" in html
    assert "<canvas" not in html and "chart.umd" not in html


def test_a_series_without_a_survey_says_so(client, db, factory):
    """Meetings held but no survey: the trust and equality sections say so in words, no empty chart."""
    series = factory.series()
    meeting = factory.meeting(series, status="closed")
    _devices(db, meeting, "AB")
    db.commit()
    login(client, factory.user(Role.facilitator).email)
    html = client.get(f"/series/{series.id}/impact").get_data(as_text=True)
    assert 'id="trust-empty"' in html and "no figures to show" in html
    assert 'id="representation-empty"' in html
    assert 'data-chart="trust-chart"' not in html
    assert 'id="actions-empty"' in html and 'id="topics-empty"' in html


def test_unknown_series_page_is_a_404_page(client, factory):
    """A series that does not exist: the 404 page, not a 500."""
    login(client, factory.user(Role.admin).email)
    response = client.get("/series/999999/impact")
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_admin_enters_the_area_baseline(client, db, factory, fixture):
    """An admin saves census shares; they show beside the room; the audit trail has it."""
    from ysdw_live.audit.models import AuditEntry

    login(client, factory.user(Role.admin).email)
    page = client.get(f"/series/{fixture.id}/impact/baseline")
    assert page.status_code == 200
    sex = services.baseline_field("sex", 0)
    response = client.post(
        f"/series/{fixture.id}/impact/baseline",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            sex: "51.2",
            services.baseline_field("sex", 1): "48.8",
        },
    )
    assert response.status_code == 302
    assert services.baselines_of(db, fixture.id) == {("sex", "Female"): 51.2, ("sex", "Male"): 48.8}
    html = client.get(f"/series/{fixture.id}/impact").get_data(as_text=True)
    assert "51.2%" in html and ">Area<" in html
    assert db.query(AuditEntry).filter_by(action="series.baseline").count() == 1
    again = client.get(f"/series/{fixture.id}/impact/baseline").get_data(as_text=True)
    assert re.search(rf'name="{sex}" type="text" value="51.2"', again)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sex": "fifty"}, "as a number from 0 to 100"),
        ({"sex": "101"}, "100 or less"),
        ({"sex": "12.55"}, "as a number from 0 to 100"),
        ({"sex": "60", "sex1": "60"}, "more than 100%"),
    ],
)
def test_bad_baseline_is_refused_with_an_error_summary(client, db, factory, fixture, values, message):
    """Bad shares: a 400 page with the GOV.UK error summary and what was typed kept; nothing saved."""
    login(client, factory.user(Role.admin).email)
    page = client.get(f"/series/{fixture.id}/impact/baseline").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), services.baseline_field("age_band", 0): "3"}
    data[services.baseline_field("sex", 0)] = values["sex"]
    if "sex1" in values:
        data[services.baseline_field("sex", 1)] = values["sex1"]
    response = client.post(f"/series/{fixture.id}/impact/baseline", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and message in html
    assert f'value="{values["sex"]}"' in html
    assert services.baselines_of(db, fixture.id) == {}


def test_public_page_summarises_the_series_above_the_actions(anon_client, fixture):
    """Meetings held, concerns raised, actions done and under way, and the trust figure only where n >= 10."""
    html = anon_client.get(f"/series/{fixture.id}/actions").get_data(as_text=True)
    summary = html[html.index('id="summary-heading"') : html.index("</section>")]
    figures = re.findall(r'impact-tiles__figure">(\d+)</span> ([a-z ]+)', summary)
    assert figures == [
        ("3", "meetings held"),
        ("9", "concerns raised"),
        ("3", "actions completed"),
        ("0", "actions in progress"),
    ]
    assert "<strong>50%</strong> of the 12 people" in summary
    assert "Summer" not in summary  # 9 answers: no figure


def test_figures_survive_the_retention_purge(db, factory, fixture):
    """After retention deletes spring's attendee data, its counts, survey results and equality shares stay."""
    from ysdw_live.db import utcnow
    from ysdw_live.meetings.models import Meeting
    from ysdw_live.privacy.services import purge

    spring = db.query(Meeting).filter_by(series_id=fixture.id, title="Spring").one()
    spring.closed_at = utcnow() - timedelta(days=365 * 3)
    db.commit()
    purge(db, clock=Clock.named("UTC"))
    impact = services.series_impact(db, factory.actor(Role.leader), fixture.id, clock=CLOCK)
    first = impact.meetings[0]
    assert (first.participants, first.returners, first.concerns, first.votes, first.survey_responses) == (
        12,
        None,
        4,
        10,
        12,
    )
    assert first.good_or_excellent == {"n": 12, "pct": 50}
    sex = next(item for item in impact.representation if item["key"] == "sex")
    assert sex["groups"][0]["percents"][0] == 83
