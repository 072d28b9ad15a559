"""`flask --app app backup PATH`: a consistent online backup, and the restore the README describes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, select, text

from tests.actions_support import add_concern
from tests.conftest import make_test_app
from ysdw_live.audit.models import AuditEntry
from ysdw_live.concerns.models import Concern
from ysdw_live.db import Base, session_scope
from ysdw_live.meetings.models import Meeting
from ysdw_live.privacy import backup as backups
from ysdw_live.series.models import Series

NOW = datetime(2026, 3, 14, 18, 0, 5, tzinfo=UTC)


@contextmanager
def restored(database_url: str, backup: Path, workdir: Path) -> Iterator[str]:
    """Restore ``backup`` into a fresh database as the README says, and yield its URL.

    SQLite: copy the file to where the server expects its database. PostgreSQL: create an empty
    database and ``pg_restore --no-owner --no-privileges`` into it (dropped afterwards).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = workdir / "restored-instance" / "yswd_live.sqlite3"
        target.parent.mkdir()
        shutil.copyfile(backup, target)
        yield f"sqlite:///{target}"
        return
    name = f"yswd_restore_{uuid.uuid4().hex[:12]}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        new_url = url.set(database=name).render_as_string(hide_password=False)
        _args, env = backups.pg_dump_command(new_url, backup)
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", f"--dbname={name}", str(backup)],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield new_url
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_backup_then_restore_into_a_fresh_place_and_the_app_reads_the_data(app, db, factory, tmp_path):
    """Backup (SQLite's backup API, or pg_dump on PostgreSQL), restore elsewhere, and a new app finds everything."""
    series = factory.series(title="Backed-up series")
    meeting = factory.meeting(series, status="live", title="Spring meeting")
    add_concern(db, meeting, "Street lights out on Mill Road")
    code = meeting.code
    db.commit()

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.file")])
    assert result.exit_code == 0, result.output
    kind = "sqlite" if app.config["DATABASE_URL"].startswith("sqlite") else "postgresql"
    assert f"Backed up the {kind} database to {tmp_path / 'backup.file'}" in result.output
    assert stat.S_IMODE((tmp_path / "backup.file").stat().st_mode) == 0o600

    with restored(app.config["DATABASE_URL"], tmp_path / "backup.file", tmp_path) as url:
        copy = make_test_app(tmp_path / "restored-app", url)
        try:
            with copy.app_context(), session_scope(copy) as restored_db:
                assert restored_db.scalar(select(Series.title)) == "Backed-up series"
                assert restored_db.scalar(select(Meeting.code).where(Meeting.title == "Spring meeting")) == code
                assert restored_db.scalar(select(Concern.text)) == "Street lights out on Mill Road"
                # The copy is a working database: the app writes to it as well.
                restored_db.add(Series(title="Written after the restore"))
                restored_db.commit()
            page = copy.test_client().get(f"/j/{code}").get_data(as_text=True)
            assert "Street lights out on Mill Road" in page
        finally:
            copy.extensions["ysdw_engine"].dispose()
    db.expire_all()
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "database.backup")) == "database.backup"
    db.commit()


# ---------------------------------------------------------------------------------------------
# SQLite: consistent while the server writes
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def live_sqlite(tmp_path) -> Iterator[tuple[Any, Path]]:
    """A server-like app on its own SQLite file in WAL mode, with the schema and one series."""
    database = tmp_path / "live.sqlite3"
    app = make_test_app(tmp_path / "instance", f"sqlite:///{database}")
    engine = app.extensions["ysdw_engine"]
    Base.metadata.create_all(engine)
    with app.app_context(), session_scope(app) as db:
        db.add(Series(title="Committed before"))
        db.commit()
    yield app, database
    engine.dispose()


def titles(database: Path) -> list[str]:
    """Return the series titles in a SQLite file, read with a plain connection."""
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute("SELECT title FROM series ORDER BY id")]
    finally:
        connection.close()


def test_a_writer_holding_the_lock_neither_blocks_nor_leaks_into_the_backup(live_sqlite, tmp_path):
    """While another connection is mid-transaction, the backup runs at once and holds only committed data."""
    _app, database = live_sqlite
    writer = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock, as a request in progress does
        writer.execute(
            "INSERT INTO series (title, description, retention_months, created_at) "
            "VALUES ('Half', '', 24, '2026-01-01')"
        )
        made = backups.backup(f"sqlite:///{database}", tmp_path / "during.sqlite3", NOW)
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert made.kind == "sqlite" and made.path == tmp_path / "during.sqlite3"
    assert titles(made.path) == ["Committed before"]
    assert titles(database) == ["Committed before", "Half"]


def test_committed_data_still_in_the_wal_is_in_the_backup(live_sqlite, tmp_path):
    """Rows committed but not yet checkpointed into the main file (they live in the -wal file) are copied."""
    app, database = live_sqlite
    with app.app_context(), session_scope(app) as db:
        db.add(Series(title="Only in the WAL"))
        db.commit()
        wal = Path(f"{database}-wal")
        assert wal.exists() and wal.stat().st_size > 0  # the app's connection keeps it from being checkpointed away
        made = backups.backup(f"sqlite:///{database}", tmp_path / "copy.sqlite3", NOW)
    assert titles(made.path) == ["Committed before", "Only in the WAL"]


