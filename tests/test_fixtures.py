"""The test fixtures themselves: every test starts on an empty database, and xdist workers get their own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import worker_database_url
from ysdw_live.auth.models import User
from ysdw_live.series.models import Series


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_starts_empty_with_ids_from_one(factory, db, run):
    """Whatever ran before on this worker left no rows behind, and ids start again at 1 (PostgreSQL too)."""
    assert db.scalar(select(func.count()).select_from(User)) == 0
    series = factory.series()
    assert series.id == 1
    assert db.scalar(select(func.count()).select_from(Series)) == 1
    assert [user.id for user in db.scalars(select(User))] == [1]


def test_each_xdist_worker_has_its_own_postgres_database(monkeypatch):
    """Under xdist, worker gw1 uses <db>_gw1 on the same server; without xdist the database is used as given."""
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:5432/yswd_ci_42"
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert worker_database_url(url) == url
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert worker_database_url(url) == "postgresql+psycopg://postgres:secret@127.0.0.1:5432/yswd_ci_42_gw1"
