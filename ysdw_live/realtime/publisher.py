"""The one publisher: services call it after they commit; only this package emits (vote counts via batching)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app

from ysdw_live.meetings.models import Meeting
from ysdw_live.meetings.serializers import meeting_to_dict
from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import poll_batcher, vote_batcher
from ysdw_live.realtime.rooms import (
    ATTENDEE,
    MODERATOR,
    PROJECTOR,
    meeting_room,
    participant_room,
    role_room,
    staff_room,
)

if TYPE_CHECKING:
    from ysdw_live.concerns.models import Concern


def concern_rooms(code: str, concern: Concern, state: dict[str, Any] | None) -> set[str]:
    """Return the rooms that may see a concern in ``state`` (None: it did not exist yet).

    Moderators see every status; attendees and the projector only approved and answered ones;
    the author's own connections also see it while it waits for the moderator, and once it is
    dismissed (so their phone can say, at once and only to them, that it was not shown to the room).
    """
    if state is None:
        return set()
    from ysdw_live.concerns.models import VISIBLE_STATUSES, ConcernStatus

    author_only = (ConcernStatus.pending, ConcernStatus.dismissed)
    status = ConcernStatus(state["status"])
    rooms = {role_room(code, MODERATOR)}
    if status in VISIBLE_STATUSES:
        rooms |= {role_room(code, ATTENDEE), role_room(code, PROJECTOR)}
    if concern.participant_id is not None and (status in VISIBLE_STATUSES or status in author_only):
        rooms.add(participant_room(code, concern.participant_id))
    return rooms


class Publisher:
    """Turns committed changes into Socket.IO events for the right rooms."""

    def meeting_updated(self, meeting: Meeting) -> None:
        """Tell everyone in the meeting that its details or status changed."""
        payload = {"meeting": meeting_to_dict(meeting, public_url()), "version": meeting.version}
        socketio.emit("meeting:updated", payload, to=meeting_room(meeting.code))

    def concern_changed(self, concern: Concern, *, code: str, before: dict[str, Any] | None, version: int) -> None:
        """Send a concern's change to exactly those who may see it before and/or after.

        Rooms that gain sight of it get ``concern:created``, rooms that keep it get
        ``concern:updated``, and rooms that lose it get ``concern:removed`` (without its text).
        ``concern:removed`` goes first: the author's connection is in the attendee room (which
        loses a dismissed concern) and in its own room (which keeps it), and the events carry the
        same version, so the last one it receives must be the one that keeps it.
        """
        from ysdw_live.concerns.serializers import concern_to_dict

        old_rooms = concern_rooms(code, concern, before)
        new_rooms = concern_rooms(code, concern, concern.state())
        payload = {"concern": concern_to_dict(concern, voted=False), "version": version}
        _emit("concern:removed", {"id": concern.id, "version": version}, old_rooms - new_rooms)
        _emit("concern:created", payload, new_rooms - old_rooms)
        _emit("concern:updated", payload, new_rooms & old_rooms)

    def concern_created(self, concern: Concern, *, code: str, version: int) -> None:
        """Announce a new concern: moderators at once; everyone else only once it is visible."""
        self.concern_changed(concern, code=code, before=None, version=version)

    def votes_changed(self, meeting_id: int, concern_ids: Iterable[int]) -> None:
        """Mark these concerns' vote counts changed; the batcher emits them shortly (never per vote)."""
        vote_batcher(current_app._get_current_object()).mark(meeting_id, set(concern_ids))  # type: ignore[attr-defined]

    def projector_updated(self, code: str, projector: dict[str, Any]) -> None:
        """Tell everyone in meeting ``code`` what the projector shows now (``projector``, built before the commit)."""
        socketio.emit("projector:updated", projector, to=meeting_room(code))

    def presence_updated(self, code: str, *, connected: int, participants: int, projectors: int, version: int) -> None:
        """Tell moderators how many participants are connected and have joined, and how many projector views."""
        socketio.emit(
            "presence:updated",
            {"connected": connected, "participants": participants, "projectors": projectors, "version": version},
            to=role_room(code, MODERATOR),
        )

    def poll_opened(self, meeting: Meeting, poll: dict[str, Any]) -> None:
        """Tell everyone in the meeting that ``poll`` (its public shape) is open."""
        socketio.emit("poll:opened", {"poll": poll, "version": meeting.version}, to=meeting_room(meeting.code))

    def poll_closed(self, meeting: Meeting, poll: dict[str, Any]) -> None:
        """Tell everyone in the meeting that ``poll`` closed."""
        socketio.emit("poll:closed", {"poll": poll, "version": meeting.version}, to=meeting_room(meeting.code))

    def poll_answers_changed(self, meeting_id: int, poll_ids: Iterable[int]) -> None:
        """Mark these polls' results changed; the poll batcher emits them shortly (never per answer)."""
        poll_batcher(current_app._get_current_object()).mark(meeting_id, set(poll_ids))  # type: ignore[attr-defined]

    def poll_results(self, meeting: Meeting, poll_id: int, results: dict[str, Any], *, results_visible: bool) -> None:
        """Send poll results to moderators and the projector, and to attendees when results are visible."""
        rooms = {role_room(meeting.code, MODERATOR), role_room(meeting.code, PROJECTOR)}
        if results_visible:
            rooms.add(role_room(meeting.code, ATTENDEE))
        _emit("poll:results", {"poll_id": poll_id, "results": results, "version": meeting.version}, rooms)

    def survey_updated(self, meeting: Meeting, survey: dict[str, Any]) -> None:
        """Tell everyone in the meeting that its survey was created, opened, closed or changed (``survey:updated``)."""
        socketio.emit("survey:updated", {"survey": survey, "version": meeting.version}, to=meeting_room(meeting.code))

    def staff_sessions_ended(self, user_id: int, message: str, *, tokens_too: bool = False) -> None:
        """Tell the sockets of staff member ``user_id`` why their login ended, then disconnect them.

        Those opened with the login cookie always, those opened with a bearer token when ``tokens_too``
        (the tokens were revoked). The event goes first so the page can say why; closing a staff room
        disconnects its members in every process (``managers.py``); a client so disconnected does not
        reconnect by itself.
        """
        rooms = [staff_room(user_id)] + ([staff_room(user_id, by_token=True)] if tokens_too else [])
        socketio.emit("session:ended", {"message": message}, to=rooms)
        for room in rooms:
            socketio.close_room(room)


def _emit(event: str, payload: dict[str, Any], rooms: set[str]) -> None:
    """Emit ``event`` once to each connection in any of ``rooms`` (Socket.IO de-duplicates)."""
    if rooms:
        socketio.emit(event, payload, to=sorted(rooms))


def public_url() -> str:
    """Return the base URL that links and QR codes use."""
    return current_app.config["PUBLIC_URL"]


_publisher = Publisher()


def publisher() -> Publisher:
    """Return the application's publisher."""
    return _publisher
