"""Schemathesis against /api/openapi.json, in-process over WSGI: no 500, no status or body the document lacks.

Schemathesis reads the served document and generates requests for every operation from it (valid
bodies, parameters at and past their bounds), sending them as an admin with a bearer token. Its
examples are bounded (``MAX_EXAMPLES`` per operation, derandomized, no example database), so the
run takes seconds and finds the same things on every machine. It uses an app of its own on a
SQLite file, not the test database, so it runs in the SQLite pass only; the hand-written property
tests in ``test_properties.py`` run on PostgreSQL too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from sqlalchemy import create_engine

from tests.actions_support import add_concern
from tests.conftest import PASSWORD, Factory, make_test_app
from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.api.openapi import OPERATIONS
from ysdw_live.auth import services as auth_services
from ysdw_live.auth.models import Role
from ysdw_live.clock import Clock
from ysdw_live.db import Base, session_scope
from ysdw_live.polls import services as polls
from ysdw_live.surveys import services as surveys

MAX_EXAMPLES = 20
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app on its own SQLite file with an admin, rate limits off (so generated requests reach the code)."""
    import ysdw_live.models  # noqa: F401  (every model, for create_all)

    folder: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_test_app(folder / "instance", url, RATELIMIT_ENABLED=False, VOTE_FLUSH_BACKGROUND=False)
    with app.app_context(), session_scope(app) as db:
        admin = auth_services.create_user(db, None, "fuzz@example.org", Role.admin, PASSWORD)
        app.config["FUZZ_TOKEN"] = auth_services.issue_token(db, admin, "schemathesis")
        world = Factory(db)
        meeting = world.meeting(status="live", moderation=False)
        concern = add_concern(db, meeting, "Street lights are out")
        action = actions.create_action(db, Actor(user=admin), meeting.series_id, {"you_said": "Lights"})
        poll = polls.create_poll(db, Actor(user=admin), meeting, kind="single", question="Safe?", options=["Yes", "No"])
        polls.change_poll(db, Actor(user=admin), poll.id, {"status": "open"})
        survey = surveys.create_survey(
            db, Actor(user=admin), meeting, {"template": "trust_confidence"}, clock=Clock.named("UTC")
        )
        # Path values that name real things, so generated bodies get past the 404 to the checks behind it.
        app.config["FUZZ_PATH"] = {
            "code": meeting.code,
            "series_id": meeting.series_id,
            "concern_id": concern.id,
            "action_id": action.id,
            "poll_id": poll.id,
            "survey_id": survey.id,
        }
    yield app
    app.extensions["ysdw_engine"].dispose()


def operations(app: Any) -> list[Any]:
    """Return every operation of the document the app serves, as schemathesis reads it."""
    document = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in document.get_all_operations()]


def test_every_operation_keeps_to_the_document(fuzzed_app: Any) -> None:
    """Each generated request, for every operation, gets a documented status and body, and never a 500."""
    headers = {"Authorization": f"Bearer {fuzzed_app.config['FUZZ_TOKEN']}"}
    found = operations(fuzzed_app)
    assert len(found) == len(OPERATIONS)  # every operation endpoint() declared

    for operation in found:
        if operation.label == "DELETE /auth/token":
            continue  # it would revoke the token every other request uses (test_auth covers it)
        real = {name: fuzzed_app.config["FUZZ_PATH"][name] for name in re.findall(r"{(\w+)}", operation.path)}
        strategy = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=real),
            # Bodies and queries that break the document's rules on purpose: each must be a 4xx.
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real),
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def keeps_to_the_document(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        keeps_to_the_document()
