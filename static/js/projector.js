// The projector: large type, the join code always visible, top concerns live. It connects
// as "projector" and so only ever receives what attendees may see.
import { api, pageData } from "./api.js";
import { concernStore } from "./concern-store.js";
import { adoptItems, isVisible, renderBoard } from "./concern-view.js";
import { connectMeeting, connectionIndicator } from "./live.js";
import { projectorPolls } from "./projector-polls.js";
import { renderSlides } from "./report-back.js";
import { projectorSurvey } from "./survey-live.js";

const TOP = 8;
const data = pageData();
const topics = data.topics || {};
const template = document.getElementById("concern-template");
const items = adoptItems(document, "#concern-list > .concern, #highlighted-list > .concern");
const store = concernStore({
  render,
  onSnapshot: (snapshot) => {
    applyStatus(snapshot.meeting.status);
    applyProjector(snapshot.projector);
  },
  onMeeting: (meeting) => applyStatus(meeting.status),
  onProjector: applyProjector,
});

function render() {
  draw();
  fit();
}

function draw() {
  renderBoard({
    concerns: store.concerns,
    items,
    template,
    list: document.getElementById("concern-list"),
    pinnedList: document.getElementById("highlighted-list"),
    pinnedRegion: document.getElementById("highlighted-region"),
    empty: document.getElementById("concerns-empty"),
    include: isVisible,
    sort: "top",
    limit: TOP,
    options: (concern, pinned) => ({ topics, pinned }),
  });
}

// Fitting the concerns to the screen. Paging through them was the alternative; it was left out
// because the room cannot control the pace (a slide turns while someone is reading it) and the
// facilitator already has the highlight to put one concern in front of everyone. Instead the list
// shrinks its type (down to three quarters of the projector's size: about 30px on a 1080p screen);
// when even that is not enough the lowest ones are left off and counted in "+N more", so a
// concern with few votes (one the facilitator just entered, say) is never silently out of sight.
// The highlighted concern is always drawn: with the list emptied it shrinks further (LAST_RESORT).
const SCALES = [1, 0.93, 0.87, 0.81, 0.75];
const LAST_RESORT = [0.66, 0.58, 0.5, 0.44, 0.38];
const screenEl = document.getElementById("concerns-screen");
const moreEl = document.getElementById("concerns-more");

/** Whether everything drawn on the concerns screen lies inside the window. */
function fits() {
  const bottom = window.innerHeight;
  const right = document.documentElement.clientWidth;
  const drawn = [...screenEl.querySelectorAll(".concern:not([hidden]), #concerns-more:not([hidden])")];
  return drawn.every((node) => {
    const box = node.getBoundingClientRect();
    return box.bottom <= bottom && box.right <= right + 0.5;
  });
}

function fit() {
  if (screenEl.hidden) return; // measured when the concerns screen is shown
  const listed = [...document.querySelectorAll("#concern-list > .concern")];
  // Before the first snapshot only the server's top ones are known.
  const total = Math.max(listed.length, store.live ? countShown() : 0);
  const say = (shown) => {
    moreEl.hidden = shown >= total;
    moreEl.textContent = more(total - shown);
  };
  for (const item of listed) item.hidden = false;
  say(listed.length);
  for (const scale of SCALES) {
    screenEl.style.setProperty("--fit", String(scale));
    if (fits()) return;
  }
  // Leave the lowest ones off, one at a time, and say how many are not shown.
  let shown = listed.length;
  while (shown > 0 && !fits()) {
    shown -= 1;
    listed[shown].hidden = true;
    say(shown);
  }
  for (const scale of LAST_RESORT) {
    if (fits()) return;
    screenEl.style.setProperty("--fit", String(scale));
  }
}

/** How many concerns the room may see, besides the highlighted one. */
function countShown() {
  return [...store.concerns.values()].filter((concern) => isVisible(concern) && !concern.highlighted).length;
}

function more(count) {
  return count === 1
    ? "+1 more concern: see it on your phone"
    : `+${count} more concerns: see them all on your phone`;
}

window.addEventListener("resize", () => fit());
fit();

function applyStatus(status) {
  document.body.dataset.status = status;
  document.getElementById("ended-screen").hidden = status !== "closed";
}

const polls = projectorPolls();
const survey = projectorSurvey();

function applyProjector(projector) {
  showMode(projector.mode);
  if (projector.poll_id) polls.show(projector.poll_id);
  if (typeof projector.action_index === "number") showSlide(projector.action_index);
}

function showMode(mode) {
  const previous = document.body.dataset.mode;
  document.body.dataset.mode = mode;
  document.getElementById("join-screen").hidden = mode !== "join";
  document.getElementById("concerns-screen").hidden = mode !== "concerns";
  document.getElementById("poll-screen").hidden = mode !== "poll";
  document.getElementById("report-back-screen").hidden = mode !== "report_back";
  document.getElementById("survey-screen").hidden = mode !== "survey";
  document.getElementById("join-corner").hidden = mode === "join" || mode === "survey";
  // Fetch the slides fresh when that mode starts, so actions agreed since the page loaded are there too.
  if (mode === "report_back" && previous !== "report_back") refreshSlides();
  if (mode === "concerns") fit();
}

let wantedSlide = 0;

async function refreshSlides() {
  try {
    const { actions } = await api("GET", `/api/v1/meetings/${data.code}/report-back`);
    renderSlides(document.getElementById("report-back-slides"), actions);
    showSlide(wantedSlide);
  } catch {
    // Offline for a moment: keep the slides we have.
  }
}

function showSlide(index) {
  wantedSlide = index;
  for (const slide of document.querySelectorAll(".report-back-slide")) slide.hidden = Number(slide.dataset.index) !== index;
}

connectMeeting(data.code, "projector", {
  status: connectionIndicator(document.getElementById("connection-status")),
  ...store.handlers,
  "poll:opened": polls["poll:opened"],
  "poll:closed": polls["poll:closed"],
  "poll:results": polls["poll:results"],
  "survey:updated": survey["survey:updated"],
  snapshot(snapshot) {
    polls.snapshot(snapshot);
    survey.snapshot(snapshot);
    store.handlers.snapshot(snapshot);
  },
});