def test_the_backup_is_one_private_self_contained_checked_file(live_sqlite, tmp_path):
    """The copy uses the rollback journal (no -wal beside it), passes integrity_check, and only its owner reads it."""
    _app, database = live_sqlite
    made = backups.backup(f"sqlite:///{database}", tmp_path / "copy.sqlite3", NOW)
    connection = sqlite3.connect(made.path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    assert not Path(f"{made.path}-wal").exists()
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert made.size == made.path.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial file left


def test_a_directory_gets_a_dated_file_and_an_existing_file_is_kept_unless_overwrite(live_sqlite, tmp_path):
    """PATH may be a directory (a dated name inside it); an existing file is refused without --overwrite."""
    app, _database = live_sqlite
    runner = app.test_cli_runner()
    folder = tmp_path / "backups"
    folder.mkdir()
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    [made] = list(folder.iterdir())
    assert made.name.startswith("yswd_live-") and made.name.endswith(".sqlite3")

    existing = tmp_path / "keep.sqlite3"
    existing.write_text("precious")
    refused = runner.invoke(args=["backup", str(existing)])
    assert refused.exit_code != 0
    assert "already exists; choose another name or pass --overwrite" in refused.output
    assert existing.read_text() == "precious"
    replaced = runner.invoke(args=["backup", str(existing), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert titles(existing) == ["Committed before"]


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing-dir/backup.sqlite3", "does not exist"), ("ok.sqlite3", "There is no database file")],
)
def test_backup_problems_are_explained(tmp_path, target, message):
    """A missing directory or a missing database file is a clear message, not a traceback."""
    source = tmp_path / "live.sqlite3"
    if target == "missing-dir/backup.sqlite3":
        sqlite3.connect(source).close()
    with pytest.raises(backups.BackupError, match=message):
        backups.backup(f"sqlite:///{source}", tmp_path / target, NOW)
    assert not (tmp_path / target).exists()


def test_an_in_memory_database_cannot_be_backed_up(tmp_path):
    """There is nothing on disk to copy."""
    with pytest.raises(backups.BackupError, match="in-memory"):
        backups.backup("sqlite://", tmp_path / "x.sqlite3", NOW)


# ---------------------------------------------------------------------------------------------
# PostgreSQL: pg_dump, with the password kept off the command line
# ---------------------------------------------------------------------------------------------

PG_URL = "postgresql+psycopg://yswd:s3cret@db.example.org:6543/yswd_live"


def test_pg_dump_gets_the_password_in_its_environment_not_its_arguments(tmp_path):
    """The arguments name the database and the file; PGPASSWORD carries the secret (ps shows arguments)."""
    args, env = backups.pg_dump_command(PG_URL, tmp_path / "yswd.dump")
    assert args == [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={tmp_path / 'yswd.dump'}",
        "yswd_live",
    ]
    assert env == {"PGHOST": "db.example.org", "PGPORT": "6543", "PGUSER": "yswd", "PGPASSWORD": "s3cret"}
    assert "s3cret" not in " ".join(args)
    shown = backups.shown_command(args, env)
    assert "s3cret" not in shown and shown.startswith(
        "PGPASSWORD=… PGHOST=db.example.org PGPORT=6543 PGUSER=yswd pg_dump"
    )


def test_without_pg_dump_the_command_to_run_is_printed(tmp_path):
    """Where pg_dump is not installed, the error says how to install it and the exact command to run."""
    with pytest.raises(backups.BackupError) as refused:
        backups.backup_postgres(PG_URL, tmp_path / "yswd.dump", which=lambda _name: None)
    message = str(refused.value)
    assert "apt-get install postgresql-client" in message
    assert "pg_dump --format=custom" in message and "s3cret" not in message


def test_a_failing_pg_dump_reports_its_error_and_leaves_no_file(tmp_path):
    """pg_dump's own message is shown and a partial dump is removed."""
    target = tmp_path / "yswd.dump"

    def failing_run(args: list[str], **kwargs: Any) -> Any:
        assert kwargs["env"]["PGPASSWORD"] == "s3cret"
        target.write_text("half a dump")
        return subprocess.CompletedProcess(args, 1, "", "pg_dump: error: connection refused\n")

    with pytest.raises(backups.BackupError, match="pg_dump failed: pg_dump: error: connection refused"):
        backups.backup_postgres(PG_URL, target, run=failing_run, which=lambda _name: "/usr/bin/pg_dump")
    assert not target.exists()


def test_other_databases_are_refused(tmp_path):
    """Only SQLite and PostgreSQL are backed up."""
    with pytest.raises(backups.BackupError, match="not mysql"):
        backups.backup("mysql://u@h/db", tmp_path / "x", NOW)


def test_the_cli_turns_a_backup_problem_into_a_message(app, tmp_path):
    """`flask backup` into a directory that does not exist exits non-zero with the reason."""
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "nowhere" / "b.file")])
    assert result.exit_code != 0
    assert "does not exist" in result.output
