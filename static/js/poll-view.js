// Polls on the live pages: the attendee's answer form (built from the poll object, the same
// form the server renders for a page without JavaScript, with up/down buttons for ranking) and
// the results as a table (the text alternative of every chart). User text goes in with textContent.
import { t, tn } from "./i18n.js";

const KIND_HINTS = {
  multiple: (poll) => (poll.max_choices ? tn("Choose up to %(num)d.", "Choose up to %(num)d.", poll.max_choices) : t("Choose all that apply.")),
  word_cloud: () => t("One, two or three words."),
  ranking: () => t("Put them in order: 1 is the most important. Use the Up and Down buttons to move an item."),
};

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  if (text !== null) node.textContent = text;
  return node;
}

function userText(tag, text, attributes = {}) {
  return element(tag, { ...attributes, dir: "auto", className: `${attributes.className || ""} user-text`.trim() }, text);
}

function choiceRow(type, id, name, value, labelText) {
  const row = element("div", { className: type });
  row.append(element("input", { type, id, name, value }), userText("label", labelText, { for: id }));
  return row;
}

/** Move a ranking item one place up (-1) or down (+1), keeping focus on the pressed button. */
function move(item, step, button) {
  const list = item.parentElement;
  if (step < 0 && item.previousElementSibling) list.insertBefore(item, item.previousElementSibling);
  if (step > 0 && item.nextElementSibling) list.insertBefore(item.nextElementSibling, item);
  renumber(list);
  button.focus();
}

function renumber(list) {
  [...list.children].forEach((item, index) => {
    item.querySelector(".ranking__place").textContent = `${index + 1}.`;
    item.querySelector("[data-move='-1']").disabled = index === 0;
    item.querySelector("[data-move='1']").disabled = index === list.children.length - 1;
  });
}

function rankingList(poll, prefix) {
  const list = element("ol", { className: "ranking ranking--buttons", id: `${prefix}-ranking` });
  for (const option of poll.options) {
    const item = element("li", { className: "ranking__item", "data-option-id": String(option.id) });
    const label = userText("span", option.label, { className: "ranking__label", id: `${prefix}-item-${option.id}` });
    const up = element("button", { type: "button", className: "button button--secondary button--small", "data-move": "-1" }, t("Up"));
    const down = element("button", { type: "button", className: "button button--secondary button--small", "data-move": "1" }, t("Down"));
    for (const [button, words] of [[up, t("Move up: %(option)s", { option: option.label })], [down, t("Move down: %(option)s", { option: option.label })]]) {
      button.setAttribute("aria-describedby", label.id);
      button.setAttribute("aria-label", words);
      button.addEventListener("click", () => move(item, Number(button.dataset.move), button));
    }
    item.append(element("span", { className: "ranking__place" }), label, up, down);
    list.append(item);
  }
  renumber(list);
  return list;
}

