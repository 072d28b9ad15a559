"""Concern services: every state change, its validation, its authorisation and its version bump."""

from __future__ import annotations

import json

import pytest
from flask import current_app
from sqlalchemy import func, select

from ysdw_live.actors import Actor
from ysdw_live.auth.models import Role
from ysdw_live.concerns import services
from ysdw_live.concerns.models import Concern, ConcernSource, ConcernStatus, ModerationEntry, Vote
from ysdw_live.concerns.serializers import concern_to_dict
from ysdw_live.errors import Conflict, Forbidden, NotAuthenticated, NotFound, RateLimited, ValidationError
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import Meeting, Participant, ProjectorMode
from ysdw_live.ratelimit import Limiter


def limits() -> Limiter:
    """Return the app's rate limiter, which the adapters pass to the services that count."""
    return current_app.extensions["ysdw_limiter"]


def attendee(db, meeting: Meeting) -> Actor:
    """Return an Actor for a new participant of ``meeting``."""
    participant, _token = meeting_services.join(db, meeting, None)
    return Actor(participant=participant)


def raise_concern(db, meeting: Meeting, text: str = "Street lights on Hall Road are out", **kwargs) -> Concern:
    """Raise a concern as a fresh attendee."""
    return services.submit_concern(db, attendee(db, meeting), meeting, text=text, **kwargs, limiter=limits())


def approved(db, factory, meeting: Meeting, text: str = "Speeding on Anlaby Road") -> Concern:
    """Return a concern approved by a facilitator."""
    concern = raise_concern(db, meeting, text)
    return services.moderate(db, factory.actor(Role.facilitator), concern.id, {"status": "approved"})


def version_of(db, meeting: Meeting) -> int:
    """Return the meeting's version as stored."""
    db.expire(meeting)
    return meeting.version


# --- raising concerns -------------------------------------------------------------------------


def test_attendee_concern_waits_for_moderator_when_moderation_is_on(db, factory):
    """Under moderation a new concern is pending, numbered 1, linked to its author, and bumps the version."""
    meeting = factory.meeting(status="live", moderation=True)
    before = version_of(db, meeting)
    actor = attendee(db, meeting)
    concern = services.submit_concern(db, actor, meeting, text="Why so few officers on foot?", limiter=limits())
    assert concern.status is ConcernStatus.pending
    assert concern.number == 1
    assert concern.participant_id == actor.participant.id
    assert concern.source is ConcernSource.attendee
    assert concern.votes == 0 and concern.highlighted is False
    assert version_of(db, meeting) == before + 1


def test_attendee_concern_is_approved_at_once_without_moderation(db, factory):
    """Without moderation a concern is shown straight away."""
    meeting = factory.meeting(status="live", moderation=False)
    assert raise_concern(db, meeting).status is ConcernStatus.approved


def test_facilitator_entered_concern_is_approved_and_marked(db, factory):
    """A facilitator typing in a paper card gets an approved concern with source facilitator."""
    meeting = factory.meeting(status="live", moderation=True)
    concern = services.submit_concern(
        db,
        factory.actor(Role.facilitator),
        meeting,
        text="From a card: more PCSOs",
        source="facilitator",
        limiter=limits(),
    )
    assert concern.status is ConcernStatus.approved
    assert concern.source is ConcernSource.facilitator
    assert concern.participant_id is None


def test_facilitator_source_needs_a_meeting_manager(db, factory):
    """A leader or an attendee cannot enter concerns as the facilitator."""
    meeting = factory.meeting(status="live")
    with pytest.raises(Forbidden):
        services.submit_concern(
            db, factory.actor(Role.leader), meeting, text="x", source="facilitator", limiter=limits()
        )
    with pytest.raises(NotAuthenticated):
        services.submit_concern(db, attendee(db, meeting), meeting, text="x", source="facilitator", limiter=limits())
    assert db.scalar(select(func.count(Concern.id))) == 0


