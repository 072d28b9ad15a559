"""One clock and one zone: YSDW_TIMEZONE decides "today", "overdue" and what a typed time means."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import bearer, csrf_from, login, make_test_app, token_for
from ysdw_live import validation
from ysdw_live.actions import services as actions
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.config import from_environment
from ysdw_live.errors import ValidationError
from ysdw_live.meetings.models import Meeting

LONDON = ZoneInfo("Europe/London")
# 00:30 on 1 July in London (summer time) is still 30 June in UTC.
JUST_AFTER_LONDON_MIDNIGHT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


def test_the_zone_defaults_to_london_and_can_be_configured(tmp_path: Path):
    """Without YSDW_TIMEZONE the zone is Europe/London; with it, the named zone."""
    assert from_environment(tmp_path, {})["TIMEZONE"] == "Europe/London"
    assert from_environment(tmp_path, {"YSDW_TIMEZONE": "America/New_York"})["TIMEZONE"] == "America/New_York"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd"])
def test_an_unknown_zone_stops_start_up_with_a_clear_error(tmp_path: Path, name: str):
    """A mistyped zone is refused when the app starts, naming the variable, not at the first typed date."""
    with pytest.raises(ValueError, match="YSDW_TIMEZONE"):
        from_environment(tmp_path, {"YSDW_TIMEZONE": name} if name else {"YSDW_TIMEZONE": " "})
    with pytest.raises(ValueError, match="YSDW_TIMEZONE"):
        make_test_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'x.sqlite3'}", TIMEZONE=name or " ")


def test_today_is_the_zones_date(time_machine):
    """Just after midnight in London it is already tomorrow there, though not yet in UTC."""
    time_machine.move_to(JUST_AFTER_LONDON_MIDNIGHT, tick=False)
    assert Clock.named("Europe/London").today() == date(2026, 7, 1)
    assert Clock.named("UTC").today() == date(2026, 6, 30)
    assert Clock.named("Europe/London").now() == JUST_AFTER_LONDON_MIDNIGHT


def test_a_wall_clock_time_is_read_in_the_zone():
    """A naive time is the zone's wall-clock time; an aware one is only converted."""
    clock = Clock.named("Europe/London")
    assert clock.from_local(datetime(2026, 7, 1, 19, 0)) == datetime(2026, 7, 1, 18, 0, tzinfo=UTC)
    assert clock.from_local(datetime(2026, 1, 1, 19, 0)) == datetime(2026, 1, 1, 19, 0, tzinfo=UTC)
    aware = datetime(2026, 7, 1, 19, 0, tzinfo=UTC)
    assert clock.from_local(aware) == aware


def test_timestamp_refuses_a_naive_time_unless_given_a_zone():
    """Strings and datetimes without an offset need a zone; aware ones come back in UTC."""
    with pytest.raises(ValidationError) as refused:
        validation.timestamp("2026-03-14T18:30", "starts_at", label="Start time")
    assert refused.value.code == "naive_timestamp" and "starts_at" in refused.value.fields
    assert "time zone" in refused.value.message
    with pytest.raises(ValidationError):
        validation.timestamp(datetime(2026, 3, 14, 18, 30), "starts_at")
    assert validation.timestamp("2026-07-01T19:00", "starts_at", zone=LONDON) == datetime(2026, 7, 1, 18, tzinfo=UTC)
    assert validation.timestamp(datetime(2026, 7, 1, 19, tzinfo=LONDON), "starts_at") == datetime(
        2026, 7, 1, 18, tzinfo=UTC
    )
    assert validation.timestamp("2026-07-01T19:00Z", "starts_at") == datetime(2026, 7, 1, 19, tzinfo=UTC)


