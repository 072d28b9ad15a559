// The leaders' stream: approved concerns arrive live, grouped by topic, most votes first.
// The page works without this script (reload to refresh); this only keeps the list current.
// Concern text only ever goes into the page through textContent.
import { connectMeeting, connectionIndicator } from "/static/js/live.js";

const VISIBLE = new Set(["approved", "answered"]);
const data = JSON.parse(document.getElementById("lead-data").textContent);
const stream = document.getElementById("lead-stream");
const template = document.getElementById("lead-item-template");
const empty = document.getElementById("lead-empty");
const announcer = document.getElementById("lead-announcer");

const groups = new Map();
for (const section of stream.querySelectorAll(".lead-group")) {
  groups.set(section.dataset.topicId || "", section);
}
const items = new Map();
for (const item of stream.querySelectorAll(".lead-item[data-concern-id]")) {
  items.set(item.dataset.concernId, item);
}

/** Return the group section a concern with `topicId` belongs in ("No topic" when unknown). */
function groupFor(topicId) {
  const key = topicId == null ? "" : String(topicId);
  return groups.get(key) || groups.get("");
}

/** Write the vote count of `item` in words. */
function setVotes(item, votes) {
  item.dataset.votes = String(votes);
  item.querySelector(".lead-item__votes").textContent = `${votes} ${votes === 1 ? "vote" : "votes"}`;
}

/** Whether item `a` sorts before item `b`: more votes first, then lower number. */
function before(a, b) {
  const va = Number(a.dataset.votes);
  const vb = Number(b.dataset.votes);
  return va > vb || (va === vb && Number(a.dataset.number) < Number(b.dataset.number));
}

/** Put `item` at its sorted place in `group`, keeping keyboard focus where it was. */
function place(item, group) {
  const list = group.querySelector(".lead-list");
  const focused = item.contains(document.activeElement) ? document.activeElement : null;
  let next = null;
  for (const other of list.children) {
    if (other !== item && before(item, other)) {
      next = other;
      break;
    }
  }
  if (item.parentElement !== list || item.nextElementSibling !== next) {
    list.insertBefore(item, next);
    if (focused) focused.focus();
  }
  group.hidden = false;
}

/** Hide empty topic groups and show the "nothing yet" message when there are no concerns at all. */
function tidy() {
  for (const group of groups.values()) {
    group.hidden = group.querySelector(".lead-list").children.length === 0;
  }
  empty.hidden = items.size > 0;
}

/** Add `concern` to the stream, or bring its item up to date. */
function upsert(concern) {
  const id = String(concern.id);
  let item = items.get(id);
  const isNew = !item;
  if (isNew) {
    item = template.content.firstElementChild.cloneNode(true);
    const box = item.querySelector("input[type=checkbox]");
    box.id = `pick-${id}`;
    box.value = id;
    item.querySelector("label").htmlFor = box.id;
    item.dataset.concernId = id;
    items.set(id, item);
  }
  item.dataset.number = String(concern.number);
  item.querySelector(".lead-item__number").textContent = `#${concern.number}`;
  item.querySelector(".lead-item__text").textContent = concern.text;
  item.querySelector(".lead-item__answered").hidden = concern.status !== "answered";
  setVotes(item, concern.votes);
  place(item, groupFor(concern.topic_id));
  if (isNew) announcer.textContent = `New concern number ${concern.number}: ${concern.text}`;
}

/** Take a concern out of the stream (dismissed, archived or sent back). */
function remove(id) {
  const item = items.get(String(id));
  if (!item) return;
  item.remove();
  items.delete(String(id));
}

/** Apply a concern event: visible ones are shown, others removed. */
function apply(concern) {
  if (VISIBLE.has(concern.status)) upsert(concern);
  else remove(concern.id);
  tidy();
}

connectMeeting(data.code, "moderator", {
  status: connectionIndicator(document.getElementById("connection-status")),
  snapshot(snapshot) {
    const seen = new Set();
    for (const concern of snapshot.concerns || []) {
      if (!VISIBLE.has(concern.status)) continue;
      seen.add(String(concern.id));
      upsert(concern);
    }
    for (const id of [...items.keys()]) if (!seen.has(id)) remove(id);
    announcer.textContent = "";
    tidy();
  },
  "concern:created": (payload) => apply(payload.concern),
  "concern:updated": (payload) => apply(payload.concern),
  "concern:removed": (payload) => {
    remove(payload.id);
    tidy();
  },
  "votes:updated": (payload) => {
    for (const [id, votes] of Object.entries(payload.counts || {})) {
      const item = items.get(id);
      if (!item) continue;
      setVotes(item, votes);
      place(item, item.closest(".lead-group"));
    }
  },
});
