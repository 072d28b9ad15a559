"""Retention: what a purge deletes and, row by row, exactly what it keeps; the CLI; the daily job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.actions_support import add_concern, add_vote
from tests.conftest import csrf_from, login
from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.audit.models import AuditEntry
from ysdw_live.auth.models import Role
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import Concern, Vote
from ysdw_live.db import Base
from ysdw_live.errors import Conflict
from ysdw_live.meetings import services as meetings
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.privacy import jobs
from ysdw_live.privacy import services as privacy
from ysdw_live.privacy.jobs import DailyPurge
from ysdw_live.series import services as series_services

OLD_CLOSE = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)  # more than 24 months before NOW
RECENT_CLOSE = datetime(2025, 12, 1, 20, 0, tzinfo=UTC)  # well within 24 months of NOW
NOW = datetime(2026, 1, 16, 3, 0, tzinfo=UTC)


def dump(db: Any) -> dict[str, dict[Any, dict[str, Any]]]:
    """Return every row of every table, by table and primary key: the whole database, to compare."""
    db.expire_all()
    snapshot: dict[str, dict[Any, dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        key = [column.name for column in table.primary_key.columns]
        rows = db.execute(select(table)).mappings().all()
        snapshot[table.name] = {tuple(row[name] for name in key): dict(row) for row in rows}
    db.commit()  # end the read: on SQLite it would hold the write lock
    return snapshot


def close_at(db: Any, time_machine: Any, meeting: Meeting, moment: datetime) -> None:
    """Close a live meeting at ``moment`` through the real service."""
    time_machine.move_to(moment, tick=False)
    meetings.update_meeting(db, Actor(user=_manager(db)), meeting.code, {"status": "closed"})


def _manager(db: Any) -> Any:
    """Return a facilitator to act with (the first one, made once)."""
    from ysdw_live.auth.models import User

    user = db.scalar(select(User).where(User.email == "closer@example.org"))
    if user is None:
        from ysdw_live.auth import services as auth

        user = auth.create_user(db, None, "closer@example.org", Role.facilitator, "correct horse battery")
    return user


@pytest.fixture
def world(app, db, factory, time_machine):
    """An old closed meeting full of attendee data, a recent one, a live one and an action quoting a concern."""
    time_machine.move_to(datetime(2024, 1, 10, 18, 0, tzinfo=UTC), tick=False)
    series = factory.series(topics=["Stop and search", "Youth"])
    stop_and_search, youth = series.topics
    old = factory.meeting(series, status="live", title="Winter 2024")
    recent = factory.meeting(series, status="live", title="Winter 2025")
    forgotten = factory.meeting(series, status="live", title="Never closed")
    facilitator = factory.actor(Role.facilitator)

    people = [meetings.join(db, old, None)[0] for _ in range(3)]
    raised = add_concern(
        db, old, "Speeding on Hall Road by the school", topic=stop_and_search, participant=people[0], author_name="Sam"
    )
    add_vote(db, raised, people[1])
    add_vote(db, raised, people[2])
    pending = add_concern(db, old, "My neighbour at no. 4 deals", participant=people[1], status="pending")
    concerns.moderate(db, facilitator, pending.id, {"status": "dismissed"})  # leaves a moderation entry
    spoken = concerns.submit_concern(
        db,
        facilitator,
        old,
        text="Said aloud: youth club closed",
        topic_id=youth.id,
        source="facilitator",
        limiter=_no_limit(),
    )
    action = actions.create_action(
        db,
        factory.actor(Role.leader),
        series.id,
        {"you_said": "Speeding near the school", "we_did": "Speed checks on Hall Road", "concern_ids": [raised.id]},
    )
    actions.add_update(db, factory.actor(Role.leader), action.id, {"text": "Six checks done", "status": "in_progress"})
    close_at(db, time_machine, old, OLD_CLOSE)

    time_machine.move_to(RECENT_CLOSE - timedelta(hours=2), tick=False)
    keeper = meetings.join(db, recent, None)[0]
    kept = add_concern(db, recent, "Bus stop lighting", participant=keeper, author_name="Ana")
    add_vote(db, kept, keeper)
    close_at(db, time_machine, recent, RECENT_CLOSE)
    meetings.join(db, forgotten, None)
    add_concern(db, forgotten, "Still live after years", participant=None)

    time_machine.move_to(NOW, tick=False)
    db.commit()
    return {
        "series": series,
        "old": old,
        "recent": recent,
        "forgotten": forgotten,
        "raised": raised,
        "pending": pending,
        "spoken": spoken,
        "action": action,
        "topics": (stop_and_search, youth),
    }


def _no_limit() -> Any:
    """Return a limiter that never refuses (these tests are not about rate limits)."""
    from ysdw_live.ratelimit import Limiter, MemoryStore

    return Limiter(MemoryStore(), enabled=False)


def purge_now(app, db, **kwargs: Any) -> privacy.PurgeReport:
    """Run the purge with the app's clock (frozen by time-machine)."""
    return privacy.purge(db, clock=app.extensions["ysdw_clock"], **kwargs)


