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
}

function applyMeeting(meeting) {
  data.moderation = meeting.moderation;
  data.status = meeting.status;
  const badge = document.getElementById("meeting-status");
  badge.textContent = meeting.status[0].toUpperCase() + meeting.status.slice(1);
  badge.className = `status status--${meeting.status}`;
  const statusForm = document.getElementById("status-form");
  const [target, label] =
    meeting.status === "draft" ? ["live", "Go live"] : meeting.status === "live" ? ["closed", "Close the meeting"] : ["live", "Reopen the meeting"];
  statusForm.querySelector('input[name="status"]').value = target;
  const statusButton = statusForm.querySelector("button");
  statusButton.textContent = label;
  statusButton.classList.toggle("button--warning", target === "closed");
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
    if (form.dataset.action === "edit") {
      const payload = { text: form.querySelector("textarea").value };
      const select = form.querySelector("select");
      if (select) payload.topic_id = select.value ? Number(select.value) : null;
      // On failure the edit stays open with what was typed, to try again.
      if (await moderate(form, id, payload, "Changes saved.")) {
        form.closest("details").open = false;
        row.focus();
      }
    } else if (await moderate(form, id, PAYLOADS[form.dataset.action], MESSAGES[form.dataset.action])) {
      focusRow(rows.get(id));
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
  } else if (form.id === "status-form" || form.id === "moderation-form") {
    event.preventDefault();
    const payload =
      form.id === "status-form"
        ? { status: form.querySelector('input[name="status"]').value }
        : { moderation: form.querySelector('input[name="moderation"]').value === "on" };
    try {
      store.putMeeting(await whileSending(form, () => api("PATCH", `/api/v1/meetings/${code}`, payload)));
      render();
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

// Keyboard: a selected row (the focused one) takes single-key commands.
function allRows() {
  return [...document.querySelectorAll(".mod-row[data-concern-id]")].filter((row) => row.offsetParent !== null);
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

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape") {
      target.blur();
      focusRow(currentRow() || allRows()[0]);
    }
    return;
  }
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const rowsNow = allRows();
  const row = currentRow();
  const index = row ? rowsNow.indexOf(row) : -1;
  const act = (action) => {
    const form = row?.querySelector(`.mod-form[data-action="${action}"]`);
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
      act(row?.classList.contains("mod-row--highlighted") ? "unhighlight" : "highlight");
      break;
    case "n":
      act("answered");
      break;
    case "x":
      act("archive");
      break;
    case "e":
      if (row) {
        event.preventDefault();
        const details = row.querySelector(".mod-edit");
        details.open = true;
        details.querySelector("textarea").focus();
      }
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
