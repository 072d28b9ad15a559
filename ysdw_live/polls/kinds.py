"""The six poll kinds: each one cleans an answer and summarises the answers into results.

A registry from kind to class (the shape of Indico's survey fields), so services, serializers
and templates never branch on the kind: ``KINDS[poll.kind].clean(...)`` and ``.summarise(...)``.
An answer is stored as a JSON value: a list of option ids (single, multiple), a number (rating),
a list of words (word cloud), a text (open text) or the option ids in ranked order (ranking).
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ysdw_live import validation
from ysdw_live.errors import ValidationError
from ysdw_live.i18n import N_, gettext, ngettext

QUESTION_MAX = 300
OPTION_MAX = 120
OPTIONS_MAX = 12
OPEN_TEXT_MAX = 280
WORD_MAX = 25
WORDS_MAX = 3
SCALES = (5, 10)
# The most words and answers a result lists: a projector shows no more, and the event stays small.
RESULT_ITEMS_MAX = 100


class PollKind(enum.StrEnum):
    """What sort of answer a poll asks for."""

    single = "single"
    multiple = "multiple"
    rating = "rating"
    word_cloud = "word_cloud"
    open_text = "open_text"
    ranking = "ranking"


@dataclass(frozen=True)
class PollShape:
    """What a kind needs to know about its poll: option ids in order, the choice limit, the rating scale."""

    option_ids: Sequence[int]
    labels: dict[int, str]
    max_choices: int | None
    scale: int


@dataclass(frozen=True)
class TableRow:
    """One line of a poll's results table: an option, a rating value, a word or a text, with its figure."""

    answer: str
    count: int | None = None
    mean_rank: float | None = None


class Kind(ABC):
    """One poll kind: which answer field it takes, how to clean an answer, how to summarise answers."""

    field: ClassVar[str] = ""
    has_options: ClassVar[bool] = False
    # Moderated kinds carry free text that a facilitator may hold back from the projector.
    free_text: ClassVar[bool] = False

    @abstractmethod
    def clean(self, value: Any, shape: PollShape) -> Any:
        """Return the answer as stored, or raise ValidationError."""

    @abstractmethod
    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return the kind's part of the results (added to ``{poll_id, kind, total}``).

        ``limit`` caps how many words or texts are listed (None: all of them, for an export).
        """

    @abstractmethod
    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return the results as rows of a table (the meeting pack, the polls CSV): one per option, value or text."""


def _option_ids(value: Any, shape: PollShape, field: str) -> list[int]:
    """Return ``value`` as a list of distinct option ids of this poll, or raise."""
    if not isinstance(value, list) or not value:
        raise ValidationError(gettext("Choose an answer."), field=field, code="required")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValidationError(gettext("Answers must be option numbers."), field=field)
        if item not in shape.labels:
            raise ValidationError(gettext("Choose one of this poll's options."), field=field, code="unknown_option")
        if item in ids:
            raise ValidationError(gettext("Choose each option only once."), field=field, code="duplicate_option")
        ids.append(item)
    return ids


class Single(Kind):
    """One option."""

    field = "option_ids"
    has_options = True

    def clean(self, value: Any, shape: PollShape) -> list[int]:
        """Return exactly one option id of this poll."""
        ids = _option_ids(value, shape, self.field)
        if len(ids) != 1:
            raise ValidationError(gettext("Choose one answer."), field=self.field, code="too_many_choices")
        return ids

    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return each option with its count."""
        counts = Counter(option_id for answer in answers for option_id in answer)
        return {"options": [{"id": i, "label": shape.labels[i], "count": counts.get(i, 0)} for i in shape.option_ids]}

    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return each option with how many chose it."""
        return [TableRow(option["label"], count=option["count"]) for option in summary["options"]]


class Multiple(Single):
    """Any number of options, up to the poll's maximum."""

    def clean(self, value: Any, shape: PollShape) -> list[int]:
        """Return distinct option ids of this poll, no more than the maximum."""
        ids = _option_ids(value, shape, self.field)
        limit = shape.max_choices or len(shape.option_ids)
        if len(ids) > limit:
            raise ValidationError(
                ngettext("Choose up to %(num)d answer.", "Choose up to %(num)d answers.", limit),
                field=self.field,
                code="too_many_choices",
            )
        return ids


