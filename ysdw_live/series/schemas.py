"""The API's series objects: request bodies and the response they get, declared once."""

from __future__ import annotations

from ysdw_live.schema import Body, Reply, optional, text, text_list, whole
from ysdw_live.series.models import (
    DEFAULT_RETENTION_MONTHS,
    DESCRIPTION_MAX,
    RETENTION_MONTHS_MAX,
    RETENTION_MONTHS_MIN,
    TITLE_MAX,
    TOPIC_MAX,
    TOPICS_MAX,
)

Title = text(TITLE_MAX, "Title")
Description = text(DESCRIPTION_MAX, "Description", required=False, multiline=True)
Topics = text_list(
    TOPIC_MAX,
    "Topics",
    "Each topic",
    description=f"Topic names; duplicates (ignoring case) are dropped; at most {TOPICS_MAX}. "
    "On an edit, topics kept by name keep their ids.",
)
RetentionMonths = whole(
    "Retention period",
    minimum=RETENTION_MONTHS_MIN,
    maximum=RETENTION_MONTHS_MAX,
    description="Months after a meeting closes before its attendee data (concern texts and names, votes, "
    f"participants) is deleted; counts and the action list stay. Default {DEFAULT_RETENTION_MONTHS}.",
)


class SeriesInput(Body):
    """A new series and its topics."""

    title: Title
    description: Description = optional()
    topics: Topics = optional()
    retention_months: RetentionMonths = optional()


class SeriesPatch(Body):
    """Changes to a series; what is left out stays as it is."""

    title: Title = optional()
    description: Description = optional()
    topics: Topics = optional()
    retention_months: RetentionMonths = optional()


class Topic(Reply):
    """A topic concerns can be filed under."""

    id: int
    name: str


class Series(Reply):
    """A series of meetings and its topics."""

    id: int
    title: str
    description: str
    topics: list[Topic]
    retention_months: int


class SeriesList(Reply):
    """Every series, newest first."""

    series: list[Series]
