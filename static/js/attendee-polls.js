// The attendee's polls, live: an opened poll appears at once, answers go through the JSON API
// (one tap and Send), and revealed results show under the form. Without JavaScript the server
// renders the same forms and they post as plain forms.
import { announce, api, failureMessage, whileSending } from "./api.js";
import { t } from "./i18n.js";
import { answerFrom, buildPollForm, renderResultTable } from "./poll-view.js";

export function attendeePolls(code) {
  const container = document.getElementById("polls");
  const polls = new Map(); // id -> poll (the API shape)
  let pollSeq = 0; // the newest poll:results batch applied (batches carry absolute results)

  function show(poll, { replace = false } = {}) {
    polls.set(poll.id, poll);
    const existing = document.getElementById(`poll-${poll.id}`);
    if (existing && !replace) return existing;
    const section = buildPollForm(poll, code);
    if (existing) existing.replaceWith(section);
    else container.append(section);
    return section;
  }

  function remove(pollId) {
    polls.delete(pollId);
    document.getElementById(`poll-${pollId}`)?.remove();
  }

  function showResults(results) {
    const region = document.querySelector(`#poll-${results.poll_id} .poll-results`);
    if (!region) return;
    region.hidden = false;
    renderResultTable(region, results, (summary) => t("Results so far: %(summary)s", { summary }));
  }

  container.addEventListener("submit", async (event) => {
    const form = event.target.closest(".poll-form");
    const section = form?.closest(".poll");
    const poll = section && polls.get(Number(section.dataset.pollId));
    if (!poll) return; // not live yet: the plain form posts
    event.preventDefault();
    const status = form.querySelector(".form-status");
    try {
      await whileSending(form, () => api("POST", `/api/v1/polls/${poll.id}/responses`, answerFrom(form, poll)), {
        status,
        busyText: t("Sending…"),
      });
      status.textContent = t("Thank you. Your answer was sent. You can change it while the poll is open.");
    } catch (error) {
      status.textContent = failureMessage(error, t("No connection. Your answer was not sent — try again."));
    }
  });

  return {
    snapshot(snapshot) {
      if (typeof snapshot.poll_seq === "number") pollSeq = Math.max(pollSeq, snapshot.poll_seq);
      const open = new Set();
      for (const poll of snapshot.polls || []) {
        if (poll.status !== "open") continue;
        open.add(poll.id);
        // The server's plain form is rebuilt once so ranking gets its Up and Down buttons.
        const known = polls.has(poll.id);
        show(poll, { replace: !known });
        if (poll.results) showResults(poll.results);
      }
      for (const section of [...container.querySelectorAll(".poll")]) {
        if (!open.has(Number(section.dataset.pollId))) remove(Number(section.dataset.pollId));
      }
    },
    "poll:opened"({ poll }) {
      show(poll, { replace: true }); // again after an edit: the new wording and options
      announce(t("A poll has opened: %(question)s", { question: poll.question }));
    },
    "poll:closed"({ poll }) {
      remove(poll.id);
      announce(t("The poll has closed. Thank you."));
    },
    "poll:results"({ results, seq }) {
      if (typeof seq === "number" && seq < pollSeq) return;
      if (typeof seq === "number") pollSeq = seq;
      showResults(results);
    },
  };
}
