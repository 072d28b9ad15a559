"""Live polls: every kind end to end through the API and the socket, hidden results, replacement, bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import bearer, csrf_from, login, token_for
from ysdw_live.auth.models import Role
from ysdw_live.polls.models import PollResponse
from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import flush_poll_results

API = "/api/v1"


@pytest.fixture
def staff(app, factory) -> dict[str, str]:
    """A facilitator's bearer token header."""
    return bearer(token_for(app.test_client(), factory.user(Role.facilitator).email))


def phone(app, meeting) -> Any:
    """Return a client that joined ``meeting`` as a participant (cookie kept, same-site Origin)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    assert client.post(f"{API}/meetings/{meeting.code}/participants").status_code == 201
    return client


def make_poll(client, staff, meeting, *, open_it: bool = True, **body) -> dict[str, Any]:
    """Create a poll (and open it) through the API; return it."""
    response = client.post(f"{API}/meetings/{meeting.code}/polls", json=body, headers=staff)
    assert response.status_code == 201, response.get_json()
    poll = response.get_json()
    if open_it:
        opened = client.patch(f"{API}/polls/{poll['id']}", json={"status": "open"}, headers=staff)
        assert opened.status_code == 200, opened.get_json()
        poll = opened.get_json()
    return poll


def answer(client, poll_id: int, **body):
    """POST an answer."""
    return client.post(f"{API}/polls/{poll_id}/responses", json=body)


def results(client, poll_id: int, headers=None) -> dict[str, Any]:
    """GET results (must succeed)."""
    response = client.get(f"{API}/polls/{poll_id}/results", headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def received(sock, name: str) -> list[dict[str, Any]]:
    """Drain the socket and return the payloads of events called ``name``."""
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


@pytest.mark.parametrize(
    ("body", "answers", "expected"),
    [
        (
            {"kind": "single", "question": "Do you feel safe?", "options": ["Yes", "No"]},
            [{"option_ids": [0]}, {"option_ids": [0]}, {"option_ids": [1]}],
            lambda r, ids: [o["count"] for o in r["options"]] == [2, 1],
        ),
        (
            {"kind": "multiple", "question": "Which?", "options": ["A", "B", "C"], "max_choices": 2},
            [{"option_ids": [0, 1]}, {"option_ids": [1]}],
            lambda r, ids: [o["count"] for o in r["options"]] == [1, 2, 0],
        ),
        (
            {"kind": "rating", "question": "How safe?", "scale": 10},
            [{"value": 10}, {"value": 7}],
            lambda r, ids: r["mean"] == 8.5 and r["distribution"]["10"] == 1 and len(r["distribution"]) == 10,
        ),
        (
            {"kind": "word_cloud", "question": "One word?"},
            [{"text": "Safe Streets"}, {"text": "safe"}],
            lambda r, ids: r["words"] == [{"text": "safe", "count": 2}, {"text": "streets", "count": 1}],
        ),
        (
            {"kind": "open_text", "question": "Tell us"},
            [{"text": "More patrols"}, {"text": "Better lights"}],
            lambda r, ids: r["answers"] == ["Better lights", "More patrols"],
        ),
        (
            {"kind": "ranking", "question": "Order these", "options": ["Drugs", "Speeding", "Litter"]},
            [{"ranking": [1, 0, 2]}, {"ranking": [1, 2, 0]}],
            lambda r, ids: (
                [(o["id"], o["mean_rank"]) for o in r["options"]] == [(ids[1], 1.0), (ids[0], 2.5), (ids[2], 2.5)]
            ),
        ),
    ],
    ids=["single", "multiple", "rating", "word_cloud", "open_text", "ranking"],
)
def test_each_kind_end_to_end_through_api_and_socket(app, factory, staff, body, answers, expected):
    """A poll opens on every phone at once, takes answers, and the projector gets the batched results."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    projector = socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"})
    phones = [phone(app, meeting) for _ in answers]
    attendee = socketio.test_client(
        app, auth={"meeting": meeting.code, "role": "attendee"}, flask_test_client=phones[0]
    )
    attendee.get_received()
    projector.get_received()
    poll = make_poll(admin, staff, meeting, **body)
    opened = received(attendee, "poll:opened")
    assert [p["poll"]["id"] for p in opened] == [poll["id"]] and opened[0]["poll"]["status"] == "open"
    ids = [option["id"] for option in poll["options"]]
    for client, given in zip(phones, answers, strict=True):
        given = {
            name: [ids[i] for i in value] if name in ("option_ids", "ranking") else value
            for name, value in given.items()
        }
        response = answer(client, poll["id"], **given)
        assert response.status_code == 201, response.get_json()
    assert received(projector, "poll:results") == []  # never one event per answer
    assert flush_poll_results(app) == 1
    sent = received(projector, "poll:results")
    assert len(sent) == 1 and sent[0]["poll_id"] == poll["id"]
    assert sent[0]["results"]["total"] == len(answers) and expected(sent[0]["results"], ids)
    assert received(attendee, "poll:results") == []  # hidden from attendees until revealed
    assert results(admin, poll["id"], staff) == sent[0]["results"]
    closed = admin.patch(f"{API}/polls/{poll['id']}", json={"status": "closed"}, headers=staff)
    assert closed.get_json()["status"] == "closed"
    assert [p["poll"]["status"] for p in received(attendee, "poll:closed")] == ["closed"]


