"""A meeting's survey, its questions and options, responses, and the equality monitoring kept apart.

Each question kind is one class in :data:`KINDS` that checks an answer and summarises the
results, so services, serializers and templates never branch on the kind themselves.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live import validation
from ysdw_live.db import Base, UTCDateTime, utcnow
from ysdw_live.errors import Conflict, ValidationError
from ysdw_live.i18n import N_, gettext
from ysdw_live.meetings.models import Meeting, Participant

TITLE_MAX = 200
PROMPT_MAX = 500
OPTION_MAX = 200
OPTIONS_MAX = 20
QUESTIONS_MAX = 40
TEXT_ANSWER_MAX = 2000
DAYS_DEFAULT = 14
DAYS_MAX = 90
# Below this many answers no count or percentage is shown (samples are small and self-selected).
SUPPRESS_UNDER = 10


class SurveyStatus(enum.StrEnum):
    """Whether a survey takes responses."""

    open = "open"
    closed = "closed"


class QuestionKind(enum.StrEnum):
    """What kind of answer a question takes."""

    likert = "likert"
    rating = "rating"
    single = "single"
    multiple = "multiple"
    text = "text"
    nps = "nps"


# Stored in English (marked for extraction; the survey pages show them translated).
LIKERT_SCALE = (
    N_("Strongly agree"),
    N_("Tend to agree"),
    N_("Neither agree nor disagree"),
    N_("Tend to disagree"),
    N_("Strongly disagree"),
    N_("Don't know"),
)


class Survey(Base):
    """The survey of one meeting: open for a set number of days, questions frozen once answered."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    template: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[SurveyStatus] = mapped_column(
        Enum(SurveyStatus, native_enum=False, length=20), default=SurveyStatus.open
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many responses retention deleted, and the results as they were then (the aggregate kept).
    purged_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kept_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship()
    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )

    def is_open(self, now: datetime) -> bool:
        """Whether responses are taken at ``now``: opened, not closed, and before ``closes_at``."""
        return self.status is SurveyStatus.open and (self.closes_at is None or now < self.closes_at)

    def effective_status(self, now: datetime) -> SurveyStatus:
        """The status people see: an open survey past its ``closes_at`` reads as closed."""
        return SurveyStatus.open if self.is_open(now) else SurveyStatus.closed

    def open(self, now: datetime, days: int = DAYS_DEFAULT) -> None:
        """Open (or reopen) for ``days`` days from ``now``; refused when already open."""
        if self.is_open(now):
            raise Conflict(gettext("This survey is already open."), code="survey_open")
        self.status = SurveyStatus.open
        self.opened_at = now
        self.closes_at = now + timedelta(days=days)
        self.closed_at = None

    def close(self, now: datetime) -> None:
        """Stop taking responses; refused when already closed."""
        if not self.is_open(now):
            raise Conflict(gettext("This survey is already closed."), code="survey_closed")
        self.status = SurveyStatus.closed
        self.closed_at = now

    def require_open(self, now: datetime) -> None:
        """Raise 409 unless responses are taken now."""
        if not self.is_open(now):
            raise Conflict(gettext("This survey is closed: it no longer takes responses."), code="survey_closed")

    def question(self, question_id: int) -> SurveyQuestion | None:
        """Return this survey's question with ``question_id``."""
        return next((q for q in self.questions if q.id == question_id), None)


