"""Staff account use cases: create users, log in, issue and revoke API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import COMMAND_LINE, SYSTEM, record
from ysdw_live.auth.models import ApiToken, Role, User, hash_token, verify_dummy_password
from ysdw_live.db import utcnow
from ysdw_live.errors import Conflict, NotAuthenticated, NotFound, RateLimited, ValidationError
from ysdw_live.ratelimit import Limiter
from ysdw_live.realtime.publisher import publisher

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
PASSWORD_MIN = 12  # ASVS 2.1.1
PASSWORD_MAX = 200
# zxcvbn's score from 0 to 4; 3 is "safely unguessable" (about 10^8 guesses or more), ASVS 2.1.7.
PASSWORD_MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows with the square of the length); a longer
# password is judged on its first 72 characters, which is already far more than any common one.
ZXCVBN_MAX_LENGTH = 72
FIRST_ADMIN_EMAIL = "admin@yswd.local"
DEFAULT_TOKEN_DAYS = 30  # YSDW_TOKEN_DAYS


def normalise_email(value: object) -> str:
    """Return a trimmed, lower-cased e-mail address or raise ValidationError."""
    email = validation.text(value, "email", max_length=254, label="E-mail address").lower()
    if not EMAIL_RE.match(email):
        raise ValidationError("Enter an e-mail address like name@example.org.", field="email")
    return email


def check_password_strength(password: object, *, account: tuple[str, ...] = ()) -> str:
    """Return ``password`` when it is long enough and hard to guess, else raise ValidationError.

    Hard to guess means zxcvbn rates it ``PASSWORD_MIN_SCORE`` or better: it knows lists of common
    and breached passwords, names, English words, keyboard patterns, dates, repeats and sequences.
    ``account`` holds the account's own details (e-mail address, name), which count as guessable.
    """
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise ValidationError(f"The password must be at least {PASSWORD_MIN} characters long.", field="password")
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"The password must be {PASSWORD_MAX} characters or fewer.", field="password")
    verdict = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[*_guessable_words(account), "yswd", "live"])
    if verdict["score"] < PASSWORD_MIN_SCORE:
        raise ValidationError(_too_guessable(verdict["feedback"]), field="password")
    return password


def _guessable_words(account: tuple[str, ...]) -> list[str]:
    """Return the account's details as zxcvbn should know them: whole, as the e-mail's local part, in words."""
    words: list[str] = []
    for detail in account:
        lowered = detail.lower().strip()
        for text in {lowered, lowered.partition("@")[0]}:
            words += [text, re.sub(r"[^a-z0-9]", "", text)]
            words += [part for part in re.split(r"[^a-z0-9]+", text) if len(part) > 2]
    return [word for word in dict.fromkeys(words) if word]


def _too_guessable(feedback: dict[str, object]) -> str:
    """Return the message for a guessable password: zxcvbn's reason and what would help."""
    parts = ["This password is too easy to guess."]
    warning = feedback.get("warning")
    if isinstance(warning, str) and warning:
        parts.append(warning)
    suggestions = feedback.get("suggestions")
    if isinstance(suggestions, list) and suggestions:
        parts.extend(str(s) for s in suggestions[:1])
    else:
        parts.append("Add another word or two. Uncommon words are better.")
    return " ".join(part if part.endswith((".", "!", "?")) else part + "." for part in parts)


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
    user.set_password(check_password_strength(password, account=(user.email, user.display_name)))
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


@dataclass(frozen=True)
class KnownBrowser:
    """A browser that has logged in to account ``user_id`` before (its signed device cookie says so).

    ``key`` is the cookie's own random key: the browser's wrong passwords are counted under it.
    """

    user_id: int
    key: str


# Login attempts allowed as (count, seconds), longest window first: each time a wider window's limit
# is reached the wait is longer (a minute, then a quarter of an hour, an hour, a day). Attempts are
# counted before the password is checked, so a throttled guess costs no hash and tells nothing.
ADDRESS_LOGIN_LIMITS = ((200, 3600), (30, 60))
ACCOUNT_LOGIN_LIMITS = ((30, 86400), (11, 3600), (8, 900), (5, 60))
# A browser that has logged in to the account before is never held back by the address's or the
# account's count (so nobody can lock its owner out); its own wrong passwords have their own count.
KNOWN_BROWSER_LOGIN_LIMITS = ((30, 86400), (10, 900))


def authenticate(
    db: Session,
    email: object,
    password: object,
    *,
    limiter: Limiter,
    address: str,
    browser: KnownBrowser | None = None,
    keyed: Callable[[str], str] | None = None,
) -> User:
    """Return the user for a correct e-mail and password; throttle guessing without ever locking anyone out.

    ``address`` is a keyed hash of the caller's network address; ``keyed`` hashes the e-mail address
    for the counters the same way (the app's secret as key; plain SHA-256 without). Known and unknown e-mail addresses
    get the same answers: the same throttling (counted by e-mail address, whether or not it has an
    account) and, for an unknown one, a password check against a dummy hash that takes as long.
    """
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise ValidationError("Enter your e-mail address and password.", field="email")
    normalised = email.strip().lower()
    user = db.scalar(select(User).where(User.email == normalised))
    known = browser if browser is not None and user is not None and user.active and browser.user_id == user.id else None
    account = (keyed or _sha256)(normalised)
    _throttle_login(limiter, address=address, account=account, browser=known)
    if user is None or not user.active:
        verify_dummy_password(password)
        raise NotAuthenticated("The e-mail address or password is not right.", code="bad_credentials")
    if not user.check_password(password):
        raise NotAuthenticated("The e-mail address or password is not right.", code="bad_credentials")
    record(db, user, "auth.login", object_type="user", object_id=user.id)
    db.commit()  # with the entry, any rehash of the password with newer parameters
    return user


