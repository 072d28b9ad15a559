"""Small, strict parsers for untrusted input; each raises ValidationError naming the field."""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar

from ysdw_live.errors import ValidationError
from ysdw_live.i18n import gettext

E = TypeVar("E", bound=enum.Enum)

# Every number the app keeps goes into an INTEGER column: PostgreSQL's int4 is the narrowest.
INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1
# A number as a person (or a form's hidden field) writes it: ASCII digits, perhaps a minus sign.
# int() would also take "²"-like digits of other scripts, "1_000" and "+7", and 5,000 digits.
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# No request body needs more nesting than this; deeper ones are refused before anything walks them.
JSON_DEPTH_MAX = 32


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than JSON_DEPTH_MAX (a ValueError, like any other malformed JSON)."""


def json_loads(data: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON like ``json.loads``, refusing nesting deeper than JSON_DEPTH_MAX with JSONTooDeep.

    The C parser recurses once per level, so a body like ``[[[[…]]]]`` 100,000 deep raises
    RecursionError, which nobody catches as bad input; and a merely very deep value would make
    every later walk over it (validation, error messages) recurse as deep.
    """
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise JSONTooDeep(f"JSON nested deeper than {JSON_DEPTH_MAX} levels") from None
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > JSON_DEPTH_MAX:
                raise JSONTooDeep(f"JSON nested deeper than {JSON_DEPTH_MAX} levels")
            pending.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return value


class DepthLimitedJSON:
    """A stand-in for the ``json`` module, for libraries that take one (python-socketio's packets)."""

    dumps = staticmethod(json.dumps)
    loads = staticmethod(json_loads)


def has_lone_surrogate(value: str) -> bool:
    """Return whether ``value`` holds half of a UTF-16 pair (JSON's backslash-u-d800): no database can store it."""
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_lone_surrogates(payload: dict[str, Any]) -> None:
    """Refuse a JSON object with a lone surrogate in any string, naming the top-level field that holds it."""
    for key, value in payload.items():
        if has_lone_surrogate(key):
            raise ValidationError("A field name contains a character that is not allowed.", code="bad_character")
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                strings = [item]
            elif isinstance(item, dict):
                strings = list(item)
                pending.extend(item.values())
            elif isinstance(item, list):
                strings = []
                pending.extend(item)
            else:
                continue
            if any(has_lone_surrogate(text) for text in strings):
                name = key.replace("_", " ").capitalize()
                raise ValidationError(
                    gettext("%(name)s contains a character that is not allowed.", name=name),
                    field=key,
                    code="bad_character",
                )


def _name(label: str | None, field: str) -> str:
    """The field's name in messages: its English ``label`` in the request's language, else from ``field``."""
    return gettext(label) if label else field.replace("_", " ").capitalize()


