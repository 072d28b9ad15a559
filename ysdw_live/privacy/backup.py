"""Backups while the server runs: SQLite's online backup API, or ``pg_dump`` for PostgreSQL.

SQLite: the backup API copies every page in one step inside one read transaction, so the copy is
the database as of one moment even while the server writes (in WAL mode writers never wait for
that reader, and the reader sees committed data still in the WAL). The copy is switched to the
rollback journal, so it is one self-contained file, checked with ``PRAGMA integrity_check``, and
written under a temporary name first, so a failed backup never leaves a half file at ``PATH``.

PostgreSQL: ``pg_dump --format=custom`` (itself a consistent snapshot) when it is installed;
otherwise the command to run is printed. Restoring either is described in the README.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

# How long the copy waits for a lock it cannot get at once (the checkpoint of a busy writer).
SQLITE_WAIT_SECONDS = 30.0


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    """A backup made: where, of which kind of database, how big."""

    path: Path
    kind: str
    size: int


def target_path(path: Path, kind: str, now: datetime, *, overwrite: bool = False) -> Path:
    """Return the file to write: ``path`` itself, or a dated name inside it when it is a directory.

    An existing file is refused unless ``overwrite``; its directory must exist.
    """
    if path.is_dir():
        suffix = "sqlite3" if kind == "sqlite" else "dump"
        path = path / f"yswd_live-{now.strftime('%Y%m%d-%H%M%S')}.{suffix}"
    if path.exists() and not overwrite:
        raise BackupError(f"{path} already exists; choose another name or pass --overwrite.")
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    return path


def sqlite_file(database_url: str) -> Path | None:
    """Return the database file of a SQLite URL, or None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy the SQLite database ``source`` to ``target`` consistently, while others read and write it."""
    if not source.is_file():
        raise BackupError(f"There is no database file at {source}.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # The file is born private: it holds everything the server holds.
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    try:
        with (
            closing(sqlite3.connect(source, timeout=SQLITE_WAIT_SECONDS)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # every page in one step: one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"The copy failed its integrity check: {'; '.join(problems[:5])}")
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy {source}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=target, kind="sqlite", size=target.stat().st_size)


def pg_dump_command(database_url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """Return the ``pg_dump`` arguments and the libpq environment (password included) for ``database_url``.

    The password travels in ``PGPASSWORD``, never on the command line, where ``ps`` would show it.
    """
    url = make_url(database_url)
    env: dict[str, str] = {}
    host = url.host or url.query.get("host")
    if isinstance(host, str) and host:
        env["PGHOST"] = host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", url.database or ""]
    return args, env


def shown_command(args: list[str], env: dict[str, str]) -> str:
    """Return the command as someone would type it, with the password left out."""
    settings = [f"{name}={value}" for name, value in env.items() if name != "PGPASSWORD"]
    if "PGPASSWORD" in env:
        settings.insert(0, "PGPASSWORD=…")
    return " ".join([*settings, *args])


def backup_postgres(
    database_url: str,
    target: Path,
    *,
    run: Callable[..., Any] = subprocess.run,
    which: Callable[[str], Any] | None = None,
) -> Backup:
    """Dump the PostgreSQL database to ``target`` with ``pg_dump``; without it, say what to run.

    ``pg_dump`` runs with a fixed argument list, never through a shell.
    """
    args, env = pg_dump_command(database_url, target)
    finder = which or shutil.which
    if finder("pg_dump") is None:
        raise BackupError(
            "pg_dump is not installed here (Debian: apt-get install postgresql-client). "
            f"Run it where it is, against this database:\n  {shown_command(args, env)}"
        )
    result = run(args, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        Path(target).unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {(result.stderr or '').strip()}")
    target.chmod(0o600)
    return Backup(path=target, kind="postgresql", size=target.stat().st_size)


def backup(database_url: str, path: Path, now: datetime, *, overwrite: bool = False) -> Backup:
    """Back up the database at ``database_url`` to ``path`` (a file, or a directory for a dated file)."""
    source = sqlite_file(database_url)
    if source is not None:
        return backup_sqlite(source, target_path(path, "sqlite", now, overwrite=overwrite))
    if make_url(database_url).get_backend_name() == "postgresql":
        target = target_path(path, "postgresql", now, overwrite=overwrite)
        if overwrite:
            target.unlink(missing_ok=True)
        return backup_postgres(database_url, target)
    raise BackupError(f"Backups are made for SQLite and PostgreSQL, not {make_url(database_url).get_backend_name()}.")
