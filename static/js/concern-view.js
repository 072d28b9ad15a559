// The one renderer of a concern, used by every live page: the attendee's card, the projector's
// card, the console's row and the leaders' stream item. Each page clones its own server-rendered
// <template> (so live items look exactly like server-rendered ones); what differs by role is
// said in that markup as data, which this module reads:
//   data-slot="…"            what goes in the element (number, text (with its lang), language
//                            (its name, when not the page's), author, topic, status,
//                            votes ("3 votes"), votes-count, votes-unit, vote-which, concern-name
//                            ("concern 6", for buttons' names), vote-button, vote-next,
//                            edit-text, edit-topic, pick)
//   data-show-if / data-hide-if="flag"   shown only when a flag is set / not set
//   data-statuses="a b"      shown only for these statuses (the console's buttons)
//   data-class-if="flag:class …"         classes on the item that follow a flag
//   data-id-prefix / data-for-prefix / data-labelledby-prefix   attributes that name the concern
//   data-text-if-pending / data-text-otherwise                    words that follow "pending"
// Flags: answered, pending, facilitator, highlighted (the concern's own flag) and pinned (shown
// in the page's "on screen" place). User text only ever goes in textContent.
import { t, tn } from "./i18n.js";

const VISIBLE = new Set(["approved", "answered"]);
const PAGE_LANG = document.documentElement.lang || "en";

/** "Arabic" for "ar", in the page's language (the browser knows the names; the code if it does not). */
let languageNames = null; // made once: a console redraws every row on each vote batch

function languageName(code) {
  try {
    languageNames ??= new Intl.DisplayNames([PAGE_LANG], { type: "language" });
    const name = languageNames.of(code);
    return name ? name[0].toUpperCase() + name.slice(1) : code;
  } catch {
    return code;
  }
}

/** Whether attendees may see a concern with this status. */
export function isVisible(concern) {
  return VISIBLE.has(concern.status);
}

/** Return a new item for a concern, cloned from the page's <template>. */
export function createItem(template) {
  return template.content.firstElementChild.cloneNode(true);
}

/** The flags the markup's data-show-if, data-hide-if and data-class-if refer to. */
function flagsOf(concern, pinned) {
  return {
    answered: concern.status === "answered",
    pending: concern.status === "pending",
    facilitator: concern.source === "facilitator",
    highlighted: Boolean(concern.highlighted),
    pinned: Boolean(pinned),
  };
}

/** The item and every element inside it that has `attribute`. */
function withAttribute(item, attribute) {
  const found = [...item.querySelectorAll(`[${attribute}]`)];
  return item.hasAttribute(attribute) ? [item, ...found] : found;
}

/**
 * Fill `item` with `concern`. Options: `topics` maps topic id to name; `pinned` says the item is
 * in the page's "on screen" place; `voted` is this device's vote (attendee); `formAction(concern,
 * form)` returns the URL a plain form in the item posts to.
 */
export function fillItem(item, concern, { topics = {}, pinned = false, voted, formAction } = {}) {
  const flags = flagsOf(concern, pinned);
  item.id = `concern-${concern.id}`;
  item.dataset.concernId = String(concern.id);
  item.dataset.status = concern.status;
  item.dataset.number = String(concern.number);

  for (const node of withAttribute(item, "data-class-if")) {
    for (const rule of node.dataset.classIf.split(/\s+/).filter(Boolean)) {
      const [flag, className] = rule.split(":");
      node.classList.toggle(className, flags[flag]);
    }
  }
  for (const [attribute, target] of [
    ["data-id-prefix", "id"],
    ["data-for-prefix", "for"],
    ["data-labelledby-prefix", "aria-labelledby"],
  ]) {
    for (const node of withAttribute(item, attribute)) node.setAttribute(target, `${node.getAttribute(attribute)}${concern.id}`);
  }
  for (const node of item.querySelectorAll("[data-show-if], [data-hide-if], [data-statuses]")) {
    const { showIf, hideIf, statuses } = node.dataset;
    node.hidden = !(
      (!showIf || flags[showIf]) &&
      (!hideIf || !flags[hideIf]) &&
      (!statuses || statuses.split(/\s+/).includes(concern.status))
    );
  }
  for (const node of item.querySelectorAll("[data-text-if-pending]")) {
    node.textContent = flags.pending ? node.dataset.textIfPending : node.dataset.textOtherwise;
  }
  if (formAction) {
    for (const form of item.querySelectorAll("form")) form.action = formAction(concern, form);
  }

  const topicName = concern.topic_id != null ? topics[String(concern.topic_id)] || "" : "";
  for (const node of item.querySelectorAll("[data-slot]")) {
    switch (node.dataset.slot) {
      case "number":
        node.textContent = `#${concern.number}`;
        break;
      case "text":
        node.textContent = concern.text;
        // The language it was written in (WCAG 3.1.2), so a screen reader reads it in that voice.
        if (concern.language) node.lang = concern.language;
        else node.removeAttribute("lang");
        break;
      case "language": {
        // Shown (the console) when the attendee's language is not the page's own.
        const other = concern.language && concern.language.split("-")[0] !== PAGE_LANG;
        node.textContent = other ? languageName(concern.language) : "";
        node.hidden = !other;
        break;
      }
      case "author":
        node.textContent = concern.author_name || t("Anonymous");
        break;
      case "topic":
        node.textContent = topicName;
        node.hidden = !topicName;
        break;
      case "status":
        node.textContent = concern.status[0].toUpperCase() + concern.status.slice(1);
        break;
      case "concern-name":
        node.textContent = t("concern %(number)s", { number: concern.number });
        break;
      case "vote-which":
        node.textContent = t("number %(number)s", { number: concern.number });
        break;
      case "edit-text":
        // Never overwrite what a facilitator is typing (or typed, while the edit is open).
        if (document.activeElement !== node && !node.closest("details[open]")) node.value = concern.text;
        break;
      case "edit-topic":
        node.value = concern.topic_id != null ? String(concern.topic_id) : "";
        break;
      case "pick":
        node.value = String(concern.id);
        break;
      default:
    }
  }
  setVotes(item, concern.votes, voted);
  return item;
}