def test_hidden_results_are_refused_to_attendees_until_revealed(app, factory, staff):
    """403 while hidden; after the reveal the results come over HTTP and reach attendees' sockets."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    poll = make_poll(admin, staff, meeting, kind="single", question="Safe?", options=["Yes", "No"])
    client = phone(app, meeting)
    assert answer(client, poll["id"], option_ids=[poll["options"][0]["id"]]).status_code == 201
    refused = client.get(f"{API}/polls/{poll['id']}/results")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "results_hidden"
    sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": "attendee"}, flask_test_client=client)
    snapshot = received(sock, "meeting:snapshot")[-1]
    assert [p["id"] for p in snapshot["polls"]] == [poll["id"]] and "results" not in snapshot["polls"][0]
    flush_poll_results(app)
    assert received(sock, "poll:results") == []
    admin.patch(f"{API}/polls/{poll['id']}", json={"results_visible": True}, headers=staff)
    flush_poll_results(app)
    assert [r["results"]["total"] for r in received(sock, "poll:results")] == [1]
    assert results(client, poll["id"])["options"][0]["count"] == 1
    snapshot = received(
        socketio.test_client(app, auth={"meeting": meeting.code, "role": "attendee"}, flask_test_client=client),
        "meeting:snapshot",
    )[-1]
    assert snapshot["polls"][0]["results"]["total"] == 1


def test_answering_again_replaces_the_answer(app, factory, staff, db):
    """One row per participant: a second answer replaces the first while the poll is open."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="single", question="Safe?", options=["Yes", "No"])
    client = phone(app, meeting)
    yes, no = (option["id"] for option in poll["options"])
    assert answer(client, poll["id"], option_ids=[yes]).status_code == 201
    again = answer(client, poll["id"], option_ids=[no])
    assert again.status_code == 201 and again.get_json() == {"poll_id": poll["id"], "answer": [no]}
    counted = results(app.test_client(), poll["id"], staff)
    assert counted["total"] == 1 and [o["count"] for o in counted["options"]] == [0, 1]
    assert db.scalar(select(func.count(PollResponse.id))) == 1


