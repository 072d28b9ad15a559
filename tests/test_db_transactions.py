"""SQLite transactions: readers never take the write lock, writers wait for it in Python, not in C."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import make_test_app
from ysdw_live import db as db_module
from ysdw_live.db import declare_writer, get_session, session_scope


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An app on its own SQLite file holding one small table."""
    path = tmp_path / "tx.sqlite3"
    app = make_test_app(tmp_path / "instance", f"sqlite:///{path}")
    with session_scope(app) as db:
        db.execute(text("CREATE TABLE note (body TEXT)"))
        db.commit()
    yield app, path
    app.extensions["ysdw_engine"].dispose()


@pytest.fixture
def lock_holder(sqlite_app: tuple[Flask, Path]) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock (as a writer in another greenlet would)."""
    holder = sqlite3.connect(sqlite_app[1], isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.rollback()
    holder.close()


def notes(db) -> list[str]:
    """Return the bodies in the note table."""
    return list(db.scalars(text("SELECT body FROM note")))


def test_a_get_request_reads_while_another_connection_holds_the_write_lock(sqlite_app, lock_holder):
    """A page view or a socket's snapshot does not queue behind the writers: its transaction is deferred."""
    app, _ = sqlite_app
    with app.test_request_context("/", method="GET"):
        assert notes(get_session()) == []


def test_a_get_request_cannot_write_unless_it_says_so(sqlite_app):
    """A GET's transaction is read-only, so a page that writes without declare_writer() fails in every test."""
    app, _ = sqlite_app
    with app.test_request_context("/", method="GET"):
        db = get_session()
        with pytest.raises(OperationalError, match="readonly"):
            db.execute(text("INSERT INTO note VALUES ('sneaky')"))
    with app.test_request_context("/", method="GET"):
        db = get_session()
        assert notes(db) == []  # a read first: declaring afterwards still works
        declare_writer()
        db.execute(text("INSERT INTO note VALUES ('joined')"))
        db.commit()
    with app.test_request_context("/", method="POST"):
        db = get_session()
        db.execute(text("INSERT INTO note VALUES ('posted')"))
        db.commit()
        assert notes(db) == ["joined", "posted"]


def test_a_writer_waits_for_the_lock_with_a_python_sleep(sqlite_app, lock_holder, monkeypatch):
    """A writer that finds the lock taken sleeps through time.sleep, which eventlet and gevent make cooperative.

    SQLite's own busy handler would sleep in C, freezing every greenlet, the lock holder's included.
    """
    app, _ = sqlite_app
    sleeps: list[float] = []

    def holder_finishes_while_we_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        lock_holder.execute("INSERT INTO note VALUES ('first')")
        lock_holder.commit()

    monkeypatch.setattr(db_module.time, "sleep", holder_finishes_while_we_sleep)
    with app.test_request_context("/", method="PUT"):
        db = get_session()
        db.execute(text("INSERT INTO note VALUES ('second')"))
        db.commit()
        assert notes(db) == ["first", "second"]
    assert len(sleeps) == 1


def test_a_writer_gives_up_after_the_lock_wait(sqlite_app, lock_holder, monkeypatch):
    """A lock held for longer than SQLITE_LOCK_WAIT fails the writer with 'database is locked'."""
    app, _ = sqlite_app
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(db_module.time, "sleep", sleep)
    monkeypatch.setattr(db_module.time, "monotonic", lambda: now[0])
    with app.test_request_context("/", method="POST"), pytest.raises(OperationalError, match="locked"):
        get_session().execute(text("INSERT INTO note VALUES ('late')"))
    assert now[0] >= db_module.SQLITE_LOCK_WAIT
