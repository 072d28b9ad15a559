"""The area baseline an admin enters for a series, to set the room's make-up against the area's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ysdw_live.db import Base, UTCDateTime, utcnow

QUESTION_KEY_MAX = 40
GROUP_MAX = 200


class AreaBaseline(Base):
    """One group's share of the area's population (e.g. the census's), for one equality question.

    Published statistics about the area, not about anyone who attended: no personal data.
    """

    __tablename__ = "area_baseline"
    __table_args__ = (UniqueConstraint("series_id", "question_key", "group_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(QUESTION_KEY_MAX))
    group_label: Mapped[str] = mapped_column(String(GROUP_MAX))
    # Per cent of the area's people, 0–100 with at most one decimal place.
    percent: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
