"""The API's survey objects: request bodies and responses, declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from ysdw_live.errors import ValidationError
from ysdw_live.i18n import gettext
from ysdw_live.schema import Body, Reply, choice, custom, optional, text, whole
from ysdw_live.surveys.models import (
    DAYS_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PROMPT_MAX,
    QUESTIONS_MAX,
    TITLE_MAX,
    QuestionKind,
    SurveyStatus,
)


def _object(value: Any, field: str) -> dict[str, Any]:
    """An object (checked against the survey by the service)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(gettext("%(field)s must be an object.", field=field.capitalize()), field=field)
    return value


def _template(value: Any, field: str) -> str:
    """A shipped template's name."""
    if value != "trust_confidence":
        raise ValidationError(
            gettext("There is no survey template with that name."), field=field, code="unknown_template"
        )
    return value


def _questions(value: Any, field: str) -> list[Any]:
    """A list of question objects (each checked by the service)."""
    if not isinstance(value, list):
        raise ValidationError(gettext("Questions must be a list."), field=field)
    return value


QUESTION_SCHEMA = {
    "type": "object",
    "required": ["kind", "prompt"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": [kind.value for kind in QuestionKind]},
        "prompt": {"type": "string", "minLength": 1, "maxLength": PROMPT_MAX},
        "options": {
            "type": "array",
            "maxItems": OPTIONS_MAX,
            "items": {"type": "string", "minLength": 1, "maxLength": OPTION_MAX},
            "description": "Labels, for single, multiple and likert (likert defaults to the agree scale)",
        },
        "required": {"type": "boolean"},
        "scale_max": {"type": "integer", "enum": [5, 10], "description": "Rating only: 1–5 (default) or 1–10"},
    },
}

Title = text(TITLE_MAX, "Title")
Template = custom(str, _template, {"type": "string", "enum": ["trust_confidence"]})
Questions = custom(
    list[Any], _questions, {"type": "array", "minItems": 1, "maxItems": QUESTIONS_MAX, "items": QUESTION_SCHEMA}
)
Days = whole("Days open", maximum=DAYS_MAX, description="How many days the survey stays open (default 14)")
Answers = custom(
    dict[str, Any],
    _object,
    {
        "type": "object",
        "description": "Keyed by question id: an option id (single, likert), a list of option ids "
        "(multiple), a whole number (rating, nps) or a text (text)",
    },
)
Equality = custom(
    dict[str, Any],
    _object,
    {
        "type": "object",
        "description": "Optional equality monitoring, keyed by age_band, ethnic_group, ethnic_detail, sex, "
        "gender_identity, disability, disability_impact, religion, sexual_orientation; each value one of "
        "the question's labels or “Prefer not to say”. Stored apart from the response, reported only in aggregate.",
        "additionalProperties": {"type": "string"},
    },
)


class SurveyInput(Body):
    """A new survey: the trust_confidence template, or a title and questions."""

    template: Template = optional()
    title: Title = optional()
    questions: Questions = optional()
    days: Days = optional()


class SurveyPatch(Body):
    """Open or close a survey; rename it; replace its questions until someone answers."""

    status: choice(SurveyStatus, "Status") = optional()  # type: ignore[valid-type]
    days: Days = optional()
    title: Title = optional()
    questions: Questions = optional()


class ResponseInput(Body):
    """One participant's answers."""

    answers: Answers
    equality: Equality = optional()


class Option(Reply):
    """A choice of a question."""

    id: int
    label: str


class Scale(Reply):
    """The numbers a rating or NPS question takes."""

    min: int
    max: int


class Question(Reply):
    """A survey question."""

    id: int
    kind: QuestionKind
    prompt: str
    hint: str
    options: list[Option]
    required: bool
    scale: Scale | None


class Survey(Reply):
    """A meeting's survey."""

    id: int
    title: str
    meeting_code: str
    status: SurveyStatus
    closes_at: datetime | None
    questions: list[Question]


class ResponseCreated(Reply):
    """A stored response."""

    id: int
    survey_id: int
    created_at: datetime


class OptionResult(Reply):
    """An option's count and percentage; both null when fewer than 10 answered."""

    id: int
    label: str
    count: int | None
    percent: int | None


class TextAnswer(Reply):
    """A free-text answer (staff only)."""

    id: int
    text: str


class QuestionResult(Reply):
    """One question's results."""

    id: int
    kind: QuestionKind
    prompt: str
    answered: int
    suppressed: bool = Field(description="True when fewer than 10 answered: no counts or percentages")
    options: list[OptionResult] = optional("single, multiple, likert")
    distribution: dict[str, int] | None = optional("rating, nps: count per value; null under 10")
    mean: float | None = optional("rating, nps; null under 10")
    nps: int | None = optional("nps: % promoters minus % detractors; null under 10")
    answers: list[TextAnswer] = optional("text")


class EqualityGroup(Reply):
    """A group of an equality question; null count under 10 people."""

    label: str
    count: int | None
    percent: int | None


class EqualityResult(Reply):
    """An equality question in aggregate."""

    key: str
    label: str
    answered: int
    groups: list[EqualityGroup]


class SurveyResults(Reply):
    """A survey's results for staff."""

    survey_id: int
    status: SurveyStatus
    suppress_under: int
    responses: int
    questions: list[QuestionResult]
    equality: list[EqualityResult]
