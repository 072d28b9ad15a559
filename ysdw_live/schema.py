"""Building blocks of the API schema: pydantic field types that validate with ``validation``.

Each domain declares its request bodies and response objects once, in ``<domain>/schemas.py``,
from these pieces. The same models validate requests (``parse``) and generate the OpenAPI
document, so a field, an enum value or a length limit cannot differ between the two. Field
types delegate to the parsers in ``validation``, which the HTML forms use too: the API's error
codes and messages stay the ones the services give.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema, PydanticCustomError

from ysdw_live import validation
from ysdw_live.db import MAX_DATABASE_ID
from ysdw_live.errors import ValidationError

M = TypeVar("M", bound=BaseModel)

# Join codes as the API accepts them: six characters, any letter case.
CODE_PATTERN = "^[A-Za-z2-9]{6}$"


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def values(self) -> dict[str, Any]:
        """Return the fields the caller sent, as validated JSON values, for a service."""
        return self.model_dump(mode="json", exclude_unset=True)


class Query(BaseModel):
    """Query-string parameters: other parameters are ignored, as browsers and proxies add some."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Reply(BaseModel):
    """A response object: documents what a serializer returns (it does not produce it)."""

    model_config = ConfigDict(extra="forbid")


class SchemaGenerator(GenerateJsonSchema):
    """Pydantic's JSON Schema without a generated ``title`` on every property."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:  # type: ignore[override]
        """Property titles would only repeat the property's name."""
        return False


def checked(check: Callable[[Any, str], Any]) -> BeforeValidator:
    """Run ``check(value, field)``; its ValidationError becomes a pydantic error with the same code and message."""

    def run(value: Any, info: ValidationInfo) -> Any:
        try:
            return check(value, info.field_name or "")
        except ValidationError as error:
            raise PydanticCustomError(error.code, "{message}", {"message": error.message}) from None

    return BeforeValidator(run)


def _without_default(schema: dict[str, Any]) -> None:
    """Drop the ``default: null`` of a field that may be left out but not sent as null."""
    schema.pop("default", None)


def custom(python_type: Any, check: Callable[[Any, str], Any], json_schema: dict[str, Any]) -> Any:
    """A field checked by ``check(value, field)`` and documented as ``json_schema``."""
    return Annotated[python_type, checked(check), WithJsonSchema(json_schema)]


def optional(description: str | None = None) -> Any:
    """A field the caller may leave out (nothing changes, or the service's default applies)."""
    return Field(default=None, description=description, json_schema_extra=_without_default)


def _nullable(schema: dict[str, Any], nullable: bool) -> dict[str, Any]:
    """Return ``schema`` also allowing null when ``nullable``."""
    if not nullable:
        return schema
    return {**schema, "type": [schema["type"], "null"]}


def text(
    max_length: int,
    label: str,
    *,
    required: bool = True,
    multiline: bool = False,
    nullable: bool = False,
    description: str | None = None,
) -> Any:
    """Text trimmed of outer space and checked for length and control characters."""

    def check(value: Any, field: str) -> str | None:
        if nullable and value is None:
            return None
        return validation.text(value, field, max_length=max_length, required=required, label=label, multiline=multiline)

    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if required:
        schema["minLength"] = 1
    if description:
        schema["description"] = description
    return Annotated[str | None if nullable else str, checked(check), WithJsonSchema(_nullable(schema, nullable))]


def whole(
    label: str,
    *,
    minimum: int = 1,
    maximum: int = MAX_DATABASE_ID,
    nullable: bool = False,
    description: str | None = None,
) -> Any:
    """A whole number within bounds; ids stop at the largest value a database INTEGER holds."""

    def check(value: Any, field: str) -> int | None:
        if nullable:
            return validation.optional_integer(value, field, minimum=minimum, maximum=maximum, label=label)
        return validation.integer(value, field, minimum=minimum, maximum=maximum, label=label)

    schema: dict[str, Any] = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if description:
        schema["description"] = description
    return Annotated[int | None if nullable else int, checked(check), WithJsonSchema(_nullable(schema, nullable))]


def flag(description: str | None = None) -> Any:
    """True or false."""
    schema: dict[str, Any] = {"type": "boolean"}
    if description:
        schema["description"] = description
    return Annotated[bool, checked(lambda value, field: validation.boolean(value, field)), WithJsonSchema(schema)]


def choice(enum_type: type[enum.Enum], label: str, *, nullable: bool = False) -> Any:
    """One value of ``enum_type``; the document lists the enum's values as a named schema."""

    def check(value: Any, field: str) -> enum.Enum | None:
        if nullable and value is None:
            return None
        return validation.choice(value, field, enum_type, label=label)

    return Annotated[enum_type | None if nullable else enum_type, checked(check)]  # type: ignore[valid-type]