def test_bad_answers_are_refused_and_nothing_is_stored(app, factory, staff, db):
    """Draft and closed polls 409; wrong options, choices, ratings, rankings and texts 400; nothing stored."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    single = make_poll(admin, staff, meeting, kind="single", question="Q", options=["A", "B"])
    other = make_poll(admin, staff, meeting, kind="single", question="Q2", options=["C", "D"])
    multiple = make_poll(admin, staff, meeting, kind="multiple", question="M", options=["A", "B", "C"], max_choices=2)
    rating = make_poll(admin, staff, meeting, kind="rating", question="R")
    ranking = make_poll(admin, staff, meeting, kind="ranking", question="K", options=["A", "B", "C"])
    cloud = make_poll(admin, staff, meeting, kind="word_cloud", question="W")
    text = make_poll(admin, staff, meeting, kind="open_text", question="T")
    draft = make_poll(admin, staff, meeting, open_it=False, kind="rating", question="D")
    client = phone(app, meeting)
    m = [o["id"] for o in multiple["options"]]
    k = [o["id"] for o in ranking["options"]]
    cases = [
        (single, {"option_ids": [other["options"][0]["id"]]}, 400, "unknown_option"),
        (single, {"option_ids": [o["id"] for o in single["options"]]}, 400, "too_many_choices"),
        (single, {"value": 3}, 400, "wrong_answer_field"),
        (multiple, {"option_ids": m}, 400, "too_many_choices"),
        (multiple, {"option_ids": [m[0], m[0]]}, 400, "duplicate_option"),
        (rating, {"value": 6}, 400, "out_of_range"),
        (rating, {"value": 0}, 400, "out_of_range"),
        (ranking, {"ranking": k[:2]}, 400, "not_a_permutation"),
        (ranking, {"ranking": [k[0], k[0], k[1]]}, 400, "duplicate_option"),
        (cloud, {"text": "one two three four"}, 400, "too_many_words"),
        (cloud, {"text": "x" * 26}, 400, "too_long"),
        (text, {"text": "x" * 281}, 400, "too_long"),
        (draft, {"value": 3}, 409, "poll_not_open"),
    ]
    for poll, body, status, code in cases:
        response = answer(client, poll["id"], **body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), (poll["kind"], body)
    admin.patch(f"{API}/polls/{single['id']}", json={"status": "closed"}, headers=staff)
    closed = answer(client, single["id"], option_ids=[single["options"][0]["id"]])
    assert (closed.status_code, closed.get_json()["error"]["code"]) == (409, "poll_closed")
    assert db.scalar(select(func.count(PollResponse.id))) == 0
    db.rollback()  # the test's own transaction would hold SQLite's write lock
    stranger = app.test_client()
    assert answer(stranger, rating["id"], value=3).status_code == 401
    assert stranger.get(f"{API}/polls/999999/results").status_code == 404


def test_edits_until_the_first_answer_then_frozen(app, factory, staff):
    """The question and options change until someone answers; then 409 poll_answered."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    poll = make_poll(admin, staff, meeting, kind="single", question="Safe?", options=["Yes", "No"])
    edited = admin.patch(
        f"{API}/polls/{poll['id']}",
        json={"question": "Do you feel safe?", "options": ["Yes", "No", "Unsure"]},
        headers=staff,
    )
    assert edited.status_code == 200 and [o["label"] for o in edited.get_json()["options"]] == ["Yes", "No", "Unsure"]
    client = phone(app, meeting)
    assert answer(client, poll["id"], option_ids=[edited.get_json()["options"][2]["id"]]).status_code == 201
    frozen = admin.patch(f"{API}/polls/{poll['id']}", json={"question": "Other"}, headers=staff)
    assert (frozen.status_code, frozen.get_json()["error"]["code"]) == (409, "poll_answered")


def test_only_staff_create_and_change_polls(app, factory, staff):
    """A participant cannot create or open a poll; bad specs are 400."""
    meeting = factory.meeting(status="live")
    client = phone(app, meeting)
    refused = client.post(f"{API}/meetings/{meeting.code}/polls", json={"kind": "rating", "question": "Q"})
    assert refused.status_code in (401, 403)
    admin = app.test_client()
    for body, code in [
        ({"kind": "single", "question": "Q", "options": ["Only one"]}, "too_few_options"),
        ({"kind": "rating", "question": "Q", "options": ["A", "B"]}, "no_options"),
        ({"kind": "rating", "question": "Q", "scale": 7}, "out_of_range"),
        ({"kind": "single", "question": "Q", "options": ["A", "a"]}, "duplicate_option"),
    ]:
        response = admin.post(f"{API}/meetings/{meeting.code}/polls", json=body, headers=staff)
        assert (response.status_code, response.get_json()["error"]["code"]) == (400, code), body


