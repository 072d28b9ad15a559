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
  onSnapshot: (snapshot) => applyProjector(snapshot.projector),
  onProjector: applyProjector,
});

function render() {
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
