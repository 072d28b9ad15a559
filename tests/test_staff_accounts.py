"""Admins manage staff accounts in the browser.

List, add with a one-time password, change role, deactivate, reactivate, reset a password.
Services check roles; the last admin stays an admin.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, bearer, csrf_from, login, token_for
from tests.test_sessions import browser, logged_in, moderator_socket, stored
from ysdw_live.audit.models import ACTION_LABELS, AuditEntry
from ysdw_live.auth import services
from ysdw_live.auth.models import Role
from ysdw_live.errors import Conflict, Forbidden, ValidationError

ONE_TIME = re.compile(r'id="one-time-password">([a-z0-9-]+)<')


def _post(client, path: str, data: dict[str, str]):
    """Post a form with the page's CSRF token."""
    token = csrf_from(client.get("/staff/users").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _admin_client(app, factory):
    """Return an admin and a browser logged in as them."""
    admin = factory.user(Role.admin)
    client = browser(app)
    login(client, admin.email)
    return admin, client


def test_only_admins_manage_staff_through_the_services(db, factory):
    """Every use case refuses facilitators and leaders."""
    target = factory.user(Role.leader)
    for role in (Role.facilitator, Role.leader):
        actor = factory.actor(role)
        for call in (
            lambda a=actor: services.list_users(db, a),
            lambda a=actor: services.get_user(db, a, target.id),
            lambda a=actor: services.add_user(db, a, "x@example.org", "leader"),
            lambda a=actor: services.change_role(db, a, target, "admin"),
            lambda a=actor: services.reset_password(db, a, target),
        ):
            with pytest.raises(Forbidden):
                call()
            db.rollback()


def test_the_last_admin_cannot_be_demoted_or_deactivated(db, factory):
    """With one active admin, neither they nor the command line can leave the app without one."""
    admin = factory.actor(Role.admin)
    with pytest.raises(Conflict) as refused:
        services.change_role(db, admin, admin.user, "facilitator")
    assert refused.value.code == "last_admin"
    db.rollback()
    with pytest.raises(ValidationError):
        services.set_active(db, admin, admin.user, active=False)
    db.rollback()
    with pytest.raises(Conflict):
        services.set_active(db, None, admin.user, active=False)  # the command line too
    db.rollback()
    other = factory.user(Role.admin)
    assert services.change_role(db, admin, admin.user, "facilitator")
    assert stored(db, admin.user.email).role is Role.facilitator
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_change"))
    assert entry.detail == "role admin -> facilitator"
    assert entry.action_label == ACTION_LABELS["user.role_change"]
    with pytest.raises(Conflict):
        services.change_role(db, services.Actor(user=other), other, "leader")


def test_one_time_passwords_read_out_clearly():
    """Four groups of four unambiguous characters, different each time."""
    first, second = services.one_time_password(), services.one_time_password()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", first)
    assert not set(first) & set("01ilo")
    assert first != second


def test_admin_adds_a_leader_who_must_choose_a_password(app, factory, db):
    """The add form shows a one-time password once; it logs in only to the password page."""
    _admin, client = _admin_client(app, factory)
    assert client.get("/staff/users/new").status_code == 200
    empty = _post(client, "/staff/users/new", {"email": "", "role": ""})
    assert empty.status_code == 400
    html = empty.get_data(as_text=True)
    assert "Enter the staff member’s e-mail address" in html
    assert "Choose what the new member of staff may do" in html

    added = _post(client, "/staff/users/new", {"email": "New.Leader@example.org", "role": "leader"})
    assert added.status_code == 200
    password = ONE_TIME.search(added.get_data(as_text=True)).group(1)
    user = stored(db, "new.leader@example.org")
    assert user.role is Role.leader and user.must_change_password and user.check_password(password)
    db.commit()
    assert password not in client.get(f"/staff/users/{user.id}").get_data(as_text=True)

    leader = browser(app)
    login(leader, "new.leader@example.org", password)
    assert "/account/password" in leader.get("/dashboard").headers["Location"]
    duplicate = _post(client, "/staff/users/new", {"email": "new.leader@example.org", "role": "leader"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.get_data(as_text=True)


def test_deactivating_in_the_browser_ends_logins_tokens_and_consoles_at_once(app, factory, db, anon_client):
    """A deactivated facilitator's cookie, token and console socket stop at once; reactivated, they log in."""
    _admin, client = _admin_client(app, factory)
    target = factory.user(Role.facilitator)
    meeting = factory.meeting(status="live")
    theirs = browser(app)
    token = token_for(theirs, target.email)
    login(theirs, target.email)
    sock = moderator_socket(app, theirs, meeting)
    assert sock.is_connected()

    response = _post(client, f"/staff/users/{target.id}/active", {"active": "0"})
    assert response.status_code == 302
    assert not logged_in(theirs)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401
    assert not sock.is_connected()
    page = client.get(f"/staff/users/{target.id}").get_data(as_text=True)
    assert "Reactivate" in page
    listing = client.get("/staff/users").get_data(as_text=True)
    assert "Deactivated" in listing

    assert _post(client, f"/staff/users/{target.id}/active", {"active": "1"}).status_code == 302
    assert stored(db, target.email).active
    login(theirs, target.email)
    assert logged_in(theirs)
    labels = [e.action for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == str(target.id)))]
    assert "user.deactivate" in labels and "user.activate" in labels


def test_admin_resets_a_password_and_changes_a_role(app, factory, db, anon_client):
    """A reset gives a new one-time password and ends the old one; a role change works at the next request."""
    admin, client = _admin_client(app, factory)
    target = factory.user(Role.leader)
    theirs = browser(app)
    token = token_for(theirs, target.email)
    login(theirs, target.email)
    assert theirs.get("/staff/series/new").status_code == 403

    assert _post(client, f"/staff/users/{target.id}/role", {"role": "facilitator"}).status_code == 302
    assert theirs.get("/staff/series/new").status_code == 200

    reset = _post(client, f"/staff/users/{target.id}/password", {})
    assert reset.status_code == 200
    password = ONE_TIME.search(reset.get_data(as_text=True)).group(1)
    assert not logged_in(theirs)
    assert anon_client.get("/api/v1/series", headers=bearer(token)).status_code == 401
    user = stored(db, target.email)
    assert user.must_change_password and user.check_password(password) and not user.check_password(PASSWORD)
    db.commit()

    # An admin's own account: no reset (the password page is for that), no demotion as the last admin.
    own = client.get(f"/staff/users/{admin.id}").get_data(as_text=True)
    assert "Reset the password" not in own
    refused = _post(client, f"/staff/users/{admin.id}/role", {"role": "leader"})
    assert refused.status_code == 409
    assert "last active admin" in refused.get_data(as_text=True)
    assert stored(db, admin.email).role is Role.admin
    assert _post(client, f"/staff/users/{admin.id}/password", {}).status_code == 400