def test_purge_keeps_exactly_the_aggregates_and_the_action_list(app, db, world):
    """Every row of the database after the purge is the row before, except exactly what retention deletes."""
    old = world["old"]
    before = dump(db)
    old_concerns = {key for key, row in before["concern"].items() if row["meeting_id"] == old.id}
    old_participants = {key for key, row in before["participant"].items() if row["meeting_id"] == old.id}

    report = purge_now(app, db)

    after = dump(db)
    expected = {table: {key: dict(row) for key, row in rows.items()} for table, rows in before.items()}
    for key in old_concerns:
        # The row stays (number, topic, status, source, date, vote count); the words and the people go.
        expected["concern"][key].update(text="", author_name=None, participant_id=None)
        expected["concern"][key]["updated_at"] = after["concern"][key]["updated_at"]
    expected["vote"] = {key: row for key, row in before["vote"].items() if (row["concern_id"],) not in old_concerns}
    expected["participant"] = {key: row for key, row in before["participant"].items() if key not in old_participants}
    expected["moderation_entry"] = {
        key: row for key, row in before["moderation_entry"].items() if row["meeting_id"] != old.id
    }
    expected["meeting"][(old.id,)].update(purged_at=NOW, purged_participants=3)
    new_audit = set(after["audit_entry"]) - set(before["audit_entry"])
    assert len(new_audit) == 1
    expected["audit_entry"].update({key: after["audit_entry"][key] for key in new_audit})
    assert after == expected

    [entry] = [after["audit_entry"][key] for key in new_audit]
    assert (entry["actor"], entry["action"], entry["object_type"], entry["object_id"]) == (
        "system",
        "meeting.purge",
        "meeting",
        old.code,
    )
    assert (
        entry["detail"]
        == "3 concern texts, 1 names given with concerns, 2 votes, 1 moderation history entries, 3 participants"
    )
    assert [(m.code, m.total) for m in report.changed] == [(old.code, 10)]
    assert all(after["concern"][key]["updated_at"] == NOW for key in old_concerns)


def test_after_the_purge_counts_per_meeting_and_topic_and_the_public_list_stay(app, db, world, client):
    """Concerns and votes per topic, the head count and the public "You Said, We Did" page survive the purge."""
    old = world["old"]

    def per_topic() -> list[tuple[Any, int, int]]:
        rows = db.execute(
            select(Concern.topic_id, func.count(Concern.id), func.sum(Concern.votes))
            .where(Concern.meeting_id == old.id)
            .group_by(Concern.topic_id)
            .order_by(Concern.topic_id)
        ).all()
        db.commit()
        return [tuple(row) for row in rows]

    counted = per_topic()
    counters = concerns.meeting_counters(db, old)
    purge_now(app, db)
    db.expire_all()
    assert per_topic() == counted
    assert (
        concerns.meeting_counters(db, db.get(Meeting, old.id))
        == counters
        == {
            "participants": 3,
            "concerns": 3,
            "votes": 2,
            "pending": 0,
        }
    )
    assert meetings.participant_total(db, db.get(Meeting, old.id)) == 3
    page = client.get(f"/series/{world['series'].id}/actions").get_data(as_text=True)
    assert "Speeding near the school" in page and "Speed checks on Hall Road" in page and "Six checks done" in page
    assert "Speeding on Hall Road by the school" not in page
    api = client.get(f"/api/v1/series/{world['series'].id}/actions").get_json()
    assert api["actions"][0]["concern_ids"] == [world["raised"].id]  # the link to the (now wordless) concern stays


