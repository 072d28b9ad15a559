"""Database: the declarative base, the engine, SQLite pragmas and the per-request session."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ysdw_live import clock, validation

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The largest id an INTEGER primary key holds (PostgreSQL's int4); bigger ids are refused early.
MAX_DATABASE_ID = validation.INTEGER_MAX


class Base(DeclarativeBase):
    """Base class of every model; constraint names are predictable for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware (the one clock's reading)."""
    return clock.now()


# How long a writer waits for SQLite's write lock before the request fails.
SQLITE_LOCK_WAIT = 5.0
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL and foreign keys on every new SQLite connection; SQLite itself never waits for a lock."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # SQLite's busy handler sleeps in C: under eventlet or gevent that stalls every connection of
    # the process while the greenlet holding the lock cannot run. Writers wait in Python instead.
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def declare_writer() -> None:
    """Mark the current request as one that writes, though its method reads (a GET page that joins)."""
    g.db_writes = True
    session = g.get("db_session")
    if session is not None and session.in_transaction():
        # Only reads can have happened (the transaction is read-only): the next statement begins
        # again as a writer, and what was loaded reloads from there.
        session.rollback()


def _writes() -> bool:
    """Whether the transaction about to begin may write: outside a request (tasks, CLI) it may."""
    if not has_request_context():
        return True
    return request.method not in READING_METHODS or bool(g.get("db_writes"))


def _begin_sqlite(conn: Any) -> None:
    """Begin a reader's transaction deferred and read-only, a writer's with the write lock (waiting cooperatively)."""
    writes = _writes()
    driver = conn.connection.driver_connection
    if conn.info.get("ysdw_query_only") is not (not writes):
        # A reader cannot write by mistake: a GET that writes must say so (declare_writer).
        driver.execute(f"PRAGMA query_only={0 if writes else 1}")
        conn.info["ysdw_query_only"] = not writes
    if not writes:
        # In WAL mode a reader never waits for the writer, and the writer never waits for it.
        driver.execute("BEGIN")
        return
    deadline = time.monotonic() + SQLITE_LOCK_WAIT
    pause = 0.001
    while True:
        try:
            # Take the write lock at once, so a writer never fails later on upgrading a read lock.
            driver.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                break

        # time.sleep is cooperative once eventlet or gevent has patched it: the holder can finish.
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # once more through SQLAlchemy, which raises its usual error


def create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file of ``url`` empty and 0600 if it does not exist yet (SQLite would follow the umask).

    SQLite gives its WAL and shared-memory files the database file's mode, so they stay private too.
    An empty file is an empty database. A missing folder is left for SQLite to report.
    """
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return
    with suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 0})
        event.listen(engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling would BEGIN on its own terms; we begin explicitly.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_app(app: Flask) -> None:
    """Attach the engine and session factory to ``app`` and close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["ysdw_engine"] = engine
    app.extensions["ysdw_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    # Per request as well as per app context: a request inside an app context that is already
    # pushed (tests, CLI) shares that context's ``g``, and must not inherit a session (and, on
    # SQLite, its write lock) from the request before it.
    app.teardown_request(close_session)
    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """Return the session bound to the current application context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["ysdw_sessionmaker"]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the context's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """Yield a fresh session outside a request (background tasks, CLI), closed afterwards."""
    session = app.extensions["ysdw_sessionmaker"]()
    try:
        yield session
    finally:
        session.close()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store times in UTC; reject naive datetimes, which are always a bug."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read times back as aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