/** Update the vote count of `item`, and this device's vote when `voted` is given. */
export function setVotes(item, votes, voted) {
  item.dataset.votes = String(votes);
  const unit = tn("vote", "votes", votes);
  for (const node of item.querySelectorAll('[data-slot="votes"]')) node.textContent = tn("%(num)d vote", "%(num)d votes", votes);
  for (const node of item.querySelectorAll('[data-slot="votes-count"]')) node.textContent = String(votes);
  for (const node of item.querySelectorAll('[data-slot="votes-unit"]')) node.textContent = unit;
  if (voted === undefined) return;
  for (const node of item.querySelectorAll('[data-slot="vote-button"]')) node.setAttribute("aria-pressed", voted ? "true" : "false");
  for (const node of item.querySelectorAll('[data-slot="vote-next"]')) node.value = voted ? "0" : "1";
}

/** Compare two concerns for a list sorted by `sort`: "top" (most votes first) or "recent". */
export function compare(sort) {
  if (sort === "recent") return (a, b) => b.id - a.id;
  return (a, b) => b.votes - a.votes || a.id - b.id;
}

/**
 * Keep `items` (id -> element) to exactly `wanted` (concerns): drop the others from the page,
 * clone new ones from `template`, and fill each with `options(concern)`.
 */
export function syncItems(items, wanted, template, options) {
  const ids = new Set(wanted.map((concern) => concern.id));
  for (const [id, item] of items) {
    if (!ids.has(id)) {
      item.remove();
      items.delete(id);
    }
  }
  for (const concern of wanted) {
    let item = items.get(concern.id);
    if (!item) {
      item = createItem(template);
      items.set(concern.id, item);
    }
    fillItem(item, concern, options(concern));
  }
}

/** Adopt the items the server rendered inside `root`, so the first snapshot updates them. */
export function adoptItems(root, selector) {
  const items = new Map();
  for (const item of root.querySelectorAll(selector)) {
    if (item.dataset.concernId) items.set(Number(item.dataset.concernId), item);
  }
  return items;
}

/**
 * Put `list`'s items in `order` (an array of ids), moving as few nodes as possible (an item in
 * another list moves here) and giving focus back if a moved node held it.
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

/**
 * Draw the board attendees and the projector share: the pinned concern in its own place, the
 * others sorted (and cut to `limit`), and an "empty" note. `include(concern)` says which
 * concerns this page shows; `options(concern, pinned)` gives fillItem's options; `pin: false`
 * keeps the highlighted concern in the list (a meeting that has ended has nothing "on screen now").
 */
export function renderBoard({ concerns, items, template, list, pinnedList, pinnedRegion, empty, include, sort, limit, options, pin = true }) {
  const shown = [...concerns.values()].filter(include);
  const pinned = pin ? shown.find((concern) => concern.highlighted && isVisible(concern)) : undefined;
  let rest = shown.filter((concern) => concern !== pinned).sort(compare(sort));
  if (limit !== undefined) rest = rest.slice(0, limit);
  syncItems(items, pinned ? [...rest, pinned] : rest, template, (concern) => options(concern, concern === pinned));
  if (pinned) {
    const item = items.get(pinned.id);
    if (item.parentElement !== pinnedList) pinnedList.replaceChildren(item);
  } else {
    pinnedList.replaceChildren();
  }
  pinnedRegion.hidden = !pinned;
  reorder(
    list,
    rest.map((concern) => concern.id),
    items,
  );
  empty.hidden = shown.length > 0;
}
