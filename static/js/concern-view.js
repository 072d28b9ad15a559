// Builds and updates concern list items from the <template> the server rendered, so items
// added live look exactly like server-rendered ones. User text only ever goes in textContent.

const VISIBLE = new Set(["approved", "answered"]);

/** Whether attendees may see a concern with this status. */
export function isVisible(concern) {
  return VISIBLE.has(concern.status);
}

/** Return a new list item for `concern`, cloned from the page's template. */
export function createItem(template) {
  return template.content.firstElementChild.cloneNode(true);
}

/** Fill `item` with `concern`; `topics` maps topic id to name; `code` is the meeting code. */
export function fillItem(item, concern, { topics = {}, code = null, voted = false, pinned = false } = {}) {
  item.id = `concern-${concern.id}`;
  item.dataset.concernId = String(concern.id);
  item.dataset.status = concern.status;
  item.classList.toggle("concern--answered", concern.status === "answered");
  item.classList.toggle("concern--highlighted", pinned);
  const pending = concern.status === "pending";
  item.classList.toggle("concern--pending", pending);
  setText(item, ".concern__number", `#${concern.number}`);
  const topic = item.querySelector(".concern__topic");
  if (topic) {
    const name = concern.topic_id != null ? topics[String(concern.topic_id)] || "" : "";
    topic.textContent = name;
    topic.hidden = !name;
  }
  toggle(item, ".concern__badge--answered", concern.status === "answered");
  toggle(item, ".concern__badge--pending", pending);
  toggle(item, ".concern__badge--facilitator", concern.source === "facilitator");
  const text = item.querySelector(".concern__text");
  if (text) {
    text.id = `concern-text-${concern.id}`;
    text.textContent = concern.text;
  }
  setText(item, ".concern__author", concern.author_name || "Anonymous");
  const form = item.querySelector(".vote-form");
  if (form && code) {
    form.action = `/j/${code}/concerns/${concern.id}/vote`;
    form.hidden = pending;
    setText(item, ".vote-button__which", `number ${concern.number}`);
  }
  setVotes(item, concern.votes, voted);
  return item;
}

/** Update the vote count (and the caller's vote state when given) of `item`. */
export function setVotes(item, votes, voted) {
  setText(item, ".vote-button__count", String(votes));
  setText(item, ".vote-button__unit", votes === 1 ? "vote" : "votes");
  setText(item, ".concern__votes-count", String(votes));
  setText(item, ".concern__votes-unit", votes === 1 ? "vote" : "votes");
  if (voted !== undefined) {
    const button = item.querySelector(".vote-button");
    if (button) button.setAttribute("aria-pressed", voted ? "true" : "false");
    const field = item.querySelector('.vote-form input[name="vote"]');
    if (field) field.value = voted ? "0" : "1";
  }
}

/** Compare two concerns for a list sorted by `sort` ("top" or "recent"). */
export function compare(sort) {
  if (sort === "recent") return (a, b) => b.id - a.id;
  return (a, b) => b.votes - a.votes || a.id - b.id;
}

/**
 * Put the list's items in `order` (an array of ids), moving as few nodes as possible
 * and giving focus back if the moved node held it.
 */
export function reorder(list, order, itemsById) {
  const focused = document.activeElement;
  let cursor = list.firstElementChild;
  for (const id of order) {
    const item = itemsById.get(id);
    if (!item) continue;
    if (item !== cursor) list.insertBefore(item, cursor);
    else cursor = cursor.nextElementSibling;
  }
  if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
}

function setText(root, selector, value) {
  const node = root.querySelector(selector);
  if (node) node.textContent = value;
}

function toggle(root, selector, shown) {
  const node = root.querySelector(selector);
  if (node) node.hidden = !shown;
}
