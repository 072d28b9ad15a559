"""Series use cases: create and edit a series and its topics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import describe_changes, record
from ysdw_live.errors import NotFound, ValidationError
from ysdw_live.series.models import (
    DEFAULT_RETENTION_MONTHS,
    DESCRIPTION_MAX,
    RETENTION_MONTHS_MAX,
    RETENTION_MONTHS_MIN,
    TITLE_MAX,
    TOPIC_MAX,
    TOPICS_MAX,
    Series,
    Topic,
)


def clean_topics(value: object) -> list[str]:
    """Return topic names from a list of names, de-duplicated (ignoring case) in order."""
    if value is None:
        return []
    # A string is refused, not split: the API promises a list, and forms split their lines first.
    if not isinstance(value, list):
        raise ValidationError("Topics must be a list of names.", field="topics")
    names: list[str] = []
    for raw in value:
        name = validation.text(raw, "topics", max_length=TOPIC_MAX, required=False, label="Each topic")
        if name and name.casefold() not in {existing.casefold() for existing in names}:
            names.append(name)
    if len(names) > TOPICS_MAX:
        raise ValidationError(f"A series can have at most {TOPICS_MAX} topics.", field="topics")
    return names


def clean_retention(value: object) -> int:
    """Return a retention period in whole months, from 1 to 120 (ten years)."""
    return validation.integer(
        value,
        "retention_months",
        minimum=RETENTION_MONTHS_MIN,
        maximum=RETENTION_MONTHS_MAX,
        label="Retention period",
    )


def create_series(
    db: Session,
    actor: Actor,
    title: object,
    description: object = "",
    topics: object = None,
    *,
    retention_months: object = None,
) -> Series:
    """Create a series with its topics (admin, facilitator); retention defaults to 24 months."""
    clean_title = validation.text(
        title, "title", max_length=TITLE_MAX, label="Title", missing="Enter a title for the series"
    )
    clean_description = validation.text(
        description, "description", max_length=DESCRIPTION_MAX, required=False, multiline=True, label="Description"
    )
    topic_names = clean_topics(topics)
    months = DEFAULT_RETENTION_MONTHS if retention_months is None else clean_retention(retention_months)
    user = actor.require_meeting_manager()
    series = Series(title=clean_title, description=clean_description, retention_months=months)
    series.topics = [Topic(name=name, position=index) for index, name in enumerate(topic_names)]
    db.add(series)
    db.flush()
    record(
        db,
        user,
        "series.create",
        object_type="series",
        object_id=series.id,
        detail=f"{len(topic_names)} topics, retention {months} months",
    )
    db.commit()
    return series


def update_series(
    db: Session,
    actor: Actor,
    series_id: int,
    *,
    title: object = None,
    description: object = None,
    topics: object = None,
    retention_months: object = None,
) -> Series:
    """Change a series' title, description, topics or retention period; topics keep their ids when kept by name."""
    series = get_series(db, series_id)
    clean_title = (
        validation.text(title, "title", max_length=TITLE_MAX, label="Title", missing="Enter a title for the series")
        if title is not None
        else None
    )
    clean_description = (
        validation.text(
            description, "description", max_length=DESCRIPTION_MAX, required=False, multiline=True, label="Description"
        )
        if description is not None
        else None
    )
    topic_names = clean_topics(topics) if topics is not None else None
    months = clean_retention(retention_months) if retention_months is not None else None
    user = actor.require_meeting_manager()
    changes: list[tuple[str, object, object]] = []
    if clean_title is not None and clean_title != series.title:
        changes.append(("title", series.title, clean_title))
        series.title = clean_title
    if clean_description is not None and clean_description != series.description:
        changes.append(("description", series.description, clean_description))
        series.description = clean_description
    if months is not None and months != series.retention_months:
        changes.append(("retention_months", series.retention_months, months))
        series.retention_months = months
    if topic_names is not None and topic_names != [topic.name for topic in series.topics]:
        changes.append(("topics", None, None))
        existing = {topic.name.casefold(): topic for topic in series.topics}
        kept: list[Topic] = []
        for index, name in enumerate(topic_names):
            topic = existing.get(name.casefold()) or Topic(name=name)
            topic.name, topic.position = name, index
            kept.append(topic)
        series.topics = kept
    if changes:
        record(
            db,
            user,
            "series.update",
            object_type="series",
            object_id=series.id,
            detail=describe_changes(changes, with_values={"retention_months"}),
        )
    db.commit()
    return series


def get_series(db: Session, series_id: int) -> Series:
    """Return the series or raise NotFound."""
    series = db.get(Series, series_id, options=[selectinload(Series.topics)])
    if series is None:
        raise NotFound("There is no series with that id.", code="series_not_found")
    return series


def list_series(db: Session) -> list[Series]:
    """Return every series, newest first."""
    return list(
        db.scalars(
            select(Series).options(selectinload(Series.topics)).order_by(Series.created_at.desc(), Series.id.desc())
        )
    )
