// Kiosk: the shared tablet clears itself for the next person. After sending, the thank-you screen
// counts down and returns to an empty form; on a form with something entered, a spell without a
// touch or a key shows "Are you still there?" with a countdown, then clears the form.
// Leaving always uses location.replace, and a page brought back from the back-forward cache is
// replaced too, so the back button never shows what the last person entered.
// The clock is injectable: startKiosk(root, { setInterval, clearInterval }) counts whole-second
// ticks, so a test (or Playwright's page.clock) moves time without waiting for it.

const ACTIVITY = ["keydown", "pointerdown", "touchstart", "input", "change", "wheel"];

/** Empty every field of `root` (typed text, ticks, choices) before the page goes. */
export function wipe(root) {
  for (const field of root.querySelectorAll("input, textarea, select")) {
    if (field.type === "hidden") continue;
    if (field.type === "checkbox" || field.type === "radio") field.checked = false;
    else if (field.tagName === "SELECT") field.selectedIndex = 0;
    else field.value = "";
  }
}

/** Count `seconds` down in `output` once a second, then call `done`; returns a function that stops it. */
function countdown(clock, seconds, output, done) {
  let left = seconds;
  if (output) output.textContent = String(left);
  const timer = clock.setInterval(() => {
    left -= 1;
    if (output) output.textContent = String(Math.max(left, 0));
    if (left <= 0) {
      clock.clearInterval(timer);
      done();
    }
  }, 1000);
  return () => clock.clearInterval(timer);
}

/** Run the kiosk behaviour on `root` (the element with data-kiosk and data-home). */
export function startKiosk(root, clock = window) {
  const home = root.dataset.home;
  const leave = () => {
    wipe(root);
    window.location.replace(home);
  };
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.replace(home);
  });
  const next = root.querySelector("#kiosk-next");
  if (next) {
    next.addEventListener("click", (event) => {
      event.preventDefault();
      leave();
    });
  }
  const clearAfter = Number(root.dataset.clearAfter || 0);
  if (clearAfter > 0) {
    countdown(clock, clearAfter, root.querySelector("#kiosk-clear-count"), leave);
    return;
  }
  const idleSeconds = Number(root.dataset.idleSeconds || 0);
  const warnSeconds = Number(root.dataset.warnSeconds || 20);
  const dialog = root.querySelector("#kiosk-idle");
  if (!(idleSeconds > 0) || !dialog) return;
  let dirty = "dirty" in root.dataset;
  let idle = 0;
  let stopWarning = null;
  const stillHere = () => {
    idle = 0;
    if (stopWarning) {
      stopWarning();
      stopWarning = null;
      dialog.hidden = true;
    }
  };
  for (const type of ACTIVITY) {
    document.addEventListener(
      type,
      (event) => {
        if (type === "input" || type === "change") dirty = true;
        if (!stopWarning || dialog.contains(event.target)) stillHere();
      },
      { capture: true, passive: true },
    );
  }
  dialog.querySelector("#kiosk-still-here").addEventListener("click", () => {
    stillHere();
    const field = root.querySelector("textarea, input:not([type=hidden])");
    if (field) field.focus();
  });
  clock.setInterval(() => {
    if (!dirty || stopWarning) return;
    idle += 1;
    if (idle < idleSeconds) return;
    dialog.hidden = false;
    dialog.querySelector("#kiosk-still-here").focus();
    stopWarning = countdown(clock, warnSeconds, dialog.querySelector("#kiosk-idle-count"), leave);
  }, 1000);
}

const root = document.querySelector("[data-kiosk]");
if (root) startKiosk(root);