def test_participants_list_open_polls_and_staff_all(app, factory, staff):
    """GET /meetings/{code}/polls: open ones for a participant, every one for staff."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    shown = make_poll(admin, staff, meeting, kind="rating", question="Open")
    make_poll(admin, staff, meeting, open_it=False, kind="rating", question="Draft")
    client = phone(app, meeting)
    assert [p["id"] for p in client.get(f"{API}/meetings/{meeting.code}/polls").get_json()["polls"]] == [shown["id"]]
    assert len(admin.get(f"{API}/meetings/{meeting.code}/polls", headers=staff).get_json()["polls"]) == 2


def test_projector_shows_a_poll_of_this_meeting_only(app, factory, staff):
    """Projector mode poll with this meeting's poll works; another meeting's poll is 404 poll_not_found."""
    meeting = factory.meeting(status="live")
    elsewhere = factory.meeting(status="live", title="Other")
    admin = app.test_client()
    poll = make_poll(admin, staff, meeting, kind="rating", question="Q")
    foreign = make_poll(admin, staff, elsewhere, kind="rating", question="Q")
    screen = socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"})
    screen.get_received()
    shown = admin.patch(
        f"{API}/meetings/{meeting.code}/projector", json={"mode": "poll", "poll_id": poll["id"]}, headers=staff
    )
    assert shown.status_code == 200 and shown.get_json()["poll_id"] == poll["id"]
    assert [e["poll_id"] for e in received(screen, "projector:updated")] == [poll["id"]]
    wrong = admin.patch(
        f"{API}/meetings/{meeting.code}/projector", json={"mode": "poll", "poll_id": foreign["id"]}, headers=staff
    )
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (404, "poll_not_found")
    snapshot = received(
        socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"}), "meeting:snapshot"
    )
    assert snapshot[-1]["projector"]["poll_id"] == poll["id"]
    assert [p["id"] for p in snapshot[-1]["polls"]] == [poll["id"]] and snapshot[-1]["polls"][0]["results"][
        "total"
    ] == 0


def test_a_thousand_answers_make_one_results_event_per_tick(app, factory, staff):
    """Answers only mark the poll; each flush sends one absolute poll:results, and nothing when idle."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="rating", question="Q")
    screen = socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"})
    screen.get_received()
    for value in (1, 2, 3, 4, 5):
        assert answer(phone(app, meeting), poll["id"], value=value).status_code == 201
    assert flush_poll_results(app) == 1
    assert flush_poll_results(app) == 0
    sent = received(screen, "poll:results")
    assert len(sent) == 1 and sent[0]["results"]["mean"] == 3.0 and sent[0]["results"]["total"] == 5


def test_login_cookie_staff_can_run_polls(app, factory):
    """A facilitator logged in with the cookie creates and opens polls too (CSRF via same-origin)."""
    meeting = factory.meeting(status="live")
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    login(client, factory.user(Role.facilitator).email)
    poll = make_poll(client, {}, meeting, kind="rating", question="Q")
    assert poll["status"] == "open"


def test_attendee_answers_without_javascript(app, factory, staff, db):
    """The open poll is a plain form on the attendee page; a bad answer shows an error summary, a good one is stored."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="ranking", question="Order these", options=["A", "B", "C"])
    browser = app.test_client()
    page = browser.get(f"/j/{meeting.code}")
    html = page.get_data(as_text=True)
    assert f'id="poll-{poll["id"]}"' in html and "Order these" in html
    csrf = csrf_from(html)
    a, b, c = (option["id"] for option in poll["options"])
    url = f"/j/{meeting.code}/polls/{poll['id']}"
    clash = browser.post(url, data={"csrf_token": csrf, f"rank-{a}": "1", f"rank-{b}": "1", f"rank-{c}": "3"})
    assert clash.status_code == 400 and "There is a problem" in clash.get_data(as_text=True)
    assert db.scalar(select(func.count(PollResponse.id))) == 0
    db.rollback()
    sent = browser.post(url, data={"csrf_token": csrf, f"rank-{a}": "3", f"rank-{b}": "1", f"rank-{c}": "2"})
    assert sent.status_code == 302
    assert [o["id"] for o in results(app.test_client(), poll["id"], staff)["options"]] == [b, c, a]
    no_csrf = browser.post(url, data={f"rank-{a}": "1", f"rank-{b}": "2", f"rank-{c}": "3"})
    assert no_csrf.status_code in (400, 403)


def test_attendee_form_for_every_kind_renders(app, factory, staff):
    """Each kind's plain form has a labelled control for its answer."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    make_poll(admin, staff, meeting, kind="single", question="S?", options=["Yes", "No"])
    make_poll(admin, staff, meeting, kind="multiple", question="M?", options=["A", "B"], max_choices=1)
    make_poll(admin, staff, meeting, kind="rating", question="R?", scale=10)
    make_poll(admin, staff, meeting, kind="word_cloud", question="W?")
    make_poll(admin, staff, meeting, kind="open_text", question="T?")
    html = app.test_client().get(f"/j/{meeting.code}").get_data(as_text=True)
    assert html.count('class="poll-form"') == 5
    assert 'type="radio"' in html and 'type="checkbox"' in html and "10 (highest)" in html and "<textarea" in html


