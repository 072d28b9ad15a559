"""The demo data tells the whole You Said, We Did story."""

from ysdw_live.actions import services as actions
from ysdw_live.demo import load_demo
from ysdw_live.meetings import services as meetings


def test_demo_opens_with_a_report_back_of_the_winter_meeting(db):
    """The live demo meeting reports back on four actions from the closed winter meeting, each explained."""
    code = load_demo(db)
    meeting = meetings.get_meeting(db, code)
    report = actions.report_back(db, meeting)
    assert [a.status.value for a in report] == ["completed", "in_progress", "agreed", "not_taken_forward"]
    assert all(a.concerns for a in report)
    declined = report[-1]
    assert "drop-in surgery" in declined.we_did
    assert load_demo(db) == code
    assert len(actions.report_back(db, meeting)) == 4


def test_demo_live_meeting_has_prepared_polls(db):
    """The demo's live meeting comes with draft polls of several kinds, ready to open."""
    from sqlalchemy import select

    from ysdw_live.demo import load_demo
    from ysdw_live.meetings.models import Meeting
    from ysdw_live.polls.models import Poll

    code = load_demo(db)
    meeting = db.scalar(select(Meeting).where(Meeting.code == code))
    polls = list(db.scalars(select(Poll).where(Poll.meeting_id == meeting.id).order_by(Poll.id)))
    assert [p.kind.value for p in polls] == ["single", "rating", "word_cloud", "open_text", "ranking"]
    assert all(p.status.value == "draft" for p in polls) and len(polls[4].options) == 4
    assert [p.approve_answers for p in polls] == [False, False, False, True, False]


def test_demo_winter_survey_shows_suppression_on_both_sides(db):
    """The closed winter meeting has 14 survey responses: most questions show figures, one stays under 10."""
    from ysdw_live.actors import Actor
    from ysdw_live.auth.models import Role
    from ysdw_live.auth.services import create_user
    from ysdw_live.clock import Clock
    from ysdw_live.surveys import services as surveys
    from ysdw_live.surveys.models import Survey

    load_demo(db)
    from ysdw_live.meetings.models import Meeting

    survey = db.query(Survey).join(Meeting).filter(Meeting.title == "Winter meeting").one()
    staff = Actor(user=create_user(db, None, "demo-check@example.org", Role.admin, "correct horse battery staple 9"))
    results = surveys.results(db, staff, survey.id, clock=Clock.named("UTC"))
    assert results["responses"] >= 12
    suppressed = {q["prompt"][:40]: q["suppressed"] for q in results["questions"] if q["kind"] != "text"}
    assert any(suppressed.values()) and not all(suppressed.values())
    sex = next(item for item in results["equality"] if item["key"] == "sex")
    counts = {group["label"]: group["count"] for group in sex["groups"]}
    assert counts["Female"] == 10 and counts["Male"] is None


def test_demo_year_tells_the_impact_story(db):
    """A year of meetings: more people, more returning, trust rising, actions done, the same numbers each load."""
    from ysdw_live.actors import Actor
    from ysdw_live.auth.models import Role
    from ysdw_live.auth.services import create_user
    from ysdw_live.clock import Clock
    from ysdw_live.impact import services as impact
    from ysdw_live.meetings.models import Meeting

    code = load_demo(db)
    series_id = db.query(Meeting).filter_by(code=code).one().series_id
    staff = Actor(user=create_user(db, None, "demo-impact@example.org", Role.leader, "correct horse battery staple 9"))
    figures = impact.series_impact(db, staff, series_id, clock=Clock.named("UTC"))
    titles = [m.meeting.title for m in figures.meetings]
    assert titles == [
        "Spring meeting, last year",
        "Summer meeting",
        "Autumn meeting",
        "Winter meeting",
        "Spring meeting",
    ]
    assert [m.participants for m in figures.meetings] == [18, 26, 35, 38, 16]
    assert [m.returners for m in figures.meetings] == [0, 8, 16, 20, 9]
    assert [m.good_or_excellent["pct"] for m in figures.meetings] == [38, 45, 55, 64, None]
    sex = next(item for item in figures.representation if item["key"] == "sex")
    assert sex["shown"] and sex["has_baseline"]
    assert figures.actions["completed"] >= 6 and figures.actions["overdue"] == 1
    assert figures.actions["median_days_to_complete"] is not None
