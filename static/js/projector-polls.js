// The poll on the projector: a live chart (Chart.js, vendored from npm) for choices, ratings and
// rankings, a word cloud, a scrolling list for open text, the count of answers in large type,
// and a table under every chart as its text alternative. Results arrive in batches (poll:results,
// absolute); a batch older than one already shown is dropped.
import { t } from "./i18n.js";
import { renderResultTable, resultSummary } from "./poll-view.js";

export function projectorPolls() {
  const polls = new Map(); // id -> poll (with .results once known)
  let shownId = null;
  let chart = null;
  let pollSeq = 0;
  const canvas = document.getElementById("poll-canvas");
  const words = document.getElementById("poll-words");
  const answers = document.getElementById("poll-answers");

  function draw() {
    const poll = polls.get(shownId);
    const question = document.getElementById("poll-question");
    if (!poll) return;
    question.textContent = poll.question;
    const results = poll.results;
    if (!results) return;
    document.getElementById("poll-count").textContent = resultSummary(results);
    renderResultTable(document.getElementById("poll-table"), results);
    document.body.dataset.pollTotal = String(results.total); // tests and styles can read the count
    const kind = results.kind;
    canvas.hidden = !["single", "multiple", "rating", "ranking"].includes(kind);
    words.hidden = kind !== "word_cloud";
    answers.hidden = kind !== "open_text";
    if (kind === "word_cloud") drawWords(results.words);
    else if (kind === "open_text") drawAnswers(results.answers);
    else drawBars(results);
  }

  function drawBars(results) {
    const labels =
      results.kind === "rating" ? Object.keys(results.distribution) : results.options.map((option) => option.label);
    const values =
      results.kind === "rating"
        ? Object.values(results.distribution)
        : results.kind === "ranking"
          ? results.options.map((option) => option.mean_rank ?? 0)
          : results.options.map((option) => option.count);
    const label = results.kind === "ranking" ? t("Average place (1 is first)") : t("Answers");
    if (!window.Chart) return; // the table still says it all
    if (chart && chart.config.type === "bar" && chart.$kind === results.kind && chart.data.labels.length === labels.length) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = values;
      chart.data.datasets[0].label = label;
      chart.update();
      return;
    }
    chart?.destroy();
    chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label, data: values, backgroundColor: "#1d70b8" }] },
      options: {
        indexAxis: results.kind === "rating" ? "x" : "y",
        // No moving bars for people who asked their system for less motion.
        animation: { duration: window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? 0 : 300 },
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: { ticks: { font: { size: 28 }, color: "#0b0c0c", precision: 0 }, beginAtZero: true },
          y: { ticks: { font: { size: 32 }, color: "#0b0c0c", precision: 0 }, beginAtZero: true },
        },
      },
    });
    chart.$kind = results.kind;
  }

  function drawWords(list) {
    const most = Math.max(1, ...list.map((word) => word.count));
    words.replaceChildren(
      ...list.slice(0, 40).map((word) => {
        const span = document.createElement("span");
        span.className = "word-cloud__word user-text";
        span.dir = "auto";
        span.textContent = word.text;
        // Larger for more used words: 1 (least) to 5 (most) steps of the stylesheet's scale.
        span.dataset.size = String(1 + Math.round((4 * word.count) / most));
        return span;
      }),
    );
  }

  function drawAnswers(list) {
    answers.replaceChildren(
      ...list.slice(0, 30).map((text) => {
        const item = document.createElement("li");
        item.className = "user-text";
        item.dir = "auto";
        item.textContent = text;
        return item;
      }),
    );
  }

  return {
    show(pollId) {
      shownId = pollId;
      draw();
    },
    snapshot(snapshot) {
      if (typeof snapshot.poll_seq === "number") pollSeq = Math.max(pollSeq, snapshot.poll_seq);
      for (const poll of snapshot.polls || []) polls.set(poll.id, poll);
      shownId = snapshot.projector?.poll_id ?? shownId;
      draw();
    },
    "poll:opened"({ poll }) {
      polls.set(poll.id, { ...polls.get(poll.id), ...poll });
      draw();
    },
    "poll:closed"({ poll }) {
      polls.set(poll.id, { ...polls.get(poll.id), ...poll });
      draw();
    },
    "poll:results"({ poll_id: pollId, results, seq }) {
      if (typeof seq === "number" && seq < pollSeq) return;
      if (typeof seq === "number") pollSeq = seq;
      const poll = polls.get(pollId);
      if (poll) polls.set(pollId, { ...poll, results });
      if (pollId === shownId) draw();
    },
  };
}
