"""Staff pages: series and meeting forms (with error summaries), the dashboard, the meeting page, the poster."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_from, login
from ysdw_live.auth.models import Role
from ysdw_live.meetings.models import Meeting, MeetingStatus
from ysdw_live.series.models import Series


@pytest.fixture
def manager(client, factory):
    """A client logged in as a facilitator."""
    login(client, factory.user(Role.facilitator).email)
    return client


def post_form(client, url, data):
    """Post ``data`` to the form at ``url`` with the page's CSRF token."""
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def count(db, model) -> int:
    """Return how many rows ``model`` has, ending the read."""
    db.expire_all()
    n = db.scalar(select(func.count()).select_from(model))
    db.commit()
    return n


def assert_error_summary(html: str, field: str, message: str) -> None:
    """The page has the GOV.UK error summary linking to ``field``, the title says Error, the field shows it."""
    assert "<title>Error: " in html
    assert 'class="error-summary"' in html and "There is a problem" in html
    assert re.search(rf'<a href="#{field}">[^<]*{re.escape(message)}', html), f"no summary link to #{field}"
    assert f'id="{field}"' in html, f"nothing on the page has id={field}"
    assert f'id="{field}-error"' in html or field == "mode"


# --- series forms --------------------------------------------------------------------------------


def test_create_series_from_the_form(manager, db):
    """The series form creates the series with one topic per line and shows it."""
    response = post_form(
        manager,
        "/staff/series/new",
        {
            "title": "Hull community focus group",
            "description": "Quarterly",
            "topics": "Stop and search\r\nYouth\r\n\r\n",
        },
    )
    assert response.status_code == 302
    page = manager.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Hull community focus group" in html
    assert '<li class="tag"><bdi>Stop and search</bdi></li>' in html and '<li class="tag"><bdi>Youth</bdi></li>' in html
    assert "created" in html  # the flash message


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title for the series"),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"title": "T", "topics": "t" * 81}, "topics", "80 characters or fewer"),
        ({"title": "T", "topics": "\n".join(f"Topic {i}" for i in range(31))}, "topics", "at most 30 topics"),
        ({"title": "T", "description": "d" * 2001}, "description", "2000 characters or fewer"),
    ],
)
def test_series_form_errors(manager, db, data, field, message):
    """Bad series input re-shows the form with a summary linked to the field, keeps the input, saves nothing."""
    response = post_form(manager, "/staff/series/new", {"description": "", "topics": "", **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_error_summary(html, field, message)
    if data.get("title") and len(data["title"]) < 50:
        assert f'value="{data["title"]}"' in html
    assert count(db, Series) == 0


def test_edit_series_form(manager, factory, db):
    """Editing a series changes title and topics; an empty title is refused and changes nothing."""
    series = factory.series(topics=["Youth"])
    url = f"/staff/series/{series.id}/edit"
    page = manager.get(url).get_data(as_text=True)
    assert "Hull community focus group" in page and ">Youth</textarea>" in page
    bad = post_form(manager, url, {"title": "", "description": "", "topics": "Roads"})
    assert bad.status_code == 400
    assert_error_summary(bad.get_data(as_text=True), "title", "Enter a title for the series")
    db.expire_all()
    assert [t.name for t in db.get(Series, series.id).topics] == ["Youth"]
    db.commit()
    good = post_form(manager, url, {"title": "Renamed", "description": "", "topics": "Youth\nRoads"})
    assert good.status_code == 302
    db.expire_all()
    stored = db.get(Series, series.id)
    assert stored.title == "Renamed" and [t.name for t in stored.topics] == ["Youth", "Roads"]
    db.commit()


def test_unknown_series_pages_are_404(manager):
    """Unknown or absurd series ids give the 404 page on every series page."""
    for path in (
        "/staff/series/999",
        "/staff/series/999/edit",
        "/staff/series/999/meetings/new",
        "/staff/series/99999999999999999999",
    ):
        response = manager.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True) or "no series" in response.get_data(as_text=True)


# --- meeting forms -------------------------------------------------------------------------------

MEETING = {
    "title": "Spring meeting",
    "starts_at-day": "14",
    "starts_at-month": "3",
    "starts_at-year": "2026",
    "starts_at_time": "18:30",
    "venue": "Riverside Centre",
    "mode": "hybrid",
    "moderation": "on",
}


def test_add_meeting_from_the_form(manager, factory, db):
    """The meeting form creates a draft meeting; local (London) time is stored as UTC."""
    series = factory.series()
    response = post_form(manager, f"/staff/series/{series.id}/meetings/new", MEETING)
    assert response.status_code == 302
    db.expire_all()
    meeting = db.scalars(select(Meeting)).one()
    db.commit()
    assert response.headers["Location"].endswith(f"/staff/meetings/{meeting.code}")
    assert (meeting.title, meeting.venue, meeting.mode.value, meeting.moderation) == (
        "Spring meeting",
        "Riverside Centre",
        "hybrid",
        True,
    )
    assert meeting.status is MeetingStatus.draft
    assert meeting.starts_at.isoformat() == "2026-03-14T18:30:00+00:00"  # GMT in March
    html = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert meeting.code in html and "Its join code is" in html


def test_summer_time_is_converted(manager, factory, db):
    """A July start typed in London time is stored an hour earlier in UTC."""
    series = factory.series()
    post_form(
        manager,
        f"/staff/series/{series.id}/meetings/new",
        {**MEETING, "starts_at-day": "1", "starts_at-month": "7", "starts_at_time": "7pm"},
    )
    db.expire_all()
    assert db.scalars(select(Meeting)).one().starts_at.isoformat() == "2026-07-01T18:00:00+00:00"
    db.commit()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title for the meeting"),
        ({"title": "   "}, "title", "Enter a title for the meeting"),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"starts_at-day": "31", "starts_at-month": "2"}, "starts_at", "The date of the meeting must be a real date"),
        ({"starts_at-month": ""}, "starts_at", "The date of the meeting must include a month"),
        ({"starts_at-day": "", "starts_at-year": ""}, "starts_at", "must include a day and year"),
        ({"starts_at-year": "26"}, "starts_at", "must include a year with 4 numbers"),
        ({"starts_at-day": "x"}, "starts_at", "must be a real date"),
        ({"starts_at_time": ""}, "starts_at_time", "Enter the start time, like 18:30"),
        ({"starts_at_time": "25:00"}, "starts_at_time", "The start time must be a real time"),
        ({"starts_at_time": "teatime"}, "starts_at_time", "The start time must be a real time"),
        (
            {"starts_at-day": "", "starts_at-month": "", "starts_at-year": ""},
            "starts_at",
            "Enter the date of the meeting",
        ),
        ({"venue": "v" * 201}, "venue", "200 characters or fewer"),
        ({"mode": "telepathy"}, "mode", "Mode must be one of"),
    ],
)
def test_meeting_form_errors(manager, factory, db, data, field, message):
    """Bad meeting input re-shows the form with a linked summary and saves nothing."""
    series = factory.series()
    response = post_form(manager, f"/staff/series/{series.id}/meetings/new", {**MEETING, **data})
    assert response.status_code == 400
    assert_error_summary(response.get_data(as_text=True), field, message)
    assert count(db, Meeting) == 0