def test_attendee_concern_needs_a_participant_of_this_meeting(db, factory):
    """Without a participant, or with one from another meeting, raising a concern is 401."""
    meeting = factory.meeting(status="live")
    other = factory.meeting(status="live")
    with pytest.raises(NotAuthenticated):
        services.submit_concern(db, Actor(), meeting, text="Hello", limiter=limits())
    with pytest.raises(NotAuthenticated):
        services.submit_concern(db, attendee(db, other), meeting, text="Hello", limiter=limits())
    with pytest.raises(ValidationError):
        services.submit_concern(db, attendee(db, meeting), meeting, text="Hello", source="robot", limiter=limits())


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_concern_cannot_be_raised_unless_meeting_is_live(db, factory, status):
    """Draft and closed meetings refuse concerns with 409 and store nothing."""
    meeting = factory.meeting(status=status)
    with pytest.raises(Conflict):
        raise_concern(db, meeting)
    with pytest.raises(Conflict):
        services.submit_concern(
            db, factory.actor(Role.facilitator), meeting, text="x", source="facilitator", limiter=limits()
        )
    assert db.scalar(select(func.count(Concern.id))) == 0


@pytest.mark.parametrize("text", ["", "   \n\t  ", "x" * 501, "bell\x07", "nul\x00byte", "esc\x1b[31m", None, 42])
def test_bad_concern_text_is_refused(db, factory, text):
    """Empty, blank, over-long, control-character and non-text concerns are refused."""
    meeting = factory.meeting(status="live")
    with pytest.raises(ValidationError) as caught:
        raise_concern(db, meeting, text)
    assert "text" in caught.value.fields
    assert db.scalar(select(func.count(Concern.id))) == 0


def test_concern_text_is_stored_exactly_as_typed(db, factory):
    """Markup, quotes, emoji, right-to-left script, inner spacing and line breaks are kept verbatim."""
    meeting = factory.meeting(status="live")
    typed = "<script>alert('x')</script> & \"quotes\"  two  spaces\nnew line 🚓 هل يمكن\ttab"
    concern = raise_concern(db, meeting, typed)
    db.expire(concern)
    assert concern.text == typed
    assert len(raise_concern(db, meeting, "y" * 500).text) == 500


def test_topic_must_belong_to_the_meetings_series(db, factory):
    """A topic of the series is kept; an unknown topic or one of another series is 400."""
    series = factory.series(topics=["Stop and search", "Youth"])
    other_series = factory.series(title="Other", topics=["Parking"])
    meeting = factory.meeting(series, status="live")
    concern = raise_concern(db, meeting, topic_id=series.topics[1].id)
    assert concern.topic_id == series.topics[1].id
    assert raise_concern(db, meeting, topic_id=str(series.topics[0].id)).topic_id == series.topics[0].id
    for bad in (other_series.topics[0].id, 99999, "abc", True):
        with pytest.raises(ValidationError) as caught:
            raise_concern(db, meeting, topic_id=bad)
        assert "topic_id" in caught.value.fields


def test_author_name_is_optional_and_limited(db, factory):
    """No name means anonymous; a blank name too; over 60 characters is refused."""
    meeting = factory.meeting(status="live")
    assert raise_concern(db, meeting).author_name is None
    assert raise_concern(db, meeting, author_name="  ").author_name is None
    assert raise_concern(db, meeting, author_name="Amina").author_name == "Amina"
    with pytest.raises(ValidationError):
        raise_concern(db, meeting, author_name="n" * 61)


def test_numbers_count_per_meeting(db, factory):
    """Each meeting numbers its concerns 1, 2, 3… on its own."""
    first = factory.meeting(status="live")
    second = factory.meeting(status="live")
    assert [raise_concern(db, first).number for _ in range(3)] == [1, 2, 3]
    assert raise_concern(db, second).number == 1


def test_raising_concerns_is_rate_limited_per_participant(db, factory):
    """The eleventh concern within a minute from one participant is 429; another participant is unaffected."""
    meeting = factory.meeting(status="live")
    actor = attendee(db, meeting)
    for n in range(10):
        services.submit_concern(db, actor, meeting, text=f"Concern {n}", limiter=limits())
    with pytest.raises(RateLimited):
        services.submit_concern(db, actor, meeting, text="One too many", limiter=limits())
    assert raise_concern(db, meeting).number == 11


# --- listing -------------------------------------------------------------------------------------


