"""Batched vote counts: votes mark their meeting dirty; a background task flushes a few times a second.

A vote never broadcasts by itself and never writes the meeting's row. The vote service commits,
then marks the concern dirty here; a background task (started lazily with
``socketio.start_background_task``) wakes every ``VOTE_FLUSH_INTERVAL`` seconds, reads the current
counts from the database and emits one ``votes:updated`` per dirty meeting. With Redis configured
the dirty marks live in Redis and a short per-meeting slot key keeps the whole cluster at one
flush per interval per meeting, whichever process takes the marks.

**Order.** Counts are absolute, so a client only needs to know which of two counts is newer. Each
flush of a meeting draws the next number of the meeting's batch sequence (``seq``: a counter in
this process, or Redis ``INCR`` shared by every process) *before* reading the counts, and checks
after reading that nobody drew a later number meanwhile. Only then does it emit. So the reads of
the batches that are sent happen in ``seq`` order, whatever process sent them and whatever order
they arrive in; a flush that loses that check sends nothing and puts its marks back for the next
tick, where a later read sends them. The snapshot carries the sequence number drawn before it read
its counts (``vote_seq``), so a client also drops a batch that was read before its snapshot.

**Failure.** A flush that fails (database, message queue) puts its marks back and goes on with
the next meeting, so the final count is sent on a later tick, not lost until someone votes again.

**Vote surges.** Each mark of a vote (or of its withdrawal: a tap) also counts one tap of its concern
in a per-second tally, in the same step as the mark (the same lock, or the same Redis round trip),
so the vote's request pays no SQL for it. When a flush sends a concern whose taps in the last
``VOTE_SURGE`` seconds reach its threshold, the moderators get ``votes:surge``: votes are arriving
faster than people in a room tap, which is what a script minting participants looks like.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from flask import Flask
from sqlalchemy import select

from ysdw_live.concerns.models import VISIBLE_STATUSES, Concern
from ysdw_live.db import session_scope
from ysdw_live.meetings.models import Meeting
from ysdw_live.polls.models import KEPT_BACK, Poll, PollResponse
from ysdw_live.polls.serializers import results_to_dict
from ysdw_live.realtime import app_extension, socketio
from ysdw_live.realtime.rooms import ATTENDEE, MODERATOR, PROJECTOR, meeting_room, role_room

log = logging.getLogger(__name__)

# The flusher stops after this many empty ticks and restarts on the next vote.
IDLE_TICKS_BEFORE_EXIT = 240
# How long tap tallies are kept (seconds): the longest VOTE_SURGE window config.py accepts, and a little.
TAP_SECONDS_KEPT = 62
# How long the console page still lists a surge after it was seen (seconds).
SURGE_SHOWN_FOR = 600
# At least this many taps (votes and their withdrawals) on one concern within this many seconds.
DEFAULT_VOTE_SURGE = (50, 5)

# Takes every dirty meeting with its concern ids in one atomic step: a mark added meanwhile is
# either taken with them or left whole (meeting and ids) for the next take, never split.
_TAKE_SCRIPT = """
local meetings = redis.call('SMEMBERS', KEYS[1])
local taken = {}
for _, meeting in ipairs(meetings) do
  taken[#taken + 1] = meeting
  taken[#taken + 1] = redis.call('SMEMBERS', ARGV[1] .. meeting)
end
-- Everything is read before anything is deleted: a script that fails part way changes nothing.
for _, meeting in ipairs(meetings) do redis.call('DEL', ARGV[1] .. meeting) end
redis.call('DEL', KEYS[1])
return taken
"""

# Frees a flush slot only if this process still holds it (it may have expired and passed on).
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class DirtyStore(Protocol):
    """Where the changed concerns of each meeting wait for the next flush, and each meeting's batch sequence."""

    def add(self, meeting_id: int, concern_ids: set[int], tapped_at: float | None = None) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed; with ``tapped_at``, also count one tap of each then."""

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting, in one atomic step."""

    def taps(self, concern_ids: Iterable[int], now: float, seconds: int) -> dict[int, int]:
        """Return the taps of each concern in the ``seconds`` whole seconds up to ``now`` (the current one included)."""

    def next_seq(self, meeting_id: int) -> int:
        """Draw the meeting's next batch sequence number (strictly greater than every earlier one)."""

    def current_seq(self, meeting_id: int) -> int:
        """Return the meeting's latest batch sequence number drawn (0 before the first)."""


@runtime_checkable
class SharedDirtyStore(DirtyStore, Protocol):
    """A store several processes flush from: each meeting's flush needs a slot, one per interval."""

    def claim(self, meeting_id: int, interval: float) -> bool:
        """Return whether this flusher may emit for ``meeting_id`` now (one per interval)."""

    def release(self, meeting_id: int) -> None:
        """Give back a slot this flusher claimed but did not use (its flush failed)."""


class MemoryDirtyStore:
    """Marks and sequence numbers kept in this process: right for one server process."""

    def __init__(self) -> None:
        self._marks: dict[int, set[int]] = {}
        self._seqs: dict[int, int] = {}
        self._taps: dict[int, dict[int, int]] = {}
        self._lock = threading.Lock()

    def add(self, meeting_id: int, concern_ids: set[int], tapped_at: float | None = None) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed; with ``tapped_at``, also count one tap of each then."""
        if not concern_ids:
            return
        with self._lock:
            self._marks.setdefault(meeting_id, set()).update(concern_ids)
            if tapped_at is not None:
                second = int(tapped_at)
                for concern_id in concern_ids:
                    tally = self._taps.setdefault(concern_id, {})
                    tally[second] = tally.get(second, 0) + 1

    def taps(self, concern_ids: Iterable[int], now: float, seconds: int) -> dict[int, int]:
        """Return the taps of each concern in the ``seconds`` whole seconds up to ``now``; forget older tallies."""
        first, oldest_kept = int(now) - seconds + 1, int(now) - TAP_SECONDS_KEPT
        found: dict[int, int] = {}
        with self._lock:
            for concern_id in concern_ids:
                tally = self._taps.get(concern_id)
                if not tally:
                    continue
                for second in [second for second in tally if second < oldest_kept]:
                    del tally[second]
                found[concern_id] = sum(n for second, n in tally.items() if second >= first)
            if len(self._taps) > 10_000:
                self._taps = {
                    concern_id: tally for concern_id, tally in self._taps.items() if tally and max(tally) >= oldest_kept
                }
        return found

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting."""
        with self._lock:
            marks, self._marks = self._marks, {}
        return marks

    def next_seq(self, meeting_id: int) -> int:
        """Draw the meeting's next batch sequence number."""
        with self._lock:
            seq = self._seqs.get(meeting_id, 0) + 1
            self._seqs[meeting_id] = seq
            return seq

    def current_seq(self, meeting_id: int) -> int:
        """Return the meeting's latest batch sequence number drawn (0 before the first)."""
        with self._lock:
            return self._seqs.get(meeting_id, 0)


class RedisDirtyStore:
    """Marks and sequence numbers shared by every process through Redis."""

    def __init__(self, url: str, prefix: str = "ysdw:votes") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE_SCRIPT)
        self._release = self._redis.register_script(_RELEASE_SCRIPT)
        self._slot_owner = uuid.uuid4().hex

    def _meeting_key(self, meeting_id: int | str) -> str:
        """Return the key of one meeting's changed concern ids."""
        return f"{self._prefix}:dirty:{int(meeting_id)}"

    def add(self, meeting_id: int, concern_ids: set[int], tapped_at: float | None = None) -> None:
        """Mark ``concern_ids`` of ``meeting_id`` as changed; count ``tapped_at``'s taps in the same round trip."""
        if not concern_ids:
            return
        pipe = self._redis.pipeline(transaction=True)
        pipe.sadd(self._meeting_key(meeting_id), *sorted(concern_ids))
        pipe.sadd(f"{self._prefix}:dirty", meeting_id)
        if tapped_at is not None:
            for concern_id in concern_ids:
                tally = self._tap_key(concern_id, int(tapped_at))
                pipe.incr(tally)
                pipe.expire(tally, TAP_SECONDS_KEPT)
        pipe.execute()

    def _tap_key(self, concern_id: int, second: int) -> str:
        """Return the key of one concern's taps in one second (it expires by itself)."""
        return f"{self._prefix}:taps:{int(concern_id)}:{second}"

    def taps(self, concern_ids: Iterable[int], now: float, seconds: int) -> dict[int, int]:
        """Return the taps of each concern in the ``seconds`` whole seconds up to ``now`` (one MGET)."""
        wanted = list(concern_ids)
        span = range(int(now) - seconds + 1, int(now) + 1)
        if not wanted:
            return {}
        values = self._redis.mget([self._tap_key(concern_id, second) for concern_id in wanted for second in span])
        found: dict[int, int] = {}
        for index, concern_id in enumerate(wanted):
            window = values[index * len(span) : (index + 1) * len(span)]
            found[concern_id] = sum(int(value) for value in window if value is not None)
        return found

    def take(self) -> dict[int, set[int]]:
        """Remove and return every mark, by meeting, in one Lua script (atomic on the Redis server)."""
        taken = self._take(keys=[f"{self._prefix}:dirty"], args=[f"{self._prefix}:dirty:"])
        marks: dict[int, set[int]] = {}
        for raw_meeting, members in zip(taken[::2], taken[1::2], strict=True):
            if members:
                marks[int(raw_meeting)] = {int(member) for member in members}
        return marks

    def next_seq(self, meeting_id: int) -> int:
        """Draw the meeting's next batch sequence number (``INCR``: one counter for every process)."""
        return int(self._redis.incr(f"{self._prefix}:seq:{int(meeting_id)}"))

    def current_seq(self, meeting_id: int) -> int:
        """Return the meeting's latest batch sequence number drawn (0 before the first)."""
        return int(self._redis.get(f"{self._prefix}:seq:{int(meeting_id)}") or 0)

    def _slot_key(self, meeting_id: int) -> str:
        """Return the key of the meeting's flush slot."""
        return f"{self._prefix}:slot:{int(meeting_id)}"

    def claim(self, meeting_id: int, interval: float) -> bool:
        """Take the meeting's flush slot for ``interval`` seconds, unless another process holds it."""
        slot = self._slot_key(meeting_id)
        return bool(self._redis.set(slot, self._slot_owner, px=max(1, int(interval * 1000)), nx=True))

    def release(self, meeting_id: int) -> None:
        """Give back the meeting's flush slot if this store still holds it."""
        self._release(keys=[self._slot_key(meeting_id)], args=[self._slot_owner])


class VoteBatcher:
    """Collects vote marks and flushes them as one ``votes:updated`` per meeting per tick.

    ``sleep`` waits between ticks (``socketio.sleep``; tests pass their own to drive the loop).
    With ``VOTE_FLUSH_BACKGROUND`` false no background task starts: whoever holds the batcher
    calls :meth:`flush` (tests drive it by hand this way).
    """

    # Where the marks live in Redis: each batcher has its own keys.
    redis_prefix = "ysdw:votes"

    def __init__(
        self,
        app: Flask,
        store: DirtyStore | None = None,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.interval = float(app.config.get("VOTE_FLUSH_INTERVAL", 0.3))
        # A surge: at least this many taps on one concern within this many seconds (YSDW_VOTE_SURGE).
        self.surge_taps, self.surge_seconds = app.config.get("VOTE_SURGE", DEFAULT_VOTE_SURGE)
        self.clock = clock
        self._surges: dict[int, dict[int, dict[str, Any]]] = {}
        self._surge_lock = threading.Lock()
        self.background = bool(app.config.get("VOTE_FLUSH_BACKGROUND", True))
        redis_url = app.config.get("REDIS_URL")
        self.store: DirtyStore = store or (
            RedisDirtyStore(redis_url, self.redis_prefix) if redis_url else MemoryDirtyStore()
        )
        self._sleep = sleep or socketio.sleep
        self._lock = threading.Lock()
        self._running = False
        self._flushing = False
        self._stopped = False
        self._marked_since_flush = False

    def mark(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Note that these concerns' counts changed (one tap each); the next tick sends them."""
        self.store.add(meeting_id, concern_ids, tapped_at=self.clock())
        with self._lock:
            self._marked_since_flush = True
            if self._running or self._stopped or not self.background:
                return
            self._running = True
        socketio.start_background_task(self.run)

    def run(self) -> None:
        """Flush every interval until idle for a while (a later vote starts it again) or stopped.

        The background task's body; a test may call it with its own ``sleep`` to drive the ticks.
        """
        idle_ticks = 0
        while True:
            self._sleep(self.interval)
            with self._lock:
                if self._stopped:
                    self._running = False
                    return
                self._flushing = True
            try:
                sent = self.flush()
            except Exception:
                # Taking the marks failed (Redis away): they are still there; try again next tick.
                log.exception("taking vote marks failed")
                sent = 0
            idle_ticks = 0 if sent else idle_ticks + 1
            with self._lock:
                self._flushing = False
                if idle_ticks >= IDLE_TICKS_BEFORE_EXIT and not self._marked_since_flush:
                    self._running = False
                    return

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background flusher for good, waiting for a flush in progress (shutdown, tests)."""
        with self._lock:
            self._stopped = True
            busy = self._flushing
        waited = 0.0
        while busy and waited < timeout:
            socketio.sleep(0.01)
            waited += 0.01
            with self._lock:
                busy = self._flushing

    def flush(self) -> int:
        """Emit one ``votes:updated`` per dirty meeting with counts read from the database; return how many.

        One tick of the flusher. A meeting whose flush fails, or may not run now, gets its marks
        back for the next tick; the other meetings are flushed all the same.
        """
        with self._lock:
            self._marked_since_flush = False
        marks = self.store.take()
        sent = 0
        shared = self.store if isinstance(self.store, SharedDirtyStore) else None
        for meeting_id, concern_ids in marks.items():
            claimed = False
            try:
                # One process has one flusher, whose own tick spaces its flushes; several need a shared slot.
                if shared is not None:
                    claimed = shared.claim(meeting_id, self.interval)
                    if not claimed:
                        # Another process flushed this meeting moments ago; keep the marks for the next tick.
                        self._requeue(meeting_id, concern_ids)
                        continue
                outcome = self._emit_counts(meeting_id, concern_ids)
            except Exception:
                log.exception("flushing the vote counts of meeting %s failed; retrying next tick", meeting_id)
                self._requeue(meeting_id, concern_ids)
                if claimed and shared is not None:
                    self._release_slot(shared, meeting_id)
                continue
            if outcome is None:
                # A later batch was drawn while these counts were read: let a later read send them.
                self._requeue(meeting_id, concern_ids)
            elif outcome:
                sent += 1
        return sent

    def _release_slot(self, store: SharedDirtyStore, meeting_id: int) -> None:
        """Free the slot of a flush that sent nothing, so the retry need not wait for it to expire."""
        try:
            store.release(meeting_id)
        except Exception:
            log.exception("could not free the flush slot of meeting %s", meeting_id)

    def _requeue(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Put marks back for the next tick (logged, not raised, when even that fails)."""
        try:
            self.store.add(meeting_id, concern_ids)
        except Exception:
            log.exception("could not keep the vote marks of meeting %s for the next tick", meeting_id)
        with self._lock:
            self._marked_since_flush = True

    def _emit_counts(self, meeting_id: int, concern_ids: set[int]) -> bool | None:
        """Read the visible counts among ``concern_ids`` and emit them with the next ``seq``.

        Return whether an event was sent, or None when another flush drew a later sequence
        number while these counts were read (their order against that batch is unknown).
        """
        seq = self.store.next_seq(meeting_id)
        with self.app.app_context(), session_scope(self.app) as db:
            meeting = db.get(Meeting, meeting_id)
            if meeting is None:
                return False
            rows = db.execute(
                select(Concern.id, Concern.votes).where(
                    Concern.meeting_id == meeting_id,
                    Concern.id.in_(sorted(concern_ids)),
                    Concern.status.in_(VISIBLE_STATUSES),
                )
            )
            counts = {str(concern_id): votes for concern_id, votes in rows}
            code, version = meeting.code, meeting.version
            db.rollback()
        if not counts:
            return False
        if self.store.current_seq(meeting_id) != seq:
            return None
        payload = {"counts": counts, "version": version, "seq": seq}
        socketio.emit("votes:updated", payload, to=meeting_room(code))
        try:
            self._report_surges(meeting_id, code, counts)
        except Exception:
            # The counts went out; a failed surge check must not send them again (it is tried next flush).
            log.exception("checking meeting %s for a vote surge failed", meeting_id)
        return True

    def _report_surges(self, meeting_id: int, code: str, counts: dict[str, int]) -> None:
        """Tell the meeting's moderators about concerns whose votes arrive faster than people tap.

        A surge is ``surge_taps`` taps or more on one concern within ``surge_seconds``; it is told
        once per ``surge_seconds`` while it lasts, with the latest figures.
        """
        now = self.clock()
        taps = self.store.taps([int(concern_id) for concern_id in counts], now, self.surge_seconds)
        surges = []
        with self._surge_lock:
            seen = self._surges.setdefault(meeting_id, {})
            for concern_id, tapped in sorted(taps.items()):
                earlier = seen.get(concern_id)
                if tapped < self.surge_taps or (earlier is not None and now - earlier["at"] < self.surge_seconds):
                    continue
                surge = {
                    "concern_id": concern_id,
                    "taps": tapped,
                    "seconds": self.surge_seconds,
                    "votes": counts[str(concern_id)],
                }
                seen[concern_id] = {**surge, "at": now}
                surges.append(surge)
        if surges:
            log.warning("vote surge in meeting %s: %s", meeting_id, surges)
            socketio.emit("votes:surge", {"surges": surges}, to=role_room(code, MODERATOR))

    def surges(self, meeting_id: int) -> list[dict[str, Any]]:
        """Return the vote surges this process saw in the meeting lately, newest first (``at``: epoch seconds)."""
        recent = self.clock() - SURGE_SHOWN_FOR
        with self._surge_lock:
            seen = self._surges.get(meeting_id, {})
            for concern_id in [concern_id for concern_id, surge in seen.items() if surge["at"] < recent]:
                del seen[concern_id]
            return sorted(seen.values(), key=lambda surge: surge["at"], reverse=True)

    def current_seq(self, meeting_id: int) -> int:
        """Return the meeting's latest batch number: a snapshot read after it is at least that new."""
        return self.store.current_seq(meeting_id)


class PollBatcher(VoteBatcher):
    """Poll results batched like votes: an answer marks its poll; a tick sends one ``poll:results`` per poll.

    The same marks, slots, sequence numbers and failure handling as :class:`VoteBatcher` (a poll id
    in place of a concern id); the results are absolute, read from the database when sent, so a
    thousand answers in a second make at most a few events per poll. No surge check: one answer
    per participant per poll is a unique row, so a burst of answers is simply the room answering.
    """

    redis_prefix = "ysdw:polls"

    def mark(self, meeting_id: int, concern_ids: set[int]) -> None:
        """Note that these polls' results changed; the next tick sends them (no taps counted)."""
        self.store.add(meeting_id, concern_ids)
        with self._lock:
            self._marked_since_flush = True
            if self._running or self._stopped or not self.background:
                return
            self._running = True
        socketio.start_background_task(self.run)

    def _emit_counts(self, meeting_id: int, concern_ids: set[int]) -> bool | None:
        """Read the results of the marked polls and emit each with the next ``seq`` (None: a later batch overtook)."""
        seq = self.store.next_seq(meeting_id)
        with self.app.app_context(), session_scope(self.app) as db:
            meeting = db.get(Meeting, meeting_id)
            if meeting is None:
                return False
            polls = list(
                db.scalars(select(Poll).where(Poll.meeting_id == meeting_id, Poll.id.in_(sorted(concern_ids))))
            )
            answers: dict[int, list[tuple[str, bool]]] = {poll.id: [] for poll in polls}
            rows = db.execute(
                select(PollResponse.poll_id, PollResponse.answer, KEPT_BACK)
                .where(PollResponse.poll_id.in_(list(answers)))
                .order_by(PollResponse.updated_at, PollResponse.id)
            )
            for poll_id, answer, hidden in rows:
                answers[poll_id].append((answer, hidden))
            batches = [(poll.id, poll.results_visible, results_to_dict(poll, answers[poll.id])) for poll in polls]
            code, version = meeting.code, meeting.version
            db.rollback()
        if not batches:
            return False
        if self.store.current_seq(meeting_id) != seq:
            return None
        for poll_id, visible, results in batches:
            rooms = [role_room(code, MODERATOR), role_room(code, PROJECTOR)]
            if visible:
                rooms.append(role_room(code, ATTENDEE))
            payload = {"poll_id": poll_id, "results": results, "version": version, "seq": seq}
            socketio.emit("poll:results", payload, to=sorted(rooms))
        return True


def poll_batcher(app: Flask) -> PollBatcher:
    """Return the application's poll results batcher, creating it on first use."""
    batcher: PollBatcher = app_extension(app, "ysdw_poll_batcher", lambda: PollBatcher(app))
    return batcher


def flush_poll_results(app: Flask) -> int:
    """Flush pending poll results now (tests and shutdown); return the number of meetings sent."""
    return poll_batcher(app).flush()


def vote_batcher(app: Flask) -> VoteBatcher:
    """Return the application's vote batcher, creating it on first use."""
    batcher: VoteBatcher = app_extension(app, "ysdw_vote_batcher", lambda: VoteBatcher(app))
    return batcher


def stop_vote_batcher(app: Flask) -> None:
    """Stop the app's background flusher, if it has one, before its database goes away."""
    for name in ("ysdw_vote_batcher", "ysdw_poll_batcher"):
        batcher: VoteBatcher | None = app.extensions.get(name)
        if batcher is not None:
            batcher.stop()


def flush_votes(app: Flask) -> int:
    """Flush pending vote counts now (tests and shutdown); return the number of events sent."""
    return vote_batcher(app).flush()