/** Build the answer form of an open poll (the server's _poll.html, made live). */
export function buildPollForm(poll, code) {
  const prefix = `poll-${poll.id}`;
  const section = element("section", {
    className: "panel poll",
    id: prefix,
    "data-poll-id": String(poll.id),
    "data-kind": poll.kind,
    "aria-labelledby": `${prefix}-question`,
  });
  const form = element("form", { method: "post", action: `/j/${code}/polls/${poll.id}`, className: "poll-form", novalidate: "" });
  const group = element("div", { className: "form-group" });
  const fieldset = element("fieldset", { className: "fieldset" });
  fieldset.append(userText("legend", poll.question, { className: "heading-m", id: `${prefix}-question` }));
  if (KIND_HINTS[poll.kind]) fieldset.append(element("p", { className: "hint" }, KIND_HINTS[poll.kind](poll)));
  if (poll.kind === "single" || poll.kind === "multiple") {
    const type = poll.kind === "single" ? "radio" : "checkbox";
    const choices = element("div", { className: type === "radio" ? "radios" : "checkboxes" });
    for (const option of poll.options) {
      choices.append(choiceRow(type, `${prefix}-option-${option.id}`, "option_ids", String(option.id), option.label));
    }
    fieldset.append(choices);
  } else if (poll.kind === "rating") {
    const choices = element("div", { className: "radios radios--scale" });
    for (let value = 1; value <= poll.scale; value += 1) {
      const words =
        value === 1 ? t("%(value)d (lowest)", { value }) : value === poll.scale ? t("%(value)d (highest)", { value }) : String(value);
      choices.append(choiceRow("radio", `${prefix}-value-${value}`, "value", String(value), words));
    }
    fieldset.append(choices);
  } else if (poll.kind === "ranking") {
    fieldset.append(rankingList(poll, prefix));
  } else {
    fieldset.append(element("label", { className: "label visually-hidden", for: `${prefix}-text` }, t("Your answer")));
    fieldset.append(
      poll.kind === "open_text"
        ? element("textarea", { className: "textarea", id: `${prefix}-text`, name: "text", rows: "3", maxlength: "280" })
        : element("input", { className: "input", id: `${prefix}-text`, name: "text", type: "text", maxlength: "80", autocomplete: "off" }),
    );
  }
  group.append(fieldset);
  form.append(group, element("button", { type: "submit", className: "button" }, t("Send")));
  form.append(element("p", { className: "form-status", role: "status", "aria-live": "polite" }));
  section.append(element("span", { className: "caption" }, t("Poll")), form, element("div", { className: "poll-results", hidden: "" }));
  return section;
}

/** Read the answer a poll's form holds, in the API's shape. */
export function answerFrom(form, poll) {
  if (poll.kind === "single" || poll.kind === "multiple") {
    return { option_ids: [...form.querySelectorAll('input[name="option_ids"]:checked')].map((input) => Number(input.value)) };
  }
  if (poll.kind === "rating") {
    const chosen = form.querySelector('input[name="value"]:checked');
    return { value: chosen ? Number(chosen.value) : null };
  }
  if (poll.kind === "ranking") {
    return { ranking: [...form.querySelectorAll(".ranking__item")].map((item) => Number(item.dataset.optionId)) };
  }
  return { text: form.querySelector('[name="text"]').value };
}

/** Rows of (label, figure) that say what a poll's results are: the table under every chart. */
export function resultRows(results) {
  if (results.kind === "rating") {
    return Object.entries(results.distribution).map(([value, count]) => [value, String(count)]);
  }
  if (results.kind === "ranking") {
    return results.options.map((option) => [option.label, option.mean_rank === null ? "–" : t("average place %(place)s", { place: option.mean_rank })]);
  }
  if (results.kind === "word_cloud") return results.words.map((word) => [word.text, String(word.count)]);
  if (results.kind === "open_text") return results.answers.map((answer) => [answer, ""]);
  return results.options.map((option) => [option.label, String(option.count)]);
}

/** One sentence saying the results in words. */
export function resultSummary(results) {
  if (results.kind === "rating" && results.mean !== null) {
    return tn("%(num)d answer, average %(mean)s.", "%(num)d answers, average %(mean)s.", results.total, { mean: results.mean });
  }
  return tn("%(num)d answer.", "%(num)d answers.", results.total);
}

/** Fill `container` with a table of the results (caption: `caption(summary)` when given, else the summary). */
export function renderResultTable(container, results, caption = null) {
  const table = element("table", { className: "table poll-table" });
  const summary = resultSummary(results);
  table.append(element("caption", { className: "poll-table__caption" }, caption ? caption(summary) : summary));
  const body = element("tbody");
  for (const [label, figure] of resultRows(results)) {
    const row = element("tr");
    row.append(userText("th", label, { scope: "row" }), element("td", { className: "numeric" }, figure));
    body.append(row);
  }
  table.append(body);
  container.replaceChildren(table);
}