def test_edit_meeting_form(manager, factory, db):
    """Editing a meeting shows its values in local time and saves changes; errors change nothing."""
    meeting = factory.meeting(starts_at="2026-07-01T18:00:00+00:00")
    url = f"/staff/meetings/{meeting.code}/edit"
    html = manager.get(url).get_data(as_text=True)
    for box, value in (
        ("starts_at", "1"),
        ("starts_at-month", "7"),
        ("starts_at-year", "2026"),
        ("starts_at_time", "19:00"),
    ):
        assert re.search(f'id="{box}"[^>]*value="{value}"', html), box
    assert 'value="Spring meeting"' in html and 'type="datetime-local"' not in html
    bad = post_form(manager, url, {**MEETING, "title": ""})
    assert bad.status_code == 400
    db.expire_all()
    assert db.get(Meeting, meeting.id).title == "Spring meeting"
    db.commit()
    good = post_form(manager, url, {**MEETING, "title": "Renamed", "moderation": ""})
    assert good.status_code == 302
    db.expire_all()
    stored = db.get(Meeting, meeting.id)
    db.commit()
    assert stored.title == "Renamed" and stored.moderation is False and stored.version == 2


def test_status_buttons_walk_the_machine(manager, factory, db):
    """The meeting page offers Go live, then Close (behind "Close the meeting…"), then Reopen; each works."""
    meeting = factory.meeting()
    url = f"/staff/meetings/{meeting.code}"
    for button, target, expected in (
        ("Go live", "live", "live"),
        ("Yes, close the meeting", "closed", "closed"),
        ("Reopen the meeting", "live", "live"),
    ):
        html = manager.get(url).get_data(as_text=True)
        assert f">{button}</button>" in html
        assert f'name="status" value="{target}"' in html
        if target == "closed":
            assert "<summary" in html and "Close the meeting…</summary>" in html
        response = manager.post(f"{url}/status", data={"status": target, "csrf_token": csrf_from(html)})
        assert response.status_code == 302
        db.expire_all()
        assert db.get(Meeting, meeting.id).status.value == expected
        db.commit()


