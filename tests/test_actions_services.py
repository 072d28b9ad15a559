"""Action use cases: create/edit/update with their rules, lists and filters, report-back, follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from time_machine import TimeMachineFixture

from tests.actions_support import FrozenClock, add_concern, add_vote, counts, install_clock
from ysdw_live.actions import services
from ysdw_live.actions.models import ActionAudit, ActionStatus
from ysdw_live.actions.serializers import action_to_dict, follow_up_to_dict
from ysdw_live.actors import Actor
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.errors import NotAuthenticated, NotFound, ValidationError
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting

LONDON = Clock.named("Europe/London")


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> FrozenClock:
    """A settable clock for report-back and finishing times."""
    return install_clock(time_machine)


@pytest.fixture
def leader(factory) -> Actor:
    """A leader, the role that turns concerns into actions."""
    return factory.actor(Role.leader)


def go_live(db, factory, meeting: Meeting) -> Meeting:
    """Take a draft meeting live through the real service."""
    return meetings.update_meeting(db, factory.actor(Role.facilitator), meeting.code, {"status": "live"})


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.admin, Role.facilitator, Role.leader])
def test_every_staff_role_creates_an_action_answering_concerns(db, factory, role):
    """Admins, facilitators and leaders create actions linked to concerns of the series' meetings."""
    meeting = factory.meeting(status="live")
    first = add_concern(db, meeting, "More patrols near the park")
    second = add_concern(db, meeting, "Youth club closed, nowhere to go")
    action = services.create_action(
        db,
        factory.actor(role),
        meeting.series_id,
        {
            "you_said": "Young people have nowhere safe to go",
            "owner": "Neighbourhood team",
            "status": "agreed",
            "due_date": "2026-06-30",
            "concern_ids": [second.id, first.id],
            "private_notes": "Ask the council about the youth club lease.",
        },
    )
    assert action.status is ActionStatus.agreed and action.progress == 0
    assert action.due_date == date(2026, 6, 30)
    assert sorted(c.id for c in action.concerns) == [first.id, second.id]
    assert action.raised_at_meeting_id == meeting.id
    assert action.created_by is not None
    public = action_to_dict(action)
    assert public["concern_ids"] == [first.id, second.id]
    assert public["raised_at"] == {"title": meeting.title, "starts_at": None}
    assert "private_notes" not in public and "raised_at_meeting" not in public  # a code is for staff only
    staff = action_to_dict(action, include_private=True)
    assert staff["private_notes"].startswith("Ask the council")
    assert staff["raised_at_meeting"] == meeting.code