def test_projector_page_shows_the_poll_results_as_a_table(app, factory, staff):
    """In poll mode the projector page carries the question, the count and a results table (no JavaScript needed)."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    poll = make_poll(admin, staff, meeting, kind="single", question="Do you feel safe?", options=["Yes", "No"])
    assert answer(phone(app, meeting), poll["id"], option_ids=[poll["options"][0]["id"]]).status_code == 201
    admin.patch(f"{API}/meetings/{meeting.code}/projector", json={"mode": "poll", "poll_id": poll["id"]}, headers=staff)
    html = app.test_client().get(f"/present/{meeting.code}").get_data(as_text=True)
    assert "Do you feel safe?" in html and "1 answer" in html and '<table class="table poll-table">' in html
    assert (
        'id="poll-canvas" role="img" aria-labelledby="poll-question poll-count" aria-describedby="poll-table"' in html
    )


def console_client(app, factory) -> Any:
    """A facilitator logged in with the cookie (same-site Origin)."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    login(client, factory.user(Role.facilitator).email)
    return client


def test_console_panel_prepares_opens_projects_reveals_and_closes(app, factory):
    """Every step of a poll works from the console's plain forms, and the panel shows it."""
    meeting = factory.meeting(status="live")
    client = console_client(app, factory)
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert 'id="polls-panel"' in page and "<kbd>4</kbd>" in page
    csrf = csrf_from(page)
    made = client.post(
        f"/moderate/{meeting.code}/polls",
        data={
            "csrf_token": csrf,
            "kind": "single",
            "question": "Feel safe?",
            "options": "Yes\nNo\n",
            "back": "console",
        },
    )
    assert made.status_code == 302 and made.headers["Location"].endswith("#polls-panel")
    listed = client.get(f"{API}/meetings/{meeting.code}/polls").get_json()["polls"]
    assert [(p["question"], [o["label"] for o in p["options"]]) for p in listed] == [("Feel safe?", ["Yes", "No"])]
    poll_id = listed[0]["id"]
    for step in ("open", "project", "reveal", "close"):
        done = client.post(f"/moderate/{meeting.code}/polls/{poll_id}", data={"csrf_token": csrf, "action": step})
        assert done.status_code == 302, step
    poll = client.get(f"{API}/meetings/{meeting.code}/polls").get_json()["polls"][0]
    assert poll["status"] == "closed" and poll["results_visible"] is True
    assert client.get(f"{API}/meetings/{meeting.code}").status_code == 200
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "on the projector" in page


