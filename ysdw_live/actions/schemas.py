"""The API's action objects: request bodies, query parameters and responses, declared once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from ysdw_live.actions.models import (
    CONCERNS_PER_ACTION_MAX,
    OWNER_MAX,
    PRIVATE_NOTES_MAX,
    UPDATE_TEXT_MAX,
    WE_DID_MAX,
    YOU_SAID_MAX,
    ActionStatus,
)
from ysdw_live.actions.models import (
    Action as ActionRecord,
)
from ysdw_live.errors import ValidationError
from ysdw_live.meetings.models import CODE_LENGTH
from ysdw_live.schema import Body, Query, Reply, choice, custom, day, flag, id_list, optional, text, whole


def _progress(value: Any, _field: str) -> int | None:
    """Return a whole percentage (null means "unchanged")."""
    return None if value is None else ActionRecord.check_progress(value)


def _include(value: Any, _field: str) -> str:
    """Return ``private`` or nothing; any other value is refused."""
    if value not in ("", "private"):
        raise ValidationError("include can only be “private”.", field="include")
    return value


YouSaid = text(YOU_SAID_MAX, "You said", multiline=True, description="What people said, in their words")
WeDid = text(
    WE_DID_MAX,
    "We will / we did",
    required=False,
    multiline=True,
    description="not_taken_forward and referred need a reason here (or in an update's text)",
)
Owner = text(OWNER_MAX, "Owner", required=False)
PrivateNotes = text(PRIVATE_NOTES_MAX, "Private notes", required=False, multiline=True)
Status = choice(ActionStatus, "Status", nullable=True)
Progress = custom(int | None, _progress, {"type": ["integer", "null"], "minimum": 0, "maximum": 100})
DueDate = day("Due date")
ConcernIds = id_list(
    "Concern ids",
    description=f"Concerns of this series' meetings (at most {CONCERNS_PER_ACTION_MAX}); replaces the links",
)
RaisedAt = text(
    2 * CODE_LENGTH,
    "Raised at meeting",
    required=False,
    nullable=True,
    description="Join code of a meeting of this series; by default the meeting of the earliest concern",
)
UpdateText = text(UPDATE_TEXT_MAX, "Update", multiline=True)
Include = custom(str, _include, {"enum": ["private"], "description": "Staff only: add the private notes"})
TopicFilter = whole("Topic", nullable=True, description="Only actions answering a concern with this topic")
OwnerFilter = text(OWNER_MAX, "Owner", required=False, description="Owner contains this text (any case)")
Overdue = flag("Only unfinished actions past their due date")


class ActionPatch(Body):
    """Changes to an action; each change goes into its audit trail."""

    you_said: YouSaid = optional()
    we_did: WeDid = optional()
    owner: Owner = optional()
    private_notes: PrivateNotes = optional()
    status: Status = optional()
    progress: Progress = optional()
    due_date: DueDate = optional()
    concern_ids: ConcernIds = optional()
    raised_at_meeting: RaisedAt = optional()


class ActionInput(ActionPatch):
    """A new action (status under_consideration unless given)."""

    you_said: YouSaid


class ActionUpdateInput(Body):
    """A dated public update, optionally moving the action's status and progress."""

    text: UpdateText
    status: Status = optional()
    progress: Progress = optional()


class ActionQuery(Query):
    """Staff may ask for the private notes."""

    include: Include = optional()


class ActionListQuery(ActionQuery):
    """Filters of a series' action list."""

    status: Status = optional()
    topic: TopicFilter = optional()
    owner: OwnerFilter = optional()
    overdue: Overdue = False


class ActionUpdate(Reply):
    """One dated public update."""

    id: int
    text: str
    status: ActionStatus
    progress: int = Field(ge=0, le=100)
    created_at: datetime


class RaisedAtMeeting(Reply):
    """Where an action was raised, as anyone may see it: the meeting's title and start, never its code."""

    title: str
    starts_at: datetime | None


class Action(Reply):
    """An action of the You Said, We Did list."""

    id: int
    series_id: int
    you_said: str
    we_did: str
    owner: str
    status: ActionStatus
    progress: int = Field(ge=0, le=100)
    due_date: date | None
    concern_ids: list[int]
    raised_at: RaisedAtMeeting | None = Field(description="The meeting it was raised at, if set")
    updates: list[ActionUpdate] = Field(description="Newest first")
    created_at: datetime
    updated_at: datetime
    raised_at_meeting: str | None = optional(
        "Join code of the meeting it was raised at; only for staff, with ?include=private or in answers "
        "to staff writes (a code is the key to a meeting, so public answers never carry one)"
    )
    private_notes: str = optional("Only for staff, with ?include=private or in answers to staff writes")


class ActionList(Reply):
    """A list of actions."""

    actions: list[Action]