def test_who_sees_which_concerns(db, factory):
    """Attendees see visible ones and their own pending; the projector only visible ones; staff all."""
    meeting = factory.meeting(status="live", moderation=True)
    facilitator = factory.actor(Role.facilitator)
    author = attendee(db, meeting)
    mine = services.submit_concern(db, author, meeting, text="Mine, pending", limiter=limits())
    theirs = raise_concern(db, meeting, "Someone else's, pending")
    shown = approved(db, factory, meeting, "Shown")
    answered = approved(db, factory, meeting, "Answered")
    services.moderate(db, facilitator, answered.id, {"status": "answered"})
    gone = raise_concern(db, meeting, "Dismissed")
    services.moderate(db, facilitator, gone.id, {"status": "dismissed"})

    as_author = {c.id for c in services.list_concerns(db, author, meeting)}
    assert as_author == {mine.id, shown.id, answered.id}
    assert theirs.id not in as_author
    assert {c.id for c in services.list_concerns(db, Actor(), meeting)} == {shown.id, answered.id}
    staff = {c.id for c in services.list_concerns(db, facilitator, meeting)}
    assert staff == {mine.id, theirs.id, shown.id, answered.id, gone.id}
    pending = services.list_concerns(db, facilitator, meeting, status="pending, dismissed")
    assert {c.id for c in pending} == {mine.id, theirs.id, gone.id}
    with pytest.raises(ValidationError):
        services.list_concerns(db, facilitator, meeting, status="pending,nonsense")
    with pytest.raises(ValidationError):
        services.list_concerns(db, facilitator, meeting, sort="oldest")


def test_top_and_recent_order(db, factory):
    """Top is most votes first (then oldest); recent is newest first."""
    meeting = factory.meeting(status="live", moderation=False)
    first, second, third = (raise_concern(db, meeting, t) for t in ("one", "two", "three"))
    for _ in range(2):
        services.vote(db, attendee(db, meeting), second.id, limiter=limits())
    services.vote(db, attendee(db, meeting), third.id, limiter=limits())
    assert [c.id for c in services.list_concerns(db, Actor(), meeting, sort="top")] == [second.id, third.id, first.id]
    assert [c.id for c in services.list_concerns(db, Actor(), meeting, sort="recent")] == [
        third.id,
        second.id,
        first.id,
    ]


def test_my_hidden_concerns_lists_only_my_dismissed_ones(db, factory):
    """A participant learns privately that their own concern was dismissed; not other people's."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    author = attendee(db, meeting)
    mine = services.submit_concern(db, author, meeting, text="Mine", limiter=limits())
    services.submit_concern(db, author, meeting, text="Mine, still pending", limiter=limits())
    theirs = raise_concern(db, meeting, "Theirs")
    for concern in (mine, theirs):
        services.moderate(db, facilitator, concern.id, {"status": "dismissed"})
    assert [c.id for c in services.my_hidden_concerns(db, author.participant)] == [mine.id]
    assert mine.id not in {c.id for c in services.list_concerns(db, author, meeting)}


# --- voting --------------------------------------------------------------------------------------


def test_vote_and_unvote_are_idempotent_and_keep_count_in_step(db, factory):
    """Voting twice keeps one vote; unvoting twice removes it once; the count follows the vote rows."""
    meeting = factory.meeting(status="live", moderation=False)
    concern = raise_concern(db, meeting)
    voter = attendee(db, meeting)
    start = version_of(db, meeting)
    assert services.vote(db, voter, concern.id, limiter=limits()).votes == 1
    assert services.vote(db, voter, concern.id, limiter=limits()).votes == 1
    assert version_of(db, meeting) == start  # counts travel in batches with their own order
    assert services.voted_concern_ids(db, voter.participant, meeting) == {concern.id}
    assert services.vote(db, attendee(db, meeting), concern.id, limiter=limits()).votes == 2
    assert services.unvote(db, voter, concern.id, limiter=limits()).votes == 1
    assert services.unvote(db, voter, concern.id, limiter=limits()).votes == 1
    assert services.voted_concern_ids(db, voter.participant, meeting) == set()
    db.expire_all()
    stored = db.get(Concern, concern.id)
    assert stored.votes == db.scalar(select(func.count(Vote.id)).where(Vote.concern_id == concern.id)) == 1


def test_votes_never_write_the_meeting_row(db, factory):
    """Voting and unvoting issue no statement that writes the meeting table: a thousand phones share no hot row."""
    from sqlalchemy import event

    meeting = factory.meeting(status="live", moderation=False)
    concern = raise_concern(db, meeting)
    voters = [attendee(db, meeting) for _ in range(3)]
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        """Keep every statement sent to the database."""
        statements.append(" ".join(statement.split()).lower())

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        for voter in voters:
            services.vote(db, voter, concern.id, limiter=limits())
        services.unvote(db, voters[0], concern.id, limiter=limits())
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert any(s.startswith("update concern ") for s in statements)
    writes = ("update meeting ", "insert into meeting ", "delete from meeting ")
    assert not [s for s in statements if s.startswith(writes)]
    assert not [s for s in statements if "for update" in s]
    assert services.get_concern(db, concern.id).votes == 2


def test_a_vote_racing_with_a_dismissal_is_refused(db, factory):
    """A vote based on a stale "approved" concern is refused once the count's own statement sees it dismissed."""
    from sqlalchemy.orm import attributes

    meeting = factory.meeting(status="live", moderation=False)
    concern = raise_concern(db, meeting)
    voter = attendee(db, meeting)
    services.moderate(db, factory.actor(Role.facilitator), concern.id, {"status": "dismissed"})
    # What a request that loaded the concern just before the dismissal would still believe:
    attributes.set_committed_value(concern, "status", ConcernStatus.approved)
    with pytest.raises(Conflict):
        services.vote(db, voter, concern.id, limiter=limits())
    assert db.scalar(select(func.count(Vote.id))) == 0