def _throttle_login(limiter: Limiter, *, address: str, account: str, browser: KnownBrowser | None) -> None:
    """Count one login attempt; raise 429 ``login_throttled`` (with Retry-After) when over a limit.

    ``address`` and ``account`` are hashes: no e-mail or network address is kept in the counters.
    """
    if browser is not None:
        checks = [(f"login-browser-{w}", browser.key, n, w) for n, w in KNOWN_BROWSER_LOGIN_LIMITS]
    else:
        checks = [(f"login-address-{w}", address, n, w) for n, w in ADDRESS_LOGIN_LIMITS]
        checks += [(f"login-account-{w}", account, n, w) for n, w in ACCOUNT_LOGIN_LIMITS]
    try:
        for scope, key, limit, window in checks:
            limiter.check(scope, key, limit, window)
    except RateLimited as refused:
        wait = max(1, refused.retry_after)
        raise RateLimited(
            f"Too many login attempts. Try again in {_duration(wait)}.", retry_after=wait, code="login_throttled"
        ) from None


def _sha256(value: str) -> str:
    """Return a short SHA-256 of ``value`` (any text, even with lone surrogates)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _duration(seconds: int) -> str:
    """Return ``seconds`` in words: "40 seconds", "15 minutes", "2 hours" (rounded up)."""
    if seconds < 90:
        count, unit = seconds, "second"
    elif seconds < 90 * 60:
        count, unit = -(-seconds // 60), "minute"
    else:
        count, unit = -(-seconds // 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def log_out(db: Session, user: User | None) -> None:
    """End every login of ``user``, in every browser, and close their consoles (their tokens stay).

    Noted in the audit trail; the adapter forgets the session in its own browser.
    """
    if user is None:
        return
    user.end_sessions()
    record(db, user, "auth.logout", object_type="user", object_id=user.id)
    db.commit()
    publisher().staff_sessions_ended(user.id, "You logged out. Log in again to carry on.")


def change_password(db: Session, user: User, current: object, new: object) -> None:
    """Replace ``user``'s password after checking the current one.

    Every login, console and token of the account ends: they were opened with the old password.
    The caller logs its own browser in again if it should stay in.
    """
    if not isinstance(current, str) or not user.check_password(current):
        raise ValidationError("Your current password is not right.", field="current_password")
    new_password = check_password_strength(new, account=(user.email, user.display_name))
    if new_password == current:
        raise ValidationError("Choose a password different from the current one.", field="password")
    user.set_password(new_password)
    user.must_change_password = False
    user.end_sessions()
    _revoke_all_tokens(db, user)
    record(db, user, "auth.password_change", object_type="user", object_id=user.id)
    db.commit()
    publisher().staff_sessions_ended(
        user.id, "Your password was changed. Log in again with the new one to carry on.", tokens_too=True
    )


def find_user(db: Session, email: object) -> User:
    """Return the user with e-mail address ``email`` (any case), or raise NotFound."""
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No user has the e-mail address {normalise_email(email)}.", code="user_not_found")
    return user


def set_active(db: Session, actor: Actor | None, user: User, *, active: bool) -> None:
    """Deactivate or reactivate ``user``; ``actor`` None means the trusted command line.

    Deactivating ends every login, console and token of the account for good: reactivating lets
    the person log in again, but what they held before stays dead.
    """
    who: User | str = COMMAND_LINE
    if actor is not None:
        who = actor.require_admin()
        if who.id == user.id and not active:
            raise ValidationError("You cannot deactivate your own account. Ask another admin to do it.", field="active")
    if user.active == active:
        return
    if not active:
        _keep_an_admin(db, user, "deactivate")
    user.active = active
    if not active:
        user.end_sessions()
        _revoke_all_tokens(db, user)
    record(db, who, "user.activate" if active else "user.deactivate", object_type="user", object_id=user.id)
    db.commit()
    if not active:
        publisher().staff_sessions_ended(user.id, "Your account was deactivated.", tokens_too=True)


def _revoke_all_tokens(db: Session, user: User) -> None:
    """Revoke every bearer token of ``user`` still in force (in the caller's transaction)."""
    db.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


def create_token(db: Session, user: User, label: str = "", *, days: int = DEFAULT_TOKEN_DAYS) -> tuple[str, ApiToken]:
    """Create an API token for ``user``, valid ``days`` days; return its secret (shown once, stored hashed) and row."""
    secret = ApiToken.new_secret()
    token = ApiToken(
        user=user, token_hash=hash_token(secret), label=label[:120], expires_at=utcnow() + timedelta(days=days)
    )
    db.add(token)
    db.flush()
    record(db, user, "auth.token_create", object_type="token", object_id=token.id)
    db.commit()
    return secret, token


def issue_token(db: Session, user: User, label: str = "", *, days: int = DEFAULT_TOKEN_DAYS) -> str:
    """Create an API token for ``user`` and return its secret."""
    return create_token(db, user, label, days=days)[0]


def user_for_token(db: Session, secret: str) -> User:
    """Return the active user a bearer token belongs to, noting its use; raise 401 when it does not work.

    ``last_used_at`` is written at most once a minute per token, keeping the hot path read-only.
    """
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.usable:
        raise NotAuthenticated("That API token is not valid.", code="invalid_token")
    now = utcnow()
    if token.expired(now):
        raise NotAuthenticated(
            "That API token has expired. Ask for a new one with POST /api/v1/auth/token.", code="token_expired"
        )
    if token.mark_used(now):
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


def ensure_first_admin(db: Session) -> tuple[str, str] | None:
    """With no users at all, create an admin with a one-time password and return its login."""
    if db.scalar(select(func.count(User.id))):
        return None
    password = one_time_password()
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


# ---------------------------------------------------------------------------------------------
# Admins managing staff accounts in the browser
# ---------------------------------------------------------------------------------------------


# Letters and digits nobody confuses when reading them out or copying them (no 0/o, 1/l/i).
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_password() -> str:
    """Return a random password to hand over once, like ``k7p2-qxmn-4hr8-tbw3`` (about 79 bits).

    Its owner must replace it at first login. Groups of four, in letters and digits that read
    out unambiguously, so it survives being dictated over the phone.
    """
    chars = [secrets.choice(ONE_TIME_ALPHABET) for _ in range(16)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))


