// The impact dashboard's charts (Chart.js, vendored from npm). The page's tables carry every figure
// and are the text alternative; a chart is drawn only where its canvas is on the page, and a figure
// hidden under 10 answers (null) is a gap in a line, never a zero.
const data = JSON.parse(document.getElementById("impact-data").textContent);
// Colours from the stylesheet's tokens (each at least 3:1 against white), then further distinct ones.
const COLOURS = ["#12355b", "#1d4ed8", "#00703c", "#8a4b00", "#6f2c91", "#b00020", "#505a5f", "#a3265c"];
const POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star", "rectRounded", "cross"];
const TEXT = "#0b0c0c";
// The action status colours of the stylesheet (--colour-action-*).
const STATUS_COLOURS = {
  under_consideration: "#505a5f",
  agreed: "#1d4ed8",
  in_progress: "#8a4b00",
  completed: "#00703c",
  not_taken_forward: "#b00020",
  referred: "#6f2c91",
};

if (window.Chart) {
  window.Chart.defaults.font.size = 14;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.color = TEXT;
}

// A long group name on several lines, so a phone-width chart keeps it whole instead of cutting it.
function wrap(label, width = 18) {
  const lines = [];
  for (const word of label.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
    else lines.push(word);
  }
  return lines;
}

function colour(i) {
  return COLOURS[i % COLOURS.length];
}

function baseOptions(extra = {}) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: {
      legend: { labels: { color: TEXT, usePointStyle: true, boxWidth: 10 } },
      tooltip: { enabled: true },
    },
    ...extra,
  };
}

function draw(id, config) {
  const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
  if (!canvas || !window.Chart) return; // no canvas: the page says why in words; no Chart.js: tables say it all
  const chart = new window.Chart(canvas, config);
  canvas.dataset.drawn = "true";
  return chart;
}

const meetings = data.meetings;
const countScales = (stacked = false) => ({
  x: { stacked, ticks: { color: TEXT } },
  y: { stacked, beginAtZero: true, ticks: { color: TEXT, precision: 0 } },
});
const percentScale = { min: 0, max: 100, ticks: { color: TEXT, callback: (value) => `${value}%` } };

draw("reach-chart", {
  type: "bar",
  data: {
    labels: meetings,
    datasets: [
      ["Participants", data.reach.participants],
      ["Returning devices", data.reach.returners],
      ["Concerns", data.reach.concerns],
      ["Survey responses", data.reach.survey_responses],
    ].map(([label, values], i) => ({ label, data: values, backgroundColor: colour(i) })),
  },
  options: baseOptions({ scales: countScales() }),
});

draw("sources-chart", {
  type: "bar",
  data: {
    labels: meetings,
    datasets: [
      { label: "In the room", data: data.sources.in_room, backgroundColor: colour(1) },
      { label: "Entered by a facilitator", data: data.sources.facilitator, backgroundColor: colour(3) },
    ],
  },
  options: baseOptions({ scales: countScales(true) }),
});

draw("trust-chart", {
  type: "line",
  data: {
    labels: meetings,
    datasets: data.trust.map((row, i) => ({
      label: row.label,
      data: row.pct,
      borderColor: colour(i),
      backgroundColor: colour(i),
      pointStyle: POINTS[i % POINTS.length],
      pointRadius: 5,
      borderWidth: i === 0 ? 4 : 2,
      spanGaps: false,
    })),
  },
  options: baseOptions({ scales: { x: { ticks: { color: TEXT } }, y: percentScale } }),
});

for (const item of data.representation) {
  // Only meetings with a figure to show: a meeting with no survey, or every group under 10, adds no empty bars.
  const datasets = meetings
    .map((title, i) => ({ label: title, data: item.groups.map((group) => group.percents[i]), backgroundColor: colour(i) }))
    .filter((dataset) => dataset.data.some((value) => value !== null));
  if (item.groups.some((group) => group.baseline !== null)) {
    datasets.push({
      label: "Area",
      data: item.groups.map((group) => group.baseline),
      backgroundColor: "#ffffff",
      borderColor: TEXT,
      borderWidth: 2,
    });
  }
  draw(`equality-${item.key}-chart`, {
    type: "bar",
    data: { labels: item.groups.map((group) => wrap(group.label)), datasets },
    options: baseOptions({ indexAxis: "y", scales: { x: percentScale, y: { ticks: { color: TEXT } } } }),
  });
}

draw("actions-chart", {
  type: "bar",
  data: {
    labels: data.actions.labels,
    datasets: [
      {
        label: "Actions",
        data: data.actions.counts,
        backgroundColor: data.actions.keys.map((key) => STATUS_COLOURS[key] || colour(1)),
      },
    ],
  },
  options: baseOptions({ plugins: { legend: { display: false } }, scales: countScales() }),
});

draw("topics-chart", {
  type: "bar",
  data: {
    labels: meetings,
    datasets: data.topics.topics.map((topic, i) => ({
      label: topic,
      data: data.topics.counts[topic],
      backgroundColor: colour(i),
    })),
  },
  options: baseOptions({ scales: countScales(true) }),
});
