"""The audit trail: every staff action recorded (never attendees), the admin page, filters, pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, bearer, csrf_from, login, token_for
from ysdw_live.audit import services as audit
from ysdw_live.audit.models import AuditEntry
from ysdw_live.auth.models import Role

API = "/api/v1"


def trail(db: Any) -> list[tuple[str, str, str, str, str]]:
    """Return the trail oldest first as (who, action, object type, object id, detail), ending the read."""
    db.expire_all()
    rows = [
        (e.actor, e.action, e.object_type, e.object_id, e.detail)
        for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]
    db.commit()
    return rows


def test_staff_actions_through_the_api_are_recorded_with_who_what_and_on_what(client, db, factory):
    """Token, series, meeting, moderation, projector, undo, actions: one entry each, attendees never named."""
    facilitator = factory.user(Role.facilitator, email="fac@example.org")
    auth = bearer(token_for(client, facilitator.email))
    series = client.post(f"{API}/series", headers=auth, json={"title": "Hull", "topics": ["Roads"]}).get_json()
    client.patch(f"{API}/series/{series['id']}", headers=auth, json={"title": "Hull group", "retention_months": 12})
    meeting = client.post(f"{API}/series/{series['id']}/meetings", headers=auth, json={"title": "Spring"}).get_json()
    code = meeting["code"]
    client.patch(f"{API}/meetings/{code}", headers=auth, json={"status": "live", "venue": "Library"})

    # An attendee joins, raises a concern with a name and votes: none of it is a staff action.
    token = client.post(f"{API}/meetings/{code}/participants").get_json()["token"]
    attendee = {"X-Participant-Token": token}
    raised = client.post(
        f"{API}/meetings/{code}/concerns",
        headers=attendee,
        json={"text": "Speeding on Mill Road", "author_name": "Sam"},
    ).get_json()
    before_moderation = len(trail(db))
    client.patch(f"{API}/concerns/{raised['id']}", headers=auth, json={"status": "approved"})
    client.put(f"{API}/concerns/{raised['id']}/vote", headers=attendee)
    client.patch(f"{API}/concerns/{raised['id']}", headers=auth, json={"text": "Speeding on Mill Road at night"})
    client.post(f"{API}/meetings/{code}/moderation/undo", headers=auth)
    spoken = client.post(
        f"{API}/meetings/{code}/concerns", headers=auth, json={"text": "From a card: bus stop", "source": "facilitator"}
    ).get_json()
    client.patch(
        f"{API}/meetings/{code}/projector", headers=auth, json={"mode": "concerns", "concern_id": raised["id"]}
    )
    action = client.post(
        f"{API}/series/{series['id']}/actions",
        headers=auth,
        json={"you_said": "Speeding", "concern_ids": [raised["id"]]},
    ).get_json()
    client.patch(f"{API}/actions/{action['id']}", headers=auth, json={"status": "agreed", "owner": "Insp. Khan"})
    client.post(f"{API}/actions/{action['id']}/updates", headers=auth, json={"text": "Checks begin", "progress": 10})
    client.delete(f"{API}/auth/token", headers=auth)

    fac = "fac@example.org"
    entries = trail(db)
    assert entries[before_moderation - 2 : before_moderation] == [
        (fac, "meeting.create", "meeting", code, f"series {series['id']}"),
        (fac, "meeting.update", "meeting", code, "status: draft → live; venue changed"),
    ]
    assert entries[:4] == [
        ("command line", "user.create", "user", str(facilitator.id), "role facilitator"),
        (fac, "auth.login", "user", str(facilitator.id), ""),
        (fac, "auth.token_create", "token", entries[2][3], ""),
        (fac, "series.create", "series", str(series["id"]), "1 topics, retention 24 months"),
    ]
    assert entries[4] == (fac, "series.update", "series", str(series["id"]), "title changed; retention_months: 24 → 12")
    where = f"meeting {code}, number 1"
    assert entries[before_moderation:] == [
        (fac, "concern.moderate", "concern", str(raised["id"]), f"{where}: status: pending → approved"),
        (fac, "concern.moderate", "concern", str(raised["id"]), f"{where}: text changed"),
        (fac, "concern.undo", "concern", str(raised["id"]), where),
        (fac, "concern.enter", "concern", str(spoken["id"]), f"meeting {code}, number 2"),
        (fac, "meeting.projector", "meeting", code, "mode concerns, pinned number 1"),
        (
            fac,
            "action.create",
            "action",
            str(action["id"]),
            f"series {series['id']}, status under_consideration, 1 concerns",
        ),
        (
            fac,
            "action.update",
            "action",
            str(action["id"]),
            "owner changed; status: under_consideration → agreed; dated public update added",
        ),
        (fac, "action.public_update", "action", str(action["id"]), "progress: 0 → 10"),
        (fac, "auth.token_revoke", "token", entries[2][3], ""),
    ]
    written = " ".join(" ".join(entry) for entry in entries)
    for secret in ("Speeding on Mill Road", "Sam", "From a card", token, "Library", "Insp. Khan"):
        assert secret not in written


def test_logins_logouts_and_password_changes_on_pages_are_recorded(client, db, factory):
    """The login form, the password change and logging out each leave an entry (a failed login does not)."""
    admin = factory.user(Role.admin, email="admin@example.org")
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": admin.email, "password": "wrong password!", "csrf_token": csrf_from(page)})
    login(client, admin.email)
    page = client.get("/account/password").get_data(as_text=True)
    changed = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "another good password",
            "confirm_password": "another good password",
            "csrf_token": csrf_from(page),
        },
    )
    assert changed.status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert [(who, action) for who, action, *_ in trail(db)] == [
        ("command line", "user.create"),
        ("admin@example.org", "auth.login"),
        ("admin@example.org", "auth.password_change"),
        ("admin@example.org", "auth.logout"),
    ]
    # Logging out without a session records nothing.
    page = client.get("/login").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert len(trail(db)) == 4


def test_users_made_by_an_admin_and_the_first_admin_name_their_maker(db, factory):
    """A user created by an admin names the admin; the first admin is made by the system itself."""
    from ysdw_live.actors import Actor
    from ysdw_live.auth import services as auth

    assert auth.ensure_first_admin(db) is not None
    admin = factory.user(Role.admin, email="boss@example.org")
    auth.create_user(db, Actor(user=admin), "new@example.org", "leader", PASSWORD)
    assert [(who, action, detail) for who, action, _t, _i, detail in trail(db)] == [
        ("system", "user.create", "role admin"),
        ("command line", "user.create", "role admin"),
        ("boss@example.org", "user.create", "role leader"),
    ]


def test_an_entry_is_kept_only_when_its_change_is(db, factory):
    """A refused change (rolled back) leaves no entry: the entry commits with the change or not at all."""
    from ysdw_live.errors import Conflict
    from ysdw_live.meetings import services as meetings

    meeting = factory.meeting(status="live")
    count = len(trail(db))
    with pytest.raises(Conflict):
        meetings.update_meeting(db, factory.actor(Role.facilitator), meeting.code, {"status": "draft"})
    db.rollback()
    assert len(trail(db)) == count + 1  # only the facilitator made by the factory for this call


# ---------------------------------------------------------------------------------------------
# The admin page
# ---------------------------------------------------------------------------------------------


def fill(db: Any, user: Any, n: int, *, start: datetime, action: str = "series.update") -> None:
    """Write ``n`` entries by ``user``, one a minute from ``start``."""
    for i in range(n):
        entry = audit.record(db, user, action, object_type="series", object_id=i, detail=f"entry {i}")
        entry.created_at = start + timedelta(minutes=i)
    db.commit()


@pytest.fixture
def admin_client(client, factory) -> Any:
    """A client logged in as an admin."""
    admin = factory.user(Role.admin, email="admin@example.org")
    login(client, admin.email)
    return client


def test_the_staff_navigation_links_the_trail_for_admins_only(client, factory):
    """Admins see "Audit trail" in the staff navigation; facilitators and leaders do not, and get 403."""
    admin = factory.user(Role.admin)
    login(client, admin.email)
    assert 'href="/staff/audit">Audit trail</a>' in client.get("/dashboard").get_data(as_text=True)
    other = client.application.test_client()
    leader = factory.user(Role.facilitator)
    login(other, leader.email)
    assert "Audit trail" not in other.get("/dashboard").get_data(as_text=True)
    assert other.get("/staff/audit").status_code == 403
    assert other.get("/staff/audit.csv").status_code == 403


def test_the_trail_shows_50_entries_a_page_newest_first(admin_client, db, factory):
    """121 entries make 3 pages; page 1 starts with the newest, the links walk back and forth."""
    user = factory.user(Role.facilitator, email="fac@example.org")
    fill(db, user, 118, start=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))  # + user.create, admin's create and login
    first = admin_client.get("/staff/audit").get_data(as_text=True)
    assert "121 entries, newest first (page 1 of 3)" in first
    assert first.count("<tr>") == 51  # the header row and 50 entries
    assert first.index("entry 117") < first.index("entry 116")
    assert 'rel="next" href="/staff/audit?page=2"' in first and 'rel="prev"' not in first
    last = admin_client.get("/staff/audit?page=3").get_data(as_text=True)
    assert last.count("<tr>") == 22 and 'rel="prev" href="/staff/audit?page=2"' in last and 'rel="next"' not in last
    beyond = admin_client.get("/staff/audit?page=99").get_data(as_text=True)
    assert "(page 3 of 3)" in beyond
    assert admin_client.get("/staff/audit?page=0").status_code == 400
    assert admin_client.get("/staff/audit?page=x").status_code == 400


def test_the_trail_filters_by_user_and_by_days_in_the_local_zone(admin_client, db, factory):
    """Filtering by one user and a range of days (Europe/London) keeps exactly those entries; pages keep filters."""
    alice = factory.user(Role.facilitator, email="alice@example.org")
    bob = factory.user(Role.leader, email="bob@example.org")
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST): it belongs to 2 July.
    fill(db, alice, 1, start=datetime(2026, 7, 1, 22, 30, tzinfo=UTC), action="a.before")
    fill(db, alice, 1, start=datetime(2026, 7, 1, 23, 30, tzinfo=UTC), action="a.first_day")
    fill(db, alice, 60, start=datetime(2026, 7, 2, 8, 0, tzinfo=UTC), action="a.second_day")
    fill(db, bob, 1, start=datetime(2026, 7, 2, 9, 0, tzinfo=UTC), action="b.second_day")
    fill(db, alice, 1, start=datetime(2026, 7, 3, 23, 30, tzinfo=UTC), action="a.after")

    query = f"user={alice.id}&since=2026-07-02&until=2026-07-03"
    page = admin_client.get(f"/staff/audit?{query}").get_data(as_text=True)
    assert "61 entries matching the filters, newest first (page 1 of 2)" in page
    assert "A: first day" not in page and "B: second day" not in page and "A: before" not in page
    assert "A: after" not in page  # 00:30 on 4 July in London
    assert f'href="/staff/audit?page=2&amp;user={alice.id}&amp;since=2026-07-02&amp;until=2026-07-03"' in page
    second = admin_client.get(f"/staff/audit?page=2&{query}").get_data(as_text=True)
    assert "A: first day" in second
    assert f'<option value="{alice.id}" selected>alice@example.org</option>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "From must be a real date like 2026-03-14."),
        ("since=2026-07-03&until=2026-07-01", "The “to” date must be on or after the “from” date."),
        ("until=0001-01-01", "To must be a date between 2000 and 9998."),
        ("since=9999-12-31", "From must be a date between 2000 and 9998."),
        ("user=abc", "User must be a whole number."),
        (f"user={2**63}", "User must be 2147483647 or less."),
    ],
)
def test_bad_filters_are_explained_not_a_500(admin_client, query, message):
    """A bad date, a backwards range or a bad user id answers 400 with the error summary."""
    response = admin_client.get(f"/staff/audit?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert admin_client.get(f"/staff/audit.csv?{query}").status_code == 400


def test_the_csv_export_has_every_filtered_entry_with_formulas_defused(admin_client, db, factory):
    """The CSV holds the filtered entries, cells starting = + - @ get a quote, and the export is itself recorded."""
    sneaky = factory.user(Role.leader, email="=hyperlink(1)@example.org")
    plus = factory.user(Role.leader, email="+1@example.org")
    minus = factory.user(Role.leader, email="-1@example.org")
    audit.record(db, sneaky, "series.update", object_type="series", object_id=1, detail="@SUM(A1)")
    audit.record(db, plus, "series.update", object_type="series", object_id=2, detail="=1+1")
    audit.record(db, minus, "series.update", object_type="series", object_id=3, detail="-2")
    db.commit()
    response = admin_client.get(f"/staff/audit.csv?user={sneaky.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="audit-trail.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["created_at", "who", "user_id", "action", "object_type", "object_id", "detail"]
    assert [row[1:] for row in rows[1:]] == [
        ["'=hyperlink(1)@example.org", str(sneaky.id), "series.update", "series", "1", "'@SUM(A1)"]
    ]
    everything = admin_client.get("/staff/audit.csv").get_data(as_text=True)
    assert "'+1@example.org" in everything and "'-1@example.org" in everything and "'=1+1" in everything
    assert "\n=" not in everything and ",=" not in everything and ",+" not in everything and ",-" not in everything
    exports = [entry for entry in trail(db) if entry[1] == "audit.export"]
    assert exports[0] == ("admin@example.org", "audit.export", "audit", "", f"1 entries: user {sneaky.id}")
    assert exports[1][4].endswith("entries: everything")


def test_the_export_of_an_empty_selection_is_a_header(admin_client):
    """A filter that matches nothing exports just the header row."""
    body = admin_client.get("/staff/audit.csv?since=2001-01-01&until=2001-01-02").get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == ["created_at,who,user_id,action,object_type,object_id,detail"]


def test_the_audit_services_are_for_admins_only(db, factory):
    """Facilitators and leaders cannot read or export the trail, whatever adapter calls the service."""
    from ysdw_live.clock import Clock
    from ysdw_live.errors import Forbidden

    clock = Clock.named("Europe/London")
    for role in (Role.facilitator, Role.leader):
        with pytest.raises(Forbidden):
            audit.search(db, factory.actor(role), audit.AuditFilters(), clock=clock)
        with pytest.raises(Forbidden):
            audit.export(db, factory.actor(role), audit.AuditFilters(), clock=clock)
    db.rollback()


def test_the_trail_says_what_was_done_in_words(admin_client):
    """The page reads "Logged in", not the code auth.login (the CSV keeps the code for tools)."""
    page = admin_client.get("/staff/audit").get_data(as_text=True)
    assert "<td>Logged in</td>" in page and "auth.login" not in page
    assert "auth.login" in admin_client.get("/staff/audit.csv").get_data(as_text=True)


def test_every_recorded_verb_has_words():
    """Each verb the code records (found in the source) has a label, so no code leaks onto the page."""
    import re
    from pathlib import Path

    from ysdw_live.audit.models import ACTION_LABELS

    package = Path(__file__).resolve().parent.parent / "ysdw_live"
    source = "\n".join(p.read_text() for p in package.rglob("*.py"))
    recorded = set(re.findall(r'(?:record|audit)\(\s*db,\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(recorded) >= 15 and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)


def test_the_filter_form_takes_gov_uk_day_month_year_boxes(admin_client, db, factory):
    """The page's date boxes (day, month, year) filter like ISO dates, come back as typed, and explain mistakes."""
    alice = factory.user(Role.facilitator, email="alice@example.org")
    fill(db, alice, 1, start=datetime(2026, 7, 1, 9, 0, tzinfo=UTC), action="a.early")
    fill(db, alice, 1, start=datetime(2026, 7, 2, 9, 0, tzinfo=UTC), action="a.late")
    page = admin_client.get("/staff/audit").get_data(as_text=True)
    assert 'name="since-day"' in page and 'name="until-year"' in page and 'type="date"' not in page

    boxes = "since-day=2&since-month=7&since-year=2026&until-day=&until-month=&until-year="
    typed = admin_client.get(f"/staff/audit?{boxes}")
    html = typed.get_data(as_text=True)
    assert typed.status_code == 200 and "A: late" in html and "A: early" not in html
    assert 'id="since" name="since-day" type="text" inputmode="numeric" autocomplete="off" value="2"' in html

    wrong = admin_client.get("/staff/audit?since-day=31&since-month=2&since-year=2026")
    assert wrong.status_code == 400 and "From must be a real date" in wrong.get_data(as_text=True)
    half = admin_client.get("/staff/audit?until-day=3&until-month=&until-year=2026")
    assert half.status_code == 400 and "To must include a month" in half.get_data(as_text=True)
