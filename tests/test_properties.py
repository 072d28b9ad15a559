"""Property-based tests: any body and any path values, on every JSON endpoint, get a documented 4xx or success.

For each operation ``endpoint()`` declared, hypothesis sends bodies built from the operation's own
field names with hostile values (integers past INTEGER and int64, lone surrogates, overrides,
thousands of digits, nesting, wrong types), whole bodies that are not objects or are nested far too
deep, and path values that are real, unknown or past any column's range, as staff, as a
participant and as nobody. The client checks every answer against the served OpenAPI document
(``tests/openapi_check.py``): a 500 is never documented, so it fails the test like any other
undocumented answer. Examples are bounded and derandomized, so a run takes seconds and finds the
same things on every machine; it runs on SQLite and on PostgreSQL (whose INTEGER is int4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ysdw_live.actions.api
import ysdw_live.auth.api
import ysdw_live.concerns.api
import ysdw_live.meetings.api
import ysdw_live.series.api
import ysdw_live.surveys.api  # noqa: F401  (each declares its operations on import)
from tests.actions_support import add_concern
from tests.conftest import Factory, TestDatabase, make_test_app
from tests.openapi_check import ValidatingClient
from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.api.openapi import OPERATIONS, Operation
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.db import session_scope
from ysdw_live.polls import services as polls
from ysdw_live.surveys import services as surveys

MAX_EXAMPLES = 25
RULE_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")

HOSTILE_INTEGERS = st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30])
HOSTILE_TEXT = st.sampled_from(
    ["\ud800", "a\udfffb", "\u202eevil\u200b", "\x00", "", " ", "²", "٣", "9" * 5000, "<script>", "1e999", "-0"]
)
HOSTILE_PATH_TEXT = st.sampled_from(["\ud800", "\u202eevil", "\x00", " ", "²", "9" * 40, "..", "%2F", "a/b"])
# Words the endpoints know (statuses, modes, sorts…), so bodies also get past the first check.
KNOWN_WORDS = st.sampled_from(
    [
        "live",
        "closed",
        "draft",
        "approved",
        "answered",
        "dismissed",
        "archived",
        "pending",
        "join",
        "concerns",
        "poll",
        "report_back",
        "agreed",
        "in_progress",
        "completed",
        "not_taken_forward",
        "facilitator",
        "top",
        "recent",
        "2026-03-14T18:30:00Z",
        "2026-03-14",
    ]
)


def json_values(real_ids: list[int]) -> st.SearchStrategy[Any]:
    """Any JSON value, leaning on what breaks parsers and databases, with some real ids mixed in."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        HOSTILE_INTEGERS,
        st.sampled_from(real_ids),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        HOSTILE_TEXT,
        KNOWN_WORDS,
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
        max_leaves=6,
    )


def fields_of(model: Any) -> list[str]:
    """Return the field names of a pydantic model (none for no model)."""
    return list(model.model_fields) if model is not None else []


def bodies(operation: Operation, real_ids: list[int]) -> st.SearchStrategy[str]:
    """JSON texts for ``operation``: objects of its fields (and strangers), other JSON, and deep nesting."""
    values = json_values(real_ids)
    names = fields_of(operation.body)
    objects = st.fixed_dictionaries({}, optional={name: values for name in names}) if names else st.just({})
    with_strangers = st.tuples(objects, st.dictionaries(st.text(max_size=6), values, max_size=2)).map(
        lambda pair: {**pair[1], **pair[0]}
    )
    deep = st.integers(min_value=20, max_value=20_000).map(
        lambda depth: '{"' + (names[0] if names else "x") + '": ' + "[" * depth + "]" * depth + "}"
    )
    return st.one_of(
        objects.map(json.dumps),
        with_strangers.map(json.dumps),
        values.map(json.dumps),
        deep,
        st.sampled_from(["", "{", "nul", '{"a": 1} x', "\xff\xfe"]),
    )


def path_values(kind: str | None, real: Any) -> st.SearchStrategy[str]:
    """Values for one path parameter: the real one, unknown ones and ones past any column's range."""
    if kind == "int":
        numbers = st.one_of(st.just(real), st.integers(min_value=0, max_value=2**70), HOSTILE_INTEGERS)
        return numbers.map(str)
    return st.one_of(st.just(real), st.just(real.lower()), st.text(max_size=8), HOSTILE_PATH_TEXT)