def test_action_shape_is_exactly_the_documented_one(db, factory, leader):
    """The serializer returns api.md's fields, updates newest first."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "Lighting"})
    services.add_update(db, leader, action.id, {"text": "First"})
    services.add_update(db, leader, action.id, {"text": "Second", "progress": 20})
    shape = action_to_dict(services.get_action(db, action.id))
    assert list(shape) == [
        "id",
        "series_id",
        "you_said",
        "we_did",
        "owner",
        "status",
        "progress",
        "due_date",
        "concern_ids",
        "raised_at",
        "updates",
        "created_at",
        "updated_at",
    ]
    assert [u["text"] for u in shape["updates"]] == ["Second", "First"]
    assert list(shape["updates"][0]) == ["id", "text", "status", "progress", "created_at"]
    assert shape["raised_at"] is None and shape["due_date"] is None
    staff = action_to_dict(services.get_action(db, action.id), include_private=True)
    assert list(staff) == [*shape, "raised_at_meeting", "private_notes"]
    assert staff["raised_at_meeting"] is None


def test_unknown_and_foreign_concern_ids_are_named_and_nothing_is_created(db, factory, leader):
    """Concerns must exist and come from the same series; the error names the offending ids."""
    meeting = factory.meeting(status="live")
    own = add_concern(db, meeting, "Ours")
    other_meeting = factory.meeting(factory.series(title="Another series"), status="live")
    foreign = add_concern(db, other_meeting, "Theirs")
    with pytest.raises(ValidationError) as unknown:
        services.create_action(db, leader, meeting.series_id, {"you_said": "x", "concern_ids": [own.id, 9999]})
    assert unknown.value.code == "unknown_concern" and "9999" in unknown.value.message
    db.rollback()
    with pytest.raises(ValidationError) as other:
        services.create_action(db, leader, meeting.series_id, {"you_said": "x", "concern_ids": [own.id, foreign.id]})
    assert other.value.code == "foreign_concern" and str(foreign.id) in other.value.message
    assert str(own.id) not in other.value.message.split("was raised")[0]
    db.rollback()
    assert counts(db)["action"] == 0


@pytest.mark.parametrize("concern_ids", ["1,2", [True], [1.5], [0], [-3], ["7"], {"id": 1}])
def test_concern_ids_must_be_a_list_of_positive_whole_numbers(db, factory, leader, concern_ids):
    """Anything but a list of ids is refused before the database is asked."""
    series = factory.series()
    with pytest.raises(ValidationError) as raised:
        services.create_action(db, leader, series.id, {"you_said": "x", "concern_ids": concern_ids})
    assert "concern_ids" in raised.value.fields


def test_create_refuses_anonymous_and_attendees(db, factory):
    """Only staff may write actions; an attendee (participant without login) is not staff."""
    meeting = factory.meeting(status="live")
    participant, _token = meetings.join(db, meeting, None)
    for caller in (Actor(), Actor(participant=participant)):
        with pytest.raises(NotAuthenticated):
            services.create_action(db, caller, meeting.series_id, {"you_said": "x"})
    assert counts(db)["action"] == 0


def test_create_in_an_unknown_series_is_not_found(db, factory, leader):
    """An unknown series id is a 404, not a 400."""
    with pytest.raises(NotFound):
        services.create_action(db, leader, 424242, {"you_said": "x"})


def test_raised_at_meeting_may_be_named_but_only_within_the_series(db, factory, leader):
    """raised_at_meeting takes a code of the same series' meeting, in any letter case."""
    meeting = factory.meeting(status="live")
    other = factory.meeting(factory.series(title="Elsewhere"))
    action = services.create_action(
        db, leader, meeting.series_id, {"you_said": "x", "raised_at_meeting": meeting.code.lower()}
    )
    assert action.raised_at_meeting_id == meeting.id
    with pytest.raises(ValidationError):
        services.create_action(db, leader, meeting.series_id, {"you_said": "y", "raised_at_meeting": other.code})


# --- update and add_update --------------------------------------------------------------------


def test_update_keeps_an_audit_trail_of_real_changes(db, factory, leader):
    """Every changed field gets one audit entry (who, old, new); unchanged fields get none."""
    meeting = factory.meeting(status="live")
    concern = add_concern(db, meeting, "Drug dealing by the shops")
    action = services.create_action(db, leader, meeting.series_id, {"you_said": "Dealing", "owner": "PC Smith"})
    facilitator = factory.actor(Role.facilitator)
    services.update_action(
        db,
        facilitator,
        action.id,
        {
            "owner": "PC Smith",
            "status": "in_progress",
            "progress": 25,
            "due_date": "2026-05-01",
            "concern_ids": [concern.id],
            "private_notes": "Intel ref 42",
        },
    )
    audits = services.audit_trail(db, facilitator, services.get_action(db, action.id))
    assert {a.field: (a.old, a.new) for a in audits} == {
        "status": ("under_consideration", "in_progress"),
        "progress": ("0", "25"),
        "due_date": (None, "2026-05-01"),
        "concern_ids": (None, str(concern.id)),
        "private_notes": ("", "Intel ref 42"),
    }
    assert {a.user_id for a in audits} == {facilitator.user.id}
    services.update_action(db, facilitator, action.id, {"owner": "PC Smith"})
    assert len(services.audit_trail(db, facilitator, action)) == len(audits)