def moment(label: str, *, nullable: bool = True, description: str | None = None) -> Any:
    """An aware date-time (RFC 3339, with ``Z`` or an offset)."""

    def check(value: Any, field: str) -> datetime | None:
        # No zone is passed: the API takes only aware times (a naive one is 400 naive_timestamp).
        parsed = validation.timestamp(value, field, label=label)
        if parsed is None and not nullable:
            raise ValidationError(f"Enter {label.lower()}.", field=field, code="required")
        return parsed

    schema: dict[str, Any] = {"type": "string", "format": "date-time"}
    if description:
        schema["description"] = description
    return Annotated[datetime | None, checked(check), WithJsonSchema(_nullable(schema, nullable))]


def day(label: str, *, description: str | None = None) -> Any:
    """A calendar date (YYYY-MM-DD), or null for none."""
    schema: dict[str, Any] = {"type": ["string", "null"], "format": "date"}
    if description:
        schema["description"] = description

    def check(value: Any, field: str) -> date | None:
        return validation.calendar_date(value, field, label=label)

    return Annotated[date | None, checked(check), WithJsonSchema(schema)]


def id_list(label: str, *, description: str | None = None) -> Any:
    """A list of database ids (duplicates are dropped by the service)."""

    def check(value: Any, field: str) -> list[int]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValidationError(f"{label} must be a list of numbers.", field=field)
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_DATABASE_ID:
                raise ValidationError(f"{label} must be a list of whole numbers.", field=field)
        return value

    schema: dict[str, Any] = {
        "type": ["array", "null"],
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID},
    }
    if description:
        schema["description"] = description
    return Annotated[list[int], checked(check), WithJsonSchema(schema)]


def text_list(max_length: int, label: str, item_label: str, *, description: str | None = None) -> Any:
    """A list of short texts (each trimmed and checked like :func:`text`)."""

    def check(value: Any, field: str) -> list[str]:
        if value is None:
            return []
        # A string is refused, not split: a list is what the document promises.
        if not isinstance(value, list):
            raise ValidationError(f"{label} must be a list of names.", field=field)
        return [validation.text(item, field, max_length=max_length, required=False, label=item_label) for item in value]

    schema: dict[str, Any] = {"type": "array", "items": {"type": "string", "maxLength": max_length}}
    if description:
        schema["description"] = description
    return Annotated[list[str], checked(check), WithJsonSchema(schema)]


def parse(model: type[M], payload: dict[str, Any]) -> M:
    """Validate ``payload`` against ``model``; the first problem becomes the API's ValidationError.

    Unknown fields are reported first (all of them), then the first bad field in the order
    the model declares them, which is the order the services check them in.
    """
    try:
        return model.model_validate(payload)
    except PydanticValidationError as error:
        raise _domain_error(model, error) from None


def _domain_error(model: type[BaseModel], error: PydanticValidationError) -> ValidationError:
    """Return the ValidationError the API answers for pydantic's ``error``."""
    problems = error.errors(include_url=False)
    unknown = sorted(str(p["loc"][0]) for p in problems if p["type"] == "extra_forbidden" and p["loc"])
    if unknown:
        return ValidationError(f"Unknown field: {', '.join(unknown)}.", code="unknown_field", field=unknown[0])
    first = problems[0]
    field = str(first["loc"][0]) if first["loc"] else None
    if first["type"] == "missing" and field is not None:
        # A missing field is checked as if sent empty, so the message is the usual "Enter …".
        try:
            model.model_validate({field: None})
        except PydanticValidationError as again:
            for problem in again.errors(include_url=False):
                if problem["loc"][:1] == (field,) and problem["type"] != "missing":
                    return ValidationError(problem["msg"], code=problem["type"], field=field)
        return ValidationError(f"Enter {field.replace('_', ' ')}.", code="required", field=field)
    if field is None:
        return ValidationError("The body must be a JSON object.", code="malformed_json")
    code = first["type"] if "message" in (first.get("ctx") or {}) else "invalid"
    return ValidationError(first["msg"], code=code, field=field)


class ErrorDetail(Reply):
    """What went wrong, for people and for programs."""

    code: str = Field(description="A machine word, e.g. required, too_long, meeting_not_found")
    message: str = Field(description="Plain English, fit to show to the person")
    fields: dict[str, str] = optional("The fields at fault, each with its message")


class Error(Reply):
    """Every 4xx answer of the API."""

    error: ErrorDetail
