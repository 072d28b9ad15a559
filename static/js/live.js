// One Socket.IO connection per live page. The server sends a full snapshot on every
// (re)connect, so a phone that lost signal catches up simply by reconnecting.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { t } from "./i18n.js";

/**
 * Connect to meeting `code` as `role` and route events to handlers.
 * handlers: { snapshot(s), "concern:created"(p), …, disconnect(), status(state, message?) } where state
 * is "connected" | "reconnecting" | "refused" | "ended" (the staff login ended); every key but status
 * is a Socket.IO event.
 */
export function connectMeeting(code, role, handlers) {
  const socket = io({
    auth: { meeting: code, role },
    reconnectionDelay: 500,
    reconnectionDelayMax: 8000,
  });
  const status = handlers.status || (() => {});
  let ended = false;
  socket.on("connect", () => status("connected"));
  // A staff login that ended (logout, password change, deactivation) is told why, then disconnected
  // by the server; such a socket does not reconnect by itself, and should not.
  socket.on("session:ended", (payload) => {
    ended = true;
    status("ended", payload && payload.message);
  });
  socket.on("disconnect", (reason) => {
    if (ended) return;
    status(reason === "io server disconnect" ? "ended" : "reconnecting");
  });
  socket.on("connect_error", (error) => {
    // A refusal by the server (bad code, not allowed) will not heal by retrying.
    if (error && error.message && !socket.active) status("refused", error.message);
    else status("reconnecting");
  });
  for (const [event, handler] of Object.entries(handlers)) {
    if (event === "status") continue;
    if (event === "snapshot") {
      socket.on("meeting:snapshot", (snapshot) => {
        handler(snapshot);
        // The page is live from here on (tests and styles can tell it from <body data-live>);
        // data-snapshots counts the snapshots applied, so a reconnect's catch-up can be awaited.
        document.body.dataset.live = "true";
        document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
      });
    } else {
      socket.on(event, handler);
    }
  }
  return socket;
}

/** Show the connection state in a small status element (hidden while connected). */
export function connectionIndicator(element) {
  return (state, message) => {
    if (!element) return;
    element.hidden = state === "connected";
    element.dataset.state = state;
    element.textContent =
      state === "refused"
        ? t("Live updates are not available: %(reason)s. Reload the page to try again.", { reason: message })
        : state === "ended"
          ? t("%(reason)s Live updates have stopped: reload the page to log in again.", { reason: message || t("Your login has ended.") })
          : state === "reconnecting"
          ? t("Connection lost. Reconnecting… What you see may be out of date.")
          : "";
  };
}
