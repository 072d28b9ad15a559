"""The live meeting's snapshot: what a connecting page sees, read consistently and built once per version.

A snapshot is ``{meeting, concerns, polls, projector, version}`` (moderators also get
``counters``). Its ``version`` is the version its contents reflect: everything is read in one
transaction (``REPEATABLE READ`` on PostgreSQL; SQLite's transaction sees one database state), the
meeting row first.

When a thousand phones connect at once they would each read the same concerns. The part every
connection of one audience shares (the meeting, the projector and the concerns that audience may
see) is therefore kept per process in a small cache keyed by (meeting id, version, audience): a
change bumps the version, so an entry is never stale, only unused, and the oldest entries are
dropped. What belongs to one caller is added per connection: ``voted``, an attendee's own pending
concerns, a moderator's counters.

Vote counts do not bump the version (they are absolute numbers flushed in batches), so the cached
counts may be behind. Each connection therefore reads the current counts in one narrow query
(concern id and votes, no text) and lays them over the cached concerns. Keying the cache by the
batch sequence as well was the alternative; it would rebuild the whole snapshot on every flush
during voting, which is exactly when many phones connect, and would tie the cache to the batcher.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from ysdw_live import clock
from ysdw_live.actors import Actor
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import Concern, ConcernStatus, Vote
from ysdw_live.concerns.serializers import concern_to_dict
from ysdw_live.errors import NotFound
from ysdw_live.i18n import gettext
from ysdw_live.meetings.models import Meeting
from ysdw_live.meetings.serializers import meeting_to_dict, projector_to_dict
from ysdw_live.polls import services as polls
from ysdw_live.polls.kinds import PollKind
from ysdw_live.polls.serializers import poll_to_dict, summarise
from ysdw_live.surveys import services as surveys
from ysdw_live.surveys.serializers import survey_to_dict

# Entries are small (one meeting's visible concerns); a process rarely serves more than a few
# meetings, each with one live version per audience.
CACHE_SIZE = 64
STAFF = "staff"
ROOM = "room"

SharedPart = dict[str, Any]


class SnapshotCache:
    """The shared part of recent snapshots, by (meeting id, version, audience), least recently used out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, int, str], SharedPart] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[int, int, str], build: Callable[[], SharedPart]) -> SharedPart:
        """Return the entry for ``key``, building it with ``build()`` on a miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            self.misses += 1
        # Built outside the lock: two connections missing at once both build, which is harmless.
        entry = build()
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry

    def __len__(self) -> int:
        """Return how many entries are held."""
        return len(self._entries)


def begin_consistent_read(db: Session) -> None:
    """End the session's transaction and start one whose reads all see one database state.

    PostgreSQL's default (READ COMMITTED) gives each statement its own view, so the concerns could
    be newer than the version read before them; REPEATABLE READ fixes one view for the transaction.
    SQLite's transaction already reads one state (WAL keeps it for the reader).
    """
    db.rollback()
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})


# What each connection reads on a cache hit, built once: the version, the counts, and the
# attendee's own part (concerns voted for, kind 1; own pending or dismissed concerns, kind 0).
_VERSION = select(Meeting.version).where(Meeting.id == bindparam("meeting_id"))
_COUNTS = select(Concern.id, Concern.votes).where(Concern.meeting_id == bindparam("meeting_id"))
_OWN = union_all(
    select(Vote.concern_id, literal(1)).where(Vote.participant_id == bindparam("participant_id")),
    select(Concern.id, literal(0)).where(
        Concern.participant_id == bindparam("participant_id"),
        Concern.status.in_((ConcernStatus.pending, ConcernStatus.dismissed)),
    ),
)


def read_snapshot(
    db: Session,
    meeting_id: int,
    caller: Actor,
    *,
    staff: bool,
    participant_id: int | None,
    public_url: str,
    cache: SnapshotCache,
    connected: Callable[[], int] | None = None,
    screens: Callable[[], int] | None = None,
    projector: bool = False,
    poll_seq: int | None = None,
) -> dict[str, Any]:
    """Return the snapshot for ``caller`` in one consistent read, and end that read.

    ``polls`` lists the open polls (and the one on the projector; moderators get every poll),
    each with its ``results`` when this connection may see them: moderators and the projector
    always, attendees once the results are revealed. ``poll_seq``, the poll batch number drawn
    before this read, lets connections share the results read once for that batch.

    ``staff`` (a moderator) sees every status and gets ``counters``; ``connected`` counts the
    meeting's connected participants for them, ``screens`` its open projector views. An attendee
    (``participant_id``) also gets its own pending and dismissed concerns (only ever sent to their
    author) and ``voted``. The transaction is ended before returning, so no lock or snapshot is held
    across the emit that follows. Ids are passed, not loaded objects: a cache hit costs three narrow
    queries and loads no object.
    """
    # Asked before the read starts: with Redis it is a network call, never made inside a transaction.
    online = connected() if staff and connected is not None else 0
    projectors = screens() if staff and screens is not None else 0
    begin_consistent_read(db)
    try:
        connection = db.connection()
        # The version first: nothing read after it can be older.
        version = connection.execute(_VERSION, {"meeting_id": meeting_id}).scalar()
        if version is None:
            raise NotFound(
                gettext("There is no meeting with that code. Check the code and try again."), code="meeting_not_found"
            )
        audience = STAFF if staff else ROOM
        shared = cache.get(
            (meeting_id, version, audience),
            lambda: _shared_part(db, db.get_one(Meeting, meeting_id), caller, staff=staff, public_url=public_url),
        )
        concerns_out = list(shared["concerns"])
        voted: set[int] = set()
        if participant_id is not None and not staff:
            own = connection.execute(_OWN, {"participant_id": participant_id}).all()
            voted = {concern_id for concern_id, kind in own if kind == 1}
            own_hidden = [concern_id for concern_id, kind in own if kind == 0]
            if own_hidden:
                mine = db.scalars(select(Concern).where(Concern.id.in_(own_hidden), Concern.meeting_id == meeting_id))
                concerns_out += [concern_to_dict(c, voted=False) for c in mine]
        counts: dict[int, int] = {
            concern_id: votes for concern_id, votes in connection.execute(_COUNTS, {"meeting_id": meeting_id})
        }
        listed = [
            {**c, "votes": counts.get(c["id"], c["votes"]), "voted": c["id"] in voted}
            for c in concerns_out
            if c["id"] in counts
        ]
        listed.sort(key=lambda c: (-c["votes"], c["created_at"] or "", c["id"]))
        snapshot: dict[str, Any] = {
            "meeting": shared["meeting"],
            "concerns": listed,
            "polls": _polls_with_results(
                db, shared["polls"], all_results=staff or projector, cache=cache, batch=(meeting_id, version, poll_seq)
            ),
            "projector": shared["projector"],
            "survey": shared["survey"],
            "version": shared["version"],
        }
        if staff:
            snapshot["counters"] = {
                **concerns.meeting_counters(db, db.get_one(Meeting, meeting_id)),
                "connected": online,
                "projectors": projectors,
            }
        return snapshot
    finally:
        db.rollback()


def _polls_with_results(
    db: Session,
    listed: tuple[Any, ...],
    *,
    all_results: bool,
    cache: SnapshotCache,
    batch: tuple[int, int, int | None],
) -> list[dict[str, Any]]:
    """Return the snapshot's polls, adding the current results to those the connection may see.

    Results change without a version bump (answers are batched). They are read in one query for
    every poll that needs them and kept for the poll batch number drawn before the read
    (``batch``: meeting, version, poll seq): a later connection that draws the same number gets
    the same results, which hold every answer sent before that batch, and the answers since reach
    it in a later batch (the argument of ``vote_seq``). A thousand phones connecting while a poll
    with visible results is open read its answers once, not a thousand times.
    """
    wanted = tuple(poll["id"] for poll, _shape in listed if all_results or poll["results_visible"])
    if not wanted:
        return [dict(poll) for poll, _shape in listed]
    shapes = {poll["id"]: (PollKind(poll["kind"]), shape) for poll, shape in listed}

    def read() -> dict[int, dict[str, Any]]:
        answers = polls.answers_of(db, list(wanted))
        return {poll_id: summarise(poll_id, *shapes[poll_id], answers[poll_id]) for poll_id in wanted}

    meeting_id, version, poll_seq = batch
    results = (
        read() if poll_seq is None else cache.get((meeting_id, version, f"poll-results:{poll_seq}:{wanted}"), read)
    )
    return [
        {**poll, "results": results[poll["id"]]} if poll["id"] in results else dict(poll) for poll, _shape in listed
    ]


def current_version(db: Session, meeting_id: int) -> int:
    """Return the meeting's committed version now (one narrow read), and end that read."""
    try:
        return int(db.connection().execute(_VERSION, {"meeting_id": meeting_id}).scalar() or 0)
    finally:
        db.rollback()


