"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL, and undo cleanly.

The PostgreSQL cases create their own throw-away database on the server at 127.0.0.1 (or the
server named by YSDW_TEST_DATABASE_URL / YSDW_TEST_POSTGRES_URL). They skip with a reason when
no server answers, except under CI=true, where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import OperationalError

import ysdw_live.models  # noqa: F401  (every model, so the metadata is complete)
from tests.conftest import make_test_app
from ysdw_live import migrations
from ysdw_live.db import Base

IN_CI = os.environ.get("CI") == "true"


def postgres_server_url() -> str:
    """Return a URL for the PostgreSQL server's maintenance database."""
    explicit = os.environ.get("YSDW_TEST_POSTGRES_URL")
    if explicit:
        return explicit
    test_url = os.environ.get("YSDW_TEST_DATABASE_URL")
    if test_url and test_url.startswith("postgresql"):
        return make_url(test_url).set(database="postgres").render_as_string(hide_password=False)
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """Create an empty PostgreSQL database for one test, and drop it afterwards."""
    server = create_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    name = f"yswd_migrations_{uuid.uuid4().hex[:12]}"
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        server.dispose()
        reason = f"PostgreSQL is not reachable at {postgres_server_url()}: {error.orig}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL must be there)")
        pytest.skip(reason)
    try:
        yield make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database_url(request, tmp_path: Path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def fresh_app(fresh_database_url: str, tmp_path: Path):
    """An app on an empty database (no tables yet)."""
    app = make_test_app(tmp_path / "instance", fresh_database_url)
    yield app
    app.extensions["ysdw_engine"].dispose()


def script() -> ScriptDirectory:
    """Return the migration scripts."""
    return ScriptDirectory(str(migrations.HERE))


def schema_differences(app) -> list:
    """Return what Alembic's autogenerate sees between the database and the models."""
    engine = app.extensions["ysdw_engine"]
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"}
        )
        return compare_metadata(context, Base.metadata)


def table_names(app) -> set[str]:
    """Return the tables in the app's database."""
    return set(inspect(app.extensions["ysdw_engine"]).get_table_names())


def current_revision(app) -> str | None:
    """Return the revision the database is at."""
    with app.extensions["ysdw_engine"].connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_there_is_one_head_and_an_unbroken_chain():
    """The revisions form one line from base to a single head (no forgotten merge)."""
    heads = script().get_heads()
    assert len(heads) == 1, f"several heads: {heads}"
    revisions = list(script().walk_revisions())
    assert revisions[-1].down_revision is None
    assert all(rev.doc for rev in revisions), "every migration says what it does"


def test_upgrade_to_head_matches_the_models(fresh_app):
    """A fresh database upgraded to head has every model table and nothing autogenerate would change."""
    assert table_names(fresh_app) == set()
    migrations.upgrade(fresh_app)
    assert current_revision(fresh_app) == script().get_current_head()
    assert set(Base.metadata.tables) <= table_names(fresh_app)
    differences = schema_differences(fresh_app)
    assert differences == [], f"migrations and models disagree: {differences}"


def test_upgrade_is_idempotent(fresh_app):
    """Running the upgrade again (as every `python app.py` start does) changes nothing."""
    migrations.upgrade(fresh_app)
    migrations.upgrade(fresh_app)
    assert current_revision(fresh_app) == script().get_current_head()


def test_downgrade_to_base_removes_everything(fresh_app):
    """Downgrading to base drops every table the migrations made, and upgrading again works."""
    migrations.upgrade(fresh_app)
    migrations.downgrade(fresh_app, "base")
    assert table_names(fresh_app) <= {"alembic_version"}
    assert current_revision(fresh_app) is None
    migrations.upgrade(fresh_app)
    assert schema_differences(fresh_app) == []


def test_each_revision_upgrades_and_downgrades_one_step_at_a_time(fresh_app):
    """Walking up one revision at a time and back down works for every migration (with data in place)."""
    order = [rev.revision for rev in reversed(list(script().walk_revisions()))]
    for revision in order:
        migrations.upgrade(fresh_app, revision)
        assert current_revision(fresh_app) == revision
    with fresh_app.extensions["ysdw_engine"].begin() as conn:
        # A row in the oldest tables proves downgrades do not choke on data they do not own.
        conn.execute(text("INSERT INTO series (title, description, created_at) VALUES ('S', '', CURRENT_TIMESTAMP)"))
    for revision in reversed(order):
        migrations.downgrade(fresh_app, "-1")
        below = script().get_revision(revision).down_revision
        assert current_revision(fresh_app) == below


def test_sqlite_connections_use_wal_foreign_keys_and_no_busy_handler(tmp_path):
    """Every SQLite connection runs in WAL mode with foreign keys on; SQLite never sleeps for a lock in C."""
    app = make_test_app(tmp_path / "i", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    engine = app.extensions["ysdw_engine"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # Writers wait for the lock in Python (cooperatively under eventlet/gevent): see test_db_transactions.
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
    engine.dispose()