def test_staff_page_prepares_polls_and_copies_them_from_an_earlier_meeting(app, factory, staff):
    """Polls are prepared before the meeting on its staff page, and copied from another meeting of the series."""
    earlier = factory.meeting(status="live", title="Winter")
    make_poll(app.test_client(), staff, earlier, kind="ranking", question="Order", options=["A", "B"])
    later = factory.meeting(earlier.series, title="Spring")
    client = console_client(app, factory)
    page = client.get(f"/staff/meetings/{later.code}").get_data(as_text=True)
    assert "Prepare a poll" in page and "Copy polls from an earlier meeting" in page
    copied = client.post(
        f"/moderate/{later.code}/polls/copy",
        data={"csrf_token": csrf_from(page), "source": earlier.code, "back": "staff"},
    )
    assert copied.status_code == 302 and f"/staff/meetings/{later.code}" in copied.headers["Location"]
    polls = client.get(f"{API}/meetings/{later.code}/polls").get_json()["polls"]
    assert [(p["question"], p["status"], len(p["options"])) for p in polls] == [("Order", "draft", 2)]


def test_blocked_words_are_held_back_and_the_admin_extends_the_list(app, factory, staff, tmp_path):
    """A word-cloud answer with a listed word counts but never reaches the results; the admin's file adds words."""
    from ysdw_live.polls.profanity import load_blocked_words

    (tmp_path / "blocked_words.txt").write_text("# local words\nsnitch\n", encoding="utf-8")
    app.config["POLL_BLOCKED_WORDS"] = load_blocked_words(tmp_path, "grass, plod")
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="word_cloud", question="One word?")
    for text in ("Safety", "SHIT", "snitch", "plod", "patrols"):
        assert answer(phone(app, meeting), poll["id"], text=text).status_code == 201
    shown = results(app.test_client(), poll["id"], staff)
    assert shown["total"] == 5 and [w["text"] for w in shown["words"]] == ["patrols", "safety"]


def test_facilitator_holds_back_and_shows_single_answers(app, factory, staff):
    """From the console a free-text answer is held back from the projector, and shown again."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="open_text", question="Tell us")
    assert answer(phone(app, meeting), poll["id"], text="Name and shame my neighbour").status_code == 201
    client = console_client(app, factory)
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    url = re.search(rf"/moderate/{meeting.code}/polls/{poll['id']}/answers/\d+", page).group(0)
    assert client.post(url, data={"csrf_token": csrf_from(page), "hidden": "1"}).status_code == 302
    assert results(app.test_client(), poll["id"], staff)["answers"] == []
    assert "Held back" in client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_from(page), "hidden": "0"}).status_code == 302
    assert results(app.test_client(), poll["id"], staff)["answers"] == ["Name and shame my neighbour"]


def test_an_answer_costs_one_read_and_one_write(app, factory, staff):
    """The answer path finds the poll, its options and the participant in one query, then writes once."""
    from sqlalchemy import event

    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="single", question="Q", options=["A", "B"])
    client = phone(app, meeting)
    assert answer(client, poll["id"], option_ids=[poll["options"][0]["id"]]).status_code == 201  # marks it answered
    statements: list[str] = []
    engine = app.extensions["ysdw_engine"]

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert answer(client, poll["id"], option_ids=[poll["options"][1]["id"]]).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [s.lstrip().split()[0].upper() for s in statements] == ["SELECT", "INSERT"], statements


@pytest.mark.redis
def test_poll_results_batch_through_redis_once_per_interval_across_processes(app, factory, staff):
    """Two processes' poll batchers share marks and slots in Redis: one sends, the other keeps the marks."""
    import os
    import uuid

    import redis

    from ysdw_live.realtime.batching import PollBatcher, RedisDirtyStore, VoteBatcher

    url = os.environ.get("YSDW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url}: {error}")
        pytest.skip(f"Redis is not reachable at {url}: {error}")
    assert PollBatcher.redis_prefix != VoteBatcher.redis_prefix  # poll marks never mix with vote marks
    prefix = f"ysdw:test:{uuid.uuid4().hex}"
    here, there = PollBatcher(app, RedisDirtyStore(url, prefix)), PollBatcher(app, RedisDirtyStore(url, prefix))
    here.interval = there.interval = 60.0  # a slot lasts a minute: no machine is slow enough to see it lapse
    app.extensions["ysdw_poll_batcher"] = here
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="rating", question="Q")
    screen = socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"})
    screen.get_received()
    assert answer(phone(app, meeting), poll["id"], value=4).status_code == 201
    assert there.flush() == 1  # either process may send
    there.mark(meeting.id, {poll["id"]})
    assert here.flush() == 0  # the slot of this interval is taken: the marks wait
    sent = received(screen, "poll:results")
    assert [(r["poll_id"], r["results"]["total"], r["seq"]) for r in sent] == [(poll["id"], 1, 1)]


