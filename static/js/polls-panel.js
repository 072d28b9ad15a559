// The polls panel, live: its answer counts follow poll:results at once, and the whole panel is
// drawn again by the server (GET …/polls/panel) when a poll opens or closes, or when a free-text
// poll gets answers to moderate. A redraw never happens under someone's hands: while focus is in
// the panel it waits until focus leaves. Open <details> (an edit form, an answers list) stay open.
import { tn } from "./i18n.js";

const FREE_TEXT = new Set(["word_cloud", "open_text"]);
const QUIET_MS = 1500; // at most one redraw in this time, however fast answers come

export function pollsPanel() {
  let panel = document.getElementById("polls-panel");
  let wanted = false;
  let timer = null;
  let lastDrawn = 0;

  function focusInside() {
    return panel && panel.contains(document.activeElement) && document.activeElement !== panel;
  }

  function openDetails(root) {
    return new Set(
      [...root.querySelectorAll("details[open]")].map((node) => `${node.closest(".poll-row")?.id || ""} ${node.className}`),
    );
  }

  async function redraw() {
    timer = null;
    if (!panel || !wanted) return;
    if (focusInside()) return; // focusout below tries again
    wanted = false;
    lastDrawn = Date.now();
    try {
      const response = await fetch(panel.dataset.panelUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("polls-panel");
      if (!fresh || focusInside()) {
        wanted = true;
        return;
      }
      const open = openDetails(panel);
      for (const node of fresh.querySelectorAll("details")) {
        if (open.has(`${node.closest(".poll-row")?.id || ""} ${node.className}`)) node.open = true;
      }
      panel.replaceWith(fresh);
      panel = fresh;
      watch();
    } catch {
      wanted = true; // offline for a moment: the next event tries again
    }
  }

  function request() {
    wanted = true;
    if (timer) return;
    timer = setTimeout(redraw, Math.max(0, QUIET_MS - (Date.now() - lastDrawn)));
  }

  function watch() {
    panel?.addEventListener("focusout", (event) => {
      if (wanted && !panel.contains(event.relatedTarget)) request();
    });
  }
  watch();

  return {
    "poll:opened": request,
    "poll:closed": request,
    "poll:results"({ poll_id: pollId, results }) {
      const row = document.getElementById(`poll-row-${pollId}`);
      const total = row?.querySelector(".poll-row__total");
      if (total) total.textContent = tn("%(num)d answer", "%(num)d answers", results.total);
      // A new poll (row not drawn yet) or a free-text poll's answers to moderate: draw the panel again.
      if (!row || FREE_TEXT.has(row.dataset.kind)) request();
    },
  };
}
