"""Kiosk mode: a staff-started shared tablet takes one person at a time, each a fresh participant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, csrf_from, login, token_for
from ysdw_live.audit.models import AuditEntry
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.concerns.models import Concern
from ysdw_live.meetings.models import Participant
from ysdw_live.meetings.services import JOIN_LIMIT_PER_KIOSK
from ysdw_live.surveys.models import SurveyResponse


class PinnedClock(Clock):
    """The application clock at a moment the test moves."""

    def __init__(self, zone: Any, moment: datetime) -> None:
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "moment", moment)

    def now(self) -> datetime:
        """Return the test's moment."""
        return self.moment  # type: ignore[attr-defined]


def start_kiosk(client, factory, code: str) -> None:
    """Log ``client`` in as a facilitator and press "Open the kiosk on this device" on the meeting's page."""
    login(client, factory.user(Role.facilitator).email)
    page = client.get(f"/staff/meetings/{code}").get_data(as_text=True)
    assert "Open the kiosk on this device" in page
    response = client.post(f"/kiosk/{code}/start", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/kiosk/{code}")


def send(client, code: str, text: str, path: str = "concerns") -> Any:
    """Send ``text`` from the kiosk's form, with the page's CSRF token."""
    page = client.get(f"/kiosk/{code}").get_data(as_text=True)
    return client.post(f"/kiosk/{code}/{path}", data={"text": text, "csrf_token": csrf_from(page)})


def count(db, model, **where: Any) -> int:
    """Count rows of ``model`` (a fresh read)."""
    db.rollback()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query)


def test_each_use_is_a_fresh_participant_and_nothing_carries_over(client, db, factory):
    """Two people in turn: two concerns from two new participants; no cookie, nothing of the first shown."""
    meeting = factory.meeting(status="live", moderation=False)
    code = meeting.code
    db.rollback()
    start_kiosk(client, factory, code)
    home = client.get(f"/kiosk/{code}")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="off"' in html and 'id="kiosk-form"' in html
    first = send(client, code, "Street lights out on Hessle Road")
    assert first.status_code == 302 and "/thanks" in first.headers["Location"]
    assert "ysdw_participant=;" in first.headers.get("Set-Cookie", "") or "ysdw_participant" not in str(
        first.headers.get_all("Set-Cookie")
    )
    thanks = client.get(first.headers["Location"])
    thanks_html = thanks.get_data(as_text=True)
    assert "Thank you" in thanks_html and "Hessle Road" not in thanks_html
    assert 'http-equiv="refresh"' in thanks_html  # without JavaScript it clears itself too
    again = client.get(f"/kiosk/{code}").get_data(as_text=True)
    assert "Hessle Road" not in again
    second = send(client, code, "Speeding near the school")
    assert second.status_code == 302
    assert not client.get_cookie("ysdw_participant")
    concerns = db.scalars(select(Concern).where(Concern.meeting_id == meeting.id).order_by(Concern.id)).all()
    assert [c.text for c in concerns] == ["Street lights out on Hessle Road", "Speeding near the school"]
    assert concerns[0].participant_id != concerns[1].participant_id
    assert count(db, Participant, meeting_id=meeting.id) == 2


def test_a_refused_concern_leaves_no_participant_and_keeps_the_typing(client, db, factory):
    """An empty concern is refused with an error summary; no participant is counted for it."""
    meeting = factory.meeting(status="live")
    db.rollback()
    start_kiosk(client, factory, meeting.code)
    refused = send(client, meeting.code, "   ")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "There is a problem" in html and 'href="#text"' in html
    assert count(db, Participant, meeting_id=meeting.id) == 0


def test_starting_the_kiosk_ends_the_login_and_locks_the_browser(client, db, factory):
    """After the start no staff page opens, nor the attendee page; the login page (to end it) does."""
    meeting = factory.meeting(status="live")
    db.rollback()
    start_kiosk(client, factory, meeting.code)
    for path in (
        "/dashboard",
        f"/staff/meetings/{meeting.code}",
        f"/moderate/{meeting.code}",
        f"/j/{meeting.code}",
        "/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith(f"/kiosk/{meeting.code}"), path
    assert client.get("/accessibility").status_code == 200
    assert client.get("/privacy").status_code == 200
    assert client.get("/login").status_code == 200
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "kiosk.start"))
    assert entry is not None and entry.object_id == meeting.code


