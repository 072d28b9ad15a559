"""The API's poll objects: request bodies and responses, declared once."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ysdw_live.i18n import N_
from ysdw_live.polls.kinds import OPEN_TEXT_MAX, OPTION_MAX, OPTIONS_MAX, QUESTION_MAX, PollKind
from ysdw_live.polls.models import PollStatus
from ysdw_live.schema import Body, Reply, choice, flag, id_list, optional, text, text_list, whole

Question = text(QUESTION_MAX, "Question")
Options = text_list(
    OPTION_MAX,
    "Options",
    "Option",
    description=f"single, multiple, ranking: 2 to {OPTIONS_MAX} option labels in order; other kinds: none",
)
MaxChoices = whole(
    "Most choices", maximum=OPTIONS_MAX, nullable=True, description="multiple: the most options one answer may choose"
)
Scale = whole("Scale", minimum=5, maximum=10, description="rating: the top of the scale, 5 (the default) or 10")
ResultsVisible = flag("Whether attendees see the results (hidden until revealed by default)")
ApproveAnswers = flag(
    "word_cloud, open_text: each answer waits for a facilitator's approval before anyone sees it (off by default)"
)


Kind = choice(PollKind, "Kind")
Status = choice(PollStatus, "Status")
AnswerIds = id_list("Answers", description="single (one id), multiple")
RatingValue = whole("Rating", maximum=10, description="rating: 1 to the poll's scale")
AnswerText = text(OPEN_TEXT_MAX, N_("Your answer"), multiline=True, description="word_cloud (1 to 3 words), open_text")
RankingIds = id_list("Ranking", description="ranking: every option id, first choice first")


class PollInput(Body):
    """A new poll (a draft)."""

    kind: Kind
    question: Question
    options: Options = optional()
    max_choices: MaxChoices = optional()
    scale: Scale = optional()
    results_visible: ResultsVisible = optional()
    approve_answers: ApproveAnswers = optional()


class PollChange(Body):
    """Open, close or reveal a poll; edit its question and options until the first answer."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    status: Status = optional("open (from draft) or closed (from open)")
    results_visible: ResultsVisible = optional()
    approve_answers: ApproveAnswers = optional()
    question: Question = optional()
    options: Options = optional()
    max_choices: MaxChoices = optional()
    scale: Scale = optional()


class PollAnswer(Body):
    """One answer: the field that fits the poll's kind, and only that one."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    option_ids: AnswerIds = optional()
    value: RatingValue = optional()
    text: AnswerText = optional()
    ranking: RankingIds = optional()


class PollOptionOut(Reply):
    """One choice of a poll."""

    id: int
    label: str


class Poll(Reply):
    """A poll."""

    id: int
    meeting_code: str
    kind: PollKind
    question: str
    options: list[PollOptionOut]
    max_choices: int | None
    scale: int = Field(description="rating: the top of the scale")
    status: PollStatus
    results_visible: bool
    approve_answers: bool = Field(description="Whether each free-text answer waits for a facilitator's approval")
    answered: bool = Field(description="Whether anyone has answered (its question and options are then frozen)")


class PollList(Reply):
    """Polls of a meeting: the open ones for participants, every one for staff."""

    polls: list[Poll]


class Answered(Reply):
    """The answer as stored (answering again replaces it while the poll is open)."""

    poll_id: int
    answer: list[int] | int | str | list[str]


class OptionResult(Reply):
    """An option with its count (single, multiple) or mean rank (ranking)."""

    id: int
    label: str
    count: int = optional()
    mean_rank: float | None = optional()


class WordCount(Reply):
    """A word of a word cloud and how many gave it."""

    text: str
    count: int


class PollResults(Reply):
    """A poll's results; which fields come depends on the kind."""

    poll_id: int
    kind: PollKind
    total: int = Field(description="How many participants answered")
    options: list[OptionResult] = optional("single, multiple, ranking")
    mean: float | None = optional("rating: null before any answer")
    distribution: dict[str, int] = optional("rating: how many gave each value")
    words: list[WordCount] = optional("word_cloud: folded to lower case, most used first")
    answers: list[str] = optional("open_text: newest first")
