"""The live meeting's pages as plain HTML forms: attendee page, console and projector without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from tests.conftest import csrf_from, login
from ysdw_live.concerns.models import Concern, ConcernStatus
from ysdw_live.meetings.models import ProjectorMode


def _join(client: Any, code: str) -> str:
    """Open the join page like a phone, join as its script does, and return the page's CSRF token."""
    page = client.get(f"/j/{code}")
    assert client.post(f"/api/v1/meetings/{code}/participants").status_code == 201
    assert page.status_code == 200
    return csrf_from(page.get_data(as_text=True))


def _concerns(db: Any) -> list[Concern]:
    """Return every concern, fresh from the database (and end the read: SQLite locks early)."""
    db.expire_all()
    rows = list(db.scalars(select(Concern).order_by(Concern.id)))
    db.commit()
    return rows


def _reload(db: Any, obj: Any) -> Any:
    """Read ``obj`` again from the database and end the read."""
    db.refresh(obj)
    db.commit()
    return obj


def test_attendee_form_rejects_bad_input_with_an_error_summary_and_keeps_the_text(client, factory, db):
    """An over-long concern gets the error summary linked to the field, the typed text back, and nothing saved."""
    meeting = factory.meeting(status="live")
    code = meeting.code
    token = _join(client, code)
    too_long = "x" * 501
    response = client.post(f"/j/{code}/concerns", data={"text": too_long, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in html and "There is a problem" in html and 'href="#text"' in html
    assert too_long in html
    assert _concerns(db) == []


def test_attendee_raises_and_votes_with_plain_forms(client, factory, db):
    """Without JavaScript: raising redirects back to the list, and the vote button toggles the vote."""
    meeting = factory.meeting(status="live", moderation=False)
    code = meeting.code
    token = _join(client, code)
    raised = client.post(f"/j/{code}/concerns", data={"text": "<b>Bins</b> & lights", "csrf_token": token})
    assert raised.status_code == 302 and f"/j/{code}" in raised.headers["Location"]
    (concern,) = _concerns(db)
    page = client.get(raised.headers["Location"]).get_data(as_text=True)
    assert "&lt;b&gt;Bins&lt;/b&gt; &amp; lights" in page and "<b>Bins</b>" not in page
    assert "Thank you. Your concern has been added." in page
    voted = client.post(f"/j/{code}/concerns/{concern.id}/vote", data={"vote": "1", "csrf_token": token})
    assert voted.status_code == 302
    assert _concerns(db)[0].votes == 1
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    client.post(f"/j/{code}/concerns/{concern.id}/vote", data={"vote": "0", "csrf_token": token})
    assert _concerns(db)[0].votes == 0


def test_pending_text_shows_only_to_its_author_and_never_on_the_projector(client, anon_client, factory, db):
    """With moderation on, the author sees "waiting for the moderator"; another phone and the projector see nothing."""
    meeting = factory.meeting(status="live", moderation=True)
    code = meeting.code
    token = _join(client, code)
    client.post(f"/j/{code}/concerns", data={"text": "Secret until approved", "csrf_token": token})
    mine = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Secret until approved" in mine and "Waiting for the moderator" in mine
    other = anon_client.__class__(anon_client.application)
    assert "Secret until approved" not in other.get(f"/j/{code}").get_data(as_text=True)
    assert "Secret until approved" not in anon_client.get(f"/present/{code}").get_data(as_text=True)


def test_console_moderates_with_plain_forms(client, factory, db):
    """Approve, highlight, edit, dismiss and undo each work as a form post and redirect to the console."""
    meeting = factory.meeting(status="live", moderation=True)
    code = meeting.code
    phone = client.application.test_client()
    phone.environ_base["HTTP_ORIGIN"] = "http://localhost"
    token = _join(phone, code)
    phone.post(f"/j/{code}/concerns", data={"text": "Potholes on Hessle Road", "csrf_token": token})
    (concern,) = _concerns(db)
    login(client, factory.user("facilitator").email)
    console = client.get(f"/moderate/{code}").get_data(as_text=True)
    assert "Waiting for approval" in console and "Potholes on Hessle Road" in console
    csrf = csrf_from(console)
    url = f"/moderate/{code}/concerns/{concern.id}"

    def post(**data: str) -> None:
        response = client.post(url, data={"csrf_token": csrf, **data})
        assert response.status_code == 302 and f"/moderate/{code}" in response.headers["Location"]

    post(action="approve")
    assert _concerns(db)[0].status is ConcernStatus.approved
    assert "Potholes on Hessle Road" in client.get(f"/present/{code}").get_data(as_text=True)
    post(action="highlight")
    assert _concerns(db)[0].highlighted
    post(action="edit", text="Potholes on Hessle Road near the school")
    assert _concerns(db)[0].text == "Potholes on Hessle Road near the school"
    post(action="dismiss")
    assert _concerns(db)[0].status is ConcernStatus.dismissed
    assert "Potholes" not in client.get(f"/present/{code}").get_data(as_text=True)
    undone = client.post(f"/moderate/{code}/undo", data={"csrf_token": csrf})
    assert undone.status_code == 302
    assert _concerns(db)[0].status is ConcernStatus.approved
    bad = client.post(url, data={"csrf_token": csrf, "action": "explode"})
    assert bad.status_code == 302
    assert "That moderation action is not known." in client.get(f"/moderate/{code}").get_data(as_text=True)


def test_console_enters_concerns_and_drives_the_meeting_with_plain_forms(client, factory, db):
    """A spoken concern is shown at once; an empty one gets the error summary; settings and projector are forms."""
    meeting = factory.meeting(status="draft", moderation=True)
    code = meeting.code
    login(client, factory.user("facilitator").email)
    csrf = csrf_from(client.get(f"/moderate/{code}").get_data(as_text=True))
    client.post(f"/moderate/{code}/settings", data={"csrf_token": csrf, "status": "live"})
    client.post(f"/moderate/{code}/settings", data={"csrf_token": csrf, "moderation": "off"})
    _reload(db, meeting)
    assert meeting.is_live and meeting.moderation is False
    empty = client.post(f"/moderate/{code}/concerns", data={"csrf_token": csrf, "text": "   "})
    assert empty.status_code == 400 and "There is a problem" in empty.get_data(as_text=True)
    client.post(f"/moderate/{code}/concerns", data={"csrf_token": csrf, "text": "From a paper card"})
    (concern,) = _concerns(db)
    assert concern.status is ConcernStatus.approved and concern.source.value == "facilitator"
    client.post(f"/moderate/{code}/projector", data={"csrf_token": csrf, "mode": "concerns"})
    _reload(db, meeting)
    assert meeting.projector_mode is ProjectorMode.concerns
    wrong = client.post(f"/moderate/{code}/projector", data={"csrf_token": csrf, "mode": "disco"})
    assert wrong.status_code == 302
    _reload(db, meeting)
    assert meeting.projector_mode is ProjectorMode.concerns


def test_forms_without_the_csrf_token_change_nothing(client, factory, db):
    """A form post without the session's token is refused with 403 and stores nothing."""
    meeting = factory.meeting(status="live", moderation=False)
    code = meeting.code
    _join(client, code)
    refused = client.post(f"/j/{code}/concerns", data={"text": "Forged"})
    assert refused.status_code == 403
    assert _concerns(db) == []


def test_opening_the_link_joins_nobody_the_first_real_action_does(client, anon_client, factory, db):
    """Link previews fetch GET /j/<code>: it creates no participant; a vote or a concern (a POST) does, without JS."""
    from sqlalchemy import func, select

    from ysdw_live.meetings.models import Participant

    meeting = factory.meeting(status="live", moderation=False)
    code = meeting.code

    def joined() -> int:
        count = db.scalar(select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id))
        db.commit()
        return count

    for _ in range(3):  # a chat app's preview bot, a mail scanner, a curious tap
        page = anon_client.get(f"/j/{code}")
        assert page.status_code == 200 and "ysdw_participant" not in str(page.headers.getlist("Set-Cookie"))
    assert joined() == 0
    assert '"joined": false' in page.get_data(as_text=True)

    token = csrf_from(client.get(f"/j/{code}").get_data(as_text=True))
    assert joined() == 0
    assert client.post(f"/j/{code}/concerns", data={"text": "Lights out", "csrf_token": token}).status_code == 302
    assert joined() == 1
    concern = _concerns(db)[0]
    voter = client.application.test_client()
    token = csrf_from(voter.get(f"/j/{code}").get_data(as_text=True))
    assert (
        voter.post(f"/j/{code}/concerns/{concern.id}/vote", data={"vote": "1", "csrf_token": token}).status_code == 302
    )
    assert joined() == 2 and _concerns(db)[0].votes == 1
    assert '"joined": true' in voter.get(f"/j/{code}").get_data(as_text=True)
    assert joined() == 2


def _hidden_rows(client: Any, code: str, query: str) -> set[int]:
    """Return the ids of the concern rows the console at ``?query`` renders hidden by its filter."""
    response = client.get(f"/moderate/{code}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {int(found) for found in re.findall(r'<li class="mod-row[^"]*" id="concern-(\d+)"[^>]*\shidden>', html)}


def test_console_filter_works_as_a_plain_get_form(client, factory, db):
    """?q=, ?topic= and ?status= hide the rows that do not match; odd values are ignored, never a 500."""
    meeting = factory.meeting(status="live", moderation=False)
    code = meeting.code
    youth = next(t.id for t in meeting.series.topics if t.name == "Youth")
    db.commit()
    login(client, factory.user("facilitator").email)
    csrf = csrf_from(client.get(f"/moderate/{code}").get_data(as_text=True))
    for text, topic in (("Motorbikes in the PARK", str(youth)), ("Parking on pavements", ""), ("Bins", "")):
        client.post(f"/moderate/{code}/concerns", data={"csrf_token": csrf, "text": text, "topic_id": topic})
    park, parking, bins = _concerns(db)

    assert _hidden_rows(client, code, "") == set()
    assert _hidden_rows(client, code, "q=park") == {bins.id}
    assert _hidden_rows(client, code, "q=PARK+motor") == {parking.id, bins.id}
    assert _hidden_rows(client, code, f"topic={youth}") == {parking.id, bins.id}
    assert _hidden_rows(client, code, "topic=none") == {park.id}
    assert _hidden_rows(client, code, f"q=%23{bins.number}") == {park.id, parking.id}
    assert _hidden_rows(client, code, "status=dismissed") == {park.id, parking.id, bins.id}
    assert "Showing 0 of 3 concerns." in client.get(f"/moderate/{code}?status=dismissed").get_data(as_text=True)
    assert _hidden_rows(client, code, "status=explode&topic=%00&q=" + "x" * 5000) == {park.id, parking.id, bins.id}
    assert _hidden_rows(client, code, "status=explode&topic=abc") == set()