def test_logging_in_again_ends_the_kiosk(client, db, factory):
    """A staff member logging in on the tablet gets it back as a normal browser."""
    meeting = factory.meeting(status="live")
    db.rollback()
    start_kiosk(client, factory, meeting.code)
    login(client, factory.user(Role.facilitator).email)
    assert client.get(f"/staff/meetings/{meeting.code}").status_code == 200
    assert client.get(f"/kiosk/{meeting.code}").status_code == 403


@pytest.mark.parametrize("role", [None, Role.leader])
def test_only_managers_start_a_kiosk_and_a_plain_browser_is_no_kiosk(client, db, factory, role):
    """A passer-by's browser is refused the kiosk pages; a leader cannot start one."""
    meeting = factory.meeting(status="live")
    db.rollback()
    if role is not None:
        login(client, factory.user(role).email)
    page = client.get("/login").get_data(as_text=True)
    started = client.post(f"/kiosk/{meeting.code}/start", data={"csrf_token": csrf_from(page)})
    assert started.status_code == (403 if role else 302)
    refused = client.get(f"/kiosk/{meeting.code}")
    assert refused.status_code == 403 and "not a kiosk" in refused.get_data(as_text=True)


def test_a_kiosk_has_its_own_allowance_not_its_address(app, client, db, factory):
    """The kiosk's people count against the kiosk, not the venue address's join budget; past it, a 429."""
    meeting = factory.meeting(status="live", moderation=False)
    db.rollback()
    start_kiosk(client, factory, meeting.code)
    limit = JOIN_LIMIT_PER_KIOSK[0]
    page = client.get(f"/kiosk/{meeting.code}").get_data(as_text=True)
    token = csrf_from(page)
    for n in range(limit):
        sent = client.post(f"/kiosk/{meeting.code}/concerns", data={"text": f"Concern {n}", "csrf_token": token})
        assert sent.status_code == 302, sent.get_data(as_text=True)
    refused = client.post(f"/kiosk/{meeting.code}/concerns", data={"text": "One more", "csrf_token": token})
    assert refused.status_code == 429 and "Wait a minute" in refused.get_data(as_text=True)
    # The room's phones on the same address still join.
    assert app.test_client().get(f"/j/{meeting.code}").status_code == 200
    app.extensions["ysdw_limiter"].store.clock.advance(61)
    again = client.post(f"/kiosk/{meeting.code}/concerns", data={"text": "After a minute", "csrf_token": token})
    assert again.status_code == 302


def test_the_survey_at_the_kiosk_is_one_page_and_one_response_each(client, db, factory):
    """With the meeting closed and its survey open, the kiosk takes whole responses, each a new participant."""
    meeting = factory.meeting(status="closed")
    staff = bearer(token_for(client, factory.user(Role.facilitator).email))
    created = client.post(
        f"/api/v1/meetings/{meeting.code}/surveys", json={"template": "trust_confidence"}, headers=staff
    ).get_json()
    db.rollback()
    start_kiosk(client, factory, meeting.code)
    home = client.get(f"/kiosk/{meeting.code}")
    assert home.status_code == 302 and home.headers["Location"].endswith(f"/kiosk/{meeting.code}/survey")
    page = client.get(f"/kiosk/{meeting.code}/survey").get_data(as_text=True)
    assert created["title"] in page and 'autocomplete="off"' in page
    first_choice = next(q for q in created["questions"] if q["kind"] != "text")
    form = {"csrf_token": csrf_from(page), f"q{first_choice['id']}": str(first_choice["options"][0]["id"])}
    for _person in range(2):
        sent = client.post(f"/kiosk/{meeting.code}/survey", data=form)
        assert sent.status_code == 302 and sent.headers["Location"].endswith("sent=survey")
    assert count(db, SurveyResponse, survey_id=created["id"]) == 2
    assert count(db, Participant, meeting_id=meeting.id) == 2


def test_a_kiosk_ends_after_its_hours(app, client, db, factory, monkeypatch):
    """Twelve hours after the start the kiosk pass lapses (the clock is the app's, moved by the test)."""
    meeting = factory.meeting(status="live")
    db.rollback()
    real = app.extensions["ysdw_clock"]
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    clock = PinnedClock(real.zone, start)
    monkeypatch.setitem(app.extensions, "ysdw_clock", clock)
    start_kiosk(client, factory, meeting.code)
    assert client.get(f"/kiosk/{meeting.code}").status_code == 200
    object.__setattr__(clock, "moment", start + timedelta(hours=12, seconds=1))
    assert client.get(f"/kiosk/{meeting.code}").status_code == 403