def _shared_part(db: Session, meeting: Meeting, caller: Actor, *, staff: bool, public_url: str) -> SharedPart:
    """Return what every connection of one audience sees of ``meeting`` at its current version."""
    audience = caller if staff else Actor()  # the room's view: visible concerns only
    listed = concerns.list_concerns(db, audience, meeting, sort="top")
    return {
        "meeting": meeting_to_dict(meeting, public_url),
        "concerns": tuple(concern_to_dict(c, voted=False) for c in listed),
        "projector": projector_to_dict(meeting),
        # Plain values (the cache outlives the session): each poll's shape and what its results need.
        "polls": tuple(
            (poll_to_dict(poll), poll.shape()) for poll in _snapshot_polls(db, meeting, caller, staff=staff)
        ),
        "survey": _survey_shape(db, meeting),
        "version": meeting.version,
    }


def _survey_shape(db: Session, meeting: Meeting) -> dict[str, Any] | None:
    """Return the meeting's survey as phones and the projector see it, or None before there is one."""
    survey = surveys.survey_of_meeting(db, meeting)
    return None if survey is None else survey_to_dict(survey, clock.now())


def _snapshot_polls(db: Session, meeting: Meeting, caller: Actor, *, staff: bool) -> list[Any]:
    """Return the polls an audience sees: every one for moderators; the open ones and the projector's for the room."""
    if staff:
        return polls.list_polls(db, caller, meeting)
    shown = polls.list_polls(db, Actor(), meeting)
    if meeting.projector_poll_id is not None and all(p.id != meeting.projector_poll_id for p in shown):
        projected = polls.projector_poll_or_none(db, meeting)
        if projected is not None:
            shown.append(projected)
    return shown
