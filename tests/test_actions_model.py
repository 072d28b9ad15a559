"""The action model's own rules: progress bounds, reasons, finishing, append-only updates, migration."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from time_machine import TimeMachineFixture

from tests.actions_support import FrozenClock, add_concern, install_clock
from ysdw_live import db as db_module
from ysdw_live import migrations
from ysdw_live.actions.models import Action, ActionStatus, ActionUpdate, AppendOnlyError
from ysdw_live.db import Base
from ysdw_live.errors import ValidationError

ACTION_TABLES = ("action", "action_concern", "action_update", "action_audit")


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> FrozenClock:
    """A settable clock for the action rules."""
    return install_clock(time_machine)


def new_action(**values: object) -> Action:
    """Return an unsaved action with the defaults a service would give it."""
    defaults: dict[str, object] = {
        "series_id": 1,
        "you_said": "Street lights are out on Hessle Road",
        "we_did": "",
        "owner": "",
        "private_notes": "",
        "status": ActionStatus.under_consideration,
        "progress": 0,
    }
    defaults.update(values)
    return Action(**defaults)


@pytest.mark.parametrize("value", [-1, 101, 1000, "50", 50.5, True, None])
def test_progress_outside_0_to_100_or_not_whole_is_refused(value):
    """Progress must be a whole number from 0 to 100; strings, floats and booleans are not."""
    action = new_action(progress=10)
    with pytest.raises(ValidationError) as raised:
        action.set_progress(value)  # type: ignore[arg-type]
    assert raised.value.fields == {"progress": raised.value.message}
    assert action.progress == 10


@pytest.mark.parametrize("value", [0, 1, 99, 100])
def test_progress_bounds_are_inclusive(value):
    """0 and 100 are both allowed."""
    action = new_action()
    action.set_progress(value)
    assert action.progress == value


@pytest.mark.parametrize("status", [ActionStatus.not_taken_forward, ActionStatus.referred])
def test_not_taken_forward_and_referred_need_a_reason(status):
    """Without a public response or update text, these statuses are refused and nothing moves."""
    action = new_action()
    with pytest.raises(ValidationError) as raised:
        action.change_status(status)
    assert raised.value.code == "reason_required"
    assert "we_did" in raised.value.fields
    assert action.status is ActionStatus.under_consideration
    assert action.finished_at is None


@pytest.mark.parametrize("status", [ActionStatus.not_taken_forward, ActionStatus.referred])
def test_whitespace_is_not_a_reason(status):
    """A reason made of spaces is no reason."""
    action = new_action(we_did="   \n ")
    with pytest.raises(ValidationError):
        action.change_status(status, reason="  ")


def test_reason_may_come_from_we_did_or_the_update_text():
    """The public response or the accompanying update text both count as the reason."""
    by_we_did = new_action(we_did="The lighting belongs to the council; we passed it on.")
    by_we_did.change_status(ActionStatus.referred)
    assert by_we_did.status is ActionStatus.referred

    by_update = new_action()
    by_update.change_status(ActionStatus.not_taken_forward, reason="The budget was cut this year.", reason_field="text")
    assert by_update.status is ActionStatus.not_taken_forward


def test_update_without_text_cannot_explain_a_status():
    """record_update moves status with its text as the reason, so an empty text is refused."""
    action = new_action()
    with pytest.raises(ValidationError) as raised:
        action.record_update("", None, status=ActionStatus.referred)
    assert raised.value.fields.keys() == {"text"}
    assert action.updates == []


def test_completing_sets_progress_to_100_unless_given():
    """Completion means 100% unless the caller says otherwise."""
    action = new_action(progress=40)
    action.change_status(ActionStatus.completed)
    assert action.progress == 100

    partly = new_action(progress=40)
    partly.change_status(ActionStatus.completed, progress=90)
    assert partly.progress == 90


def test_finished_at_is_set_on_finishing_and_cleared_on_reopening(clock):
    """finished_at records when the action reached a finished status; reopening clears it."""
    action = new_action()
    action.change_status(ActionStatus.in_progress)
    assert action.finished_at is None
    finished = clock.now
    action.change_status(ActionStatus.completed)
    assert action.finished_at == finished and action.is_finished

    clock.advance(days=3)
    action.change_status(ActionStatus.in_progress)
    assert action.finished_at is None and not action.is_finished

    referred_at = clock.advance(days=3)
    action.we_did = "Passed to the council's highways team."
    action.change_status(ActionStatus.referred)
    assert action.finished_at == referred_at


def test_moving_between_finished_statuses_restamps_finished_at(clock):
    """Reaching a different finished status is news again, so the report-back shows it."""
    action = new_action(we_did="Done, then handed over.")
    action.change_status(ActionStatus.completed)
    first = action.finished_at
    later = clock.advance(days=10)
    action.change_status(ActionStatus.referred)
    assert first is not None and action.finished_at == later


def test_edit_checks_the_final_state_and_returns_real_changes():
    """Editing status and reason together works; clearing the only reason later does not."""
    action = new_action()
    changes = action.edit({"status": ActionStatus.not_taken_forward, "we_did": "Out of our powers.", "owner": ""})
    assert {name for name, _old, _new in changes} == {"status", "we_did"}
    with pytest.raises(ValidationError) as raised:
        action.edit({"we_did": ""})
    assert raised.value.code == "reason_required"


def test_an_update_on_record_keeps_explaining_the_status():
    """Once an update explained a referral, the public response may be emptied."""
    action = new_action()
    action.record_update("Referred to Hull City Council, who own the lights.", None, status=ActionStatus.referred)
    action.edit({"we_did": ""})
    assert action.status is ActionStatus.referred


def test_record_update_stores_the_resulting_state_newest_first():
    """Each update keeps the status and progress it left the action in; the newest is first."""
    action = new_action()
    first, changes = action.record_update("Agreed at the meeting.", None, status=ActionStatus.agreed)
    assert changes == [("status", ActionStatus.under_consideration, ActionStatus.agreed)]
    second, _ = action.record_update("Work started.", None, status=ActionStatus.in_progress, progress=30)
    third, changes = action.record_update("Still going.", None)
    assert changes == []
    assert [u.text for u in action.updates] == ["Still going.", "Work started.", "Agreed at the meeting."]
    assert (first.status, first.progress) == (ActionStatus.agreed, 0)
    assert (second.status, second.progress) == (ActionStatus.in_progress, 30)
    assert (third.status, third.progress) == (ActionStatus.in_progress, 30)
    assert action.latest_update is third


def _saved_action_with_update(db, factory) -> ActionUpdate:
    """Store an action with one update and return the update."""
    series = factory.series()
    action = new_action(series_id=series.id)
    update, _ = action.record_update("Patrols added on Friday nights.", None, status=ActionStatus.in_progress)
    db.add(action)
    db.commit()
    return update


def test_updates_cannot_be_changed_once_written(db, factory):
    """Changing a stored update's text fails at flush: the public record is append-only."""
    update = _saved_action_with_update(db, factory)
    update.text = "Rewritten history"
    with pytest.raises(AppendOnlyError):
        db.commit()
    db.rollback()
    assert db.get(ActionUpdate, update.id).text == "Patrols added on Friday nights."