def paths(operation: Operation, world: dict[str, Any]) -> st.SearchStrategy[str]:
    """Paths for ``operation``: its Flask rule with each parameter drawn from :func:`path_values`."""
    parts = RULE_PARAMETER.split(operation.rule)
    # re.split gives text, converter, name, text, converter, name, …, text.
    pieces: list[st.SearchStrategy[str]] = []
    for index in range(0, len(parts), 3):
        pieces.append(st.just(parts[index]))
        if index + 2 < len(parts):
            kind, name = parts[index + 1], parts[index + 2]
            # A lone surrogate goes out as the bytes it would be in UTF-8, which no decoder accepts.
            pieces.append(
                path_values(kind, world[name]).map(lambda value: quote(value.encode("utf-8", "surrogatepass"), safe=""))
            )
    return st.tuples(*pieces).map(lambda chosen: "/api/v1" + "".join(chosen))


@pytest.fixture
def open_app(tmp_path: Path, test_database: TestDatabase) -> Iterator[Flask]:
    """A fresh app like ``app``, but with rate limits off, so generated requests reach the code behind them."""
    app = make_test_app(
        tmp_path / "instance",
        test_database.fresh_url(tmp_path),
        RATELIMIT_ENABLED=False,
        VOTE_FLUSH_BACKGROUND=False,
    )
    app.test_client_class = ValidatingClient
    engine = app.extensions["ysdw_engine"]
    test_database.empty(engine)
    yield app
    engine.dispose()


@pytest.fixture
def world(open_app: Flask) -> dict[str, Any]:
    """Real things to name in paths, and the headers of a staff member and of a participant."""
    with open_app.app_context(), session_scope(open_app) as db:
        factory = Factory(db)
        admin = factory.user(Role.admin)
        meeting = factory.meeting(status="live", moderation=True)
        concern = add_concern(db, meeting, "Street lights are out")
        action = actions.create_action(
            db, Actor(user=admin), meeting.series_id, {"you_said": "Lights", "concern_ids": [concern.id]}
        )
        poll = polls.create_poll(db, Actor(user=admin), meeting, kind="single", question="Safe?", options=["Yes", "No"])
        polls.change_poll(db, Actor(user=admin), poll.id, {"status": "open"})
        survey = surveys.create_survey(
            db, Actor(user=admin), meeting, {"template": "trust_confidence"}, clock=Clock.named("UTC")
        )
        staff_token = auth_services.issue_token(db, admin, "properties")
        found = {
            "code": meeting.code,
            "series_id": meeting.series_id,
            "concern_id": concern.id,
            "action_id": action.id,
            "poll_id": poll.id,
            "survey_id": survey.id,
            "topic_ids": [topic.id for topic in meeting.series.topics],
        }
    joined = open_app.test_client().post(f"/api/v1/meetings/{found['code']}/participants")
    assert joined.status_code == 201
    found["callers"] = {
        "staff": {"Authorization": f"Bearer {staff_token}"},
        "participant": {"X-Participant-Token": joined.get_json()["token"]},
        "nobody": {},
    }
    return found


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.rule}")
def test_no_input_gives_an_undocumented_answer(open_app: Flask, world: dict[str, Any], operation: Operation) -> None:
    """Whatever the body, path and caller, the answer is one the document lists for the operation (never a 500)."""
    client = open_app.test_client()
    real_ids = [
        world["concern_id"],
        world["action_id"],
        world["poll_id"],
        world["series_id"],
        world["survey_id"],
        *world["topic_ids"],
    ]
    callers = ["participant", "nobody"] if operation.rule == "/auth/token" else ["staff", "participant", "nobody"]
    body = bodies(operation, real_ids) if operation.body is not None else st.none()
    query = (
        st.fixed_dictionaries(
            {},
            optional={
                name: st.one_of(st.text(max_size=8), KNOWN_WORDS, HOSTILE_TEXT.map(str))
                for name in fields_of(operation.query)
            },
        )
        if operation.query is not None
        else st.just({})
    )

    @given(path=paths(operation, world), body=body, query=query, caller=st.sampled_from(callers))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(path: str, body: str | None, query: Any, caller: str) -> None:
        headers = world["callers"][caller]
        query = "&".join(
            f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in query.items()
        )
        if body is None:
            response = client.open(path, method=operation.method, headers=headers, query_string=query)
        else:
            response = client.open(
                path,
                method=operation.method,
                headers=headers,
                query_string=query,
                data=body.encode("utf-8", "surrogatepass"),
                content_type="application/json",
            )
        assert response.status_code < 500, (path, body and body[:200], response.get_data(as_text=True)[:300])

    answers_as_documented()
