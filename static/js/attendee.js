// The attendee page, live: the list follows the room over Socket.IO, and writes go through
// the JSON API without reloading. Without JavaScript the same page works with plain forms.
import { announce, api, failureMessage, pageData, whileSending } from "./api.js";
import { concernStore } from "./concern-store.js";
import { adoptItems, compare, isVisible, renderBoard, setVotes } from "./concern-view.js";
import { attendeePolls } from "./attendee-polls.js";
import { attendeeSurvey } from "./survey-live.js";
import { connectMeeting, connectionIndicator } from "./live.js";
import { concernItem, outbox, voteItem } from "./outbox.js";
import { t, tn } from "./i18n.js";

const data = pageData();
const code = data.code;
const topics = data.topics || {};
let sort = data.sort || "top";
const template = document.getElementById("concern-template");

// Adopt the server-rendered items so the first snapshot updates them instead of duplicating.
const items = adoptItems(document, "#concern-list > .concern, #highlighted-list > .concern");
const store = concernStore({
  render,
  keepVoted: true,
  onSnapshot: (snapshot) => applyMeeting(snapshot.meeting),
  onMeeting: applyMeeting,
  onCreated(concern, isNew) {
    if (isNew && isVisible(concern)) announce(t("A new concern was added."));
  },
  onUpdated(before, concern) {
    if (before && before.status === "pending" && isVisible(concern)) {
      announce(t("Your concern was approved and is now shown to everyone."));
    }
  },
});
const concerns = store.concerns; // id -> concern (the API shape)

let meetingStatus = data.status;

// Votes change many times a second in a busy room; a screen reader hears only when the most
// supported concern changes, and at most once every TOP_QUIET_MS (the newest one then).
const TOP_QUIET_MS = 15000;
const TOP_SETTLE_MS = 2000; // after the change: lets "Vote added." be heard first, and the count settle
let topAnnounced = null; // the id of the top concern last said (or seen first)
let topSaidAt = -Infinity;
let topTimer = null;

const byTop = compare("top");

function topConcern() {
  // One pass on each redraw (every vote batch), not a sort.
  let top = null;
  for (const concern of concerns.values()) {
    if (isVisible(concern) && concern.votes > 0 && (top === null || byTop(concern, top) < 0)) top = concern;
  }
  return top;
}

function sayTop() {
  topTimer = null;
  const top = topConcern();
  if (!top || top.id === topAnnounced) return;
  topAnnounced = top.id;
  topSaidAt = performance.now();
  announce(
    tn(
      "The most supported concern is now number %(number)s, with %(num)d vote.",
      "The most supported concern is now number %(number)s, with %(num)d votes.",
      top.votes,
      { number: top.number },
    ),
  );
}

function watchTop() {
  if (!store.live || meetingStatus === "closed") return;
  const top = topConcern();
  if (topAnnounced === null) {
    topAnnounced = top ? top.id : 0; // what the page opened with is not news
    return;
  }
  if (!top || top.id === topAnnounced || topTimer !== null) return;
  topTimer = setTimeout(sayTop, Math.max(TOP_SETTLE_MS, topSaidAt + TOP_QUIET_MS - performance.now()));
}

function render() {
  watchTop();
  showHiddenNote();
  renderBoard({
    concerns,
    items,
    template,
    list: document.getElementById("concern-list"),
    pinnedList: document.getElementById("highlighted-list"),
    pinnedRegion: document.getElementById("highlighted-region"),
    empty: document.getElementById("concerns-empty"),
    // Everyone's visible concerns, and this device's own ones still waiting for the moderator.
    include: (concern) => isVisible(concern) || concern.status === "pending",
    sort,
    pin: meetingStatus !== "closed",
    options: (concern, pinned) => ({
      topics,
      pinned,
      voted: Boolean(concern.voted),
      formAction: () => `/j/${code}/concerns/${concern.id}/vote`,
    }),
  });
}

function applyMeeting(meeting) {
  const ended = meeting.status === "closed" && meetingStatus !== "closed";
  meetingStatus = meeting.status;
  // The wrapper's status hides what cannot work once the meeting has ended (votes, polls, "On screen now").
  document.getElementById("attendee-meeting").dataset.meetingStatus = meeting.status;
  const state = document.getElementById("meeting-state");
  state.dataset.status = meeting.status;
  for (const note of state.querySelectorAll("[data-when]")) note.hidden = note.dataset.when !== meeting.status;
  document.getElementById("raise").hidden = meeting.status !== "live";
  if (ended) announce(t("This meeting has ended. Thank you for taking part."));
}