def test_updates_cannot_be_deleted(db, factory):
    """Deleting a stored update fails at flush."""
    update = _saved_action_with_update(db, factory)
    db.delete(update)
    with pytest.raises(AppendOnlyError):
        db.commit()
    db.rollback()
    assert db.get(ActionUpdate, update.id) is not None


def test_database_refuses_progress_outside_bounds(db, factory):
    """The check constraint guards progress even when the model is bypassed."""
    series = factory.series()
    with pytest.raises(IntegrityError):
        db.execute(
            text(
                "INSERT INTO action (series_id, you_said, we_did, owner, status, progress, private_notes, "
                "created_at, updated_at) VALUES (:s, 'x', '', '', 'agreed', 150, '', :t, :t)"
            ),
            {"s": series.id, "t": "2026-01-01 00:00:00"},
        )
        db.flush()
    db.rollback()


def test_database_refuses_linking_a_concern_twice(db, factory):
    """One concern is linked to one action at most once (unique constraint)."""
    meeting = factory.meeting(status="live")
    concern = add_concern(db, meeting, "Speeding on Beverley Road")
    action = new_action(series_id=meeting.series_id)
    db.add(action)
    db.commit()
    db.execute(
        text("INSERT INTO action_concern (action_id, concern_id) VALUES (:a, :c)"), {"a": action.id, "c": concern.id}
    )
    with pytest.raises(IntegrityError):
        db.execute(
            text("INSERT INTO action_concern (action_id, concern_id) VALUES (:a, :c)"),
            {"a": action.id, "c": concern.id},
        )
    db.rollback()


def test_migration_0003_creates_exactly_the_models_tables(tmp_path: Path):
    """Upgrading a fresh SQLite database to head gives the action tables the models describe; downgrade removes them."""
    import ysdw_live.models  # noqa: F401

    app = Flask("migration-test")
    app.config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    db_module.init_app(app)
    migrations.upgrade(app, "0003")
    engine = create_engine(app.config["DATABASE_URL"])
    inspector = inspect(engine)
    for table in ACTION_TABLES:
        migrated = {column["name"] for column in inspector.get_columns(table)}
        assert migrated == set(Base.metadata.tables[table].columns.keys()), table
    uniques = inspector.get_unique_constraints("action_concern")
    assert any(set(u["column_names"]) == {"action_id", "concern_id"} for u in uniques)
    migrations.downgrade(app, "0002")
    remaining = set(inspect(engine).get_table_names())
    assert not remaining & set(ACTION_TABLES)
    assert "concern" in remaining
    engine.dispose()
    app.extensions["ysdw_engine"].dispose()


def test_public_response_falls_back_to_the_update_that_explained_the_status():
    """A referral explained only in an update still tells the public why; progress is not shown for it."""
    action = new_action()
    assert action.public_response == "" and action.shows_progress
    action.record_update("Passed to the council, who own the lights.", None, status=ActionStatus.referred)
    assert action.public_response == "Passed to the council, who own the lights."
    assert not action.shows_progress
    action.we_did = "The council will replace the lights in May."
    assert action.public_response == "The council will replace the lights in May."
