// The attendee page, live: the list follows the room over Socket.IO, and writes go through
// the JSON API without reloading. Without JavaScript the same page works with plain forms.
import { announce, api, ConnectionError, failureMessage, pageData, whileSending } from "./api.js";
import { concernStore } from "./concern-store.js";
import { adoptItems, isVisible, renderBoard, setVotes } from "./concern-view.js";
import { attendeePolls } from "./attendee-polls.js";
import { connectMeeting, connectionIndicator } from "./live.js";

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
    if (isNew && isVisible(concern)) announce("A new concern was added.");
  },
  onUpdated(before, concern) {
    if (before && before.status === "pending" && isVisible(concern)) {
      announce("Your concern was approved and is now shown to everyone.");
    }
  },
});
const concerns = store.concerns; // id -> concern (the API shape)

function render() {
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
    options: (concern, pinned) => ({
      topics,
      pinned,
      voted: Boolean(concern.voted),
      formAction: () => `/j/${code}/concerns/${concern.id}/vote`,
    }),
  });
}

function applyMeeting(meeting) {
  const state = document.getElementById("meeting-state");
  state.dataset.status = meeting.status;
  for (const note of state.querySelectorAll("[data-when]")) note.hidden = note.dataset.when !== meeting.status;
  document.getElementById("raise").hidden = meeting.status !== "live";
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
connectMeeting(code, "attendee", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "poll:opened": polls["poll:opened"],
  "poll:closed": polls["poll:closed"],
  "poll:results": polls["poll:results"],
  snapshot(snapshot) {
    polls.snapshot(snapshot);
    store.handlers.snapshot(snapshot);
  },
});

// Votes: toggle at once on screen, then confirm with the server (or put it back).
document.addEventListener("submit", async (event) => {
  const form = event.target.closest(".vote-form");
  if (!form) return;
  const item = form.closest(".concern");
  const id = Number(item.dataset.concernId);
  const concern = concerns.get(id);
  if (!concern) return; // not live yet: let the plain form do it
  event.preventDefault();
  const wasVoted = Boolean(concern.voted);
  const show = (votes, voted) => {
    store.setVotes(id, votes, voted);
    setVotes(item, votes, voted);
  };
  show(concern.votes + (wasVoted ? -1 : 1), !wasVoted);
  try {
    const result = await whileSending(form, () => api(wasVoted ? "DELETE" : "PUT", `/api/v1/concerns/${id}/vote`));
    show(result.votes, result.voted);
    announce(result.voted ? "Vote added." : "Vote removed.");
  } catch (error) {
    show(concern.votes + (wasVoted ? 1 : -1), wasVoted);
    announce(failureMessage(error, "No connection. Your vote was not counted — try again."));
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
      ? `You have ${left} character${left === 1 ? "" : "s"} remaining`
      : `You have ${-left} character${left === -1 ? "" : "s"} too many`;
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
  prefix.textContent = "Error: ";
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

if (concernForm) {
  textArea.addEventListener("input", updateCounter);
  updateCounter();
  concernForm.addEventListener("submit", async (event) => {
    if (!store.live) return; // not connected yet: the plain form posts and reloads
    event.preventDefault();
    const body = { text: textArea.value };
    const topic = document.getElementById("topic_id");
    if (topic && topic.value) body.topic_id = Number(topic.value);
    const name = document.getElementById("author_name");
    if (name && name.value.trim()) body.author_name = name.value;
    try {
      const concern = await whileSending(concernForm, () => api("POST", `/api/v1/meetings/${code}/concerns`, body), {
        status: formStatus,
        busyText: "Sending…",
      });
      clearFieldErrors();
      textArea.value = "";
      updateCounter();
      store.put(concern);
      formStatus.textContent =
        concern.status === "pending"
          ? "Thank you. Your concern is waiting for the moderator and will appear once approved."
          : "Thank you. Your concern has been added.";
    } catch (error) {
      if (error instanceof ConnectionError) {
        // Nothing reached the server: keep what they typed and say so plainly.
        clearFieldErrors();
        formStatus.textContent = "No connection. Your concern was not sent — try again.";
        return;
      }
      formStatus.textContent = "";
      const field = Object.keys(error.fields || {})[0] || "text";
      showFieldError(field, error.message);
    }
  });
}

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
