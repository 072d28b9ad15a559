// The meeting as a live page holds it — its concerns, the meeting itself and what the projector
// shows — kept in step with the socket events. Every live page (attendee, projector, console,
// leaders' stream) uses this one store; each page only says how to draw it. This module owns
// the rules about event order: nothing ever goes back to an older version or an older count.
//
// Order. Every event and every API reply we apply says which meeting version its state is as of.
// The store remembers, per thing (each concern, the meeting, the projector), the version of the
// state it holds, and a snapshot's version for everything it covers; an older state is ignored.
// Events that arrive before the snapshot of a (re)connect wait, and after the snapshot only
// those newer than it are replayed: the snapshot never erases a change that overtook it.

export function concernStore({
  render,
  keepVoted = false,
  keepRemoved = false,
  onSnapshot,
  onCreated,
  onUpdated,
  onMeeting,
  onProjector,
}) {
  const concerns = new Map();
  const asOf = new Map(); // "concern:<id>" | "meeting" | "projector" -> version of the state held
  let floor = 0; // the last snapshot's version: what it covers is at least this new
  let version = 0; // the newest version seen
  // Vote counts have their own order: the batch number `seq` of votes:updated, per concern (a batch
  // carries only the concerns that changed). The snapshot's `vote_seq` is the number before its counts.
  let voteSeqFloor = 0;
  const voteSeqs = new Map();
  let live = false;
  let waiting = true; // until the snapshot of this connection arrives, events wait in `held`
  let held = [];
  let snapshots = 0;
  let meeting = null;
  let projector = null;

  // Whether a state of `key` as of `stateVersion` is at least as new as the one held (and note it).
  // A payload without a version (an older server) is taken as it comes.
  function fresh(key, stateVersion) {
    if (typeof stateVersion !== "number") return true;
    if (stateVersion < Math.max(floor, asOf.get(key) ?? 0)) return false;
    asOf.set(key, stateVersion);
    if (stateVersion > version) version = stateVersion;
    return true;
  }

  function keep(concern, { ownVote = false } = {}) {
    const held = concerns.get(concern.id);
    if (keepVoted && !ownVote) concern.voted = Boolean(held?.voted);
    // Once a vote batch has set this count, keep it: the event's count may be older, and any vote
    // the batch missed comes in a later batch, so the batches alone end on the final count.
    if (held && voteSeqs.has(concern.id)) concern.votes = held.votes;
    concerns.set(concern.id, concern);
  }

  // Run `apply` now, or keep it for after the snapshot when one is awaited.
  function whenLive(stateVersion, apply) {
    if (waiting) held.push({ stateVersion, apply });
    else apply();
  }

  const handlers = {
    snapshot(snapshot) {
      // A second snapshot on the same connection can be older than events applied since the
      // first one (the server sends another when a change overtook the first): keep those.
      const newer = [...asOf].filter(([, stateVersion]) => stateVersion > snapshot.version);
      const kept = newer.map(([key, stateVersion]) => {
        const id = key.startsWith("concern:") ? Number(key.slice("concern:".length)) : null;
        return { key, stateVersion, id, concern: id === null ? null : concerns.get(id) };
      });
      const keptMeeting = meeting;
      const keptProjector = projector;
      live = true;
      snapshots += 1;
      floor = snapshot.version;
      version = Math.max(version, snapshot.version);
      asOf.clear();
      voteSeqFloor = snapshot.vote_seq ?? 0;
      voteSeqs.clear();
      meeting = snapshot.meeting;
      projector = snapshot.projector;
      concerns.clear();
      for (const concern of snapshot.concerns) concerns.set(concern.id, concern);
      for (const { key, stateVersion, id, concern } of kept) {
        asOf.set(key, stateVersion);
        if (key === "meeting") meeting = keptMeeting;
        else if (key === "projector") projector = keptProjector;
        else if (concern) concerns.set(id, concern);
        else concerns.delete(id);
      }
      onSnapshot?.(snapshot);
      render();
      // What overtook the snapshot: replay what is newer than it (vote batches order themselves).
      const overtaken = held;
      held = [];
      waiting = false;
      for (const { stateVersion, apply } of overtaken) {
        if (stateVersion === null || typeof stateVersion !== "number" || stateVersion > snapshot.version) apply();
      }
    },
    /** The connection dropped: until the reconnect's snapshot, events wait. */
    disconnect() {
      waiting = true;
    },
    "concern:created"(payload) {
      whenLive(payload.version, () => {
        if (!fresh(`concern:${payload.concern.id}`, payload.version)) return;
        const isNew = !concerns.has(payload.concern.id);
        keep(payload.concern);
        render();
        onCreated?.(payload.concern, isNew);
      });
    },
    "concern:updated"(payload) {
      whenLive(payload.version, () => {
        if (!fresh(`concern:${payload.concern.id}`, payload.version)) return;
        const before = concerns.get(payload.concern.id);
        keep(payload.concern);
        render();
        onUpdated?.(before, payload.concern);
      });
    },
    "concern:removed"(payload) {
      whenLive(payload.version, () => {
        if (!fresh(`concern:${payload.id}`, payload.version) || keepRemoved) return;
        concerns.delete(payload.id);
        render();
      });
    },
    "votes:updated"(payload) {
      whenLive(null, () => {
        // Batches are numbered in the order their counts were read (not by `version`, which a
        // vote does not bump); an older batch can arrive late from another server process.
        for (const [key, votes] of Object.entries(payload.counts)) {
          const id = Number(key);
          if (payload.seq <= (voteSeqs.get(id) ?? voteSeqFloor)) continue;
          voteSeqs.set(id, payload.seq);
          const concern = concerns.get(id);
          if (concern) concern.votes = votes;
        }
        render();
      });
    },
    "meeting:updated"(payload) {
      whenLive(payload.version, () => applyMeeting(payload.meeting, payload.version));
    },
    "projector:updated"(payload) {
      whenLive(payload.version, () => {
        const { version: stateVersion, ...state } = payload;
        applyProjector(state, stateVersion);
      });
    },
  };

  function applyMeeting(next, stateVersion) {
    if (!fresh("meeting", stateVersion)) return false;
    meeting = next;
    onMeeting?.(meeting);
    render();
    return true;
  }

  function applyProjector(state, stateVersion) {
    if (!fresh("projector", stateVersion)) return false;
    projector = state;
    onProjector?.(projector);
    return true;
  }

  return {
    concerns,
    /** Whether a snapshot has arrived (until then, plain forms do the work). */
    get live() {
      return live;
    },
    /** How many snapshots have been applied (one per connect and reconnect). */
    get snapshots() {
      return snapshots;
    },
    /** The newest meeting version this store has seen. */
    get version() {
      return version;
    },
    get meeting() {
      return meeting;
    },
    get projector() {
      return projector;
    },
    /**
     * Take a concern this device's own API call returned (its `voted` is ours), and redraw.
     * Its `version` (the meeting version that state is as of) keeps an older reply from
     * replacing a newer event; false when it was older and left out.
     */
    put(concern, stateVersion = concern.version) {
      if (waiting && live) {
        whenLive(stateVersion, () => this.put(concern, stateVersion));
        return true;
      }
      if (!fresh(`concern:${concern.id}`, stateVersion)) return false;
      keep(concern, { ownVote: true });
      render();
      return true;
    },
    /** Take the meeting an API call returned (`version` inside it); false when it was older. */
    putMeeting(next) {
      return applyMeeting(next, next.version);
    },
    /** Take the projector an API call returned (`version` inside it); false when it was older. */
    putProjector(reply) {
      const { version: stateVersion, ...state } = reply;
      return applyProjector(state, stateVersion);
    },
    /** Set one concern's count (and this device's vote) from our own call or an optimistic guess. */
    setVotes(id, votes, voted) {
      const concern = concerns.get(id);
      if (!concern) return;
      concern.votes = votes;
      if (voted !== undefined) concern.voted = voted;
    },
    /** Handlers for live.js's connectMeeting(), one per event. */
    handlers,
  };
}
