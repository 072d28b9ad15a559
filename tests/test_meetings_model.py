"""The meeting status machine: draft → live → closed, reopening, and every refused move."""

from __future__ import annotations

import pytest

from ysdw_live.auth.models import Role
from ysdw_live.errors import Conflict, ValidationError
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting, MeetingStatus

ALLOWED = [
    (MeetingStatus.draft, MeetingStatus.live),
    (MeetingStatus.live, MeetingStatus.closed),
    (MeetingStatus.closed, MeetingStatus.live),
]
REFUSED = [
    (MeetingStatus.draft, MeetingStatus.closed),
    (MeetingStatus.live, MeetingStatus.draft),
    (MeetingStatus.closed, MeetingStatus.draft),
]


def meeting_in(status: MeetingStatus) -> Meeting:
    """Return an unsaved meeting in ``status`` at version 1."""
    return Meeting(code="ABCDEF", title="Spring meeting", status=status, version=1)


@pytest.mark.parametrize(("start", "target"), ALLOWED, ids=lambda s: s.value)
def test_allowed_transition_changes_status_and_bumps_version(start, target):
    """Each allowed move lands on the target status and bumps the version exactly once."""
    meeting = meeting_in(start)
    meeting.change_status(target)
    assert meeting.status is target
    assert meeting.version == 2


@pytest.mark.parametrize(("start", "target"), REFUSED, ids=lambda s: s.value)
def test_refused_transition_raises_conflict_and_changes_nothing(start, target):
    """A move that is not in the machine raises Conflict (409) and leaves status and version alone."""
    meeting = meeting_in(start)
    with pytest.raises(Conflict) as caught:
        meeting.change_status(target)
    assert caught.value.status == 409
    assert caught.value.code == "invalid_transition"
    assert meeting.status is start
    assert meeting.version == 1


@pytest.mark.parametrize("status", list(MeetingStatus), ids=lambda s: s.value)
def test_same_status_is_a_no_op(status):
    """Asking for the status a meeting already has changes nothing and keeps the version."""
    meeting = meeting_in(status)
    meeting.change_status(status)
    assert meeting.status is status
    assert meeting.version == 1


def test_named_steps_refuse_the_wrong_start():
    """go_live, close and reopen each refuse every status but their own starting point."""
    for step, allowed_from in (
        ("go_live", MeetingStatus.draft),
        ("close", MeetingStatus.live),
        ("reopen", MeetingStatus.closed),
    ):
        for status in MeetingStatus:
            meeting = meeting_in(status)
            if status is allowed_from:
                getattr(meeting, step)()
                assert meeting.version == 2
            else:
                with pytest.raises(Conflict):
                    getattr(meeting, step)()
                assert (meeting.status, meeting.version) == (status, 1)


def test_timestamps_follow_the_life_of_a_meeting():
    """Going live stamps went_live_at once; closing stamps closed_at; reopening clears it."""
    meeting = meeting_in(MeetingStatus.draft)
    meeting.go_live()
    first_live = meeting.went_live_at
    assert first_live is not None and meeting.closed_at is None
    meeting.close()
    assert meeting.closed_at is not None
    meeting.reopen()
    assert meeting.closed_at is None
    assert meeting.went_live_at == first_live
    assert meeting.version == 4


def test_require_live_explains_draft_and_closed():
    """Attendee writes are refused with distinct codes before the start and after the end."""
    meeting_in(MeetingStatus.live).require_live()
    with pytest.raises(Conflict) as draft:
        meeting_in(MeetingStatus.draft).require_live()
    with pytest.raises(Conflict) as closed:
        meeting_in(MeetingStatus.closed).require_live()
    assert draft.value.code == "meeting_not_live"
    assert closed.value.code == "meeting_closed"


def test_service_walks_the_machine_and_persists_each_step(db, factory):
    """update_meeting moves a stored meeting through its life; the version is saved each time."""
    meeting = factory.meeting()
    actor = factory.actor(Role.facilitator)
    assert (meeting.status, meeting.version) == (MeetingStatus.draft, 1)
    for target, version in (("live", 2), ("closed", 3), ("live", 4)):
        meeting_services.update_meeting(db, actor, meeting.code, {"status": target})
        db.expire_all()
        stored = meeting_services.get_meeting(db, meeting.code)
        assert (stored.status.value, stored.version) == (target, version)


def test_service_refuses_bad_moves_and_keeps_the_database(db, factory):
    """A refused move or an unknown status through the service leaves the stored meeting unchanged."""
    meeting = factory.meeting(status="live")
    actor = factory.actor(Role.facilitator)
    with pytest.raises(Conflict):
        meeting_services.update_meeting(db, actor, meeting.code, {"status": "draft", "title": "Renamed"})
    # The refused move raised before the title was touched, so nothing is left for a later commit.
    assert meeting.title == "Spring meeting"
    assert not db.dirty
    db.rollback()
    with pytest.raises(ValidationError):
        meeting_services.update_meeting(db, actor, meeting.code, {"status": "finished"})
    db.rollback()
    db.expire_all()
    stored = meeting_services.get_meeting(db, meeting.code)
    assert (stored.status, stored.version, stored.title) == (MeetingStatus.live, 2, "Spring meeting")


def test_editing_details_bumps_version_once(db, factory):
    """Changing details bumps the version once per call; sending the same values again does not."""
    meeting = factory.meeting()
    actor = factory.actor(Role.admin)
    meeting_services.update_meeting(db, actor, meeting.code, {"title": "Summer", "venue": "Hall"})
    assert meeting.version == 2
    meeting_services.update_meeting(db, actor, meeting.code, {"title": "Summer", "venue": "Hall"})
    assert meeting.version == 2
