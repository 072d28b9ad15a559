"""The API's meeting and projector objects: request bodies and responses, declared once."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ysdw_live.meetings.models import TITLE_MAX, VENUE_MAX, MeetingMode, MeetingStatus, ProjectorMode
from ysdw_live.schema import Body, Reply, choice, flag, moment, optional, text, whole

Title = text(TITLE_MAX, "Title")
StartsAt = moment("Start time", description="With its offset from UTC (or Z); a time without one is refused")
Venue = text(VENUE_MAX, "Venue", required=False)
Mode = choice(MeetingMode, "Mode")
Moderation = flag("True: concerns wait for approval")
Status = choice(MeetingStatus, "Status")
ScreenMode = choice(ProjectorMode, "Projector mode")
ConcernId = whole("Concern", nullable=True)
PollId = whole("Poll", nullable=True)
ActionIndex = whole("Action number", minimum=0, nullable=True)


class MeetingInput(Body):
    """A new meeting; it starts as a draft with a fresh join code."""

    title: Title
    starts_at: StartsAt = optional()
    venue: Venue = Field(default="")
    mode: Mode = Field(default=MeetingMode.in_person)
    moderation: Moderation = Field(default=True)


class MeetingPatch(Body):
    """Changes to a meeting, its status included (draft → live → closed → live)."""

    title: Title = optional()
    starts_at: StartsAt = optional()
    venue: Venue = optional()
    mode: Mode = optional()
    moderation: Moderation = optional()
    status: Status = optional()


class Meeting(Reply):
    """A meeting, known by its join code."""

    code: str
    title: str
    series_id: int
    starts_at: datetime | None
    venue: str
    mode: MeetingMode
    status: MeetingStatus
    moderation: bool
    join_url: str = Field(json_schema_extra={"format": "uri"})
    version: int = Field(description="Grows with every change of the meeting")


class MeetingList(Reply):
    """A series' meetings in the order they happen."""

    meetings: list[Meeting]


class ParticipantToken(Reply):
    """The device's participant token (also set as a cookie)."""

    token: str


class ProjectorInput(Body):
    """What the projector should show."""

    mode: ScreenMode
    concern_id: ConcernId = optional("concerns: the concern to pin")
    poll_id: PollId = optional("poll: the poll to show")
    action_index: ActionIndex = optional(
        "report_back: which action (0-based, in report-back order) to show; kept within the list"
    )


class Projector(Reply):
    """What the projector shows now."""

    mode: ProjectorMode
    concern_id: int | None
    poll_id: int | None
    action_index: int
    version: int
