"""The API's concern objects: request bodies, query parameters and responses, declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from ysdw_live import validation
from ysdw_live.concerns.models import AUTHOR_NAME_MAX, SORTS, TEXT_MAX, ConcernSource, ConcernStatus
from ysdw_live.errors import ValidationError
from ysdw_live.i18n import N_
from ysdw_live.schema import Body, Query, Reply, choice, custom, flag, optional, text, whole

ConcernText = text(TEXT_MAX, N_("Concern"), multiline=True)
TopicId = whole("Topic", nullable=True, description="One of the series' topics; null for none")


def _sort(value: Any, _field: str) -> str:
    """Return a known sort order."""
    if value not in SORTS:
        raise ValidationError("Sort must be top or recent.", field="sort")
    return value


def _statuses(value: Any, field: str) -> str | None:
    """Return a comma-separated list of concern statuses, each checked."""
    if value is None or not str(value).strip():
        return None
    for part in str(value).split(","):
        if part.strip():
            validation.choice(part.strip(), field, ConcernStatus, label="Status")
    return str(value)


Source = choice(ConcernSource, "Source")
AuthorName = text(AUTHOR_NAME_MAX, N_("Name"), required=False, nullable=True)
Status = choice(ConcernStatus, "Status")
Highlighted = flag("Pin it on the projector (one concern at a time)")
Sort = custom(str, _sort, {"enum": list(SORTS), "default": "top"})
Statuses = custom(
    str | None,
    _statuses,
    {
        "type": "string",
        "description": "Staff: comma-separated statuses to include, e.g. pending,approved "
        f"(each one of {', '.join(s.value for s in ConcernStatus)})",
    },
)


class ConcernInput(Body):
    """A concern raised by a participant, or entered by a facilitator with ``source: facilitator``."""

    source: Source = Field(default=ConcernSource.attendee)
    text: ConcernText
    topic_id: TopicId = optional()
    author_name: AuthorName = optional("Shown with the concern; null or empty for anonymous")


class ConcernModeration(Body):
    """A moderation step: any of status, highlight, text and topic (at least one)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    status: Status = optional()
    highlighted: Highlighted = optional()
    text: ConcernText = optional()
    topic_id: TopicId = optional()


class ConcernQuery(Query):
    """How to order and narrow a list of concerns."""

    sort: Sort = "top"
    status: Statuses = optional()


class Concern(Reply):
    """A concern as the caller may see it."""

    id: int
    number: int = Field(description="Per meeting, short enough to say out loud")
    text: str
    topic_id: int | None
    author_name: str | None = Field(description="Null when anonymous")
    votes: int
    voted: bool = Field(description="Whether the caller has voted for it")
    status: ConcernStatus
    highlighted: bool
    source: ConcernSource
    language: str | None = Field(
        description="The language the author's browser said they read (a primary subtag like pl); null if not told"
    )
    created_at: datetime


class ConcernWritten(Concern):
    """A concern as a write left it, with the meeting version that state is as of."""

    version: int = Field(
        description="The meeting's version this state is as of (at least): a client keeps the newer of "
        "this reply and a concern event with a higher version"
    )


class ConcernList(Reply):
    """Concerns of a meeting and the meeting's version."""

    concerns: list[Concern]
    version: int


class VoteResult(Reply):
    """A concern's vote count after a vote or unvote."""

    id: int
    votes: int
    voted: bool


class Undone(Reply):
    """The concern an undo restored, and the meeting's version."""

    concern: Concern
    version: int


class Counters(Reply):
    """The console's live counters."""

    participants: int
    concerns: int
    votes: int
    pending: int
    version: int
