// Report-back slides drawn from the API's JSON (GET /api/v1/meetings/<code>/report-back), by
// cloning the empty slide the server rendered in a <template>, so they look exactly like the
// server's own. The words and kind of each action status come from the page's JSON island.
// Action text only ever goes in textContent.
import { pageData } from "./api.js";
import { t } from "./i18n.js";

/** What the community is told was done — the same rule as Action.public_response on the server. */
function publicResponse(action, kind) {
  if ((action.we_did || "").trim()) return action.we_did;
  const latest = action.updates?.[0]; // newest first
  if (kind.needs_reason && latest && latest.status === action.status) return latest.text;
  return "";
}

// The page's language ("en" pages are British); Western digits, as the server's Babel writes them.
const PAGE_LANG = document.documentElement.lang || "en";
const DATE_LANG = PAGE_LANG === "en" ? "en-GB" : PAGE_LANG;
const LONG = { day: "numeric", month: "long", year: "numeric", numberingSystem: "latn" };
const LONG_DATE = new Intl.DateTimeFormat(DATE_LANG, LONG);
const LONG_DAY = new Intl.DateTimeFormat(DATE_LANG, { ...LONG, timeZone: "UTC" });

/** "14 March 2026" ("14 marca 2026"), as the server's long_date: a due date is a day, an update a moment. */
function longDate(iso, { day = false } = {}) {
  if (!iso) return "";
  const moment = new Date(day ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(moment.getTime()) ? "" : (day ? LONG_DAY : LONG_DATE).format(moment);
}

/** Fill one cloned slide with `action`, number `index` (0-based) of `total`. */
function fillSlide(slide, action, index, total, statuses) {
  const kind = statuses[action.status] || { label: action.status, finished: false, needs_reason: false };
  const slot = (name) => slide.querySelector(`[data-slot="${name}"]`);
  slide.dataset.index = String(index);
  const card = slot("card");
  card.classList.add(`report-back-card--${action.status}`);
  card.setAttribute("aria-label", t("Action %(index)s of %(total)s", { index: index + 1, total }));
  slot("count").textContent = t("%(index)s of %(total)s", { index: index + 1, total });
  slot("said").textContent = action.you_said;
  slot("did-heading").textContent = kind.finished ? t("We did") : t("We will");
  const response = publicResponse(action, kind);
  slot("did").textContent = response || t("We will report back on this.");
  // The latest public update (unless it is already the answer above), who does it and by when.
  const latest = action.updates?.[0];
  const showLatest = Boolean(latest && latest.text.trim() && latest.text !== response);
  slot("latest-row").hidden = !showLatest;
  slot("latest-date").textContent = showLatest ? longDate(latest.created_at) : "";
  slot("latest").textContent = showLatest ? latest.text : "";
  slot("owner-row").hidden = !action.owner;
  slot("owner").textContent = action.owner || "";
  slot("due-row").hidden = !action.due_date;
  slot("due").textContent = longDate(action.due_date, { day: true });
  const status = slot("status");
  status.classList.add(`action-status--${action.status}`);
  status.textContent = kind.label;
  const progress = slot("progress");
  progress.hidden = kind.needs_reason || kind.finished;
  const bar = progress.querySelector("progress");
  bar.value = action.progress;
  bar.setAttribute("aria-label", t("Progress: %(value)s%% done", { value: action.progress }));
  progress.querySelector(".action-progress__text").textContent = t("%(value)s%% done", { value: action.progress });
}

/** Replace the slides in `container` with one per action (each hidden; the caller shows one). */
export function renderSlides(container, actions) {
  const statuses = pageData().actionStatuses || {};
  const template = document.getElementById("report-back-slide-template");
  if (!actions.length) {
    container.replaceChildren(document.getElementById("report-back-empty-template").content.cloneNode(true));
    return;
  }
  container.replaceChildren(
    ...actions.map((action, index) => {
      const slide = template.content.firstElementChild.cloneNode(true);
      fillSlide(slide, action, index, actions.length, statuses);
      slide.hidden = true;
      return slide;
    }),
  );
}