def list_users(db: Session, actor: Actor) -> list[User]:
    """Return every staff account, active ones first, then by e-mail address (admins)."""
    actor.require_admin()
    return list(db.scalars(select(User).order_by(User.active.desc(), User.email)))


def get_user(db: Session, actor: Actor, user_id: int) -> User:
    """Return the staff account with ``user_id`` (admins), or raise NotFound."""
    actor.require_admin()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("There is no staff account with that id.", code="user_not_found")
    return user


def add_user(db: Session, actor: Actor, email: object, role: object, display_name: object = "") -> tuple[User, str]:
    """Create a staff account with a one-time password, as for the first admin; return it and the password.

    The admin hands the password over once (it is stored only hashed); the new member must
    choose their own at first login, before they can do anything else.
    """
    actor.require_admin()
    problems: dict[str, str] = {}
    if not isinstance(email, str) or not email.strip():
        problems["email"] = "Enter the staff member’s e-mail address"
    elif not EMAIL_RE.match(email.strip()):
        problems["email"] = "Enter an e-mail address in the correct format, like name@example.org"
    if not isinstance(role, str) or role not in {r.value for r in Role}:
        problems["role"] = "Choose what the new member of staff may do"
    if problems:
        raise ValidationError(next(iter(problems.values())), fields=problems)
    password = one_time_password()
    user = create_user(db, actor, email, role, password, display_name=display_name, must_change_password=True)
    return user, password


def change_role(db: Session, actor: Actor, user: User, role: object) -> bool:
    """Give ``user`` another role (admins); return whether it changed. The last active admin stays one."""
    who = actor.require_admin()
    if not isinstance(role, str) or not role:
        raise ValidationError("Choose what this member of staff may do", field="role")
    new_role = validation.choice(role, "role", Role, label="Role")
    if new_role is user.role:
        return False
    if user.role is Role.admin:
        _keep_an_admin(db, user, "demote")
    old_role = user.role
    user.role = new_role
    record(
        db,
        who,
        "user.role_change",
        object_type="user",
        object_id=user.id,
        detail=f"role {old_role.value} -> {new_role.value}",
    )
    db.commit()
    return True


def reset_password(db: Session, actor: Actor, user: User) -> str:
    """Give ``user`` a new one-time password (admins) and return it, to hand over once.

    Every login, console and token of the account ends at once; its owner must choose a new
    password at their next login. An admin changes their own password on the password page.
    """
    who = actor.require_admin()
    if who.id == user.id:
        raise ValidationError("Change your own password on the password page.", field="password")
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()
    _revoke_all_tokens(db, user)
    record(db, who, "user.password_reset", object_type="user", object_id=user.id)
    db.commit()
    publisher().staff_sessions_ended(
        user.id, "Your password was reset by an admin. Log in with the new one-time password.", tokens_too=True
    )
    return password


def _keep_an_admin(db: Session, user: User, verb: str) -> None:
    """Refuse to deactivate or demote ``user`` when they are the last active admin (nobody could manage staff)."""
    if user.role is not Role.admin or not user.active:
        return
    others = db.scalar(
        select(func.count(User.id)).where(User.role == Role.admin, User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(
            f"You cannot {verb} the last active admin: make someone else an admin first.",
            code="last_admin",
            field="role" if verb == "demote" else "active",
        )