def test_a_dry_run_changes_nothing_and_counts_what_the_purge_then_deletes(app, db, world):
    """--dry-run reports the same counts the real purge then removes, and leaves every row as it was."""
    before = dump(db)
    dry = purge_now(app, db, dry_run=True)
    assert dump(db) == before
    real = purge_now(app, db)
    assert dry.dry_run and not real.dry_run
    assert [(m.code, m.removed) for m in dry.meetings] == [(m.code, m.removed) for m in real.meetings]
    assert dry.totals["concern texts"] == 3 and dry.totals["participants"] == 3


def test_purging_again_finds_nothing_and_writes_nothing(app, db, world):
    """A second purge (tomorrow's daily run) changes nothing and adds no audit entry."""
    purge_now(app, db)
    before = dump(db)
    again = purge_now(app, db)
    assert again.changed == [] and [m.code for m in again.meetings] == [world["old"].code]
    assert dump(db) == before


def test_someone_opening_a_purged_meeting_later_is_purged_again(app, db, world):
    """A phone that opens the join link after the purge gets a participant; the next purge removes it."""
    purge_now(app, db)
    meetings.join(db, db.get(Meeting, world["old"].id), None)
    report = purge_now(app, db)
    assert [(m.code, m.removed["participants"]) for m in report.changed] == [(world["old"].code, 1)]
    assert db.get(Meeting, world["old"].id).purged_participants == 4


def test_live_and_recently_closed_meetings_are_never_purged(app, db, world):
    """Only closed meetings past their period are touched; a meeting still live keeps everything."""
    report = purge_now(app, db)
    assert [m.code for m in report.meetings] == [world["old"].code]
    for key in ("recent", "forgotten"):
        meeting = db.get(Meeting, world[key].id)
        assert meeting.purged_at is None
        assert db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) == 1
        assert all(c.text for c in db.scalars(select(Concern).where(Concern.meeting_id == meeting.id)))
    db.commit()


