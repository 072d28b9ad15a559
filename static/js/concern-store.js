// The meeting as a live page holds it — its concerns, the meeting itself and what the projector
// shows — kept in step with the socket events. Every live page (attendee, projector, console,
// leaders' stream) uses this one store; each page only says how to draw it. This module owns
// the rules about event order: nothing ever goes back to an older version or an older count.

/**
 * Create a store. Options:
 *   render()                 redraw after any change to the concerns
 *   keepVoted                broadcast events are the same for everyone, so their `voted` means
 *                            nothing for this device: keep what the snapshot or our own calls said
 *   keepRemoved              moderators keep dismissed concerns (a concern:updated says why)
 *   onSnapshot(snapshot)     after a (re)connect's snapshot has been loaded, before render()
 *   onCreated(concern, isNew), onUpdated(before, concern)   after those events
 *   onMeeting(meeting)       the meeting changed (meeting:updated)
 *   onProjector(projector)   the projector changed (projector:updated: {mode, concern_id, poll_id, …})
 */
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
  let version = 0;
  // Vote counts have their own order: the batch number `seq` of votes:updated, per concern (a batch
  // carries only the concerns that changed). The snapshot's `vote_seq` is the number before its counts.
  let voteSeqFloor = 0;
  const voteSeqs = new Map();
  let live = false;
  let meeting = null;
  let projector = null;

  // An event older than what we hold describes a state we have already seen past.
  function fresh(payload) {
    if (typeof payload.version !== "number") return true;
    if (payload.version < version) return false;
    version = payload.version;
    return true;
  }

  function keep(concern) {
    const held = concerns.get(concern.id);
    if (keepVoted) concern.voted = Boolean(held?.voted);
    // Once a vote batch has set this count, keep it: the event's count may be older, and any vote
    // the batch missed comes in a later batch, so the batches alone end on the final count.
    if (held && voteSeqs.has(concern.id)) concern.votes = held.votes;
    concerns.set(concern.id, concern);
  }

  return {
    concerns,
    /** Whether a snapshot has arrived (until then, plain forms do the work). */
    get live() {
      return live;
    },
    get meeting() {
      return meeting;
    },
    get projector() {
      return projector;
    },
    /** Take a concern this device's own API call returned (its `voted` is ours), and redraw. */
    put(concern) {
      concerns.set(concern.id, concern);
      render();
    },
    /** Set one concern's count (and this device's vote) from our own call or an optimistic guess. */
    setVotes(id, votes, voted) {
      const concern = concerns.get(id);
      if (!concern) return;
      concern.votes = votes;
      if (voted !== undefined) concern.voted = voted;
    },
    /** Handlers for live.js's connectMeeting(), one per event. */
    handlers: {
      snapshot(snapshot) {
        live = true;
        version = snapshot.version;
        voteSeqFloor = snapshot.vote_seq ?? 0;
        voteSeqs.clear();
        meeting = snapshot.meeting;
        projector = snapshot.projector;
        concerns.clear();
        for (const concern of snapshot.concerns) concerns.set(concern.id, concern);
        onSnapshot?.(snapshot);
        render();
      },
      "concern:created"(payload) {
        if (!fresh(payload)) return;
        const isNew = !concerns.has(payload.concern.id);
        keep(payload.concern);
        render();
        onCreated?.(payload.concern, isNew);
      },
      "concern:updated"(payload) {
        if (!fresh(payload)) return;
        const before = concerns.get(payload.concern.id);
        keep(payload.concern);
        render();
        onUpdated?.(before, payload.concern);
      },
      "concern:removed"(payload) {
        if (!fresh(payload) || keepRemoved) return;
        concerns.delete(payload.id);
        render();
      },
      "votes:updated"(payload) {
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
      },
      "meeting:updated"(payload) {
        if (!fresh(payload)) return;
        meeting = payload.meeting;
        onMeeting?.(meeting);
        render();
      },
      "projector:updated"(payload) {
        if (!fresh(payload)) return;
        const { version: _version, ...state } = payload;
        projector = state;
        onProjector?.(projector);
      },
    },
  };
}
