// The projector: large type, the join code always visible, top concerns live. It connects
// as "projector" and so only ever receives what attendees may see.
import { pageData } from "./api.js";
import { concernStore } from "./concern-store.js";
import { compare, createItem, fillItem, isVisible, reorder } from "./concern-view.js";
import { connectMeeting, connectionIndicator } from "./live.js";

const TOP = 8;
const data = pageData();
const topics = data.topics || {};
const list = document.getElementById("concern-list");
const pinnedList = document.getElementById("highlighted-list");
const template = document.getElementById("concern-template");
const items = new Map();
const store = concernStore({
  render,
  onSnapshot(snapshot) {
    showMode(snapshot.projector.mode);
    if (typeof snapshot.projector.action_index === "number") showSlide(snapshot.projector.action_index);
  },
});
const concerns = store.concerns;

for (const item of document.querySelectorAll("#concern-list > .concern, #highlighted-list > .concern")) {
  items.set(Number(item.dataset.concernId), item);
}

function render() {
  const visible = [...concerns.values()].filter(isVisible);
  const pinned = visible.find((c) => c.highlighted);
  const top = visible.filter((c) => c !== pinned).sort(compare("top")).slice(0, TOP);
  const shown = new Set(top.map((c) => c.id));
  if (pinned) shown.add(pinned.id);
  for (const [id, item] of items) {
    if (!shown.has(id)) {
      item.remove();
      items.delete(id);
    }
  }
  for (const concern of [...top, ...(pinned ? [pinned] : [])]) {
    let item = items.get(concern.id);
    if (!item) {
      item = createItem(template);
      items.set(concern.id, item);
    }
    fillItem(item, concern, { topics, pinned: concern === pinned });
  }
  if (pinned) {
    const item = items.get(pinned.id);
    if (item.parentElement !== pinnedList) pinnedList.replaceChildren(item);
  } else {
    pinnedList.replaceChildren();
  }
  document.getElementById("highlighted-region").hidden = !pinned;
  reorder(list, top.map((c) => c.id), items);
  document.getElementById("concerns-empty").hidden = visible.length > 0;
}

function showMode(mode) {
  const previous = document.body.dataset.mode;
  document.body.dataset.mode = mode;
  document.getElementById("join-screen").hidden = mode !== "join";
  document.getElementById("concerns-screen").hidden = !(mode === "concerns" || mode === "poll");
  document.getElementById("report-back-screen").hidden = mode !== "report_back";
  document.getElementById("join-corner").hidden = mode === "join";
  // The report-back slides are server-rendered: fetch them fresh when that mode starts, so
  // actions agreed since the page loaded are there too.
  if (mode === "report_back" && previous !== "report_back") refreshSlides();
}

let wantedSlide = 0;

async function refreshSlides() {
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    // Same-origin, server-rendered (and escaped) markup: parse it and adopt the slides' nodes.
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const slides = fresh.getElementById("report-back-slides");
    if (slides) document.getElementById("report-back-slides").replaceChildren(...[...slides.childNodes].map((n) => document.importNode(n, true)));
    showSlide(wantedSlide);
  } catch {
    // Offline for a moment: keep the slides we have.
  }
}

function showSlide(index) {
  wantedSlide = index;
  const slides = [...document.querySelectorAll(".report-back-slide")];
  slides.forEach((slide, i) => {
    slide.hidden = i !== index;
  });
}

connectMeeting(data.code, "projector", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "projector:updated"(payload) {
    if (!store.fresh(payload)) return;
    showMode(payload.mode);
    if (typeof payload.action_index === "number") showSlide(payload.action_index);
  },
  "meeting:updated"(payload) {
    store.fresh(payload);
  },
});
