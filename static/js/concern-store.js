// The meeting's concerns as a live page holds them, kept in step with the socket events.
// Each page says how to draw them; this module owns the rules about event order.

/**
 * Create a store. Options:
 *   render()                 redraw after any change
 *   keepVoted                broadcast events are the same for everyone, so their `voted` means
 *                            nothing for this device: keep what the snapshot or our own calls said
 *   keepRemoved              moderators keep dismissed concerns (a concern:updated says why)
 *   onSnapshot(snapshot)     after a (re)connect's snapshot has been loaded
 *   onCreated(concern, isNew), onUpdated(before, concern)   after those events
 */
export function concernStore({ render, keepVoted = false, keepRemoved = false, onSnapshot, onCreated, onUpdated }) {
  const concerns = new Map();
  let version = 0;
  let votesVersion = 0;
  let live = false;

  // An event older than the snapshot we hold describes a state we have already seen past.
  function fresh(payload) {
    if (typeof payload.version !== "number") return true;
    if (payload.version < version) return false;
    version = payload.version;
    return true;
  }

  function put(concern) {
    if (keepVoted) concern.voted = Boolean(concerns.get(concern.id)?.voted);
    concerns.set(concern.id, concern);
  }

  return {
    concerns,
    fresh,
    /** Whether a snapshot has arrived (until then, plain forms do the work). */
    get live() {
      return live;
    },
    handlers: {
      snapshot(snapshot) {
        live = true;
        version = snapshot.version;
        votesVersion = snapshot.version;
        concerns.clear();
        for (const concern of snapshot.concerns) concerns.set(concern.id, concern);
        onSnapshot?.(snapshot);
        render();
      },
      "concern:created"(payload) {
        if (!fresh(payload)) return;
        const isNew = !concerns.has(payload.concern.id);
        put(payload.concern);
        render();
        onCreated?.(payload.concern, isNew);
      },
      "concern:updated"(payload) {
        if (!fresh(payload)) return;
        const before = concerns.get(payload.concern.id);
        put(payload.concern);
        render();
        onUpdated?.(before, payload.concern);
      },
      "concern:removed"(payload) {
        if (!fresh(payload) || keepRemoved) return;
        concerns.delete(payload.id);
        render();
      },
      "votes:updated"(payload) {
        // Counts are read when the batch is flushed, so their version can trail a moderation
        // event that arrived meanwhile; they only need to be newer than the last counts applied.
        if (payload.version < votesVersion) return;
        votesVersion = payload.version;
        for (const [id, votes] of Object.entries(payload.counts)) {
          const concern = concerns.get(Number(id));
          if (concern) concern.votes = votes;
        }
        render();
      },
    },
  };
}