def test_update_refusing_half_valid_input_changes_nothing(db, factory, leader):
    """A valid field next to an invalid one is not saved either; no audit is written."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "Original"})
    before = counts(db)
    with pytest.raises(ValidationError):
        services.update_action(db, leader, action.id, {"you_said": "Changed", "progress": 101})
    db.rollback()
    assert services.get_action(db, action.id).you_said == "Original"
    with pytest.raises(ValidationError):
        services.update_action(db, leader, action.id, {"you_said": "Changed", "status": "referred"})
    db.rollback()
    db.expire_all()
    assert services.get_action(db, action.id).you_said == "Original"
    assert counts(db) == before


def test_add_update_appends_and_moves_status_and_progress(db, factory, leader, clock):
    """An update is dated, keeps its author, and can finish the action (progress goes to 100)."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "Graffiti on the underpass"})
    update = services.add_update(db, leader, action.id, {"text": "Cleaned by the council.", "status": "completed"})
    action = services.get_action(db, action.id)
    assert (action.status, action.progress, action.finished_at) == (ActionStatus.completed, 100, clock.now)
    assert (update.author_id, update.status, update.progress) == (leader.user.id, ActionStatus.completed, 100)
    fields = {a.field for a in services.audit_trail(db, leader, action)}
    assert fields == {"status", "progress"}


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "ok", "progress": 150},
        {"text": "ok", "progress": "10"},
        {"text": "ok", "status": "done"},
        {"text": "ok", "author": 3},
        {"status": "completed"},
    ],
)
def test_add_update_bad_input_appends_nothing(db, factory, leader, payload):
    """Missing text, bad progress, unknown status or fields: refused, nothing appended."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "x"})
    before = counts(db)
    with pytest.raises(ValidationError):
        services.add_update(db, leader, action.id, payload)
    db.rollback()
    assert counts(db) == before


def test_services_offer_no_way_to_edit_or_delete_an_update():
    """The service layer has append, and nothing that changes or removes an update."""
    names = {name for name in dir(services) if not name.startswith("_")}
    assert "add_update" in names
    assert not {n for n in names if "update" in n and n.split("_")[0] in {"edit", "delete", "remove", "change"}}


# --- lists and filters -----------------------------------------------------------------------


def test_filters_by_status_topic_owner_and_overdue(db, factory, leader, time_machine):
    """Each filter narrows the staff list; topic works through the linked concerns' topics."""
    meeting = factory.meeting(status="live")
    stop_search, youth = meeting.series.topics
    c_stop = add_concern(db, meeting, "Stop and search feels targeted", topic=stop_search)
    c_youth = add_concern(db, meeting, "Youth club", topic=youth)
    a = services.create_action(
        db,
        leader,
        meeting.series_id,
        {"you_said": "A", "owner": "Inspector 100% Jones", "concern_ids": [c_stop.id], "due_date": "2026-02-01"},
    )
    b = services.create_action(
        db,
        leader,
        meeting.series_id,
        {
            "you_said": "B",
            "owner": "Youth team",
            "concern_ids": [c_youth.id],
            "status": "completed",
            "due_date": "2026-02-01",
        },
    )
    c = services.create_action(
        db,
        leader,
        meeting.series_id,
        {"you_said": "C", "owner": "youth TEAM east", "due_date": "2026-04-01", "status": "agreed"},
    )

    def ids(**args: str) -> list[int]:
        filters = services.parse_filters(meeting.series, args)
        return sorted(x.id for x in services.list_actions(db, leader, meeting.series_id, filters, clock=LONDON))

    time_machine.move_to(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False)
    assert ids() == sorted([a.id, b.id, c.id])
    assert ids(status="completed") == [b.id]
    assert ids(topic=str(stop_search.id)) == [a.id]
    assert ids(topic=str(youth.id)) == [b.id]
    assert ids(owner="youth team") == sorted([b.id, c.id])
    assert ids(owner="100%") == [a.id]
    assert ids(owner="%") == [a.id]
    assert ids(overdue="true") == [a.id]
    assert ids(overdue="true", owner="jones", status="under_consideration") == [a.id]


