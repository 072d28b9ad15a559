// The attendee page, live: the list follows the room over Socket.IO, and writes go through
// the JSON API without reloading. Without JavaScript the same page works with plain forms.
import { announce, api, pageData } from "./api.js";
import { concernStore } from "./concern-store.js";
import { compare, createItem, fillItem, isVisible, reorder, setVotes } from "./concern-view.js";
import { connectMeeting, connectionIndicator } from "./live.js";

const data = pageData();
const code = data.code;
const topics = data.topics || {};
let sort = data.sort || "top";
const list = document.getElementById("concern-list");
const pinnedList = document.getElementById("highlighted-list");
const pinnedRegion = document.getElementById("highlighted-region");
const empty = document.getElementById("concerns-empty");
const template = document.getElementById("concern-template");

const items = new Map(); // id -> <li>
const store = concernStore({
  render,
  keepVoted: true,
  onSnapshot: (snapshot) => applyMeeting(snapshot.meeting),
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

// Adopt the server-rendered items so the first snapshot updates them instead of duplicating.
for (const item of document.querySelectorAll("#concern-list > .concern, #highlighted-list > .concern")) {
  items.set(Number(item.dataset.concernId), item);
}

function render() {
  const visible = [...concerns.values()].filter((c) => isVisible(c) || c.status === "pending");
  const pinned = visible.find((c) => c.highlighted && isVisible(c));
  const rest = visible.filter((c) => c !== pinned).sort(compare(sort));
  for (const [id, item] of items) {
    if (!concerns.has(id) || !visible.includes(concerns.get(id))) {
      item.remove();
      items.delete(id);
    }
  }
  for (const concern of visible) {
    let item = items.get(concern.id);
    if (!item) {
      item = createItem(template);
      items.set(concern.id, item);
    }
    fillItem(item, concern, { topics, code, voted: concern.voted, pinned: concern === pinned });
  }
  if (pinned) {
    const item = items.get(pinned.id);
    if (item.parentElement !== pinnedList) pinnedList.replaceChildren(item);
  } else {
    pinnedList.replaceChildren();
  }
  pinnedRegion.hidden = !pinned;
  reorder(list, rest.map((c) => c.id), items);
  empty.hidden = visible.length > 0;
}

function applyMeeting(meeting) {
  const state = document.getElementById("meeting-state");
  state.dataset.status = meeting.status;
  for (const note of state.querySelectorAll("[data-when]")) note.hidden = note.dataset.when !== meeting.status;
  document.getElementById("raise").hidden = meeting.status !== "live";
}

connectMeeting(code, "attendee", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "meeting:updated"(payload) {
    if (store.fresh(payload)) applyMeeting(payload.meeting);
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
  concern.voted = !wasVoted;
  concern.votes += wasVoted ? -1 : 1;
  setVotes(item, concern.votes, concern.voted);
  try {
    const result = await api(wasVoted ? "DELETE" : "PUT", `/api/v1/concerns/${id}/vote`);
    concern.voted = result.voted;
    concern.votes = result.votes;
    setVotes(item, result.votes, result.voted);
    announce(result.voted ? "Vote added." : "Vote removed.");
  } catch (error) {
    concern.voted = wasVoted;
    concern.votes += wasVoted ? 1 : -1;
    setVotes(item, concern.votes, concern.voted);
    announce(error.message);
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
    const button = concernForm.querySelector('button[type="submit"]');
    const body = { text: textArea.value };
    const topic = document.getElementById("topic_id");
    if (topic && topic.value) body.topic_id = Number(topic.value);
    const name = document.getElementById("author_name");
    if (name && name.value.trim()) body.author_name = name.value;
    button.disabled = true;
    formStatus.textContent = "Sending…";
    try {
      const concern = await api("POST", `/api/v1/meetings/${code}/concerns`, body);
      clearFieldErrors();
      textArea.value = "";
      updateCounter();
      concerns.set(concern.id, concern);
      render();
      formStatus.textContent =
        concern.status === "pending"
          ? "Thank you. Your concern is waiting for the moderator and will appear once approved."
          : "Thank you. Your concern has been added.";
    } catch (error) {
      formStatus.textContent = "";
      const field = Object.keys(error.fields || {})[0] || "text";
      showFieldError(field, error.message);
    } finally {
      button.disabled = false;
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