class Rating(Kind):
    """A whole number from 1 to the poll's scale (5 or 10)."""

    field = "value"

    def clean(self, value: Any, shape: PollShape) -> int:
        """Return a rating within the scale."""
        if value is None:
            raise ValidationError(gettext("Choose a rating."), field=self.field, code="required")
        return validation.integer(value, self.field, minimum=1, maximum=shape.scale, label=N_("Rating"))

    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return the mean (None before any answer) and how many gave each value."""
        counts = Counter(int(answer) for answer in answers)
        total = sum(counts.values())
        mean = round(sum(value * n for value, n in counts.items()) / total, 2) if total else None
        return {"mean": mean, "distribution": {str(v): counts.get(v, 0) for v in range(1, shape.scale + 1)}}

    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return each rating value with how many gave it."""
        return [TableRow(value, count=count) for value, count in summary["distribution"].items()]


_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)


class WordCloud(Kind):
    """One to three short words."""

    field = "text"
    free_text = True

    def clean(self, value: Any, shape: PollShape) -> list[str]:
        """Return one to three words of up to 25 characters, folded to lower case."""
        typed = validation.text(value, self.field, max_length=WORDS_MAX * (WORD_MAX + 1), label=N_("Your words"))
        words = typed.split()
        if len(words) > WORDS_MAX:
            raise ValidationError(gettext("Enter one, two or three words."), field=self.field, code="too_many_words")
        if any(len(word) > WORD_MAX for word in words):
            raise ValidationError(
                ngettext(
                    "Each word must be %(num)d character or fewer.",
                    "Each word must be %(num)d characters or fewer.",
                    WORD_MAX,
                ),
                field=self.field,
                code="too_long",
            )
        cleaned = [word.casefold() for word in words if _WORD.search(word)]
        if not cleaned:
            raise ValidationError(gettext("Enter one, two or three words."), field=self.field, code="required")
        return cleaned

    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return the words, most used first."""
        counts = Counter(word for answer in answers for word in answer)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return {"words": [{"text": word, "count": n} for word, n in ranked]}

    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return each word with how many used it, most used first."""
        return [TableRow(word["text"], count=word["count"]) for word in summary["words"]]


class OpenText(Kind):
    """A short free text."""

    field = "text"
    free_text = True

    def clean(self, value: Any, shape: PollShape) -> str:
        """Return the text, at most 280 characters."""
        return validation.text(value, self.field, max_length=OPEN_TEXT_MAX, label=N_("Your answer"), multiline=True)

    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return the latest answers first."""
        return {"answers": list(answers)[::-1][:limit]}

    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return each answer once (identical answers counted together), the most given first."""
        counts = Counter(summary["answers"])
        return [TableRow(text, count=n) for text, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


class Ranking(Kind):
    """Every option, in the participant's order."""

    field = "ranking"
    has_options = True

    def clean(self, value: Any, shape: PollShape) -> list[int]:
        """Return the poll's option ids in the given order: each exactly once."""
        ids = _option_ids(value, shape, self.field)
        if sorted(ids) != sorted(shape.option_ids):
            raise ValidationError(
                gettext("Put every option in order, each once."), field=self.field, code="not_a_permutation"
            )
        return ids

    def summarise(
        self, answers: Iterable[Any], shape: PollShape, *, limit: int | None = RESULT_ITEMS_MAX
    ) -> dict[str, Any]:
        """Return each option with its mean rank (1 is first; None before any answer), best first."""
        sums: Counter[int] = Counter()
        total = 0
        for answer in answers:
            total += 1
            for rank, option_id in enumerate(answer, start=1):
                sums[option_id] += rank
        options = [
            {"id": i, "label": shape.labels[i], "mean_rank": round(sums[i] / total, 2) if total else None}
            for i in shape.option_ids
        ]
        if total:
            options.sort(key=lambda option: option["mean_rank"])
        return {"options": options}

    def table(self, summary: dict[str, Any]) -> list[TableRow]:
        """Return each option with its mean rank, best first."""
        return [TableRow(option["label"], mean_rank=option["mean_rank"]) for option in summary["options"]]


KINDS: dict[PollKind, Kind] = {
    PollKind.single: Single(),
    PollKind.multiple: Multiple(),
    PollKind.rating: Rating(),
    PollKind.word_cloud: WordCloud(),
    PollKind.open_text: OpenText(),
    PollKind.ranking: Ranking(),
}
# The answer fields of POST /polls/{id}/responses, one per kind.
ANSWER_FIELDS = frozenset(kind.field for kind in KINDS.values())
