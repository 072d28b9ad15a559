// The meeting's survey, live: phones show the survey panel and the projector draws the survey's
// link and QR code the moment the facilitator opens it (survey:updated, or the snapshot after a
// reconnect), and hide them when it closes. No reload; the elements are in the page from the start.
import { t } from "./i18n.js";

function isOpen(survey) {
  if (!survey || survey.status !== "open") return false;
  return !survey.closes_at || Date.parse(survey.closes_at) > Date.now();
}

// Load the QR image only once there is something to show: before that its address would be 404.
function loadImage(image) {
  if (image && !image.getAttribute("src") && image.dataset.src) image.setAttribute("src", image.dataset.src);
}

// The attendee page's panel (#survey): shown while the survey is open, announced when it opens.
export function attendeeSurvey({ announce }) {
  const panel = document.getElementById("survey");
  let wasOpen = panel ? !panel.hidden : false;
  function apply(survey, { quiet = false } = {}) {
    if (!panel) return;
    const open = isOpen(survey);
    panel.hidden = !open;
    if (open) loadImage(panel.querySelector("img"));
    if (open && !wasOpen && !quiet) announce(t("The survey is open: tell us what you thought."));
    wasOpen = open;
  }
  return {
    snapshot: (snapshot) => apply(snapshot.survey, { quiet: true }),
    "survey:updated": (event) => apply(event.survey),
  };
}

// The projector's survey screen (#survey-screen): its title, link and QR code follow the survey.
export function projectorSurvey() {
  const screen = document.getElementById("survey-screen");
  function apply(survey) {
    if (!screen) return;
    const ready = Boolean(survey);
    screen.dataset.empty = ready ? "false" : "true";
    for (const node of screen.querySelectorAll("[data-survey-ready]")) node.hidden = !ready;
    for (const node of screen.querySelectorAll("[data-survey-missing]")) node.hidden = ready;
    if (!ready) return;
    const title = screen.querySelector("[data-survey-title]");
    if (title) title.textContent = survey.title;
    loadImage(screen.querySelector("img"));
  }
  return {
    snapshot: (snapshot) => apply(snapshot.survey),
    "survey:updated": (event) => apply(event.survey),
  };
}