def test_vote_refusals(db, factory):
    """Unknown or hidden concerns are 404; pending, dismissed and archived ones or a closed meeting are 409."""
    meeting = factory.meeting(status="live", moderation=True)
    facilitator = factory.actor(Role.facilitator)
    voter = attendee(db, meeting)
    with pytest.raises(NotFound):
        services.vote(db, voter, 987654, limiter=limits())
    someone_elses = raise_concern(db, meeting)
    with pytest.raises(NotFound):
        services.vote(db, voter, someone_elses.id, limiter=limits())
    own_pending = services.submit_concern(db, voter, meeting, text="My own", limiter=limits())
    with pytest.raises(Conflict):
        services.vote(db, voter, own_pending.id, limiter=limits())
    for status in ("dismissed", "archived"):
        concern = approved(db, factory, meeting)
        services.moderate(db, facilitator, concern.id, {"status": status})
        with pytest.raises(Conflict):
            services.vote(db, voter, concern.id, limiter=limits())
        with pytest.raises(Conflict):
            services.unvote(db, voter, concern.id, limiter=limits())
    answered = approved(db, factory, meeting)
    services.moderate(db, facilitator, answered.id, {"status": "answered"})
    assert services.vote(db, voter, answered.id, limiter=limits()).votes == 1
    shown = approved(db, factory, meeting)
    with pytest.raises(NotAuthenticated):
        services.vote(db, Actor(), shown.id, limiter=limits())
    with pytest.raises(NotAuthenticated):
        services.vote(db, attendee(db, factory.meeting(status="live")), shown.id, limiter=limits())
    meeting_services.update_meeting(db, facilitator, meeting.code, {"status": "closed"})
    with pytest.raises(Conflict):
        services.vote(db, voter, shown.id, limiter=limits())
    assert db.scalar(select(func.count(Vote.id))) == 1


def test_votes_are_rate_limited_per_participant(db, factory):
    """A script flipping one vote many times a minute is stopped with 429."""
    meeting = factory.meeting(status="live", moderation=False)
    concern = raise_concern(db, meeting)
    voter = attendee(db, meeting)
    with pytest.raises(RateLimited):
        for _ in range(40):
            services.vote(db, voter, concern.id, limiter=limits())
            services.unvote(db, voter, concern.id, limiter=limits())


# --- moderation ----------------------------------------------------------------------------------


def test_approve_records_the_before_state_and_bumps_the_version(db, factory):
    """Approving keeps a moderation entry with the previous state, for undo."""
    meeting = factory.meeting(status="live")
    concern = raise_concern(db, meeting, topic_id=meeting.series.topics[0].id)
    before = version_of(db, meeting)
    services.moderate(db, factory.actor(Role.facilitator), concern.id, {"status": "approved"})
    assert concern.status is ConcernStatus.approved
    assert version_of(db, meeting) == before + 1
    entry = db.scalar(select(ModerationEntry))
    saved = json.loads(entry.before)
    assert saved["status"] == "pending" and saved["text"] == concern.text
    assert saved["topic_id"] == meeting.series.topics[0].id and saved["highlighted"] is False


