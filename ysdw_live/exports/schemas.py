"""The API's export objects: the police.uk-shaped priorities, declared once for the OpenAPI document."""

from __future__ import annotations

from pydantic import ConfigDict, Field, RootModel

from ysdw_live.schema import Reply


class Priority(Reply):
    """One action as a police.uk neighbourhood priority (data.police.uk's field names, hyphens included)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    issue: str = Field(description="What people said, as HTML paragraphs (every character escaped)")
    issue_date: str = Field(
        alias="issue-date", description="When it was raised (the meeting's start), local time, YYYY-MM-DDTHH:MM:SS"
    )
    action: str | None = Field(description="What the force did or will do, as HTML paragraphs; null before it says")
    action_date: str | None = Field(
        alias="action-date", description="When it finished, else its latest public update; null when neither"
    )


class Priorities(RootModel[list[Priority]]):
    """A series' actions in the shape of police.uk's neighbourhood priorities: a list, newest issue first."""
