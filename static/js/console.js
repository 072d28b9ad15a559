// The facilitator console, live and keyboard driven. Every button is also a plain form, so
// the console works without JavaScript; here the same actions go through the JSON API.
import { announce, api, failureMessage, pageData, whileSending } from "./api.js";
import { concernStore } from "./concern-store.js";
import { adoptItems, reorder, syncItems } from "./concern-view.js";
import { connectMeeting, connectionIndicator } from "./live.js";
import { pollsPanel } from "./polls-panel.js";

const OFFLINE = "No connection. The change was not saved — try again.";
const data = pageData();
const code = data.code;
const topics = data.topics || {};
const template = document.getElementById("row-template");
const lists = {
  pending: document.getElementById("pending-list"),
  live: document.getElementById("live-list"),
  done: document.getElementById("done-list"),
};
const rows = adoptItems(document, ".mod-row[data-concern-id]");
const store = concernStore({
  render,
  keepRemoved: true,
  onSnapshot(snapshot) {
    applyMeeting(snapshot.meeting);
    applyProjector(snapshot.projector);
    if (snapshot.counters) applyCounters(snapshot.counters);
    for (const poll of snapshot.polls || []) pollQuestions.set(poll.id, poll.question);
    renderPreview();
  },
  onMeeting: applyMeeting,
  onProjector: applyProjector,
  onCreated(concern, isNew) {
    if (isNew && concern.status === "pending") announce(`New concern waiting: number ${concern.number}.`);
  },
});
const concerns = store.concerns;

const PAYLOADS = {
  approve: { status: "approved" },
  dismiss: { status: "dismissed" },
  answered: { status: "answered" },
  archive: { status: "archived" },
  highlight: { highlighted: true },
  unhighlight: { highlighted: false },
};
const MODE_LABELS = { join: "Join screen", concerns: "Concerns", poll: "Poll", report_back: "Report-back", survey: "Survey" };

function listFor(concern) {
  if (concern.status === "pending") return "pending";
  if (concern.status === "approved" || concern.status === "answered") return "live";
  return "done";
}

// Which buttons a row shows is not decided here: each button's form carries its rule
// (data-statuses, data-show-if, data-hide-if) from templates/moderate/_row.html.
const rowOptions = () => ({ topics, formAction: (concern) => `/moderate/${code}/concerns/${concern.id}` });

function render() {
  const groups = { pending: [], live: [], done: [] };
  for (const concern of concerns.values()) groups[listFor(concern)].push(concern);
  groups.pending.sort((a, b) => a.id - b.id);
  groups.live.sort((a, b) => b.highlighted - a.highlighted || b.votes - a.votes || a.id - b.id);
  groups.done.sort((a, b) => b.id - a.id);
  syncItems(rows, [...concerns.values()], template, rowOptions);
  for (const [name, group] of Object.entries(groups)) {
    reorder(
      lists[name],
      group.map((c) => c.id),
      rows,
    );
    document.getElementById(`${name}-count`).textContent = String(group.length);
    const emptyNote = document.getElementById(`${name}-empty`);
    if (emptyNote) emptyNote.hidden = group.length > 0;
  }
  document.getElementById("pending-section").hidden = !data.moderation && groups.pending.length === 0;
  document.getElementById("count-concerns").textContent = String(concerns.size);
  let votes = 0;
  for (const concern of concerns.values()) votes += concern.votes;
  document.getElementById("count-votes").textContent = String(votes);
  applyFilter();
  applyShortcuts();
  renderPreview();
}

// The filter: the same rule as the server's (live/views.py filter_matches), applied as people type.
const filterForm = document.getElementById("console-filter");

