// JSON API calls for the live pages. Same-origin fetches carry the cookies and the Origin
// header the server's CSRF check looks for.

/** Call the JSON API; resolves to the parsed body or throws an Error with .status and .fields. */
export async function api(method, url, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    const error = new Error("You seem to be offline. Check your connection and try again.");
    error.status = 0;
    throw error;
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = new Error(data?.error?.message || `Something went wrong (${response.status}). Try again.`);
    error.status = response.status;
    error.code = data?.error?.code;
    error.fields = data?.error?.fields || {};
    throw error;
  }
  return data;
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
