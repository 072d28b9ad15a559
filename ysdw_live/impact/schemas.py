"""The API's impact object of a series, declared once."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ysdw_live.schema import Reply


class GoodOrExcellent(Reply):
    """The survey's headline: how many rated the local police, and the % Good or Excellent."""

    n: int = Field(ge=0, description="People who answered the rating question (0 without a survey)")
    pct: int | None = Field(ge=0, le=100, description="Per cent Good or Excellent; null where n < 10")


class MeetingImpact(Reply):
    """One held meeting's figures."""

    code: str
    title: str
    starts_at: datetime | None
    participants: int = Field(ge=0, description="Devices that joined (kept as a count after retention)")
    concerns: int = Field(ge=0, description="Concerns raised, except those dismissed in moderation")
    votes: int = Field(ge=0)
    survey_responses: int = Field(ge=0)
    good_or_excellent: GoodOrExcellent


class ByStatus(Reply):
    """How many actions are in each status."""

    under_consideration: int = Field(ge=0)
    agreed: int = Field(ge=0)
    in_progress: int = Field(ge=0)
    completed: int = Field(ge=0)
    not_taken_forward: int = Field(ge=0)
    referred: int = Field(ge=0)


class ActionsImpact(Reply):
    """What became of the series' actions."""

    total: int = Field(ge=0)
    by_status: ByStatus
    median_days_to_complete: float | None = Field(
        description="Median days from an action's creation to its completion; null when none is completed"
    )


class SeriesImpact(Reply):
    """A series' figures across its held meetings (drafts left out), in the order they happened."""

    meetings: list[MeetingImpact]
    actions: ActionsImpact