def test_moderation_edits_text_and_topic(db, factory):
    """A facilitator can fix the text (validated like a new concern) and set or clear the topic."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.admin)
    concern = raise_concern(db, meeting, "teh lights")
    services.moderate(db, facilitator, concern.id, {"text": "The lights", "topic_id": meeting.series.topics[1].id})
    assert concern.text == "The lights" and concern.topic_id == meeting.series.topics[1].id
    services.moderate(db, facilitator, concern.id, {"topic_id": None})
    assert concern.topic_id is None
    for bad in (
        {"text": " "},
        {"text": "x" * 501},
        {"topic_id": 4242},
        {"status": "gone"},
        {"colour": "red"},
        {},
        {"highlighted": "maybe"},
    ):
        with pytest.raises(ValidationError):
            services.moderate(db, facilitator, concern.id, bad)
        db.rollback()
    assert db.scalar(select(func.count(ModerationEntry.id))) == 2


def test_moderation_needs_admin_or_facilitator(db, factory):
    """Leaders, attendees and anonymous callers cannot moderate."""
    meeting = factory.meeting(status="live")
    concern = raise_concern(db, meeting)
    with pytest.raises(Forbidden):
        services.moderate(db, factory.actor(Role.leader), concern.id, {"status": "approved"})
    with pytest.raises(NotAuthenticated):
        services.moderate(db, attendee(db, meeting), concern.id, {"status": "approved"})
    with pytest.raises(NotFound):
        services.moderate(db, factory.actor(Role.admin), 123456, {"status": "approved"})
    db.expire_all()
    assert db.get(Concern, concern.id).status is ConcernStatus.pending


def test_unchanged_moderation_records_nothing(db, factory):
    """Approving an approved concern changes nothing and bumps nothing."""
    meeting = factory.meeting(status="live")
    concern = approved(db, factory, meeting)
    before = version_of(db, meeting)
    services.moderate(db, factory.actor(Role.facilitator), concern.id, {"status": "approved"})
    assert version_of(db, meeting) == before
    assert db.scalar(select(func.count(ModerationEntry.id))) == 1


def test_one_highlight_per_meeting_and_it_drives_the_projector(db, factory):
    """Highlighting one concern un-highlights the other and points the projector at it."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    first, second = approved(db, factory, meeting, "First"), approved(db, factory, meeting, "Second")
    services.moderate(db, facilitator, first.id, {"highlighted": True})
    assert first.highlighted and meeting.projector_concern_id == first.id
    services.moderate(db, facilitator, second.id, {"highlighted": True})
    db.expire_all()
    assert db.get(Concern, second.id).highlighted and not db.get(Concern, first.id).highlighted
    assert db.get(Meeting, meeting.id).projector_concern_id == second.id
    services.moderate(db, facilitator, second.id, {"status": "dismissed"})
    db.expire_all()
    assert not db.get(Concern, second.id).highlighted
    assert db.get(Meeting, meeting.id).projector_concern_id is None


def test_pending_concern_cannot_be_highlighted(db, factory):
    """Highlighting needs an approved or answered concern (409), so nothing unseen reaches the screen."""
    meeting = factory.meeting(status="live")
    concern = raise_concern(db, meeting)
    with pytest.raises(Conflict):
        services.moderate(db, factory.actor(Role.facilitator), concern.id, {"highlighted": True})
    with pytest.raises(Conflict):
        services.moderate(db, factory.actor(Role.facilitator), concern.id, {"highlighted": True, "status": "dismissed"})