// This device's own concerns that a moderator dismissed reach only this device (with status
// "dismissed"); they are never drawn in the list, only counted in a kind, private note.
const hiddenNote = document.getElementById("hidden-note");
let hiddenShown = Number(hiddenNote.dataset.count || 0);

function showHiddenNote() {
  if (!store.live) return; // until the snapshot, the server's count stands
  const count = [...concerns.values()].filter((concern) => concern.status === "dismissed").length;
  if (count === hiddenShown) return;
  const more = count > hiddenShown;
  hiddenShown = count;
  hiddenNote.dataset.count = String(count);
  hiddenNote.hidden = count === 0;
  document.getElementById("hidden-note-count").textContent =
    tn("One of your concerns was not shown to the room.", "%(num)d of your concerns were not shown to the room.", count);
  if (more) announce(t("One of your concerns was not shown to the room. The team still reads everything."));
}

// Opening the link joins nobody (link previews fetch it too): the page joins here, with a POST,
// before it connects for live updates. A refusal (too many joins) shows on the connection status.
if (!data.joined) {
  try {
    await api("POST", `/api/v1/meetings/${code}/participants`);
  } catch {
    // The socket is then refused with the reason, and a form post joins as well.
  }
}

const polls = attendeePolls(code);
const survey = attendeeSurvey({ announce });
connectMeeting(code, "attendee", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "poll:opened": polls["poll:opened"],
  "poll:closed": polls["poll:closed"],
  "poll:results": polls["poll:results"],
  "survey:updated": survey["survey:updated"],
  snapshot(snapshot) {
    polls.snapshot(snapshot);
    survey.snapshot(snapshot);
    // Connected again: send what was kept on the phone while the signal was gone.
    window.setTimeout(() => box.flush(), 0);
    store.handlers.snapshot(snapshot);
  },
});

// Votes: toggle at once on screen, then confirm with the server (or put it back). With no
// signal the vote is kept on the phone and counted when the connection is back.
function showVotes(id, votes, voted) {
  store.setVotes(id, votes, voted);
  const element = document.querySelector(`.concern[data-concern-id="${id}"]`);
  if (element) setVotes(element, votes, voted);
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest(".vote-form");
  if (!form) return;
  const item = form.closest(".concern");
  const id = Number(item.dataset.concernId);
  const concern = concerns.get(id);
  if (!concern) return; // not live yet: let the plain form do it
  event.preventDefault();
  const wasVoted = Boolean(concern.voted);
  showVotes(id, concern.votes + (wasVoted ? -1 : 1), !wasVoted);
  try {
    const outcome = await whileSending(form, () => box.send(voteItem(id, !wasVoted)));
    if (outcome.queued) {
      announce(t("No signal. Your vote is saved on this phone and will be counted when the connection is back."));
      return;
    }
    showVotes(id, outcome.result.votes, outcome.result.voted);
    announce(outcome.result.voted ? t("Vote added.") : t("Vote removed."));
  } catch (error) {
    showVotes(id, concern.votes + (wasVoted ? 1 : -1), wasVoted);
    announce(failureMessage(error, t("Your vote was not counted — try again.")));
  }
});

// Raising a concern without a reload.
const concernForm = document.getElementById("concern-form");
const textArea = document.getElementById("text");
const formStatus = document.getElementById("form-status");
const counter = document.getElementById("text-count");
const max = data.textMax || 500;

function updateCounter() {
  const left = max - textArea.value.length;
  counter.hidden = false;
  counter.classList.toggle("character-count--over", left < 0);
  counter.textContent =
    left >= 0
      ? tn("You have %(num)d character remaining", "You have %(num)d characters remaining", left)
      : tn("You have %(num)d character too many", "You have %(num)d characters too many", -left);
}

