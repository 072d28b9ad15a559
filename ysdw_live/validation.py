"""Small, strict parsers for untrusted input; each raises ValidationError naming the field."""

from __future__ import annotations

import enum
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar

from ysdw_live.errors import ValidationError

E = TypeVar("E", bound=enum.Enum)


def text(
    value: Any, field: str, *, max_length: int, required: bool = True, label: str | None = None, multiline: bool = False
) -> str:
    """Return ``value`` as text with surrounding space trimmed, enforcing presence and length."""
    name = label or field.replace("_", " ").capitalize()
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text.", field=field)
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not value:
        raise ValidationError(f"Enter {name.lower()}.", field=field, code="required")
    if len(value) > max_length:
        raise ValidationError(
            f"{name} must be {max_length} characters or fewer (it is {len(value)}).",
            field=field,
            code="too_long",
        )
    for ch in value:
        if ch == "\t" or (ch == "\n" and multiline):
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValidationError(
                f"{name} contains a character that is not allowed.", field=field, code="bad_character"
            )
    return value


def integer(
    value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None, label: str | None = None
) -> int:
    """Return ``value`` as an int (JSON numbers or digit strings), within bounds."""
    name = label or field.replace("_", " ").capitalize()
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be a whole number.", field=field)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValidationError(f"{name} must be a whole number.", field=field)
    if minimum is not None and value < minimum:
        raise ValidationError(f"{name} must be {minimum} or more.", field=field, code="out_of_range")
    if maximum is not None and value > maximum:
        raise ValidationError(f"{name} must be {maximum} or less.", field=field, code="out_of_range")
    return value


def optional_integer(value: Any, field: str, **kwargs: Any) -> int | None:
    """Like :func:`integer`, but None and empty strings mean "not given"."""
    if value is None or value == "":
        return None
    return integer(value, field, **kwargs)


def boolean(value: Any, field: str) -> bool:
    """Return ``value`` as a bool from JSON true/false or form values."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "off", "no", ""):
        return False
    raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be true or false.", field=field)


def choice(value: Any, field: str, enum_type: type[E], *, label: str | None = None) -> E:
    """Return the member of ``enum_type`` named by ``value``."""
    name = label or field.replace("_", " ").capitalize()
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(member.value) for member in enum_type)
        raise ValidationError(f"{name} must be one of: {allowed}.", field=field) from None


def timestamp(value: Any, field: str, *, label: str | None = None, zone: tzinfo | None = None) -> datetime | None:
    """Return an ISO 8601 date-time (or an aware ``datetime``) as aware UTC, or None when empty.

    A time without a zone offset is read in ``zone`` (forms pass the configured zone); without
    ``zone`` it is refused, because nobody can tell which 18:30 it means.
    """
    name = label or field.replace("_", " ").capitalize()
    example = "2026-03-14T18:30:00Z or 2026-03-14T18:30:00+01:00"
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{name} must be a date and time like {example}.", field=field) from None
    else:
        raise ValidationError(f"{name} must be a date and time like {example}.", field=field)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if zone is None:
            raise ValidationError(
                f"{name} needs a time zone: add Z for UTC or an offset, like {example}.",
                field=field,
                code="naive_timestamp",
            )
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # A zone offset pushes a date like 9999-12-31 past the last year.
        raise ValidationError(f"{name} must be a date and time like {example}.", field=field) from None


def calendar_date(value: Any, field: str, *, label: str | None = None) -> date | None:
    """Return an ISO 8601 date (YYYY-MM-DD), or None when empty."""
    name = label or field.replace("_", " ").capitalize()
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a date like 2026-03-14.", field=field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{name} must be a real date like 2026-03-14.", field=field) from None


def reject_unknown(payload: dict[str, Any], allowed: set[str]) -> None:
    """Refuse fields the endpoint does not know, so typos are not silently ignored."""
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise ValidationError(f"Unknown field: {', '.join(unknown)}.", code="unknown_field", field=unknown[0])
