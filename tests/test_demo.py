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
    assert [p.kind.value for p in polls] == ["single", "rating", "word_cloud", "ranking"]
    assert all(p.status.value == "draft" for p in polls) and len(polls[3].options) == 4