def test_refused_status_change_is_a_flash_not_a_crash(manager, factory, db):
    """A stale button (draft → closed) explains the problem on the meeting page and changes nothing."""
    meeting = factory.meeting()
    url = f"/staff/meetings/{meeting.code}"
    token = csrf_from(manager.get(url).get_data(as_text=True))
    response = manager.post(f"{url}/status", data={"status": "closed", "csrf_token": token}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "notice--error" in html and "cannot become closed" in html
    db.expire_all()
    assert db.get(Meeting, meeting.id).status is MeetingStatus.draft
    db.commit()


def test_status_redirect_stays_on_staff_pages(manager, factory):
    """The status form's ``next`` is followed only to staff pages on this site."""
    meeting = factory.meeting()
    url = f"/staff/meetings/{meeting.code}"
    token = csrf_from(manager.get(url).get_data(as_text=True))
    response = manager.post(
        f"{url}/status", data={"status": "live", "csrf_token": token, "next": "https://evil.example/staff/"}
    )
    assert response.headers["Location"].endswith(url)


# --- dashboard, meeting page, poster -------------------------------------------------------------


def test_dashboard_groups_meetings(manager, factory):
    """The dashboard lists live, upcoming and past meetings under their own headings."""
    series = factory.series()
    factory.meeting(series, status="live", title="Now meeting")
    factory.meeting(series, title="Later meeting")
    factory.meeting(series, status="closed", title="Earlier meeting")
    html = manager.get("/dashboard").get_data(as_text=True)
    live, upcoming, past = html.index("Live now"), html.index("Upcoming"), html.index("Past")
    assert live < html.index("Now meeting") < upcoming < html.index("Later meeting") < past
    assert past < html.index("Earlier meeting")


def test_empty_dashboard_guides_a_newcomer(manager):
    """With nothing yet, the dashboard says so and offers to create a series."""
    html = manager.get("/dashboard").get_data(as_text=True)
    assert "No meeting is live." in html and "Create a series" in html


def test_leaders_see_no_management_buttons(client, factory):
    """A leader can look at a meeting but is not offered buttons that would be refused."""
    meeting = factory.meeting()
    login(client, factory.user(Role.leader).email)
    html = client.get(f"/staff/meetings/{meeting.code}").get_data(as_text=True)
    assert meeting.code in html
    assert "Go live" not in html and "Edit details" not in html
    assert "Create a series" not in client.get("/dashboard").get_data(as_text=True)


def test_meeting_page_shows_code_link_and_qr(manager, factory):
    """The meeting page shows the code, the join link and the QR image with a useful alt text."""
    meeting = factory.meeting(status="live")
    html = manager.get(f"/staff/meetings/{meeting.code}").get_data(as_text=True)
    join_url = f"http://yswd.test/j/{meeting.code}"
    assert f'<span class="code code--large">{meeting.code}</span>' in html
    assert f'href="{join_url}"' in html
    assert f'src="/api/v1/meetings/{meeting.code}/qr.svg"' in html
    assert f'alt="QR code that opens {join_url}"' in html


def test_poster_has_big_code_qr_url_and_title(manager, factory):
    """The poster has the title, the QR code, the site address and the code in large letters."""
    meeting = factory.meeting(status="live", title="Spring <meeting>")
    html = manager.get(f"/staff/meetings/{meeting.code}/poster").get_data(as_text=True)
    assert "Spring &lt;meeting&gt;" in html and "Spring <meeting>" not in html
    assert re.search(rf'class="poster__code"[^>]*>\s*{meeting.code}\s*<', html)
    assert f'src="/api/v1/meetings/{meeting.code}/qr.svg"' in html
    assert "yswd.test" in html
    assert "999" in html and "101" in html


def test_untrusted_text_is_escaped_on_staff_pages(manager, factory):
    """Series titles, topics and venues with markup are shown as text everywhere."""
    series = factory.series(title="<script>alert(1)</script>", topics=["<b>bold</b>"])
    meeting = factory.meeting(series, venue="<img src=x onerror=alert(1)>")
    for path in (
        "/dashboard",
        "/staff/series",
        f"/staff/series/{series.id}",
        f"/staff/meetings/{meeting.code}",
        f"/staff/meetings/{meeting.code}/poster",
    ):
        html = manager.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html, path
        assert "<img src=x" not in html, path


def test_pages_send_security_headers(manager):
    """Every page forbids inline scripts and framing."""
    response = manager.get("/dashboard")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)