def test_editing_an_open_poll_tells_the_phones(app, factory, staff):
    """An open poll edited before its first answer is announced again with its new options."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    poll = make_poll(admin, staff, meeting, kind="single", question="Safe?", options=["Yes", "No"])
    sock = socketio.test_client(
        app, auth={"meeting": meeting.code, "role": "attendee"}, flask_test_client=phone(app, meeting)
    )
    sock.get_received()
    admin.patch(f"{API}/polls/{poll['id']}", json={"options": ["Yes", "No", "Not sure"]}, headers=staff)
    announced = received(sock, "poll:opened")
    assert [[o["label"] for o in a["poll"]["options"]] for a in announced] == [["Yes", "No", "Not sure"]]


def test_connections_share_the_results_read_for_one_poll_batch(app, factory, staff, monkeypatch):
    """Phones connecting between two batches read a visible poll's answers once; a new batch reads them again."""
    from ysdw_live.polls import services as poll_services

    meeting = factory.meeting(status="live")
    admin = app.test_client()
    poll = make_poll(
        admin, staff, meeting, kind="single", question="Safe?", options=["Yes", "No"], results_visible=True
    )
    first = phone(app, meeting)
    assert answer(first, poll["id"], option_ids=[poll["options"][0]["id"]]).status_code == 201
    flush_poll_results(app)
    reads: list[list[int]] = []
    real = poll_services.answers_of
    monkeypatch.setattr(poll_services, "answers_of", lambda db, ids: reads.append(ids) or real(db, ids))

    def snapshot_total(client) -> int:
        sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": "attendee"}, flask_test_client=client)
        return received(sock, "meeting:snapshot")[-1]["polls"][0]["results"]["total"]

    assert [snapshot_total(phone(app, meeting)) for _ in range(3)] == [1, 1, 1]
    assert len(reads) == 1
    later = phone(app, meeting)
    assert answer(later, poll["id"], option_ids=[poll["options"][1]["id"]]).status_code == 201
    flush_poll_results(app)  # a new batch number: the next connection reads the answers again
    assert snapshot_total(phone(app, meeting)) == 2
    assert len(reads) == 2


def test_closing_the_meeting_closes_its_open_polls_and_says_so(app, factory, staff):
    """Open polls close with the meeting (poll:closed to everyone); drafts stay drafts; answers are then 409."""
    meeting = factory.meeting(status="live")
    admin = app.test_client()
    opened = make_poll(admin, staff, meeting, kind="rating", question="How safe do you feel?")
    draft = make_poll(admin, staff, meeting, open_it=False, kind="open_text", question="Later")
    attendee = phone(app, meeting)
    screen = socketio.test_client(app, auth={"meeting": meeting.code, "role": "projector"})
    screen.get_received()

    closed = admin.patch(f"{API}/meetings/{meeting.code}", json={"status": "closed"}, headers=staff)
    assert closed.status_code == 200
    events = screen.get_received()
    names = [e["name"] for e in events]
    assert names.index("meeting:updated") < names.index("poll:closed")
    shut = [e["args"][0] for e in events if e["name"] == "poll:closed"]
    assert [(e["poll"]["id"], e["poll"]["status"]) for e in shut] == [(opened["id"], "closed")]
    assert shut[0]["version"] == closed.get_json()["version"]
    listed = admin.get(f"{API}/meetings/{meeting.code}/polls", headers=staff).get_json()["polls"]
    polls = {p["id"]: p["status"] for p in listed}
    assert polls == {opened["id"]: "closed", draft["id"]: "draft"}
    refused = answer(attendee, opened["id"], value=4)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] in {"poll_closed", "meeting_closed"}

    # Reopening the meeting does not reopen the poll behind the facilitator's back.
    assert admin.patch(f"{API}/meetings/{meeting.code}", json={"status": "live"}, headers=staff).status_code == 200
    again = admin.get(f"{API}/meetings/{meeting.code}/polls", headers=staff).get_json()["polls"]
    assert {p["id"]: p["status"] for p in again}[opened["id"]] == "closed"


