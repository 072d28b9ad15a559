"""Staff users and their API tokens."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.db import Base, UTCDateTime, utcnow

_hasher = PasswordHasher()
# A hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not a real password")

# last_used_at is written at most this often per token, so a busy script does not write on every call.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


class Role(enum.StrEnum):
    """What a staff member may do."""

    admin = "admin"
    facilitator = "facilitator"
    leader = "leader"


MEETING_MANAGERS = frozenset({Role.admin, Role.facilitator})
ALL_STAFF = frozenset(Role)


class User(Base):
    """A staff member who logs in: admin, facilitator or leader."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every login cookie carries the version it began under; bumping it (logout, password change,
    # deactivation) ends all of the account's sessions in every browser, and its sockets.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        """Store ``password`` hashed with Argon2id."""
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches, rehashing when the parameters have changed."""
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    def end_sessions(self) -> None:
        """End every login of this account, in every browser: their cookies carry the old version."""
        self.session_version += 1

    def has_role(self, roles: frozenset[Role]) -> bool:
        """Return whether this active user holds one of ``roles``."""
        return self.active and self.role in roles


def verify_dummy_password(password: str) -> None:
    """Spend the same time as a real check, for unknown e-mail addresses."""
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def hash_token(token: str) -> str:
    """Return the stored form of an API token (tokens are long and random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    """A bearer token for the JSON API, stored only as a hash, revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def new_secret() -> str:
        """Return a fresh random token for the caller to keep."""
        return "ysdw_" + secrets.token_urlsafe(32)

    @property
    def usable(self) -> bool:
        """Whether this token may still authenticate: not revoked, and its user still active."""
        return self.revoked_at is None and self.user.active

    def expired(self, now: datetime) -> bool:
        """Whether the token's lifetime is over at ``now``."""
        return now >= self.expires_at

    def mark_used(self, now: datetime) -> bool:
        """Note that the token authenticated at ``now``, at most once a minute; return whether it changed."""
        if self.last_used_at is not None and now - self.last_used_at < TOKEN_USE_RESOLUTION:
            return False
        self.last_used_at = now
        return True

    def revoke(self) -> None:
        """Stop this token from working."""
        if self.revoked_at is None:
            self.revoked_at = utcnow()