@pytest.mark.parametrize("args", [{"status": "finished"}, {"topic": "abc"}, {"topic": "999"}, {"overdue": "maybe"}])
def test_bad_filters_are_refused(db, factory, args):
    """Unknown statuses, topics of other series and non-booleans are clear errors."""
    series = factory.series()
    with pytest.raises(ValidationError):
        services.parse_filters(series, args)


def test_list_actions_needs_staff_but_public_actions_does_not(db, factory, leader):
    """The staff list (which may carry notes) needs a login; the public list does not."""
    series = factory.series()
    services.create_action(db, leader, series.id, {"you_said": "x"})
    with pytest.raises(NotAuthenticated):
        services.list_actions(db, Actor(), series.id)
    assert len(services.public_actions(db, series.id)) == 1


def test_group_by_topic_follows_the_main_topic_in_series_order(db, factory, leader):
    """An action is filed under its most common concern topic; those without topic come last."""
    meeting = factory.meeting(status="live")
    stop_search, youth = meeting.series.topics
    y1 = add_concern(db, meeting, "y1", topic=youth)
    y2 = add_concern(db, meeting, "y2", topic=youth)
    s1 = add_concern(db, meeting, "s1", topic=stop_search)
    mostly_youth = services.create_action(
        db, leader, meeting.series_id, {"you_said": "m", "concern_ids": [y1.id, y2.id, s1.id]}
    )
    search = services.create_action(db, leader, meeting.series_id, {"you_said": "s", "concern_ids": [s1.id]})
    none = services.create_action(db, leader, meeting.series_id, {"you_said": "n"})
    groups = services.group_by_topic(meeting.series, services.public_actions(db, meeting.series_id))
    assert [(t.name if t else None, [a.id for a in acts]) for t, acts in groups] == [
        ("Stop and search", [search.id]),
        ("Youth", [mostly_youth.id]),
        (None, [none.id]),
    ]


# --- report-back across three meetings --------------------------------------------------------


def test_report_back_selection_across_three_meetings(db, factory, leader, clock):
    """Each meeting reports every unfinished action and those finished since the previous meeting went live."""
    series = factory.series()
    m1, m2, m3, m4 = (factory.meeting(series, title=f"Meeting {n}") for n in (1, 2, 3, 4))
    other_series = factory.series(title="Other")
    services.create_action(db, leader, other_series.id, {"you_said": "never reported here"})

    go_live(db, factory, m1)
    assert services.report_back(db, m1) == []
    clock.advance(hours=2)

    def new(name: str, **extra: object) -> int:
        return services.create_action(db, leader, series.id, {"you_said": name, **extra}).id

    done_early = new("done before 2")
    dropped_early = new("dropped before 2")
    slow = new("in progress throughout", status="in_progress", progress=10)
    done_mid = new("done between 2 and 3")
    referred_mid = new("referred between 2 and 3")
    idle = new("agreed, never finished", status="agreed")
    reopened = new("completed then reopened")

    clock.advance(days=10)
    services.add_update(db, leader, done_early, {"text": "Done.", "status": "completed"})
    services.add_update(db, leader, dropped_early, {"text": "No budget.", "status": "not_taken_forward"})
    services.add_update(db, leader, reopened, {"text": "Done.", "status": "completed"})

    clock.advance(days=20)
    go_live(db, factory, m2)
    report_2 = [a.you_said for a in services.report_back(db, m2)]
    # Finished after meeting 1 went live, then unfinished ones; ordered completed → … → not taken forward.
    assert report_2 == [
        "done before 2",
        "completed then reopened",
        "in progress throughout",
        "agreed, never finished",
        "done between 2 and 3",
        "referred between 2 and 3",
        "dropped before 2",
    ]

    clock.advance(days=10)
    services.add_update(db, leader, done_mid, {"text": "Finished.", "status": "completed"})
    services.update_action(db, leader, referred_mid, {"status": "referred", "we_did": "Passed to the council."})
    services.add_update(db, leader, reopened, {"text": "It came back.", "status": "in_progress"})

    clock.advance(days=20)
    go_live(db, factory, m3)
    report_3 = services.report_back(db, m3)
    assert [a.you_said for a in report_3] == [
        "done between 2 and 3",
        "in progress throughout",
        "completed then reopened",
        "agreed, never finished",
        "referred between 2 and 3",
    ]
    assert not {done_early, dropped_early} & {a.id for a in report_3}

    # A draft meeting that has not gone live yet measures "since" from the latest live one (meeting 3).
    clock.advance(days=5)
    services.add_update(db, leader, slow, {"text": "Done at last.", "status": "completed"})
    report_4 = [a.you_said for a in services.report_back(db, m4)]
    assert report_4 == ["in progress throughout", "completed then reopened", "agreed, never finished"]
    assert services.previous_meeting(db, m4).id == m3.id
    assert services.previous_meeting(db, m1) is None
    assert idle in {a.id for a in services.report_back(db, m3)}