def test_undo_restores_the_last_step_then_the_one_before(db, factory):
    """Undo walks back one moderation step at a time, then reports nothing left."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    concern = raise_concern(db, meeting, "Original text")
    services.moderate(db, facilitator, concern.id, {"status": "approved"})
    services.moderate(db, facilitator, concern.id, {"text": "Edited text"})
    before = version_of(db, meeting)
    restored = services.undo_last(db, facilitator, meeting)
    assert restored.id == concern.id and restored.text == "Original text"
    assert restored.status is ConcernStatus.approved
    assert version_of(db, meeting) == before + 1
    assert services.undo_last(db, facilitator, meeting).status is ConcernStatus.pending
    assert services.undo_last(db, facilitator, meeting) is None
    with pytest.raises(Forbidden):
        services.undo_last(db, factory.actor(Role.leader), meeting)


def test_undo_of_a_highlight_gives_the_pin_back(db, factory):
    """Undoing "highlight B" re-pins A, which B had replaced, on the concern and on the projector."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    first, second = approved(db, factory, meeting, "A"), approved(db, factory, meeting, "B")
    services.moderate(db, facilitator, first.id, {"highlighted": True})
    services.moderate(db, facilitator, second.id, {"highlighted": True})
    services.undo_last(db, facilitator, meeting)
    db.expire_all()
    assert db.get(Concern, first.id).highlighted and not db.get(Concern, second.id).highlighted
    assert db.get(Meeting, meeting.id).projector_concern_id == first.id


def test_undo_of_a_dismissal_brings_the_concern_back(db, factory):
    """A dismissed highlighted concern comes back approved and highlighted."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    concern = approved(db, factory, meeting)
    services.moderate(db, facilitator, concern.id, {"highlighted": True})
    services.moderate(db, facilitator, concern.id, {"status": "dismissed"})
    services.undo_last(db, facilitator, meeting)
    db.expire_all()
    again = db.get(Concern, concern.id)
    assert again.status is ConcernStatus.approved and again.highlighted
    assert db.get(Meeting, meeting.id).projector_concern_id == concern.id


# --- projector and counters ----------------------------------------------------------------------


def test_set_projector(db, factory):
    """The projector shows a mode and may pin a visible concern (by highlighting it); each change bumps the version."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    shown, other = approved(db, factory, meeting), approved(db, factory, meeting, "Other")
    services.moderate(db, facilitator, other.id, {"highlighted": True})
    before = version_of(db, meeting)
    services.set_projector(db, facilitator, meeting, mode="concerns", concern_id=shown.id)
    assert meeting.projector_mode is ProjectorMode.concerns and meeting.projector_concern_id == shown.id
    assert version_of(db, meeting) == before + 1
    db.expire_all()
    assert db.get(Concern, shown.id).highlighted and not db.get(Concern, other.id).highlighted
    # Switching the mode keeps the pin: the highlight is the one truth and a mode switch does not touch it.
    services.set_projector(db, facilitator, meeting, mode="join")
    assert meeting.projector_mode is ProjectorMode.join and meeting.projector_concern_id == shown.id
    assert db.get(Concern, shown.id).highlighted
    # Pinning through the projector is an undoable step like the H key.
    services.undo_last(db, facilitator, meeting)
    db.expire_all()
    assert db.get(Concern, other.id).highlighted and db.get(Meeting, meeting.id).projector_concern_id == other.id