function filterMatches(concern, { q, topic, status }) {
  if (status && concern.status !== status) return false;
  if (topic === "none" && concern.topic_id != null) return false;
  if (/^\d+$/.test(topic) && concern.topic_id !== Number(topic)) return false;
  const haystack = `#${concern.number} ${concern.text} ${concern.author_name || ""}`.toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

function applyFilter() {
  const chosen = {
    q: filterForm.elements.q.value.trim(),
    topic: filterForm.elements.topic?.value || "",
    status: filterForm.elements.status.value,
  };
  const active = Boolean(chosen.q || chosen.topic || chosen.status);
  let shownCount = 0;
  for (const [id, row] of rows) {
    const concern = concerns.get(id);
    if (!concern) continue;
    row.hidden = !filterMatches(concern, chosen);
    if (!row.hidden) shownCount += 1;
  }
  for (const name of ["pending", "live", "done"]) {
    const items = [...lists[name].children];
    document.getElementById(`${name}-nomatch`).hidden = !(items.length && items.every((row) => row.hidden));
  }
  if (chosen.status === "dismissed" || chosen.status === "archived") document.getElementById("done-section").open = true;
  document.getElementById("filter-clear").hidden = !active;
  const summary = document.getElementById("filter-summary");
  const text = active ? `Showing ${shownCount} of ${concerns.size} concerns.` : "";
  if (summary.textContent !== text) summary.textContent = text;
}

filterForm.addEventListener("input", () => {
  if (store.live) applyFilter();
});
filterForm.addEventListener("submit", (event) => {
  if (!store.live) return; // not connected yet: the server filters
  event.preventDefault();
  applyFilter();
});
document.getElementById("filter-clear").addEventListener("click", (event) => {
  if (!store.live) return;
  event.preventDefault();
  filterForm.reset();
  for (const field of filterForm.elements) if (field.name) field.value = "";
  applyFilter();
  filterForm.elements.q.focus();
});

function applyMeeting(meeting) {
  data.moderation = meeting.moderation;
  data.status = meeting.status;
  const badge = document.getElementById("meeting-status");
  badge.textContent = meeting.status[0].toUpperCase() + meeting.status.slice(1);
  badge.className = `status status--${meeting.status}`;
  // Go live / Reopen sit at the top; closing is a two-step disclosure at the end of the column.
  const live = meeting.status === "live";
  const statusForm = document.getElementById("status-form");
  statusForm.hidden = live;
  statusForm.querySelector("button").textContent = meeting.status === "draft" ? "Go live" : "Reopen the meeting";
  document.getElementById("close-section").hidden = !live;
  document.getElementById("close-hint").hidden = !live;
  if (!live) document.getElementById("close-confirm").open = false;
  const moderationForm = document.getElementById("moderation-form");
  moderationForm.querySelector('input[name="moderation"]').value = meeting.moderation ? "off" : "on";
  moderationForm.querySelector("button").textContent = meeting.moderation ? "Turn moderation off" : "Turn moderation on";
  document.getElementById("moderation-state").textContent = meeting.moderation
    ? "Moderation is on: concerns wait for approval."
    : "Moderation is off: concerns appear at once.";
}

let actionIndex = 0;
const reportBack = JSON.parse(document.getElementById("report-back-data")?.textContent || "[]");

function applyProjector(projector) {
  document.getElementById("projector-mode").textContent = MODE_LABELS[projector.mode] || projector.mode;
  projectorState = projector;
  if (typeof projector.action_index === "number" && reportBack.length) {
    actionIndex = Math.min(projector.action_index, reportBack.length - 1);
    document.getElementById("report-back-position").replaceChildren(
      `Action ${actionIndex + 1} of ${reportBack.length}: `,
      Object.assign(document.createElement("span"), {
        id: "report-back-current",
        className: "user-text",
        dir: "auto",
        textContent: reportBack[actionIndex],
      }),
    );
    for (const form of document.querySelectorAll(".report-back-step")) {
      const target = actionIndex + Number(form.dataset.step);
      form.querySelector('input[name="action_index"]').value = String(Math.max(0, target));
    }
  }
  for (const form of document.querySelectorAll(".projector-form")) {
    form.querySelector("button").setAttribute("aria-pressed", form.dataset.mode === projector.mode ? "true" : "false");
  }
  renderPreview();
}

// The projector preview: what the big screen shows now, drawn from the same state it is drawn from.
let projectorState = { mode: data.projector };
const pollQuestions = new Map();

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function renderPreview() {
  const preview = document.getElementById("projector-preview");
  const detail = document.getElementById("projector-detail");
  const top = document.getElementById("projector-top");
  const { mode } = projectorState;
  preview.dataset.mode = mode;
  top.hidden = mode !== "concerns";
  const shown = [...concerns.values()].filter((c) => c.status === "approved" || c.status === "answered");
  const pinned = shown.find((c) => c.highlighted);
  if (mode === "join") {
    detail.textContent = `The QR code and the code ${code}`;
  } else if (mode === "concerns") {
    detail.textContent = pinned ? `Highlighted: #${pinned.number} ${truncate(pinned.text, 120)}` : shown.length ? "" : "No concerns shown yet";
    const rest = shown.filter((c) => c !== pinned).sort((a, b) => b.votes - a.votes || a.id - b.id).slice(0, 3);
    top.replaceChildren(
      ...rest.map((c) => {
        const item = document.createElement("li");
        const text = Object.assign(document.createElement("span"), { className: "user-text", dir: "auto", textContent: `#${c.number} ${truncate(c.text, 80)}` });
        item.append(text, ` · ${c.votes} ${c.votes === 1 ? "vote" : "votes"}`);
        return item;
      }),
    );
  } else if (mode === "poll") {
    const id = projectorState.poll_id;
    const fromPanel = document.querySelector(`#poll-row-${Number(id)} .poll-row__question strong`)?.textContent;
    detail.textContent = pollQuestions.get(id) || fromPanel || "No poll";
  } else if (mode === "report_back") {
    detail.textContent = reportBack.length ? `Action ${actionIndex + 1} of ${reportBack.length}: ${truncate(reportBack[actionIndex], 120)}` : "No actions to report back";
  } else if (mode === "survey") {
    detail.textContent = "The survey's link and QR code";
  }
}

/** How many projector screens are open on this meeting (from presence:updated and the snapshot). */
function applyScreens(count) {
  const line = document.getElementById("projector-screens");
  line.hidden = false;
  line.dataset.count = String(count);
  line.textContent =
    count === 0
      ? "No projector screen is connected: open the projector view on the big screen."
      : `${count} projector ${count === 1 ? "screen" : "screens"} connected.`;
}

connectMeeting(code, "moderator", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "presence:updated": applyCounters,
  "votes:surge": applySurges,
  ...pollsPanel(),
});