# --- closing the loop -------------------------------------------------------------------------


def test_follow_ups_show_a_returning_device_what_happened_to_its_concerns(db, factory, leader, clock):
    """Concerns this device raised or voted for at earlier meetings, linked to actions, with their state."""
    series = factory.series()
    m1 = factory.meeting(series, title="Autumn", status="live")
    clock.advance(days=30)
    m2 = factory.meeting(series, title="Winter", status="live")
    elsewhere = factory.meeting(factory.series(title="Another"), status="live")

    me_before, token = meetings.join(db, m1, None)
    someone_else, _ = meetings.join(db, m1, None)
    raised = add_concern(db, m1, "Speeding outside the school", participant=me_before, author_name="Amira")
    theirs = add_concern(db, m1, "Parking on pavements", participant=someone_else)
    add_vote(db, theirs, me_before)
    unlinked = add_concern(db, m1, "Not followed up", participant=me_before)
    ignored = add_concern(db, m1, "Someone else's, not voted", participant=someone_else)
    me_elsewhere, _ = meetings.join(db, elsewhere, token)
    other_series_concern = add_concern(db, elsewhere, "Other series", participant=me_elsewhere)

    speed = services.create_action(
        db,
        leader,
        series.id,
        {
            "you_said": "Speeding",
            "concern_ids": [raised.id],
            "status": "in_progress",
            "progress": 40,
            "private_notes": "SECRET-NOTE",
        },
    )
    services.create_action(db, leader, series.id, {"you_said": "Parking", "concern_ids": [theirs.id, ignored.id]})
    services.create_action(db, leader, elsewhere.series_id, {"you_said": "x", "concern_ids": [other_series_concern.id]})

    me_now, _ = meetings.join(db, m2, token)
    now_concern = add_concern(db, m2, "Raised tonight", participant=me_now)
    services.create_action(db, leader, series.id, {"you_said": "Tonight", "concern_ids": [now_concern.id]})

    follow_ups = services.follow_ups_for_device(db, me_now)
    assert [(f.concern.text, f.raised, f.voted) for f in follow_ups] == [
        ("Speeding outside the school", True, False),
        ("Parking on pavements", False, True),
    ]
    assert [a.id for a in follow_ups[0].actions] == [speed.id]
    assert unlinked.id not in {f.concern.id for f in follow_ups}

    shaped = follow_up_to_dict(follow_ups[0])
    assert shaped["concern"]["meeting_title"] == "Autumn"
    assert shaped["actions"][0]["status"] == "in_progress"
    flat = repr([follow_up_to_dict(f) for f in follow_ups])
    assert "SECRET-NOTE" not in flat and "Amira" not in flat and "participant" not in flat

    stranger, _ = meetings.join(db, m2, None)
    assert services.follow_ups_for_device(db, stranger) == []
    assert services.follow_ups_for_device(db, me_before) == []


