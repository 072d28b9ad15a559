"""Command-line commands: ``flask --app app user …``, ``db upgrade``, ``demo load``, ``purge``, ``backup``.

``user create``, ``user deactivate`` and ``user activate`` manage staff accounts.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ysdw_live import migrations
from ysdw_live.audit.services import COMMAND_LINE, record
from ysdw_live.auth import services as auth
from ysdw_live.auth.models import Role
from ysdw_live.db import session_scope
from ysdw_live.errors import DomainError
from ysdw_live.privacy import backup as backups
from ysdw_live.privacy.services import describe, purge


def init_app(app: Flask) -> None:
    """Register the command groups on ``app``; AppGroup runs each command inside an app context."""
    app.cli.add_command(user_group)
    app.cli.add_command(db_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)


user_group = AppGroup("user", help="Manage staff users.")


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="What the user may do.")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
@click.option("--name", default="", help="Display name.")
def create_user(email: str, role: str, password: str | None, name: str) -> None:
    """Create a staff user with ROLE."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(current_app._get_current_object()) as db:  # type: ignore[attr-defined]
        try:
            user = auth.create_user(db, None, email, role, password, display_name=name)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Created {user.role.value} {user.email}.")


@user_group.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Stop EMAIL from logging in: ends their sessions, consoles and API tokens at once."""
    _set_active(email, active=False)


@user_group.command("activate")
@click.argument("email")
def activate_user(email: str) -> None:
    """Let a deactivated EMAIL log in again (their old sessions and tokens stay ended)."""
    _set_active(email, active=True)


def _set_active(email: str, *, active: bool) -> None:
    """Deactivate or reactivate the user with ``email``, or exit non-zero saying why not."""
    with session_scope(current_app._get_current_object()) as db:  # type: ignore[attr-defined]
        try:
            user = auth.find_user(db, email)
            auth.set_active(db, None, user, active=active)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"{'Activated' if active else 'Deactivated'} {user.email}.")


db_group = AppGroup("db", help="Manage the database schema.")


@db_group.command("upgrade")
@click.option("--revision", default="head", help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply pending migrations."""
    migrations.upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo("Database is up to date.")


demo_group = AppGroup("demo", help="Demo data.")


@demo_group.command("load")
def demo_load() -> None:
    """Load a demo series with a live meeting."""
    from ysdw_live.demo import load_demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with session_scope(app) as db:
        code = load_demo(db)
    click.echo(f"Demo meeting {code} is live: {app.config['PUBLIC_URL']}/j/{code}")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete attendee data of meetings past their series' retention period.

    Concern texts and names, votes, participants (and what other domains keep per participant) go;
    counts per meeting and topic and the "You Said, We Did" actions stay.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with session_scope(app) as db:
        report = purge(db, clock=app.extensions["ysdw_clock"], dry_run=dry_run, who=COMMAND_LINE)
    verb = "Would delete" if dry_run else "Deleted"
    for meeting in report.changed:
        click.echo(f"{verb} from {meeting.code} ({meeting.title}): {describe(meeting.removed)}.")
    click.echo(
        f"{verb} {describe(dict(report.totals))} in {len(report.changed)} of {len(report.meetings)} "
        "meetings past their retention period." + (" Nothing was changed (--dry-run)." if dry_run else "")
    )


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, overwrite: bool) -> None:
    """Back up the database to PATH (a file, or a directory for a dated file), safely while the server runs.

    SQLite: a consistent copy through SQLite's backup API. PostgreSQL: pg_dump --format=custom.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    clock = app.extensions["ysdw_clock"]
    try:
        made = backups.backup(app.config["DATABASE_URL"], path, clock.now(), overwrite=overwrite)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the {made.kind} database to {made.path} ({made.size:,} bytes).")
    try:
        with session_scope(app) as db:
            detail = f"{made.kind}, {made.size} bytes"
            record(db, COMMAND_LINE, "database.backup", object_type="database", detail=detail)
            db.commit()
    except SQLAlchemyError as error:
        # The backup is good; only the note of it failed (a busy SQLite writer, for one).
        click.echo(f"Warning: the backup was not noted in the audit trail: {error}", err=True)