def text(
    value: Any,
    field: str,
    *,
    max_length: int,
    required: bool = True,
    label: str | None = None,
    multiline: bool = False,
    missing: str | None = None,
) -> str:
    """Return ``value`` as text with surrounding space trimmed, enforcing presence and length.

    ``missing`` is the message when a required value is empty, in GOV.UK wording ("Enter a title
    for the meeting"); without it the message is "Enter <label>.". Messages are in the request's
    language; ``label`` is English, translated here when the catalogue has it (mark it with ``N_``).
    """
    name = _name(label, field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(gettext("%(name)s must be text.", name=name), field=field)
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not value:
        raise ValidationError(missing or gettext("Enter %(name)s.", name=name.lower()), field=field, code="required")
    if len(value) > max_length:
        raise ValidationError(
            gettext(
                "%(name)s must be %(maximum)d characters or fewer (it is %(length)d).",
                name=name,
                maximum=max_length,
                length=len(value),
            ),
            field=field,
            code="too_long",
        )
    for ch in value:
        if ch == "\t" or (ch == "\n" and multiline):
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValidationError(
                gettext("%(name)s contains a character that is not allowed.", name=name),
                field=field,
                code="bad_character",
            )
    return value


def integer(
    value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None, label: str | None = None
) -> int:
    """Return ``value`` as an int (JSON numbers or ASCII digit strings), within bounds.

    Without bounds the range is a database INTEGER's, so no number this returns can overflow a
    column or a query parameter (SQLite's int64 bind, PostgreSQL's int4) further down.
    """
    name = _name(label, field)
    lowest = INTEGER_MIN if minimum is None else max(minimum, INTEGER_MIN)
    highest = INTEGER_MAX if maximum is None else min(maximum, INTEGER_MAX)
    if isinstance(value, bool):
        raise ValidationError(gettext("%(name)s must be a whole number.", name=name), field=field)
    if isinstance(value, str):
        digits = value.strip()
        if not _WHOLE_NUMBER.fullmatch(digits):
            raise ValidationError(gettext("%(name)s must be a whole number.", name=name), field=field)
        # Compared as text first: int() of thousands of digits is slow, and refused past 4,300.
        too_long = len(digits.lstrip("-").lstrip("0")) > len(str(INTEGER_MAX))
        past_the_end = INTEGER_MIN - 1 if digits.startswith("-") else INTEGER_MAX + 1
        value = past_the_end if too_long else int(digits)
    if not isinstance(value, int):
        raise ValidationError(gettext("%(name)s must be a whole number.", name=name), field=field)
    if value < lowest:
        raise ValidationError(
            gettext("%(name)s must be %(lowest)d or more.", name=name, lowest=lowest), field=field, code="out_of_range"
        )
    if value > highest:
        raise ValidationError(
            gettext("%(name)s must be %(highest)d or less.", name=name, highest=highest),
            field=field,
            code="out_of_range",
        )
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
    raise ValidationError(gettext("%(name)s must be true or false.", name=_name(None, field)), field=field)


def choice(value: Any, field: str, enum_type: type[E], *, label: str | None = None) -> E:
    """Return the member of ``enum_type`` named by ``value``."""
    name = _name(label, field)
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(member.value) for member in enum_type)
        raise ValidationError(
            gettext("%(name)s must be one of: %(allowed)s.", name=name, allowed=allowed), field=field
        ) from None


def timestamp(value: Any, field: str, *, label: str | None = None, zone: tzinfo | None = None) -> datetime | None:
    """Return an ISO 8601 date-time (or an aware ``datetime``) as aware UTC, or None when empty.

    A time without a zone offset is read in ``zone`` (forms pass the configured zone); without
    ``zone`` it is refused, because nobody can tell which 18:30 it means.
    """
    name = _name(label, field)
    example = "2026-03-14T18:30:00Z or 2026-03-14T18:30:00+01:00"
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                gettext("%(name)s must be a date and time like %(example)s.", name=name, example=example), field=field
            ) from None
    else:
        raise ValidationError(
            gettext("%(name)s must be a date and time like %(example)s.", name=name, example=example), field=field
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if zone is None:
            raise ValidationError(
                gettext(
                    "%(name)s needs a time zone: add Z for UTC or an offset, like %(example)s.",
                    name=name,
                    example=example,
                ),
                field=field,
                code="naive_timestamp",
            )
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # A zone offset pushes a date like 9999-12-31 past the last year.
        raise ValidationError(
            gettext("%(name)s must be a date and time like %(example)s.", name=name, example=example), field=field
        ) from None


def calendar_date(value: Any, field: str, *, label: str | None = None) -> date | None:
    """Return an ISO 8601 date (YYYY-MM-DD), or None when empty."""
    name = _name(label, field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(gettext("%(name)s must be a date like 2026-03-14.", name=name), field=field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            gettext("%(name)s must be a real date like 2026-03-14.", name=name), field=field
        ) from None


def reject_unknown(payload: dict[str, Any], allowed: set[str]) -> None:
    """Refuse fields the endpoint does not know, so typos are not silently ignored."""
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise ValidationError(
            gettext("Unknown field: %(fields)s.", fields=", ".join(unknown)), code="unknown_field", field=unknown[0]
        )
