"""A concern sent twice is raised once: the phone's Idempotency-Key, and the plain form's own key."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import func, select

from tests.conftest import bearer, csrf_from, login, token_for
from ysdw_live.auth.models import Role
from ysdw_live.concerns.models import Concern

API = "/api/v1"


def plain(meeting) -> SimpleNamespace:
    """The meeting's id and code, kept apart from the test's session (an expired ORM object would reload)."""
    return SimpleNamespace(id=meeting.id, code=meeting.code)


def joined(app, meeting):
    """A phone that joined ``meeting`` (participant cookie, same-site Origin)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    assert client.post(f"{API}/meetings/{meeting.code}/participants").status_code == 201
    return client


def count(db, meeting) -> int:
    """How many concerns the meeting holds (``meeting``: a plain record, so reading it opens no transaction)."""
    db.rollback()
    found = db.scalar(select(func.count(Concern.id)).where(Concern.meeting_id == meeting.id))
    db.rollback()  # end the read: the test's session must not hold SQLite's lock while the app writes
    return found


def send(client, meeting, key, text="Street lights out on Mill Road"):
    """POST a concern with an Idempotency-Key."""
    return client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": text}, headers={"Idempotency-Key": key})


def test_a_resent_concern_comes_back_as_the_same_concern(app, db, factory):
    """Same key from the same phone: the same concern (201 with the same body), nothing raised twice."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    first = send(phone, meeting, "c1b9e0a2-0d3f-4d8e-9a51-2f6f0b3c7d10")
    again = send(phone, meeting, "c1b9e0a2-0d3f-4d8e-9a51-2f6f0b3c7d10")
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(db, meeting) == 1
    # Another key is another concern; another phone's same key is its own.
    assert send(phone, meeting, "another-key-123", text="Speeding on the ring road").status_code == 201
    assert send(joined(app, meeting), meeting, "c1b9e0a2-0d3f-4d8e-9a51-2f6f0b3c7d10").status_code == 201
    assert count(db, meeting) == 3


def test_a_resend_after_the_meeting_closed_still_finds_the_concern(app, db, factory):
    """The answer was lost, then the meeting ended: the resend gets the concern, not 'meeting closed'."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    first = send(phone, meeting, "lost-answer-key-1")
    staff = bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))
    db.rollback()
    closed = app.test_client().patch(f"{API}/meetings/{meeting.code}", json={"status": "closed"}, headers=staff)
    assert closed.status_code == 200
    again = send(phone, meeting, "lost-answer-key-1")
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    fresh = send(phone, meeting, "a-new-key-after-close")
    assert fresh.status_code == 409


def test_a_bad_key_is_400_and_stores_nothing(app, db, factory):
    """Too short, too long or with other characters: a clear 400 naming client_key."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    for key in ("short", "x" * 65, "has spaces in it", "ümlaut-key-1"):
        refused = send(phone, meeting, key)
        assert refused.status_code == 400, key
        assert refused.get_json()["error"]["code"] == "bad_client_key"
    assert count(db, meeting) == 0


def test_the_plain_form_sent_twice_raises_one_concern(app, db, factory):
    """No JavaScript, a double tap on a slow line: the form's own key makes the second post find the first."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    page = phone.get(f"/j/{meeting.code}").get_data(as_text=True)
    key = re.search(r'name="client_key" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_from(page), "client_key": key, "text": "Bins not collected"}
    assert phone.post(f"/j/{meeting.code}/concerns", data=form).status_code == 302
    assert phone.post(f"/j/{meeting.code}/concerns", data=form).status_code == 302
    assert count(db, meeting) == 1
    # The next page offers a new key for the next concern.
    following = phone.get(f"/j/{meeting.code}").get_data(as_text=True)
    assert re.search(r'name="client_key" value="([^"]+)"', following).group(1) != key


def test_a_concern_keeps_the_language_the_browser_told_us(app, db, factory):
    """Accept-Language's first language (its primary subtag) is kept with the concern; the switch's choice wins."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    said = phone.post(
        f"{API}/meetings/{meeting.code}/concerns",
        json={"text": "Za szybko jeżdżą pod szkołą"},
        headers={"Accept-Language": "pl-PL, pl;q=0.9, en;q=0.5"},
    )
    assert said.status_code == 201 and said.get_json()["language"] == "pl"
    silent = phone.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "No header"})
    assert silent.get_json()["language"] is None
    phone.set_cookie("ysdw_lang", "ur")
    chosen = phone.post(
        f"{API}/meetings/{meeting.code}/concerns",
        json={"text": "Chosen on the switch"},
        headers={"Accept-Language": "en"},
    )
    assert chosen.get_json()["language"] == "ur"
    junk = phone.post(
        f"{API}/meetings/{meeting.code}/concerns", json={"text": "Odd header"}, headers={"Cookie": "ysdw_lang=<script>"}
    )
    assert junk.status_code == 201


def test_the_console_shows_each_concerns_language_where_the_browser_told_us(app, db, factory, client):
    """A concern in Arabic carries lang="ar" (read in the right voice) and an "Arabic" tag on the console."""
    meeting = plain(factory.meeting(status="live"))
    db.rollback()
    phone = joined(app, meeting)
    for text, header in (("الإنارة في الممر مطفأة", "ar"), ("Said in English", "en-GB"), ("No header at all", None)):
        headers = {"Accept-Language": header} if header else {}
        response = phone.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": text}, headers=headers)
        assert response.status_code == 201
    login(client, factory.user("facilitator").email)
    console = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert re.search(r'data-slot="text" lang="ar"[^>]*>الإنارة في الممر مطفأة<', console)
    tags = re.findall(r'data-slot="language"( hidden)?>([^<]*)<', console)
    shown = [name for hidden, name in tags if not hidden and name]
    assert shown == ["Arabic"], tags  # English and unknown languages carry no tag on an English console
    assert re.search(r'data-slot="text" lang="en"[^>]*>Said in English<', console)  # the primary subtag is kept
    assert re.search(r'data-slot="text"(?! lang)[^>]*>No header at all<', console)
