"""Join codes: the alphabet, uniqueness (with a forced collision), case-insensitive lookup, bad codes."""

from __future__ import annotations

import itertools
import re

import pytest

from ysdw_live.auth.models import Role
from ysdw_live.errors import DomainError, NotFound
from ysdw_live.meetings import models as meeting_models
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import CODE_ALPHABET, CODE_LENGTH, new_code, normalise_code

SPEC_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def test_alphabet_is_the_one_in_the_api_contract():
    """The code alphabet is exactly api.md's: no O, 0, I or 1, 32 symbols, length 6."""
    assert CODE_ALPHABET == SPEC_ALPHABET
    assert CODE_LENGTH == 6
    assert not set("O0I1") & set(CODE_ALPHABET)


def test_generated_codes_use_only_the_alphabet_and_vary():
    """Thousands of generated codes are 6 symbols from the alphabet, and nearly all differ."""
    codes = [new_code() for _ in range(5000)]
    pattern = re.compile(f"^[{SPEC_ALPHABET}]{{6}}$")
    assert all(pattern.match(code) for code in codes)
    assert len(set(codes)) > 4990
    # Every symbol turns up: the generator draws from the whole alphabet.
    assert set("".join(codes)) == set(SPEC_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcdef", "ABCDEF"),
        ("AbCdEf", "ABCDEF"),
        (" k7p 2qx ", "K7P2QX"),
        ("K7P2QX", "K7P2QX"),
    ],
)
def test_normalise_accepts_any_case_and_spaces(typed, expected):
    """Typed codes are upper-cased and spaces dropped."""
    assert normalise_code(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEO", "ABCDE1", "ABCDEI", "ABC-EF", "ÄBCDEF", "ABCDE\x00"]
)
def test_normalise_refuses_impossible_codes(typed):
    """Wrong length, ambiguous symbols (O/0/I/1) and punctuation are not codes."""
    assert normalise_code(typed) is None


def test_create_meeting_retries_on_code_collision(db, factory, monkeypatch):
    """When new_code repeats a code already taken, create_meeting retries and finds a free one."""
    series = factory.series()
    actor = factory.actor(Role.facilitator)
    monkeypatch.setattr(meeting_services, "new_code", lambda: "AAAAAA")
    first = meeting_services.create_meeting(db, actor, series.id, title="First")
    assert first.code == "AAAAAA"
    codes = itertools.chain(["AAAAAA", "AAAAAA", "BBBBBB"], itertools.repeat("CCCCCC"))
    calls = []

    def repeating_code() -> str:
        """Return a taken code twice, then a free one."""
        calls.append(1)
        return next(codes)

    monkeypatch.setattr(meeting_services, "new_code", repeating_code)
    second = meeting_services.create_meeting(db, actor, series.id, title="Second")
    assert second.code == "BBBBBB"
    assert len(calls) == 3
    db.expire_all()
    assert {m.code for m in meeting_services.meetings_of_series(db, series.id)} == {"AAAAAA", "BBBBBB"}


def test_create_meeting_gives_up_cleanly_when_every_code_is_taken(db, factory, monkeypatch):
    """If no free code turns up, the caller gets a clear error and no meeting is half-saved."""
    series = factory.series()
    actor = factory.actor(Role.facilitator)
    monkeypatch.setattr(meeting_services, "new_code", lambda: "AAAAAA")
    meeting_services.create_meeting(db, actor, series.id, title="First")
    with pytest.raises(DomainError) as caught:
        meeting_services.create_meeting(db, actor, series.id, title="Second")
    assert caught.value.code == "code_exhausted"
    db.expire_all()
    assert [m.title for m in meeting_services.meetings_of_series(db, series.id)] == ["First"]


def test_codes_are_unique_in_the_database(db, factory):
    """The database itself refuses two meetings with one code (the retry relies on it)."""
    from sqlalchemy.exc import IntegrityError

    meeting = factory.meeting()
    db.add(meeting_models.Meeting(series_id=meeting.series_id, code=meeting.code, title="Copy"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_service_lookup_is_case_insensitive(db, factory):
    """get_meeting finds a meeting by its code typed in lower case or with spaces."""
    meeting = factory.meeting()
    assert meeting_services.get_meeting(db, meeting.code.lower()).id == meeting.id
    assert meeting_services.get_meeting(db, " " + meeting.code[:3] + " " + meeting.code[3:]).id == meeting.id
    with pytest.raises(NotFound):
        meeting_services.get_meeting(db, "ZZZZZZ" if meeting.code != "ZZZZZZ" else "YYYYYY")


def test_api_lookup_is_case_insensitive(client, factory):
    """GET /api/v1/meetings/abcdef returns the meeting whose code is ABCDEF."""
    meeting = factory.meeting()
    response = client.get(f"/api/v1/meetings/{meeting.code.lower()}")
    assert response.status_code == 200
    assert response.get_json()["code"] == meeting.code


def test_join_page_redirects_to_the_canonical_code(client, factory):
    """/j/abcdef redirects to /j/ABCDEF, which then shows the meeting."""
    meeting = factory.meeting(status="live")
    response = client.get(f"/j/{meeting.code.lower()}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/j/{meeting.code}")
    page = client.get(f"/j/{meeting.code}")
    assert page.status_code == 200
    assert meeting.title in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "bad", ["ABCDE", "ABCDEFG", "ABCDE0", "ABCDEO", "ABCDE1", "ABCDEI", "ZZZZZZ", "abc%20ef", "%00%00%00%00%00%00"]
)
def test_api_bad_codes_are_404_json(client, factory, bad):
    """Wrong length, ambiguous symbols and unknown codes are a 404 JSON error on every code route."""
    factory.meeting()
    for suffix in ("", "/qr.svg", "/qr.png"):
        response = client.get(f"/api/v1/meetings/{bad}{suffix}")
        assert response.status_code == 404, (bad, suffix)
        assert response.is_json
        assert response.get_json()["error"]["code"] in ("meeting_not_found", "not_found")
        assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("bad", ["ABCDE", "ABCDE0", "ZZZZZZ"])
def test_join_page_bad_codes_are_404_pages(client, bad):
    """An unknown or impossible code on /j/ gives the friendly 404 page, not a 500."""
    response = client.get(f"/j/{bad}")
    assert response.status_code == 404
    assert "There is no meeting with that code" in response.get_data(as_text=True)


def test_home_form_takes_a_lower_case_code_to_the_meeting(client, factory):
    """Typing the code in lower case on the home page lands on /j/CODE."""
    from tests.conftest import csrf_from

    meeting = factory.meeting(status="live")
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/join", data={"code": meeting.code.lower(), "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/j/{meeting.code}")


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDE0", "ZZZZZZ"])
def test_home_form_explains_a_bad_code(client, typed):
    """A bad or unknown code re-shows the form with the error summary linked to the field."""
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/join", data={"code": typed, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert '<a href="#code">' in html
    assert "<title>Error: " in html