function showFieldError(field, message) {
  clearFieldErrors();
  const input = document.getElementById(field) || textArea;
  const group = input.closest(".form-group");
  const error = document.createElement("p");
  error.className = "error-message";
  error.id = `${input.id}-error`;
  const prefix = document.createElement("span");
  prefix.className = "visually-hidden";
  prefix.textContent = `${t("Error:")} `;
  error.append(prefix, message);
  input.before(error);
  group?.classList.add("form-group--error");
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${error.id}`.trim());
  input.focus();
}

function clearFieldErrors() {
  for (const node of concernForm.querySelectorAll(".error-message")) node.remove();
  for (const group of concernForm.querySelectorAll(".form-group--error")) group.classList.remove("form-group--error");
  for (const input of concernForm.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    input.setAttribute("aria-describedby", described.join(" "));
  }
}

// What could not be sent is kept on the phone (outbox.js) and listed under the form until it goes.
const waitingList = document.createElement("div");
waitingList.className = "outbox";
waitingList.hidden = true;
formStatus?.after(waitingList);

function showWaiting(items) {
  const concernsWaiting = items.filter((item) => item.kind === "concern");
  waitingList.hidden = concernsWaiting.length === 0;
  if (waitingList.hidden) return;
  const heading = document.createElement("p");
  heading.className = "outbox__title";
  heading.textContent =
    concernsWaiting.length === 1
      ? t("Saved on this phone, waiting for a signal to send:")
      : tn("%(num)d concern saved on this phone, waiting for a signal to send:", "%(num)d concerns saved on this phone, waiting for a signal to send:", concernsWaiting.length);
  const list = document.createElement("ul");
  list.className = "outbox__list";
  for (const item of concernsWaiting) {
    const entry = document.createElement("li");
    entry.className = "user-text";
    entry.dir = "auto";
    entry.textContent = item.body.text;
    list.append(entry);
  }
  waitingList.replaceChildren(heading, list);
}

const box = outbox(code, {
  onChange: showWaiting,
  onSent(item, result) {
    if (item.kind === "concern") {
      store.put(result);
      if (formStatus) formStatus.textContent = t("Your saved concern has been sent.");
      announce(t("Your saved concern has been sent."));
    } else {
      showVotes(item.concernId, result.votes, result.voted);
    }
  },
  onRefused(item, error) {
    if (item.kind !== "concern") {
      announce(failureMessage(error, t("Your saved vote could not be counted.")));
      return;
    }
    // Never lost: the words go back into the box, with the reason.
    if (textArea && !textArea.value.trim()) {
      textArea.value = item.body.text;
      updateCounter();
    }
    if (formStatus) formStatus.textContent = t("Your saved concern could not be sent: %(reason)s", { reason: error.message });
  },
});

if (concernForm) {
  textArea.addEventListener("input", updateCounter);
  updateCounter();
  concernForm.addEventListener("submit", async (event) => {
    // Always through the API once this script runs, live or not yet: a reload could lose the words
    // on a weak signal, and the outbox keeps them when the request cannot get through.
    event.preventDefault();
    const body = { text: textArea.value };
    const topic = document.getElementById("topic_id");
    if (topic && topic.value) body.topic_id = Number(topic.value);
    const name = document.getElementById("author_name");
    if (name && name.value.trim()) body.author_name = name.value;
    try {
      const outcome = await whileSending(concernForm, () => box.send(concernItem(body)), {
        status: formStatus,
        busyText: t("Sending…"),
      });
      clearFieldErrors();
      textArea.value = "";
      updateCounter();
      if (outcome.queued) {
        formStatus.textContent =
          t("No signal. Your concern is saved on this phone and will be sent when the connection is back.");
        return;
      }
      const concern = outcome.result;
      store.put(concern);
      formStatus.textContent =
        concern.status === "pending"
          ? t("Thank you. Your concern is waiting for the moderator and will appear once approved.")
          : t("Thank you. Your concern has been added.");
    } catch (error) {
      formStatus.textContent = "";
      const field = Object.keys(error.fields || {})[0] || "text";
      showFieldError(field, error.message);
    }
  });
}

box.flush();

// Sorting without a reload; the links still work as plain links.
for (const link of document.querySelectorAll(".sort-nav a[data-sort]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    sort = link.dataset.sort;
    for (const other of document.querySelectorAll(".sort-nav a[data-sort]")) {
      if (other === link) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    }
    for (const input of document.querySelectorAll('.vote-form input[name="sort"]')) input.value = sort;
    history.replaceState(null, "", link.href);
    render();
  });
}
