"""The command line: `flask --app app user create`, `db upgrade` and `demo load`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from tests.conftest import PASSWORD, make_test_app
from ysdw_live.auth.models import Role, User


def users(db) -> list[User]:
    """Return every user as stored now, ending the read."""
    db.expire_all()
    found = list(db.scalars(select(User).order_by(User.id)))
    db.commit()
    return found


def test_user_create_with_password(app, db):
    """`user create EMAIL --role leader --password PW` creates a leader who can log in."""
    result = app.test_cli_runner().invoke(
        args=["user", "create", "Lee@Example.org", "--role", "leader", "--password", PASSWORD, "--name", "Lee"]
    )
    assert result.exit_code == 0, result.output
    assert "Created leader lee@example.org." in result.output
    [user] = users(db)
    assert (user.email, user.role, user.display_name) == ("lee@example.org", Role.leader, "Lee")
    assert user.check_password(PASSWORD) and not user.must_change_password


def test_user_create_prompts_for_the_password_twice(app, db):
    """Without --password the command asks twice (hidden) and uses what was typed."""
    result = app.test_cli_runner().invoke(
        args=["user", "create", "fac@example.org", "--role", "facilitator"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    [user] = users(db)
    assert user.role is Role.facilitator and user.check_password(PASSWORD)


def test_user_create_prompt_mismatch_asks_again(app, db):
    """Two different passwords at the prompt are not accepted; the command asks again."""
    result = app.test_cli_runner().invoke(
        args=["user", "create", "a@example.org", "--role", "admin"],
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "don't match" in result.output.lower()
    assert users(db)[0].check_password(PASSWORD)


def test_duplicate_email_fails_with_a_message(app, db, factory):
    """Creating a user whose e-mail exists exits non-zero with a clear message and changes nothing."""
    factory.user(Role.admin, email="taken@example.org")
    result = app.test_cli_runner().invoke(
        args=["user", "create", "TAKEN@example.org", "--role", "leader", "--password", PASSWORD]
    )
    assert result.exit_code != 0
    assert "A user with that e-mail address already exists." in result.output
    assert [u.role for u in users(db)] == [Role.admin]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad-email", "--role", "leader", "--password", PASSWORD], "Enter an e-mail address"),
        (["a@example.org", "--role", "leader", "--password", "short"], "at least 12 characters"),
        (["a@example.org", "--role", "king", "--password", PASSWORD], "Invalid value for '--role'"),
        (["a@example.org", "--password", PASSWORD], "Missing option '--role'"),
    ],
)
def test_bad_arguments_fail_with_a_message(app, db, args, message):
    """Bad e-mails, weak passwords and unknown or missing roles exit non-zero and save nothing."""
    result = app.test_cli_runner().invoke(args=["user", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert users(db) == []


def test_db_upgrade_builds_an_empty_database(tmp_path: Path):
    """`db upgrade` on an empty SQLite database creates every table and can run again."""
    import ysdw_live.models  # noqa: F401
    from ysdw_live.db import Base

    fresh = make_test_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = fresh.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "Database is up to date." in result.output
    tables = set(inspect(fresh.extensions["ysdw_engine"]).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
    # And a user can then be created in it.
    created = runner.invoke(args=["user", "create", "x@example.org", "--role", "admin", "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    fresh.extensions["ysdw_engine"].dispose()


def test_demo_load_makes_a_live_meeting(app, db):
    """`demo load` creates a series with a live meeting and prints its join URL."""
    from ysdw_live.meetings.models import Meeting, MeetingStatus

    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    meetings = list(db.scalars(select(Meeting)))
    db.commit()
    assert any(m.status is MeetingStatus.live and f"http://yswd.test/j/{m.code}" in result.output for m in meetings)


def test_real_flask_command_line(tmp_path: Path):
    """The documented commands work as typed: `flask --app app db upgrade`, then `user create`."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "YSDW_DATABASE_URL": f"sqlite:///{tmp_path / 'real.sqlite3'}",
        "YSDW_SECRET_KEY": "cli-test",
        "YSDW_ASYNC_MODE": "threading",
        "YSDW_PUBLIC_URL": "http://yswd.test",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    upgrade = subprocess.run(
        [*flask, "db", "upgrade"], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr
    created = subprocess.run(
        [*flask, "user", "create", "real@example.org", "--role", "facilitator"],
        cwd=root,
        env=env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "Created facilitator real@example.org." in created.stdout
    again = subprocess.run(
        [*flask, "user", "create", "real@example.org", "--role", "leader", "--password", PASSWORD],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode != 0
    assert "already exists" in again.stderr
