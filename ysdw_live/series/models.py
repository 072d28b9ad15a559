"""A series and its topics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ysdw_live.db import Base, UTCDateTime, utcnow

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
TOPIC_MAX = 80
TOPICS_MAX = 30
# How long a meeting's attendee data is kept after it closes, in months (UK GDPR storage limitation).
DEFAULT_RETENTION_MONTHS = 24
RETENTION_MONTHS_MIN = 1
RETENTION_MONTHS_MAX = 120


class Series(Base):
    """An ongoing programme of meetings, e.g. "Hull community focus group"."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    # Months after a meeting closes before its attendees' words and identities are deleted (see privacy/).
    retention_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RETENTION_MONTHS, server_default=str(DEFAULT_RETENTION_MONTHS)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    topics: Mapped[list[Topic]] = relationship(
        back_populates="series", order_by="Topic.position", cascade="all, delete-orphan"
    )

    def topic_by_id(self, topic_id: int) -> Topic | None:
        """Return this series' topic with ``topic_id``, or None when it is not one of ours."""
        return next((topic for topic in self.topics if topic.id == topic_id), None)


class Topic(Base):
    """A public label for concerns within a series (e.g. "Stop and search")."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("series_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TOPIC_MAX))
    position: Mapped[int] = mapped_column(Integer, default=0)

    series: Mapped[Series] = relationship(back_populates="topics")