def test_the_api_refuses_a_naive_start_time(client, factory):
    """POST /series/{id}/meetings with a start time lacking an offset is a 400 naming starts_at."""
    series = factory.series()
    token = token_for(client, factory.user(Role.facilitator).email)
    response = client.post(
        f"/api/v1/series/{series.id}/meetings",
        json={"title": "Summer meeting", "starts_at": "2026-07-01T19:00"},
        headers=bearer(token),
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "naive_timestamp" and "starts_at" in error["fields"]
    ok = client.post(
        f"/api/v1/series/{series.id}/meetings",
        json={"title": "Summer meeting", "starts_at": "2026-07-01T19:00+01:00"},
        headers=bearer(token),
    )
    assert ok.status_code == 201 and ok.get_json()["starts_at"] == "2026-07-01T18:00:00+00:00"


def test_the_meeting_form_reads_its_time_in_the_configured_zone(app, client, factory, db, monkeypatch):
    """With YSDW_TIMEZONE=America/New_York, 18:30 typed on the form is 22:30 UTC (EDT), and shows as 18:30."""
    monkeypatch.setitem(app.extensions, "ysdw_clock", Clock.named("America/New_York"))
    series = factory.series()
    login(client, factory.user(Role.facilitator).email)
    url = f"/staff/series/{series.id}/meetings/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    form = {
        "title": "Spring",
        "starts_at-day": "14",
        "starts_at-month": "3",
        "starts_at-year": "2026",
        "starts_at_time": "18:30",
        "venue": "",
        "mode": "in_person",
        "csrf_token": token,
    }
    assert client.post(url, data=form).status_code == 302
    meeting = db.scalars(select(Meeting)).one()
    assert meeting.starts_at == datetime(2026, 3, 14, 22, 30, tzinfo=UTC)
    db.commit()
    edit = client.get(f"/staff/meetings/{meeting.code}/edit").get_data(as_text=True)
    assert 'name="starts_at_time" type="text" value="18:30"' in edit and 'name="starts_at-day"' in edit


@pytest.fixture
def due_30_june(factory, db):
    """A series with one unfinished action due on 30 June 2026."""
    series = factory.series()
    action = actions.create_action(
        db, factory.actor(Role.leader), series.id, {"you_said": "Fix the lights", "due_date": "2026-06-30"}
    )
    return series, action


def test_overdue_is_measured_in_the_zone_by_the_service(db, factory, due_30_june, time_machine):
    """At 00:30 London time on 1 July the action is overdue in London but would not be in UTC."""
    series, action = due_30_june
    time_machine.move_to(JUST_AFTER_LONDON_MIDNIGHT, tick=False)
    overdue = actions.parse_filters(series, {"overdue": "true"})
    leader = factory.actor(Role.leader)
    found = actions.list_actions(db, leader, series.id, overdue, clock=Clock.named("Europe/London"))
    assert [a.id for a in found] == [action.id]
    assert actions.list_actions(db, leader, series.id, overdue, clock=Clock.named("UTC")) == []
    with pytest.raises(TypeError):
        actions.list_actions(db, leader, series.id, overdue)


def test_the_api_and_the_pages_agree_on_overdue(client, factory, due_30_june, time_machine):
    """The API's overdue filter and the staff list both use the configured zone, not the UTC date."""
    series, action = due_30_june
    time_machine.move_to(JUST_AFTER_LONDON_MIDNIGHT, tick=False)
    user = factory.user(Role.leader)
    token = token_for(client, user.email)
    login(client, user.email)
    public = client.get(f"/api/v1/series/{series.id}/actions?overdue=true").get_json()["actions"]
    staff = client.get(
        f"/api/v1/series/{series.id}/actions?overdue=true&include=private", headers=bearer(token)
    ).get_json()["actions"]
    assert [a["id"] for a in public] == [a["id"] for a in staff] == [action.id]
    page = client.get(f"/staff/series/{series.id}/actions?overdue=true").get_data(as_text=True)
    assert "Fix the lights" in page and "Overdue</strong>" in page
    time_machine.move_to(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), tick=False)  # 23:30 in London
    assert client.get(f"/api/v1/series/{series.id}/actions?overdue=true").get_json()["actions"] == []
