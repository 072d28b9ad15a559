// Every request the live pages make goes through here. Same-origin fetches carry the cookies
// and the Origin header the server's CSRF check looks for; each one gives up after a timeout,
// so a hung request can never leave a button disabled for good.
import { t } from "./i18n.js";

const DEFAULT_TIMEOUT_MS = 10_000;

/** How long a request may take: <body data-request-timeout-ms> when set (tests make it small), else 10 s. */
export function requestTimeoutMs() {
  const configured = Number(document.body?.dataset.requestTimeoutMs);
  return configured > 0 ? configured : DEFAULT_TIMEOUT_MS;
}

/** The error thrown when the server could not be reached or did not answer in time. */
export class ConnectionError extends Error {
  constructor(timedOut) {
    super(timedOut ? t("The server did not answer in time.") : t("The server could not be reached."));
    this.name = "ConnectionError";
    this.status = 0;
    this.timedOut = timedOut;
    this.fields = {};
  }
}

/**
 * Call the JSON API; resolves to the parsed body (null for 204) or throws an Error with
 * .status, .code and .fields (a 4xx/5xx answer) or a ConnectionError (offline, or no answer in time).
 */
export async function api(method, url, body, { headers = {} } = {}) {
  const controller = new AbortController();
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
    signal: controller.signal,
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let timedOut = false;
  const timer = window.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, requestTimeoutMs());
  try {
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      throw new ConnectionError(timedOut);
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        // The body stalled past the timeout: as good as no answer.
        if (timedOut) throw new ConnectionError(true);
        data = null;
      }
    }
    if (!response.ok) {
      const error = new Error(data?.error?.message || t("Something went wrong (%(status)s). Try again.", { status: response.status }));
      error.status = response.status;
      error.code = data?.error?.code;
      error.fields = data?.error?.fields || {};
      throw error;
    }
    return data;
  } finally {
    window.clearTimeout(timer);
  }
}

/**
 * The words to show for a failed call: `offline` (e.g. "No connection. Your vote was not
 * counted — try again.") when the server was not reached, else the server's own message.
 */
export function failureMessage(error, offline) {
  return error instanceof ConnectionError ? offline : error.message;
}

/**
 * Run `send` while `form` shows it is busy: its submit button is disabled and `busyText`
 * (if any) is shown in `status`; whatever happens the button is enabled again. The fields are
 * left alone, so what the person typed is still there when the call fails.
 */
export async function whileSending(form, send, { status = null, busyText = "" } = {}) {
  const buttons = [...form.querySelectorAll('button[type="submit"], button:not([type])')];
  // A disabled button loses focus; a keyboard user gets it back once the call is over.
  const focused = buttons.includes(document.activeElement) ? document.activeElement : null;
  for (const button of buttons) button.disabled = true;
  form.setAttribute("aria-busy", "true");
  if (status && busyText) status.textContent = busyText;
  try {
    return await send();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute("aria-busy");
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focused && lost && focused.isConnected) focused.focus();
  }
}

/** Read the JSON island the server put in the page. */
export function pageData(id = "meeting-data") {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

/** Announce a short message to screen readers through a polite live region. */
export function announce(message, regionId = "live-announcer") {
  const region = document.getElementById(regionId);
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick makes screen readers read the same message twice if repeated.
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}