/** Show concerns whose votes arrive faster than people tap (a script may be voting): newest first, one line each. */
function applySurges({ surges }) {
  const list = document.getElementById("surge-list");
  for (const surge of surges || []) {
    const concern = concerns.get(surge.concern_id);
    const label = concern ? `#${concern.number}` : "A concern";
    let item = list.querySelector(`li[data-concern-id="${Number(surge.concern_id)}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.concernId = String(surge.concern_id);
    }
    const link = Object.assign(document.createElement("a"), { href: `#concern-${surge.concern_id}`, textContent: label });
    item.replaceChildren(link, `: ${surge.taps} votes in ${surge.seconds} seconds (${surge.votes} in all)`);
    list.prepend(item);
    announce(`Votes for ${label} are arriving faster than people tap: ${surge.taps} in ${surge.seconds} seconds.`);
  }
  document.getElementById("surge-section").hidden = list.children.length === 0;
}

function applyCounters(counters) {
  if (counters.connected !== undefined) document.getElementById("count-connected").textContent = String(counters.connected);
  if (counters.projectors !== undefined) applyScreens(counters.projectors);
  if (counters.participants !== undefined) document.getElementById("count-participants").textContent = String(counters.participants);
}

/** Send a change of concern `id`; true when the server took it. */
async function moderate(form, id, payload, doneMessage) {
  try {
    // The reply says which version its state is as of: an event that overtook it is kept.
    store.put(await whileSending(form, () => api("PATCH", `/api/v1/concerns/${id}`, payload)));
    announce(doneMessage);
    return true;
  } catch (error) {
    showError(failureMessage(error, OFFLINE));
    return false;
  }
}

/** Show `message` in the status line for a while, and say it to screen readers. */
function showError(message) {
  announce(message);
  const status = document.getElementById("connection-status");
  status.hidden = false;
  status.dataset.state = "error";
  status.textContent = message;
  window.setTimeout(() => {
    if (status.dataset.state === "error") status.hidden = true;
  }, 6000);
}

const MESSAGES = {
  approve: "Approved.",
  dismiss: "Dismissed.",
  answered: "Marked answered.",
  archive: "Archived.",
  highlight: "Highlighted on the projector.",
  unhighlight: "Highlight removed.",
};

document.addEventListener("submit", async (event) => {
  if (!store.live) return; // not connected yet: plain forms post and reload
  const form = event.target;
  if (form.classList.contains("mod-form")) {
    event.preventDefault();
    const row = form.closest(".mod-row");
    const id = Number(row.dataset.concernId);
    const action = form.dataset.action;
    if (action === "edit") {
      const payload = { text: form.querySelector("textarea").value };
      const select = form.querySelector("select");
      if (select) payload.topic_id = select.value ? Number(select.value) : null;
      // On failure the edit stays open with what was typed, to try again.
      if (await moderate(form, id, payload, "Changes saved.")) {
        form.closest("details").open = false;
        row.focus();
      }
    } else {
      // A concern that leaves its list (approved out of the queue, dismissed, archived) hands the
      // focus to the next one there at once, so A A A A approves four in a row even while sending.
      const next = leavesList(row, action) ? neighbourRow(row) : null;
      if (next) focusRow(next);
      const undoHint = shortcutsOn() ? " U undoes it." : " The Undo button at the bottom of the screen undoes it.";
      if (await moderate(form, id, PAYLOADS[action], TOASTS[action] ? MESSAGES[action] + undoHint : MESSAGES[action])) {
        if (!next) focusRow(rows.get(id));
        if (TOASTS[action]) showUndoToast(`${TOASTS[action]} #${concerns.get(id)?.number ?? ""}`);
      }
    }
  } else if (form.id === "undo-form") {
    event.preventDefault();
    await undo(form);
  } else if (form.classList.contains("projector-form")) {
    event.preventDefault();
    await setProjector(form.dataset.mode, undefined, form);
  } else if (form.classList.contains("report-back-step")) {
    event.preventDefault();
    await setProjector("report_back", actionIndex + Number(form.dataset.step), form);
  } else if (form.id === "status-form" || form.id === "close-form" || form.id === "moderation-form") {
    event.preventDefault();
    const payload =
      form.id === "moderation-form"
        ? { moderation: form.querySelector('input[name="moderation"]').value === "on" }
        : { status: form.querySelector('input[name="status"]').value };
    try {
      store.putMeeting(await whileSending(form, () => api("PATCH", `/api/v1/meetings/${code}`, payload)));
      render();
      if (payload.status) {
        // The button pressed is hidden now: the focus goes to the one that undoes it.
        const statusButton = document.getElementById("status-form").querySelector("button");
        if (!statusButton.closest("[hidden]")) statusButton.focus();
        announce(payload.status === "closed" ? "The meeting is closed." : "The meeting is live.");
      }
    } catch (error) {
      showError(failureMessage(error, OFFLINE));
    }
  } else if (form.id === "enter-form") {
    event.preventDefault();
    const text = form.querySelector("textarea");
    const select = form.querySelector("select");
    const payload = { text: text.value, source: "facilitator" };
    if (select && select.value) payload.topic_id = Number(select.value);
    try {
      store.put(await whileSending(form, () => api("POST", `/api/v1/meetings/${code}/concerns`, payload)));
      text.value = "";
      announce("Concern added and shown to the room.");
    } catch (error) {
      showError(failureMessage(error, "No connection. The concern was not added — try again."));
      text.focus();
    }
  }
});

/** Undo the last moderation step (`form`: the undo button's form, when it was used). */
async function undo(form = document.getElementById("undo-form")) {
  try {
    const result = await whileSending(form, () => api("POST", `/api/v1/meetings/${code}/moderation/undo`));
    if (result && result.concern) {
      store.put(result.concern, result.version);
      announce("Undone.");
    } else {
      announce("There is nothing to undo.");
    }
  } catch (error) {
    showError(failureMessage(error, OFFLINE));
  }
}

/** Switch the projector to `mode` (and report-back slide `index`); `form` is busy meanwhile. */
async function setProjector(mode, index, form) {
  const body = { mode };
  if (index !== undefined) body.action_index = Math.max(0, index);
  const send = () => api("PATCH", `/api/v1/meetings/${code}/projector`, body);
  try {
    const projector = await (form ? whileSending(form, send) : send());
    store.putProjector(projector);
    announce(
      index !== undefined && reportBack.length
        ? `Report-back: action ${projector.action_index + 1} of ${reportBack.length}.`
        : `Projector: ${MODE_LABELS[mode]}.`,
    );
  } catch (error) {
    showError(failureMessage(error, OFFLINE));
  }
}

// "Dismissed #6 — Undo": on screen for a while (not only said to screen readers), kept while the
// pointer or the focus is on it. The timers are the page's own (tests drive them with a fake clock).
const TOASTS = { dismiss: "Dismissed", archive: "Archived" };
const TOAST_MS = 8000;
const toast = document.getElementById("undo-toast");
let toastTimer = null;

function showUndoToast(text) {
  document.getElementById("undo-toast-text").textContent = text;
  toast.hidden = false;
  window.clearTimeout(toastTimer);
  const hideLater = () => {
    toastTimer = window.setTimeout(() => {
      if (toast.matches(":hover") || toast.contains(document.activeElement)) hideLater();
      else toast.hidden = true;
    }, TOAST_MS);
  };
  hideLater();
}

document.getElementById("undo-toast-button").addEventListener("click", async (event) => {
  const hadFocus = toast.contains(document.activeElement);
  await undo(document.getElementById("undo-form"));
  window.clearTimeout(toastTimer);
  toast.hidden = true;
  if (hadFocus || event.detail === 0) focusRow(currentRow() || allRows()[0]);
});

// Single-key shortcuts can be turned off (WCAG 2.1.4): they clash with speech input and some
// screen readers. The choice is kept in this browser; Ctrl+Enter and the buttons always work.
const SHORTCUTS_KEY = "ysdw.console.shortcuts";
const shortcutsToggle = document.getElementById("shortcuts-toggle");

let shortcutsPreference = (() => {
  try {
    return window.localStorage.getItem(SHORTCUTS_KEY) !== "off";
  } catch {
    return true; // storage blocked: the default
  }
})();

function shortcutsOn() {
  return shortcutsPreference;
}

/** Show the shortcuts' hints (and aria-keyshortcuts) only while they work. */
function applyShortcuts() {
  const on = shortcutsOn();
  document.body.dataset.shortcuts = on ? "on" : "off";
  shortcutsToggle.checked = on;
  for (const node of document.querySelectorAll(on ? "[data-keyshortcuts]" : "[aria-keyshortcuts]")) {
    if (on) {
      node.setAttribute("aria-keyshortcuts", node.dataset.keyshortcuts);
      delete node.dataset.keyshortcuts;
    } else {
      node.dataset.keyshortcuts = node.getAttribute("aria-keyshortcuts");
      node.removeAttribute("aria-keyshortcuts");
    }
  }
}

document.getElementById("shortcuts-toggle-group").hidden = false;
document.getElementById("shortcuts-hint").hidden = false;
shortcutsToggle.addEventListener("change", () => {
  shortcutsPreference = shortcutsToggle.checked;
  try {
    window.localStorage.setItem(SHORTCUTS_KEY, shortcutsPreference ? "on" : "off");
  } catch {
    // Storage blocked: the choice lasts until the page is left.
  }
  applyShortcuts();
  announce(shortcutsToggle.checked ? "Single-key shortcuts are on." : "Single-key shortcuts are off.");
});
applyShortcuts();

// Keyboard: a selected row (the focused one) takes single-key commands.
function allRows() {
  return [...document.querySelectorAll(".mod-row[data-concern-id]")].filter((row) => row.offsetParent !== null);
}

/** Whether `action` takes the concern of `row` out of the list it is in (so the focus moves on). */
function leavesList(row, action) {
  const status = PAYLOADS[action]?.status;
  const concern = concerns.get(Number(row.dataset.concernId));
  return Boolean(status && concern && listFor({ status }) !== listFor(concern));
}

/** The row after `row` in its list (else the one before it) that the filter shows. */
function neighbourRow(row) {
  const siblings = [...row.parentElement.children].filter((item) => item !== row && !item.hidden);
  const after = siblings.find((item) => row.compareDocumentPosition(item) & Node.DOCUMENT_POSITION_FOLLOWING);
  return after || siblings.at(-1) || null;
}

function focusRow(row) {
  if (!row) return;
  for (const other of document.querySelectorAll(".mod-row--selected")) other.classList.remove("mod-row--selected");
  row.classList.add("mod-row--selected");
  row.focus();
}

function currentRow() {
  return document.activeElement?.closest?.(".mod-row[data-concern-id]") || document.querySelector(".mod-row--selected");
}

/** The row a command acts on: the selected one, else the first concern waiting for approval. */
function targetRow() {
  const row = currentRow();
  if (row && row.offsetParent !== null) return row;
  return [...lists.pending.children].find((item) => !item.hidden && item.offsetParent !== null) || null;
}

/** Put the caret at the end of a text box (E opens the edit with the text ready to add to). */
function focusAtEnd(field) {
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  // Ctrl+Enter (⌘+Enter) sends the add box and the edit box: not a single-key shortcut, always on.
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target.matches?.("textarea")) {
    const form = target.closest("#enter-form, .mod-edit__form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape") {
      target.blur();
      focusRow(currentRow() || allRows()[0]);
    }
    return;
  }
  if (!shortcutsOn()) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const rowsNow = allRows();
  const row = currentRow();
  const index = row ? rowsNow.indexOf(row) : -1;
  const act = (action) => {
    const form = targetRow()?.querySelector(`.mod-form[data-action="${action}"]`);
    // A form still sending its last change does not take another.
    if (form && !form.hidden && !form.hasAttribute("aria-busy")) form.requestSubmit();
  };
  switch (key) {
    case "ArrowDown":
    case "j":
      event.preventDefault();
      focusRow(rowsNow[Math.min(index + 1, rowsNow.length - 1)] || rowsNow[0]);
      break;
    case "ArrowUp":
    case "k":
      event.preventDefault();
      focusRow(rowsNow[Math.max(index - 1, 0)]);
      break;
    case "a":
      act("approve");
      break;
    case "d":
      act("dismiss");
      break;
    case "h":
      act(targetRow()?.classList.contains("mod-row--highlighted") ? "unhighlight" : "highlight");
      break;
    case "n":
      act("answered");
      break;
    case "x":
      act("archive");
      break;
    case "e": {
      const editRow = targetRow();
      if (editRow) {
        event.preventDefault();
        const details = editRow.querySelector(".mod-edit");
        details.open = true;
        focusAtEnd(details.querySelector("textarea"));
      }
      break;
    }
    case "f":
      event.preventDefault();
      document.getElementById("filter-q").focus();
      break;
    case "u":
      undo();
      break;
    case "/":
      event.preventDefault();
      document.querySelector("#enter-form textarea").focus();
      break;
    case "1":
      setProjector("join");
      break;
    case "2":
      setProjector("concerns");
      break;
    case "3":
      setProjector("report_back", actionIndex);
      break;
    case "4": {
      // The latest open poll, else the latest one that has opened: its "Put on projector" form.
      const rows = [...document.querySelectorAll(".poll-row")].reverse();
      const row = rows.find((r) => r.dataset.status === "open") || rows.find((r) => r.dataset.status === "closed");
      row?.querySelector('.poll-step[data-action="project"]')?.requestSubmit();
      break;
    }
    case "5":
      if (document.querySelector('.projector-form[data-mode="survey"]')) setProjector("survey");
      break;
    case "ArrowLeft":
      if (reportBack.length) setProjector("report_back", actionIndex - 1);
      break;
    case "ArrowRight":
      if (reportBack.length) setProjector("report_back", actionIndex + 1);
      break;
    default:
  }
});
