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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ysdw_live.actors import Actor
from ysdw_live.concerns import services as concerns
from ysdw_live.concerns.models import Concern, ConcernStatus
from ysdw_live.concerns.serializers import concern_to_dict
from ysdw_live.meetings.models import Meeting, Participant
from ysdw_live.meetings.serializers import meeting_to_dict, projector_to_dict

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


def read_snapshot(
    db: Session,
    meeting: Meeting,
    caller: Actor,
    *,
    staff: bool,
    public_url: str,
    cache: SnapshotCache,
    connected: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Return the snapshot for ``caller`` in one consistent read, and end that read.

    ``staff`` (a moderator) sees every status and gets ``counters``; ``connected`` counts the
    meeting's connected participants for them. The transaction is ended before returning, so no
    lock or snapshot is held across the emit that follows.
    """
    # Asked before the read starts: with Redis it is a network call, never made inside a transaction.
    online = connected() if staff and connected is not None else 0
    begin_consistent_read(db)
    try:
        db.refresh(meeting)  # the version first: nothing read after it can be older
        audience = STAFF if staff else ROOM
        shared = cache.get(
            (meeting.id, meeting.version, audience),
            lambda: _shared_part(db, meeting, caller, staff=staff, public_url=public_url),
        )
        concerns_out = list(shared["concerns"])
        participant = caller.participant if isinstance(caller.participant, Participant) else None
        voted: set[int] = set()
        if participant is not None and not staff:
            concerns_out += [concern_to_dict(c, voted=False) for c in _own_pending(db, participant, meeting)]
            voted = concerns.voted_concern_ids(db, participant, meeting)
        counts = _vote_counts(db, meeting)
        listed = [
            {**c, "votes": counts.get(c["id"], c["votes"]), "voted": c["id"] in voted}
            for c in concerns_out
            if c["id"] in counts
        ]
        listed.sort(key=lambda c: (-c["votes"], c["created_at"] or "", c["id"]))
        snapshot: dict[str, Any] = {
            "meeting": shared["meeting"],
            "concerns": listed,
            "polls": [],
            "projector": shared["projector"],
            "version": shared["version"],
        }
        if staff:
            snapshot["counters"] = {
                **concerns.meeting_counters(db, meeting),
                "connected": online,
            }
        return snapshot
    finally:
        db.rollback()


def current_version(db: Session, meeting: Meeting) -> int:
    """Return the meeting's committed version now (one narrow read), and end that read."""
    try:
        return int(db.scalar(select(Meeting.version).where(Meeting.id == meeting.id)) or 0)
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
        "version": meeting.version,
    }


def _own_pending(db: Session, participant: Participant, meeting: Meeting) -> list[Concern]:
    """Return the participant's own concerns that wait for the moderator."""
    return list(
        db.scalars(
            select(Concern).where(
                Concern.meeting_id == meeting.id,
                Concern.participant_id == participant.id,
                Concern.status == ConcernStatus.pending,
            )
        )
    )


def _vote_counts(db: Session, meeting: Meeting) -> dict[int, int]:
    """Return every concern's current vote count in ``meeting`` (no text: one narrow query)."""
    rows = db.execute(select(Concern.id, Concern.votes).where(Concern.meeting_id == meeting.id))
    return {concern_id: votes for concern_id, votes in rows}
