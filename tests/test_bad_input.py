"""Bad input is a 4xx with a named field, never a 500: deep JSON, lone surrogates, ids past the database's range."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD, bearer, csrf_from, login, token_for
from ysdw_live import validation
from ysdw_live.auth.models import Role
from ysdw_live.realtime import socketio

API = "/api/v1"
# Past what any INTEGER column holds: PostgreSQL's int4, SQLite's and Python's int64 bind.
TOO_BIG = [str(2**31), str(2**63), str(2**64), "9" * 5000]
# Digits that Python's int() reads (or str.isdigit() claims) but a person never types as a number.
NOT_ASCII_DIGITS = ["²", "٣", "２", "1_000", "+7"]


def deep_json(depth: int) -> str:
    """Return an array nested ``depth`` deep, inside an object field."""
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.fixture
def admin(factory):
    """An admin who has chosen their own password."""
    return factory.user(Role.admin)


@pytest.mark.parametrize("depth", [100_000, 2_000, 200])
def test_deeply_nested_json_is_400_not_a_recursion_error(anon_client, depth):
    """A JSON body nested past any sane depth is 400 malformed_json, before login (the issue's probe)."""
    response = anon_client.post(f"{API}/auth/token", data=deep_json(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_deeply_nested_json_is_400_on_a_staff_endpoint(client, factory, admin):
    """The same holds for every endpoint with a body: the check lives in the shared body parsing."""
    meeting = factory.meeting()
    headers = bearer(token_for(client, admin.email))
    body = '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.patch(
        f"{API}/meetings/{meeting.code}", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_json_at_a_reasonable_depth_still_reaches_the_field_checks(anon_client):
    """Nesting a little is not malformed: the field's own check answers."""
    response = anon_client.post(f"{API}/auth/token", data=deep_json(5), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"email": "Enter your e-mail address and password."}


def test_the_apps_json_reader_refuses_deep_nesting_everywhere(app):
    """Whatever reads JSON through the app (request.get_json, socket packets) gets ValueError, not RecursionError."""
    with pytest.raises(ValueError):
        app.json.loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError):
        validation.json_loads("[" * 100 + "]" * 100)
    assert validation.json_loads('{"a": [[1]]}') == {"a": [[1]]}
    # Socket.IO reads its packets with the same limit.
    from socketio.packet import Packet

    assert Packet.json is validation.DepthLimitedJSON


@pytest.mark.parametrize("field", ["email", "password"])
def test_lone_surrogate_in_credentials_is_a_field_error(anon_client, admin, field):
    """A lone UTF-16 surrogate in the e-mail or password is 400 on that field, not UnicodeEncodeError in argon2."""
    body = {"email": admin.email, "password": PASSWORD}
    raw = json.dumps(body).replace(json.dumps(body[field]), json.dumps(body[field])[:-1] + '\\ud800"')
    response = anon_client.post(f"{API}/auth/token", data=raw, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_character"
    assert set(error["fields"]) == {field}


def test_lone_surrogate_in_any_text_field_is_a_field_error(client, factory, admin):
    """A token label, a concern's text or a meeting title with a lone surrogate: 400 on that field."""
    headers = bearer(token_for(client, admin.email))
    raw = json.dumps({"email": admin.email, "password": PASSWORD, "label": "x"})[:-2] + '\\udfff"}'
    response = client.post(f"{API}/auth/token", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"label"}
    meeting = factory.meeting(status="live")
    raw = '{"text": "lights \\ud83d out", "source": "facilitator"}'
    response = client.post(
        f"{API}/meetings/{meeting.code}/concerns", data=raw, content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"text"}
    # A surrogate pair is one real character (an emoji) and is kept.
    raw = '{"text": "lights \\ud83d\\udca1 out", "source": "facilitator"}'
    response = client.post(
        f"{API}/meetings/{meeting.code}/concerns", data=raw, content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["text"] == "lights 💡 out"


def test_lone_surrogate_in_a_field_name_is_400(anon_client):
    """Even a field's name may not carry one (the answer names no field it cannot print)."""
    raw = '{"em\\ud800ail": "a@example.org", "password": "x"}'
    response = anon_client.post(f"{API}/auth/token", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_character"


@pytest.mark.parametrize("token", ["\ud800abc", "é" * 20])
@pytest.mark.parametrize("role", ["attendee", "moderator"])
def test_socket_handshake_with_a_lone_surrogate_token_is_refused(app, factory, token, role):
    """A socket token that no server ever minted (not ASCII) refuses the connection instead of raising."""
    meeting = factory.meeting(status="live")
    sock = socketio.test_client(app, auth={"meeting": meeting.code, "role": role, "token": token})
    assert not sock.is_connected()


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64, -(2**63) - 1])
def test_projector_ids_past_the_database_range_are_400(client, factory, admin, value):
    """concern_id and poll_id beyond INTEGER are 400 on the field (PostgreSQL's int4 and SQLite's int64 alike)."""
    meeting = factory.meeting(status="live")
    headers = bearer(token_for(client, admin.email))
    for body, field in (
        ({"mode": "concerns", "concern_id": value}, "concern_id"),
        ({"mode": "poll", "poll_id": value}, "poll_id"),
    ):
        response = client.patch(f"{API}/meetings/{meeting.code}/projector", json=body, headers=headers)
        assert response.status_code == 400, response.get_json()
        assert set(response.get_json()["error"]["fields"]) == {field}


def test_a_poll_id_in_range_is_404_until_polls_exist(client, factory, admin):
    """A poll id the database could hold names no poll yet: 404 poll_not_found, nothing stored."""
    meeting = factory.meeting(status="live")
    headers = bearer(token_for(client, admin.email))
    response = client.patch(
        f"{API}/meetings/{meeting.code}/projector", json={"mode": "poll", "poll_id": 2**31 - 1}, headers=headers
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "poll_not_found"


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64])
def test_action_concern_ids_past_the_database_range_are_400(client, factory, admin, value):
    """concern_ids in the actions API stop at INTEGER too."""
    series = factory.series()
    headers = bearer(token_for(client, admin.email))
    response = client.post(
        f"{API}/series/{series.id}/actions", json={"you_said": "Lights", "concern_ids": [value]}, headers=headers
    )
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"concern_ids"}


@pytest.mark.parametrize("path", ["/concerns/{n}/vote", "/concerns/{n}", "/series/{n}/actions", "/actions/{n}"])
@pytest.mark.parametrize("n", [2**31, 2**63, 10**30])
def test_path_ids_past_the_database_range_are_404(client, admin, path, n):
    """An id in the path that no INTEGER holds is 404 (the int converter), on every method."""
    headers = bearer(token_for(client, admin.email))
    assert client.get(API + path.format(n=n), headers=headers).status_code in (404, 405)
    assert client.patch(API + path.format(n=n), json={}, headers=headers).status_code in (404, 405)


@pytest.mark.parametrize("value", [*TOO_BIG, *NOT_ASCII_DIGITS])
def test_integer_parser_refuses_what_no_column_holds(value):
    """validation.integer takes ASCII digits within INTEGER only; anything else is refused, naming the field."""
    with pytest.raises(validation.ValidationError) as caught:
        validation.integer(value, "concern_id", minimum=1, label="Concern")
    assert set(caught.value.fields) == {"concern_id"}


def test_integer_parser_reads_plain_numbers():
    """Digits with surrounding space and JSON numbers still parse."""
    assert validation.integer(" 42 ", "n") == 42
    assert validation.integer(2**31 - 1, "n") == 2**31 - 1
    assert validation.integer("-5", "n", minimum=-10) == -5


@pytest.fixture
def console(client, factory, admin):
    """A logged-in admin's client, a live meeting and the form CSRF token."""
    meeting = factory.meeting(status="live", moderation=False)
    login(client, admin.email)
    token = csrf_from(client.get(f"/moderate/{meeting.code}").get_data(as_text=True))
    return client, meeting, token


@pytest.mark.parametrize("value", [*TOO_BIG, *NOT_ASCII_DIGITS])
def test_form_ids_past_the_database_range_are_refused_not_500(console, value):
    """Every form field holding an id or a number answers a refusal (400 page or a flashed error), never a 500."""
    client, meeting, token = console
    series_id = meeting.series_id
    refused = client.post(
        f"/moderate/{meeting.code}/projector", data={"csrf_token": token, "mode": "concerns", "concern_id": value}
    )
    assert refused.status_code == 302
    # The console flashes the reason.
    page = client.get(f"/moderate/{meeting.code}").get_data(as_text=True)
    assert "Concern must be a whole number." in page or "Concern must be 2147483647 or less." in page
    answers = [
        client.post(
            f"/moderate/{meeting.code}/projector",
            data={"csrf_token": token, "mode": "report_back", "action_index": value},
        ),
        client.post(
            f"/staff/series/{series_id}/actions/new", data={"csrf_token": token, "you_said": "x", "concern_ids": value}
        ),
        client.get(
            f"/staff/series/{series_id}/actions/new", query_string={"concern_ids": value, "meeting": meeting.code}
        ),
        client.get(f"/staff/series/{series_id}/actions", query_string={"topic": value}),
        client.post(
            f"/staff/series/{series_id}/actions/new", data={"csrf_token": token, "you_said": "x", "progress": value}
        ),
        client.post(
            f"/moderate/{meeting.code}/concerns", data={"csrf_token": token, "text": "hello", "topic_id": value}
        ),
        client.post(f"/j/{meeting.code}/concerns", data={"csrf_token": token, "text": "hello", "topic_id": value}),
    ]
    for response in answers:
        assert response.status_code in (302, 400), (response.request.path, response.status_code)


def test_an_empty_path_segment_is_a_json_404_not_a_redirect(client, factory):
    """/api/v1/meetings//concerns is the documented 404, not a 308 to a path nobody asked for."""
    response = client.get(f"{API}/meetings//concerns")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