def test_the_period_is_counted_in_calendar_months_from_the_close(app, db, world, time_machine):
    """A meeting closed exactly N months ago stays; one second later it goes."""
    cutoff_now = datetime(2026, 1, 10, 20, 0, tzinfo=UTC)  # exactly 24 months after OLD_CLOSE
    time_machine.move_to(cutoff_now, tick=False)
    assert purge_now(app, db, dry_run=True).meetings == []
    time_machine.move_to(cutoff_now + timedelta(seconds=1), tick=False)
    assert [m.code for m in purge_now(app, db, dry_run=True).meetings] == [world["old"].code]


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 1, 16, 3, 0, tzinfo=UTC), 24, datetime(2024, 1, 16, 3, 0, tzinfo=UTC)),
        (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
        (datetime(2024, 3, 31, 12, 0, tzinfo=UTC), 1, datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        (datetime(2026, 1, 31, 0, 0, tzinfo=UTC), 13, datetime(2024, 12, 31, 0, 0, tzinfo=UTC)),
        (datetime(2026, 5, 15, 0, 0, tzinfo=UTC), 120, datetime(2016, 5, 15, 0, 0, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(moment, months, expected):
    """N months back lands on the same day, or the month's last day when it is shorter."""
    assert privacy.months_before(moment, months) == expected


def test_each_series_has_its_own_period(app, db, world, factory):
    """A series with a 6-month period has its meeting purged sooner; shortening a period takes effect at once."""
    series = world["series"]
    recent = world["recent"]
    assert [m.code for m in purge_now(app, db, dry_run=True).meetings] == [world["old"].code]
    series_services.update_series(db, factory.actor(Role.admin), series.id, retention_months=1)
    assert {m.code for m in purge_now(app, db, dry_run=True).meetings} == {world["old"].code, recent.code}
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "series.update"))
    assert entry.detail == "retention_months: 24 → 1"
    db.commit()


def test_a_purged_meeting_cannot_be_reopened(app, db, world, factory):
    """Reopening a meeting whose attendee data is gone is refused (409 meeting_purged)."""
    purge_now(app, db)
    with pytest.raises(Conflict) as refused:
        meetings.update_meeting(db, factory.actor(Role.facilitator), world["old"].code, {"status": "live"})
    assert refused.value.code == "meeting_purged"
    db.rollback()


def test_purgers_run_in_order_with_participants_last(app, db, world):
    """A domain's purger (polls, surveys…) runs before the participants go, and its counts join the report."""
    seen: list[tuple[list[int], bool, int]] = []

    def survey_purger(session: Any, meeting_ids: list[int], *, dry_run: bool = False) -> dict[str, int]:
        people = session.scalar(select(func.count(Participant.id)).where(Participant.meeting_id.in_(meeting_ids)))
        seen.append((meeting_ids, dry_run, people))
        return {"survey responses": 5}

    registry = [*privacy.PURGERS[:-1], privacy.DomainPurger("surveys", survey_purger), privacy.PURGERS[-1]]
    assert privacy.PURGERS[-1].domain == "participants"
    report = purge_now(app, db, purgers=registry)
    assert seen == [([world["old"].id], False, 3)]
    assert report.totals["survey responses"] == 5
    assert list(report.changed[0].removed)[-1] == "participants"


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_cli_purge_dry_run_reports_counts_and_changes_nothing(app, db, world):
    """`flask purge --dry-run` prints what would go, per meeting and in total, and deletes nothing."""
    before = dump(db)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    code = world["old"].code
    assert f"Would delete from {code} (Winter 2024): 3 concern texts" in result.output
    assert "Would delete 3 concern texts, 1 names given with concerns, 2 votes, 1 moderation history entries, " in (
        result.output
    )
    assert "in 1 of 1 meetings past their retention period. Nothing was changed (--dry-run)." in result.output
    assert dump(db) == before


def test_cli_purge_deletes_and_records_the_command_line(app, db, world):
    """`flask purge` deletes, says what it deleted and notes it in the audit trail as the command line."""
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert f"Deleted from {world['old'].code} (Winter 2024):" in result.output
    assert db.scalar(select(func.count(Vote.id)).join(Concern).where(Concern.meeting_id == world["old"].id)) == 0
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.purge"))
    assert entry.actor == "command line" and entry.user_id is None
    db.commit()


def test_cli_purge_with_nothing_to_do(app, db):
    """With no meeting past its period the command says so and exits 0."""
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted nothing in 0 of 0 meetings past their retention period." in result.output


# ---------------------------------------------------------------------------------------------
# The daily job
# ---------------------------------------------------------------------------------------------


class MovingClock:
    """A clock the test moves by hand (the job reads only ``now()``)."""

    def __init__(self, start: datetime, zone: Any) -> None:
        self.moment = start
        self.zone = zone

    def now(self) -> datetime:
        """Return the test's current time."""
        return self.moment


def test_the_daily_job_purges_once_a_day(app, db, world):
    """The first tick purges; ticks within the day do nothing; a day later it purges again."""
    clock = MovingClock(NOW, app.extensions["ysdw_clock"].zone)
    job = DailyPurge(app, clock=clock, sleep=lambda _seconds: None)  # type: ignore[arg-type]
    first = job.tick()
    assert first is not None and [m.code for m in first.changed] == [world["old"].code]
    clock.moment = NOW + timedelta(hours=23, minutes=59)
    assert job.tick() is None
    clock.moment = NOW + timedelta(days=1)
    second = job.tick()
    assert second is not None and second.changed == []  # nothing new to delete
    assert db.scalar(select(AuditEntry.actor).where(AuditEntry.action == "meeting.purge")) == "system"
    db.commit()


def test_the_daily_job_uses_its_clock_for_the_cutoff(app, db, world):
    """The job's clock decides what has expired: a day before the period ends nothing goes."""
    clock = MovingClock(datetime(2026, 1, 9, 20, 0, tzinfo=UTC), app.extensions["ysdw_clock"].zone)
    report = DailyPurge(app, clock=clock).tick()  # type: ignore[arg-type]
    assert report is not None and report.meetings == []


def test_the_daily_job_survives_a_failure_and_retries_at_the_next_check(app, db, world, monkeypatch):
    """A purge that fails is logged and tried again at the next check (not a day later); the loop goes on."""
    clock = MovingClock(NOW, app.extensions["ysdw_clock"].zone)
    calls: list[str] = []
    real_purge = jobs.purge

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append("purge")
        if len(calls) == 1:
            raise RuntimeError("database away")
        return real_purge(*args, **kwargs)

    monkeypatch.setattr(jobs, "purge", flaky)
    sleeps: list[float] = []
    job = DailyPurge(app, clock=clock, check_every=600.0)  # type: ignore[arg-type]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.moment += timedelta(seconds=seconds)
        if len(sleeps) == 3:
            job.stop()

    job._sleep = sleep
    job.run()
    assert calls == ["purge", "purge"]  # failed at the first check, done at the second, not due at the third
    assert sleeps == [600.0, 600.0, 600.0]
    assert job.last_run == NOW + timedelta(seconds=600)
    db.expire_all()  # the job wrote through its own session
    assert db.get(Meeting, world["old"].id).purged_at == NOW + timedelta(seconds=600)
    db.commit()


def test_start_daily_purge_starts_a_background_task_unless_turned_off(app, monkeypatch):
    """With DAILY_PURGE the job runs as a Socket.IO background task; YSDW_DAILY_PURGE=0 turns it off."""
    started: list[Any] = []
    monkeypatch.setattr(jobs.socketio, "start_background_task", lambda target: started.append(target))
    app.config["DAILY_PURGE"] = False
    assert jobs.start_daily_purge(app) is None and started == []
    app.config["DAILY_PURGE"] = True
    job = jobs.start_daily_purge(app)
    assert job is not None and started == [job.run] and app.extensions["ysdw_daily_purge"] is job


def test_daily_purge_setting_comes_from_the_environment(tmp_path):
    """YSDW_DAILY_PURGE=0 turns the job off; anything else (or nothing) leaves it on."""
    from ysdw_live.config import from_environment

    assert from_environment(tmp_path, {})["DAILY_PURGE"] is True
    assert from_environment(tmp_path, {"YSDW_DAILY_PURGE": "0"})["DAILY_PURGE"] is False


# ---------------------------------------------------------------------------------------------
# The retention period on the series form and in the API
# ---------------------------------------------------------------------------------------------


def test_series_api_sets_and_changes_the_retention_period(client, factory):
    """POST /series takes retention_months (default 24), PATCH changes it; out of 1–120 is a 400."""
    from tests.conftest import bearer, token_for

    admin = factory.user(Role.admin)
    auth = bearer(token_for(client, admin.email))
    made = client.post("/api/v1/series", headers=auth, json={"title": "Short memory", "retention_months": 6})
    assert made.status_code == 201 and made.get_json()["retention_months"] == 6
    series_id = made.get_json()["id"]
    assert client.post("/api/v1/series", headers=auth, json={"title": "Default"}).get_json()["retention_months"] == 24
    changed = client.patch(f"/api/v1/series/{series_id}", headers=auth, json={"retention_months": 36})
    assert changed.status_code == 200 and changed.get_json()["retention_months"] == 36
    for bad in (0, 121, -1, 1.5, "twelve", True, 2**63):
        refused = client.patch(f"/api/v1/series/{series_id}", headers=auth, json={"retention_months": bad})
        assert refused.status_code == 400, bad
        assert refused.get_json()["error"]["fields"] == {"retention_months": refused.get_json()["error"]["message"]}
    assert client.get(f"/api/v1/series/{series_id}").get_json()["retention_months"] == 36


def test_series_form_sets_the_retention_period(client, db, factory):
    """The series form shows the period (24 by default), saves a new one and explains a bad one."""
    admin = factory.user(Role.admin)
    login(client, admin.email)
    page = client.get("/staff/series/new").get_data(as_text=True)
    assert 'name="retention_months"' in page and 'value="24"' in page
    response = client.post(
        "/staff/series/new",
        data={"title": "Hull", "topics": "", "retention_months": "12", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    series = series_services.list_series(db)[0]
    assert series.retention_months == 12
    db.commit()
    shown = client.get(f"/staff/series/{series.id}").get_data(as_text=True)
    assert "deleted 12 months after it closes" in shown
    edit = client.get(f"/staff/series/{series.id}/edit").get_data(as_text=True)
    assert 'value="12"' in edit
    refused = client.post(
        f"/staff/series/{series.id}/edit",
        data={"title": "Hull", "topics": "", "retention_months": "0", "csrf_token": csrf_from(edit)},
    )
    assert refused.status_code == 400
    assert "Retention period must be 1 or more." in refused.get_data(as_text=True)


def test_the_staff_meeting_page_says_the_data_is_gone_and_offers_no_reopen(app, db, world, client, factory):
    """After the purge the meeting page explains what was deleted and has no "Reopen" button."""
    login(client, factory.user(Role.facilitator).email)
    before = client.get(f"/staff/meetings/{world['old'].code}").get_data(as_text=True)
    assert "Reopen the meeting" in before and "were deleted on" not in before
    purge_now(app, db)
    after = client.get(f"/staff/meetings/{world['old'].code}").get_data(as_text=True)
    assert "were deleted on 16 Jan 2026, after the series’ retention period" in after
    assert "Reopen the meeting" not in after
