"""Races: parallel duplicate votes, many voters at once and simultaneous concerns lose nothing and double nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from tests.conftest import bearer, token_for
from ysdw_live.auth.models import Role
from ysdw_live.concerns.models import Concern, ModerationEntry, Vote
from ysdw_live.meetings.models import Meeting

API = "/api/v1"


def in_parallel(app, calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each call on its own thread with its own test client, all released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[Any], Any]) -> Any:
        """Wait for every thread, then make the request."""
        client = app.test_client()
        barrier.wait(timeout=30)
        return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def join_tokens(app, meeting: Meeting, count: int) -> list[str]:
    """Return ``count`` participant tokens of ``meeting``."""
    # A fresh client each time: one without cookies is a new device.
    return [
        app.test_client().post(f"{API}/meetings/{meeting.code}/participants").get_json()["token"] for _ in range(count)
    ]


def visible_concern(app, meeting: Meeting, token: str) -> int:
    """Raise a concern (moderation off) and return its id."""
    response = app.test_client().post(
        f"{API}/meetings/{meeting.code}/concerns", json={"text": "Race me"}, headers={"X-Participant-Token": token}
    )
    assert response.status_code == 201
    return response.get_json()["id"]


def stored_votes(db, concern_id: int) -> tuple[int, int]:
    """Return (the concern's vote counter, the number of vote rows) as stored."""
    db.expire_all()
    counter = db.get(Concern, concern_id).votes
    rows = db.scalar(select(func.count(Vote.id)).where(Vote.concern_id == concern_id))
    db.rollback()  # on SQLite even a read holds the write lock until its transaction ends
    return counter, rows


def test_parallel_duplicate_votes_end_with_one_vote_and_200_each(app, db, factory):
    """Twelve simultaneous PUTs from one participant: all 200, exactly one vote; then twelve DELETEs: zero."""
    meeting = factory.meeting(status="live", moderation=False)
    (token,) = join_tokens(app, meeting, 1)
    concern_id = visible_concern(app, meeting, token)
    headers = {"X-Participant-Token": token}
    url = f"{API}/concerns/{concern_id}/vote"

    responses = in_parallel(app, [lambda c: c.put(url, headers=headers)] * 12)
    assert [r.status_code for r in responses] == [200] * 12
    assert all(r.get_json() == {"id": concern_id, "votes": 1, "voted": True} for r in responses)
    assert stored_votes(db, concern_id) == (1, 1)

    responses = in_parallel(app, [lambda c: c.delete(url, headers=headers)] * 12)
    assert [r.status_code for r in responses] == [200] * 12
    assert all(r.get_json()["votes"] == 0 and r.get_json()["voted"] is False for r in responses)
    assert stored_votes(db, concern_id) == (0, 0)


def test_fifty_voters_at_once_lose_no_vote(app, db, factory):
    """Fifty participants voting in the same instant give fifty votes; the meeting's version stays as it was."""
    meeting = factory.meeting(status="live", moderation=False)
    tokens = join_tokens(app, meeting, 50)
    concern_id = visible_concern(app, meeting, tokens[0])
    db.expire_all()
    version_before = db.get(Meeting, meeting.id).version
    db.rollback()
    url = f"{API}/concerns/{concern_id}/vote"

    def voter(token: str) -> Callable[[Any], Any]:
        """Return the call that votes as ``token``."""
        return lambda client: client.put(url, headers={"X-Participant-Token": token})

    responses = in_parallel(app, [voter(token) for token in tokens])
    assert [r.status_code for r in responses] == [200] * 50
    assert sorted(r.get_json()["votes"] for r in responses)[-1] == 50
    assert stored_votes(db, concern_id) == (50, 50)
    assert db.get(Meeting, meeting.id).version == version_before


def test_simultaneous_concerns_get_distinct_numbers(app, db, factory):
    """Twenty concerns raised at once are numbered 1 to 20 with no gap and no duplicate."""
    meeting = factory.meeting(status="live", moderation=True)
    tokens = join_tokens(app, meeting, 20)

    def author(token: str) -> Callable[[Any], Any]:
        """Return the call that raises a concern as ``token``."""
        return lambda client: client.post(
            f"{API}/meetings/{meeting.code}/concerns", json={"text": "At once"}, headers={"X-Participant-Token": token}
        )

    responses = in_parallel(app, [author(token) for token in tokens])
    assert [r.status_code for r in responses] == [201] * 20
    assert sorted(r.get_json()["number"] for r in responses) == list(range(1, 21))
    db.expire_all()
    assert sorted(db.scalars(select(Concern.number).where(Concern.meeting_id == meeting.id))) == list(range(1, 21))


def test_votes_and_moderation_at_once_neither_deadlock_nor_lose_anything(app, db, factory):
    """Thirty votes racing ten moderation edits of the same concern all succeed; every vote and edit is kept."""
    meeting = factory.meeting(status="live", moderation=False)
    tokens = join_tokens(app, meeting, 30)
    concern_id = visible_concern(app, meeting, tokens[0])
    staff = bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))
    db.rollback()

    def voter(token: str) -> Callable[[Any], Any]:
        """Return the call that votes as ``token``."""
        return lambda client: client.put(f"{API}/concerns/{concern_id}/vote", headers={"X-Participant-Token": token})

    def editor(n: int) -> Callable[[Any], Any]:
        """Return the call that edits the concern's text (and flips its highlight)."""
        return lambda client: client.patch(
            f"{API}/concerns/{concern_id}", headers=staff, json={"text": f"Edit {n}", "highlighted": n % 2 == 0}
        )

    responses = in_parallel(app, [voter(token) for token in tokens] + [editor(n) for n in range(10)])
    assert [r.status_code for r in responses] == [200] * 40, [r.get_json() for r in responses if r.status_code != 200]
    assert stored_votes(db, concern_id) == (30, 30)
    assert db.scalar(select(func.count(ModerationEntry.id))) == 10
    db.rollback()


def test_the_same_concern_sent_eight_times_at_once_is_raised_once(app, db, factory):
    """Eight copies with one Idempotency-Key in flight together: all 201 with one id, one row stored."""
    meeting = factory.meeting(status="live", moderation=False)
    code, meeting_id = meeting.code, meeting.id
    db.rollback()
    token = join_tokens(app, meeting, 1)[0]
    headers = {"X-Participant-Token": token, "Idempotency-Key": "one-concern-many-sends"}
    answers = in_parallel(
        app,
        [
            lambda client: client.post(
                f"{API}/meetings/{code}/concerns", json={"text": "Sent on a bad line"}, headers=headers
            )
        ]
        * 8,
    )
    assert [answer.status_code for answer in answers] == [201] * 8
    assert len({answer.get_json()["id"] for answer in answers}) == 1
    stored = db.scalar(select(func.count(Concern.id)).where(Concern.meeting_id == meeting_id))
    db.rollback()
    assert stored == 1