def test_no_poll_can_be_shown_until_polls_exist(db, factory):
    """Any poll id is a 404 (there are no polls yet), one past INTEGER or a poll mode without one a 400."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    before = version_of(db, meeting)
    for poll_id in (7, 2**31 - 1):
        with pytest.raises(NotFound) as refused:
            services.set_projector(db, facilitator, meeting, mode="poll", poll_id=poll_id)
        assert refused.value.code == "poll_not_found"
    with pytest.raises(ValidationError) as too_big:
        services.set_projector(db, facilitator, meeting, mode="poll", poll_id=2**40)
    assert too_big.value.code == "out_of_range"
    with pytest.raises(ValidationError):
        services.set_projector(db, facilitator, meeting, mode="poll")
    assert version_of(db, meeting) == before and meeting.projector_mode is ProjectorMode.join


def test_set_projector_refusals(db, factory):
    """Unknown modes, hidden or foreign concerns, a poll mode without a poll and non-managers are refused."""
    meeting = factory.meeting(status="live")
    facilitator = factory.actor(Role.facilitator)
    pending = raise_concern(db, meeting)
    foreign = approved(db, factory, factory.meeting(status="live"))
    for kwargs in (
        {"mode": "disco"},
        {"mode": "concerns", "concern_id": pending.id},
        {"mode": "concerns", "concern_id": foreign.id},
        {"mode": "concerns", "concern_id": "x"},
        {"mode": "poll"},
    ):
        with pytest.raises(ValidationError):
            services.set_projector(db, facilitator, meeting, **kwargs)
    with pytest.raises(Forbidden):
        services.set_projector(db, factory.actor(Role.leader), meeting, mode="join")


def test_meeting_counters(db, factory):
    """Counters give participants joined, concerns raised, votes cast and concerns waiting."""
    meeting = factory.meeting(status="live", moderation=True)
    shown = approved(db, factory, meeting)
    raise_concern(db, meeting)
    services.vote(db, attendee(db, meeting), shown.id, limiter=limits())
    assert services.meeting_counters(db, meeting) == {"participants": 3, "concerns": 2, "votes": 1, "pending": 1}


def test_serializer_has_exactly_the_api_shape(db, factory):
    """The concern object carries exactly the fields api.md lists."""
    meeting = factory.meeting(status="live")
    data = concern_to_dict(raise_concern(db, meeting, author_name="Sam"), voted=True)
    assert list(data) == [
        "id",
        "number",
        "text",
        "topic_id",
        "author_name",
        "votes",
        "voted",
        "status",
        "highlighted",
        "source",
        "language",
        "created_at",
    ]
    assert data["voted"] is True and data["status"] == "pending" and data["author_name"] == "Sam"


def test_demo_meeting_has_concerns(db):
    """The demo meeting comes with approved, voted, pending and facilitator-entered concerns, counts in step."""
    from ysdw_live.demo import load_demo

    code = load_demo(db)
    meeting = meeting_services.get_meeting(db, code)
    concerns = services.list_concerns(db, Actor(user=None), meeting)
    everything = list(db.scalars(select(Concern).where(Concern.meeting_id == meeting.id)))
    assert {c.status for c in everything} >= {ConcernStatus.approved, ConcernStatus.pending, ConcernStatus.answered}
    assert any(c.source is ConcernSource.facilitator for c in everything)
    assert concerns[0].votes > 0
    for concern in everything:
        assert concern.votes == db.scalar(select(func.count(Vote.id)).where(Vote.concern_id == concern.id))
    assert db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) > 0
    assert load_demo(db) == code


def test_write_racing_with_close_is_refused_under_the_lock(db, factory):
    """A concern or vote based on a stale "live" meeting is refused once the row lock shows it closed."""
    from sqlalchemy.orm import attributes

    from ysdw_live.meetings.models import MeetingStatus

    meeting = factory.meeting(status="live", moderation=False)
    concern = raise_concern(db, meeting)
    author, voter = attendee(db, meeting), attendee(db, meeting)
    meeting_services.update_meeting(db, factory.actor(Role.facilitator), meeting.code, {"status": "closed"})
    # What a request that loaded the meeting just before the close would still believe:
    attributes.set_committed_value(meeting, "status", MeetingStatus.live)
    with pytest.raises(Conflict):
        services.submit_concern(db, author, meeting, text="Too late", limiter=limits())
    attributes.set_committed_value(concern.meeting, "status", MeetingStatus.live)
    with pytest.raises(Conflict):
        services.vote(db, voter, concern.id, limiter=limits())
    assert db.scalar(select(func.count(Concern.id))) == 1
    assert db.scalar(select(func.count(Vote.id))) == 0


def test_highlighting_takes_the_projector_off_the_join_screen(db, factory):
    """Highlighting a concern while the projector shows the join screen switches it to the concerns."""
    from ysdw_live.actors import Actor
    from ysdw_live.concerns import services
    from ysdw_live.meetings.models import ProjectorMode

    meeting = factory.meeting(status="live", moderation=False)
    staff = Actor(user=factory.user("facilitator"))
    concern = services.submit_concern(
        db, staff, meeting, text="Shown on the big screen", source="facilitator", limiter=limits()
    )
    assert meeting.projector_mode is ProjectorMode.join
    services.moderate(db, staff, concern.id, {"highlighted": True})
    db.refresh(meeting)
    assert meeting.projector_mode is ProjectorMode.concerns
    assert meeting.projector_concern_id == concern.id
    services.set_projector(db, staff, meeting, mode="report_back")
    services.moderate(db, staff, concern.id, {"highlighted": False})
    services.moderate(db, staff, concern.id, {"highlighted": True})
    db.refresh(meeting)
    assert meeting.projector_mode is ProjectorMode.report_back
