// What a phone could not send is kept on the phone and sent when the connection is back.
//
// A concern raised or a vote given while the signal is gone goes into this meeting's outbox
// (localStorage, so a reload or a closed tab keeps it). Each concern carries its own
// Idempotency-Key from the start: if the request reached the server but the answer was lost,
// sending it again finds the same concern instead of raising a second one. Votes are idempotent
// already (PUT adds, DELETE removes); only the latest wish per concern is kept. The outbox is
// sent, in order, when the socket connects again, when the browser says it is online, and on load.

import { api, ConnectionError } from "./api.js";

const PREFIX = "ysdw-outbox-";

/** A fresh Idempotency-Key (crypto.randomUUID where there is one; old phones get random digits). */
export function newKey() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode on some old browsers: the outbox lives only as long as the page
  }
}

/**
 * The outbox of meeting `code`. `onSent(item, result)` runs for each item delivered,
 * `onRefused(item, error)` for one the server refused for good (the meeting ended, the text
 * was too long…), `onChange(items)` whenever what is waiting changes.
 */
export function outbox(code, { onSent = () => {}, onRefused = () => {}, onChange = () => {} } = {}) {
  const key = PREFIX + code;
  const store = storage();
  let memory = [];
  let sending = false;
  // While something waits, try again now and then even if no "online" event or reconnect comes
  // (a request that timed out on a weak signal): 5 s, then twice as long each time, up to a minute.
  let retryTimer = null;
  let retryMs = 5_000;

  function retryLater() {
    if (retryTimer || !load().length) return;
    retryTimer = window.setTimeout(() => {
      retryTimer = null;
      flush();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 60_000);
  }

  function load() {
    if (!store) return memory;
    try {
      const items = JSON.parse(store.getItem(key) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  function save(items) {
    memory = items;
    if (store) {
      try {
        if (items.length) store.setItem(key, JSON.stringify(items));
        else store.removeItem(key);
      } catch {
        // Storage full: keep it in memory for this page.
      }
    }
    onChange(items);
  }

  function request(item) {
    if (item.kind === "concern") {
      return api("POST", `/api/v1/meetings/${code}/concerns`, item.body, { headers: { "Idempotency-Key": item.key } });
    }
    return api(item.voted ? "PUT" : "DELETE", `/api/v1/concerns/${item.concernId}/vote`);
  }

  /** Send `item` now; if there is no connection, keep it for later. Resolves to {sent, result} or {queued}. */
  async function send(item) {
    try {
      return { sent: true, result: await request(item) };
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      keep(item);
      return { queued: true };
    }
  }

  function keep(item) {
    // A later vote on the same concern replaces the earlier wish.
    const items = load().filter((old) => !(item.kind === "vote" && old.kind === "vote" && old.concernId === item.concernId));
    save([...items, item]);
    retryLater();
  }

  /** Send what is waiting, oldest first; stop at the first item that still cannot get through. */
  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (;;) {
        const [item] = load();
        if (!item) {
          retryMs = 5_000;
          return;
        }
        try {
          const result = await request(item);
          save(load().filter((other) => other.id !== item.id));
          onSent(item, result);
        } catch (error) {
          if (error instanceof ConnectionError || error.status === 429) {
            // Still no way through (or too many at once): try again later.
            sending = false;
            retryLater();
            return;
          }
          save(load().filter((other) => other.id !== item.id));
          onRefused(item, error);
        }
      }
    } finally {
      sending = false;
    }
  }

  window.addEventListener("online", flush);
  onChange(load());
  return { send, flush, waiting: () => load() };
}

/** A concern for the outbox: its body and its own Idempotency-Key (also its id in the outbox). */
export function concernItem(body) {
  const key = newKey();
  return { kind: "concern", id: key, key, body };
}

/** A vote wish for the outbox. */
export function voteItem(concernId, voted) {
  return { kind: "vote", id: `vote-${concernId}-${Date.now()}`, concernId, voted };
}