class SurveyQuestion(Base):
    """One question; ``scale_max`` is the top of a rating scale (5 or 10)."""

    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=20))
    prompt: Mapped[str] = mapped_column(String(PROMPT_MAX))
    hint: Mapped[str] = mapped_column(String(PROMPT_MAX), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    scale_max: Mapped[int | None] = mapped_column(Integer)
    # A stable key for template questions (e.g. "police_rating"), so trends line up across meetings.
    key: Mapped[str] = mapped_column(String(40), default="")

    survey: Mapped[Survey] = relationship(back_populates="questions")
    options: Mapped[list[SurveyOption]] = relationship(
        back_populates="question", order_by="SurveyOption.position", cascade="all, delete-orphan"
    )

    @property
    def field(self) -> type[QuestionField]:
        """The class that checks and summarises answers of this kind."""
        return KINDS[self.kind]

    def option(self, option_id: int) -> SurveyOption | None:
        """Return this question's option with ``option_id``."""
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def scale(self) -> range:
        """The numbers a rating or NPS question accepts."""
        if self.kind is QuestionKind.nps:
            return range(0, 11)
        return range(1, (self.scale_max or 5) + 1)


class SurveyOption(Base):
    """One choice of a question."""

    __tablename__ = "survey_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(OPTION_MAX))

    question: Mapped[SurveyQuestion] = relationship(back_populates="options")


class SurveyResponse(Base):
    """One participant's response; the unique constraint is the one-response rule, under any race."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[Participant] = relationship()
    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class SurveyAnswer(Base):
    """One answer: an option id, a list of option ids, a number or a text, as JSON."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    value: Mapped[Any] = mapped_column(JSON)


class SurveyDraft(Base):
    """Answers given so far on the one-question-per-page form, until the respondent sends them.

    Never holds equality answers: those go straight from their page into the response's transaction.
    """

    __tablename__ = "survey_draft"
    __table_args__ = (UniqueConstraint("survey_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EqualityAnswers(Base):
    """One person's equality monitoring answers: special category data, kept apart.

    No link to the response, the participant or the free text: the row cannot be read back to a
    person or their words. It is written in the same transaction as a response, so there is at
    most one per response; it is only ever read in aggregate.
    """

    __tablename__ = "survey_equality"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, str]] = mapped_column(JSON)


# ---------------------------------------------------------------------------------------------
# Question kinds: checking an answer and summarising results
# ---------------------------------------------------------------------------------------------


def percent(count: int, total: int) -> int | None:
    """Return a whole percentage of ``total``, or None when ``total`` is under the suppression limit."""
    if total < SUPPRESS_UNDER or total == 0:
        return None
    return round(100 * count / total)


@dataclass(frozen=True)
class QuestionField:
    """A question kind: checks one answer, summarises many."""

    kind: ClassVar[QuestionKind]

    @staticmethod
    @abstractmethod
    def check(question: SurveyQuestion, value: Any, field: str) -> Any:
        """Return the answer as stored, or raise ValidationError."""

    @staticmethod
    @abstractmethod
    def summary(question: SurveyQuestion, values: list[Any]) -> dict[str, Any]:
        """Return the per-question results from the stored answers."""

    @staticmethod
    def from_form(values: list[str]) -> Any:
        """Return a form's submitted values as the API's answer (a number where one is meant)."""
        if not values or values[0].strip() == "":
            return None
        value = values[0].strip()
        return int(value) if value.isdigit() and len(value) <= 10 else value


def _option_counts(question: SurveyQuestion, counts: Counter[int], answered: int) -> list[dict[str, Any]]:
    """Return each option with its count and percentage, both null when fewer than 10 answered."""
    hidden = answered < SUPPRESS_UNDER
    return [
        {
            "id": option.id,
            "label": option.label,
            "count": None if hidden else counts[option.id],
            "percent": percent(counts[option.id], answered),
        }
        for option in question.options
    ]


def _whole(value: Any) -> bool:
    """Whether ``value`` is a JSON whole number (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


class ChoiceField(QuestionField):
    """One option (single, likert)."""

    @staticmethod
    def check(question: SurveyQuestion, value: Any, field: str) -> Any:
        """An option id of this question."""
        if not _whole(value):
            raise ValidationError(gettext("Choose one of the options."), field=field, code="invalid")
        if question.option(value) is None:
            raise ValidationError(
                gettext("That is not one of this question's options."), field=field, code="unknown_option"
            )
        return value

    @staticmethod
    def summary(question: SurveyQuestion, values: list[Any]) -> dict[str, Any]:
        """Counts per option."""
        return {"options": _option_counts(question, Counter(values), len(values))}


class MultipleField(QuestionField):
    """Any number of options."""

    @staticmethod
    def check(question: SurveyQuestion, value: Any, field: str) -> Any:
        """A list of distinct option ids of this question."""
        if not isinstance(value, list) or not all(_whole(item) for item in value):
            raise ValidationError(gettext("Choose options from the list."), field=field, code="invalid")
        for item in value:
            if question.option(item) is None:
                raise ValidationError(
                    gettext("That is not one of this question's options."), field=field, code="unknown_option"
                )
        return sorted(set(value))

    @staticmethod
    def from_form(values: list[str]) -> Any:
        """Every ticked box, as option ids."""
        return [int(value) if value.isdigit() and len(value) <= 10 else value for value in values if value]

    @staticmethod
    def summary(question: SurveyQuestion, values: list[Any]) -> dict[str, Any]:
        """Counts per option (percentages of the people who answered)."""
        counts: Counter[int] = Counter()
        for chosen in values:
            counts.update(chosen)
        return {"options": _option_counts(question, counts, len(values))}


class NumberField(QuestionField):
    """A whole number on the question's scale (rating 1–5 or 1–10, NPS 0–10)."""

    @staticmethod
    def check(question: SurveyQuestion, value: Any, field: str) -> Any:
        """A whole number within the scale."""
        scale = question.scale
        if not _whole(value) or value not in scale:
            raise ValidationError(
                gettext("Choose a number from %(low)d to %(high)d.", low=scale.start, high=scale.stop - 1),
                field=field,
                code="out_of_range",
            )
        return value

    @staticmethod
    def summary(question: SurveyQuestion, values: list[Any]) -> dict[str, Any]:
        """The distribution and mean (both null when fewer than 10 answered); NPS adds its score."""
        hidden = len(values) < SUPPRESS_UNDER
        counts = Counter(values)
        result: dict[str, Any] = {
            "distribution": None if hidden else {str(n): counts[n] for n in question.scale},
            "mean": None if hidden or not values else round(sum(values) / len(values), 1),
        }
        if question.kind is QuestionKind.nps:
            promoters = sum(1 for v in values if v >= 9)
            detractors = sum(1 for v in values if v <= 6)
            result["nps"] = None if hidden else round(100 * (promoters - detractors) / len(values))
        return result


class TextField(QuestionField):
    """Free text."""

    @staticmethod
    def check(question: SurveyQuestion, value: Any, field: str) -> Any:
        """Trimmed text up to the limit."""
        return validation.text(
            value, field, max_length=TEXT_ANSWER_MAX, required=True, multiline=True, label=N_("Answer")
        )

    @staticmethod
    def from_form(values: list[str]) -> Any:
        """The text as typed (a number-looking text stays text)."""
        return values[0] if values else None

    @staticmethod
    def summary(question: SurveyQuestion, values: list[Any]) -> dict[str, Any]:
        """The answers themselves (staff only), oldest first."""
        return {"answers": list(values)}


KINDS: dict[QuestionKind, type[QuestionField]] = {
    QuestionKind.single: ChoiceField,
    QuestionKind.likert: ChoiceField,
    QuestionKind.multiple: MultipleField,
    QuestionKind.rating: NumberField,
    QuestionKind.nps: NumberField,
    QuestionKind.text: TextField,
}