# --- leaders' stream --------------------------------------------------------------------------


def test_lead_stream_groups_visible_concerns_by_topic_with_links(db, factory, leader):
    """Only approved and answered concerns, by topic (most votes first), with the actions already answering them."""
    meeting = factory.meeting(status="live")
    stop_search, youth = meeting.series.topics
    low = add_concern(db, meeting, "low", topic=youth, votes=1)
    high = add_concern(db, meeting, "high", topic=youth, votes=5)
    answered = add_concern(db, meeting, "answered", status="answered")
    add_concern(db, meeting, "pending", status="pending")
    add_concern(db, meeting, "dismissed", status="dismissed", topic=stop_search)
    action = services.create_action(db, leader, meeting.series_id, {"you_said": "x", "concern_ids": [high.id]})
    stream = services.lead_stream(db, leader, meeting)
    assert [(t.name if t else None, [c.text for c in cs]) for t, cs in stream.groups] == [
        ("Stop and search", []),
        ("Youth", ["high", "low"]),
        (None, ["answered"]),
    ]
    assert [a.id for a in stream.linked[high.id]] == [action.id]
    assert low.id not in stream.linked and answered.id not in stream.linked
    assert stream.concern_count == 3
    with pytest.raises(NotAuthenticated):
        services.lead_stream(db, Actor(), meeting)


def test_prefill_is_a_short_summary_not_the_concerns_run_together(db, factory, leader):
    """The You said text starts as a summary to check: how many concerns, and the first sentence of one."""
    meeting = factory.meeting(status="live")
    first = add_concern(db, meeting, "Lights out on Hessle Road. It has been weeks and nobody came.")
    second = add_concern(db, meeting, "Dark alley by the station")
    chosen = services.selected_concerns(db, leader, meeting.series, [str(second.id), str(first.id)])
    summary = services.prefill_you_said(chosen)
    assert summary.startswith("People raised 2 concerns, for example: ")
    assert "\n" not in summary and "nobody came" not in summary
    one = services.selected_concerns(db, leader, meeting.series, [str(first.id)])
    assert services.prefill_you_said(one) == "Lights out on Hessle Road."
    long = add_concern(db, meeting, "word " * 60)
    cut = services.prefill_you_said(services.selected_concerns(db, leader, meeting.series, [str(long.id)]))
    assert len(cut) <= services.SUMMARY_EXAMPLE_MAX and cut.endswith("…")
    with pytest.raises(ValidationError):
        services.selected_concerns(db, leader, meeting.series, ["abc"])


def test_audit_rows_are_never_written_for_refused_updates(db, factory, leader):
    """A refused status change leaves the audit table untouched."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "x"})
    with pytest.raises(ValidationError):
        services.update_action(db, leader, action.id, {"status": "not_taken_forward"})
    db.rollback()
    assert db.scalars(select(ActionAudit)).all() == []
    assert services.get_action(db, action.id).status is ActionStatus.under_consideration


def test_overdue_ignores_finished_actions(db, factory, leader):
    """A finished action past its due date is not overdue."""
    series = factory.series()
    action = services.create_action(db, leader, series.id, {"you_said": "x", "due_date": "2020-01-01"})
    today = date(2020, 1, 1) + timedelta(days=1)
    assert action.is_overdue(today)
    services.add_update(db, leader, action.id, {"text": "Done", "status": "completed"})
    assert not services.get_action(db, action.id).is_overdue(today)