def test_a_poll_that_approves_answers_first_shows_none_until_the_facilitator_approves(app, factory, staff):
    """Each new (or changed) answer waits; the console approves or holds back one by one; results follow."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="open_text", question="Tell us", approve_answers=True)
    assert poll["approve_answers"] is True
    attendee = phone(app, meeting)
    for text, device in (("More patrols on Elm Street", attendee), ("Name my neighbour", phone(app, meeting))):
        assert answer(device, poll["id"], text=text).status_code == 201
    waiting = results(app.test_client(), poll["id"], staff)
    assert waiting["total"] == 2 and waiting["answers"] == []

    client = console_client(app, factory)
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "2 answers waiting for approval" in page
    rows = dict(
        (text, int(answer_id))
        for answer_id, text in re.findall(r'data-answer-id="(\d+)">\s*<span class="user-text"><bdi>([^<]+)', page)
    )
    base = f"/moderate/{meeting.code}/polls/{poll['id']}/answers"
    token = csrf_from(page)
    assert client.post(f"{base}/{rows['More patrols on Elm Street']}", data={"csrf_token": token, "hidden": "0"})
    assert client.post(f"{base}/{rows['Name my neighbour']}", data={"csrf_token": token, "hidden": "1"})
    assert results(app.test_client(), poll["id"], staff)["answers"] == ["More patrols on Elm Street"]
    after = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "waiting for approval" not in after and "Held back" in after

    # A changed answer waits again; switching approval off shows what waits, not what was held back.
    assert answer(attendee, poll["id"], text="Patrols after dark").status_code == 201
    assert results(app.test_client(), poll["id"], staff)["answers"] == []
    off = app.test_client().patch(f"{API}/polls/{poll['id']}", json={"approve_answers": False}, headers=staff)
    assert off.status_code == 200 and off.get_json()["approve_answers"] is False
    assert results(app.test_client(), poll["id"], staff)["answers"] == ["Patrols after dark"]


def test_only_free_text_polls_can_approve_answers_first(app, factory, staff):
    """approve_answers on a choice poll is a 400 naming the field; nothing is stored."""
    meeting = factory.meeting(status="live")
    refused = app.test_client().post(
        f"{API}/meetings/{meeting.code}/polls",
        json={"kind": "single", "question": "Q", "options": ["A", "B"], "approve_answers": True},
        headers=staff,
    )
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "not_free_text" and "approve_answers" in error["fields"]
    assert app.test_client().get(f"{API}/meetings/{meeting.code}/polls", headers=staff).get_json()["polls"] == []


def test_a_blocked_word_is_held_back_rather_than_waiting(app, factory, staff):
    """With approval on, an answer with a blocked word goes straight to held back (nothing to approve)."""
    meeting = factory.meeting(status="live")
    poll = make_poll(app.test_client(), staff, meeting, kind="word_cloud", question="One word?", approve_answers=True)
    assert answer(phone(app, meeting), poll["id"], text="shit").status_code == 201
    page = console_client(app, factory).get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "waiting for approval" not in page and "Held back" in page


def test_a_refused_poll_comes_back_to_the_console_with_an_error_summary_and_what_was_typed(app, factory):
    """No JavaScript: the panel's form posts, is refused, and the console shows the summary linking to the field."""
    meeting = factory.meeting(status="live")
    client = console_client(app, factory)
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    posted = client.post(
        f"/moderate/{meeting.code}/polls",
        data={"csrf_token": csrf_from(page), "kind": "single", "question": "Which first?", "options": "Only one"},
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith("#poll-new")
    shown = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "There is a problem" in shown and 'href="#poll-options"' in shown
    assert 'id="poll-options" name="options" rows="4" aria-invalid="true"' in shown
    assert 'value="Which first?"' in shown and ">Only one</textarea>" in shown
    assert '<option value="single" selected>' in shown
    # Shown once: the next visit is clean.
    assert "There is a problem" not in client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
