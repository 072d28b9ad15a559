// The leaders' stream: approved concerns arrive live, grouped by topic, most votes first.
// The page works without this script (reload to refresh); this only keeps the list current,
// through the same store and the same concern renderer as the other live pages.
import { pageData } from "./api.js";
import { concernStore } from "./concern-store.js";
import { adoptItems, isVisible, reorder, syncItems } from "./concern-view.js";
import { connectMeeting, connectionIndicator } from "./live.js";

const data = pageData("lead-data");
const stream = document.getElementById("lead-stream");
const template = document.getElementById("lead-item-template");
const empty = document.getElementById("lead-empty");
const announcer = document.getElementById("lead-announcer");

const groups = new Map(); // topic id ("" for none) -> <section>
for (const section of stream.querySelectorAll(".lead-group")) groups.set(section.dataset.topicId || "", section);
const items = adoptItems(stream, ".lead-item[data-concern-id]");

/** Say a concern that has just become visible (new, or approved since). */
function announceNew(concern) {
  announcer.textContent = `New concern number ${concern.number}: ${concern.text}`;
}

const store = concernStore({
  render,
  onSnapshot() {
    announcer.textContent = "";
  },
  onCreated(concern, isNew) {
    if (isNew && isVisible(concern)) announceNew(concern);
  },
  onUpdated(before, concern) {
    if (isVisible(concern) && !(before && isVisible(before))) announceNew(concern);
  },
});

/** Return the group section a concern with `topicId` belongs in ("No topic" when unknown). */
function groupFor(topicId) {
  return groups.get(topicId == null ? "" : String(topicId)) || groups.get("");
}

function render() {
  const shown = [...store.concerns.values()].filter(isVisible);
  syncItems(items, shown, template, () => ({}));
  const byGroup = new Map([...groups.values()].map((section) => [section, []]));
  for (const concern of shown) byGroup.get(groupFor(concern.topic_id)).push(concern);
  for (const [section, concerns] of byGroup) {
    concerns.sort((a, b) => b.votes - a.votes || a.number - b.number);
    reorder(
      section.querySelector(".lead-list"),
      concerns.map((concern) => concern.id),
      items,
    );
    section.hidden = concerns.length === 0;
  }
  empty.hidden = shown.length > 0;
}

connectMeeting(data.code, "moderator", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
});
