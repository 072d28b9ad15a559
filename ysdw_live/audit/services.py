"""The audit trail: services record every staff action here; admins read, filter and export it.

``record`` adds an entry to the caller's transaction and never commits: the entry is kept exactly
when the change it describes is. What it stores is who (the staff member, or the command line, or
the system's own jobs), the action, the object (a type and an id or code) and a short detail in
the staff's own terms. It never stores an attendee's identity, token or words: those are deleted
after the retention period, and the trail is not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.models import (
    ACTION_MAX,
    ACTOR_MAX,
    COMMAND_LINE,
    DETAIL_MAX,
    OBJECT_ID_MAX,
    OBJECT_TYPE_MAX,
    SYSTEM,
    AuditEntry,
)
from ysdw_live.auth.models import User
from ysdw_live.clock import Clock
from ysdw_live.db import MAX_DATABASE_ID
from ysdw_live.errors import ValidationError

__all__ = ["COMMAND_LINE", "PER_PAGE", "SYSTEM", "AuditFilters", "AuditPage", "record"]

PER_PAGE = 50
# The filter's dates stay where converting a local midnight to UTC cannot overflow.
FIRST_YEAR, LAST_YEAR = 2000, 9998


def record(
    db: Session,
    who: User | str | None,
    action: str,
    *,
    object_type: str = "",
    object_id: object = "",
    detail: str = "",
) -> AuditEntry:
    """Add one entry to the trail in ``db``'s transaction (the caller commits it with the change).

    ``who`` is the staff member, or :data:`COMMAND_LINE` / :data:`SYSTEM` (None means the command line).
    """
    if isinstance(who, User):
        user_id, actor = who.id, who.email
    else:
        user_id, actor = None, who or COMMAND_LINE
    entry = AuditEntry(
        user_id=user_id,
        actor=actor[:ACTOR_MAX],
        action=action[:ACTION_MAX],
        object_type=object_type[:OBJECT_TYPE_MAX],
        object_id=str(object_id if object_id is not None else "")[:OBJECT_ID_MAX],
        detail=detail[:DETAIL_MAX],
    )
    db.add(entry)
    return entry


def _shown(value: Any) -> str:
    """Return a value as the trail shows it."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(getattr(value, "value", value))


def describe_changes(changes: Iterable[tuple[str, Any, Any]], *, with_values: Iterable[str] = ()) -> str:
    """Return "status: draft → live; title changed" for ``(field, old, new)`` changes.

    Only the fields named in ``with_values`` (statuses, switches, numbers: never free text) show
    their old and new values; the others are named as changed.
    """
    shown = set(with_values)
    parts = [
        f"{name}: {_shown(old)} → {_shown(new)}" if name in shown else f"{name} changed" for name, old, new in changes
    ]
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Reading (admins)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the trail is narrowed to: one staff member, and a range of days (in the meeting zone)."""

    user_id: int | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.user_id or self.since or self.until)

    def as_query(self) -> dict[str, str]:
        """Return the filters as query-string arguments (for links to other pages and the CSV)."""
        args: dict[str, str] = {}
        if self.user_id:
            args["user"] = str(self.user_id)
        if self.since:
            args["since"] = self.since.isoformat()
        if self.until:
            args["until"] = self.until.isoformat()
        return args

    def describe(self) -> str:
        """Return the filters in words (the export's own audit entry says what was exported)."""
        parts = []
        if self.user_id:
            parts.append(f"user {self.user_id}")
        if self.since:
            parts.append(f"from {self.since.isoformat()}")
        if self.until:
            parts.append(f"to {self.until.isoformat()}")
        return ", ".join(parts) or "everything"


def _day(value: Any, field: str, label: str) -> date | None:
    """Return a calendar date from the filter form, within years the clock can convert."""
    day = validation.calendar_date(value or None, field, label=label)
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            f"{label} must be a date between {FIRST_YEAR} and {LAST_YEAR}.", field=field, code="out_of_range"
        )
    return day


def parse_filters(args: Mapping[str, Any]) -> AuditFilters:
    """Return the filters in query-string ``args``: ``user`` (an id), ``since`` and ``until`` (YYYY-MM-DD)."""
    user_id = validation.optional_integer(args.get("user"), "user", minimum=1, maximum=MAX_DATABASE_ID, label="User")
    since = _day(args.get("since"), "since", "From")
    until = _day(args.get("until"), "until", "To")
    if since and until and until < since:
        raise ValidationError("The “to” date must be on or after the “from” date.", field="until", code="bad_range")
    return AuditFilters(user_id=user_id, since=since, until=until)


def _filtered(filters: AuditFilters, clock: Clock) -> Select[tuple[AuditEntry]]:
    """Return the query for the entries ``filters`` select (dates are whole days in the clock's zone)."""
    query = select(AuditEntry)
    if filters.user_id is not None:
        query = query.where(AuditEntry.user_id == filters.user_id)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= clock.from_local(datetime.combine(filters.since, time.min)))
    if filters.until is not None:
        day_after = filters.until + timedelta(days=1)
        query = query.where(AuditEntry.created_at < clock.from_local(datetime.combine(day_after, time.min)))
    return query


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    filters: AuditFilters

    @property
    def has_previous(self) -> bool:
        """Whether there is a newer page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is an older page."""
        return self.page < self.pages


def search(
    db: Session, actor: Actor, filters: AuditFilters, *, clock: Clock, page: int = 1, per_page: int = PER_PAGE
) -> AuditPage:
    """Return one page of the entries ``filters`` select, newest first (admins)."""
    actor.require_admin()
    query = _filtered(filters, clock)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    entries = db.scalars(
        query.options(joinedload(AuditEntry.user))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AuditPage(entries=list(entries), page=page, pages=pages, total=total, filters=filters)


def export(db: Session, actor: Actor, filters: AuditFilters, *, clock: Clock) -> list[AuditEntry]:
    """Return every entry ``filters`` select, newest first, noting the export itself in the trail (admins)."""
    user = actor.require_admin()
    entries = list(db.scalars(_filtered(filters, clock).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())))
    record(db, user, "audit.export", object_type="audit", detail=f"{len(entries)} entries: {filters.describe()}")
    db.commit()
    return entries


def staff_users(db: Session, actor: Actor) -> list[User]:
    """Return every staff account, for the trail's "who" filter (admins)."""
    actor.require_admin()
    return list(db.scalars(select(User).order_by(User.email)))
