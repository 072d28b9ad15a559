"""Staff account use cases: create users, log in, issue and revoke API tokens."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import COMMAND_LINE, SYSTEM, record
from ysdw_live.auth.models import ApiToken, Role, User, hash_token, verify_dummy_password
from ysdw_live.db import utcnow
from ysdw_live.errors import Conflict, NotAuthenticated, RateLimited, ValidationError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
PASSWORD_MIN = 10
PASSWORD_MAX = 200
FIRST_ADMIN_EMAIL = "admin@yswd.local"


def normalise_email(value: object) -> str:
    """Return a trimmed, lower-cased e-mail address or raise ValidationError."""
    email = validation.text(value, "email", max_length=254, label="E-mail address").lower()
    if not EMAIL_RE.match(email):
        raise ValidationError("Enter an e-mail address like name@example.org.", field="email")
    return email


def check_password_strength(password: object) -> str:
    """Return ``password`` when it is long enough, else raise ValidationError."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise ValidationError(f"The password must be at least {PASSWORD_MIN} characters long.", field="password")
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"The password must be {PASSWORD_MAX} characters or fewer.", field="password")
    return password


def create_user(
    db: Session,
    actor: Actor | None,
    email: object,
    role: object,
    password: object,
    *,
    display_name: object = "",
    must_change_password: bool = False,
    by: str = COMMAND_LINE,
) -> User:
    """Create a staff user; ``actor`` None means the trusted command line (or ``by``: the system itself)."""
    creator = actor.require_admin() if actor is not None else by
    user = User(
        email=normalise_email(email),
        role=validation.choice(role, "role", Role),
        display_name=validation.text(display_name, "display_name", max_length=120, required=False, label="Name"),
        must_change_password=must_change_password,
    )
    user.set_password(check_password_strength(password))
    if db.scalar(select(User.id).where(User.email == user.email)) is not None:
        raise Conflict("A user with that e-mail address already exists.", code="duplicate_email", field="email")
    db.add(user)
    try:
        db.flush()
        record(db, creator, "user.create", object_type="user", object_id=user.id, detail=f"role {user.role.value}")
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "A user with that e-mail address already exists.", code="duplicate_email", field="email"
        ) from None
    return user


def authenticate(db: Session, email: object, password: object) -> User:
    """Return the user for a correct e-mail and password; slow down repeated failures."""
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise ValidationError("Enter your e-mail address and password.", field="email")
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    if user is None or not user.active:
        verify_dummy_password(password)
        raise NotAuthenticated("The e-mail address or password is not right.", code="bad_credentials")
    wait = user.seconds_locked(now)
    if wait:
        raise RateLimited(
            f"Too many wrong passwords for this account. Try again in {wait} seconds.",
            retry_after=wait,
            code="login_locked",
        )
    if not user.check_password(password):
        user.record_failed_login(now)
        db.commit()
        raise NotAuthenticated("The e-mail address or password is not right.", code="bad_credentials")
    user.record_successful_login()
    record(db, user, "auth.login", object_type="user", object_id=user.id)
    db.commit()
    return user


def change_password(db: Session, user: User, current: object, new: object) -> None:
    """Replace ``user``'s password after checking the current one."""
    if not isinstance(current, str) or not user.check_password(current):
        raise ValidationError("Your current password is not right.", field="current_password")
    new_password = check_password_strength(new)
    if new_password == current:
        raise ValidationError("Choose a password different from the current one.", field="password")
    user.set_password(new_password)
    user.must_change_password = False
    record(db, user, "auth.password_change", object_type="user", object_id=user.id)
    db.commit()


def issue_token(db: Session, user: User, label: str = "") -> str:
    """Create an API token for ``user`` and return its secret (shown once, stored hashed)."""
    secret = ApiToken.new_secret()
    token = ApiToken(user=user, token_hash=hash_token(secret), label=label[:120])
    db.add(token)
    db.flush()
    record(db, user, "auth.token_create", object_type="token", object_id=token.id)
    db.commit()
    return secret


def user_for_token(db: Session, secret: str) -> User | None:
    """Return the active user a bearer token belongs to (None when unknown or revoked), noting its use.

    ``last_used_at`` is written at most once a minute per token, keeping the hot path read-only.
    """
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.usable:
        return None
    if token.mark_used(utcnow()):
        db.commit()
    return token.user


def revoke_token(db: Session, user: User, secret: str) -> bool:
    """Revoke one of ``user``'s tokens; return whether one was found."""
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret), ApiToken.user_id == user.id))
    if token is None:
        return False
    token.revoke()
    record(db, user, "auth.token_revoke", object_type="token", object_id=token.id)
    db.commit()
    return True


def log_out(db: Session, user: User | None) -> None:
    """Note in the audit trail that ``user`` logged out (the adapter ends the session itself)."""
    if user is None:
        return
    record(db, user, "auth.logout", object_type="user", object_id=user.id)
    db.commit()


def ensure_first_admin(db: Session) -> tuple[str, str] | None:
    """With no users at all, create an admin with a one-time password and return its login."""
    if db.scalar(select(func.count(User.id))):
        return None
    password = secrets.token_urlsafe(12)
    create_user(
        db,
        None,
        FIRST_ADMIN_EMAIL,
        Role.admin,
        password,
        display_name="Administrator",
        must_change_password=True,
        by=SYSTEM,
    )
    return FIRST_ADMIN_EMAIL, password
