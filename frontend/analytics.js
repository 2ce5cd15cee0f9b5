/* The analytics pages' charts (uPlot, from npm, bundled by esbuild into static/build/analytics.js): time series
   drawn from the JSON the page carries, sparklines in the top queries' table, and sorting that table.
   Every chart takes its container's width, so it fits a phone's screen, and follows it when it changes. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2"];

function formatBytes(value) {
  if (value == null) return "";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = value;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return (unit === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[unit];
}

function formatMs(value) {
  if (value == null) return "";
  if (Math.abs(value) >= 1000) return (value / 1000).toFixed(value >= 10000 ? 0 : 1) + " s";
  if (Math.abs(value) >= 10 || value === 0) return value.toFixed(0) + " ms";
  return Number(value.toPrecision(3)) + " ms"; // small times keep three significant digits
}

function formatCount(value) {
  if (value == null) return "";
  if (Math.abs(value) >= 1e6) return (value / 1e6).toFixed(1) + "M";
  if (Math.abs(value) >= 1e3) return (value / 1e3).toFixed(1) + "k";
  return String(Math.round(value * 100) / 100);
}

const FORMATS = {
  bytes: formatBytes,
  ms: formatMs,
  count: formatCount,
  ratio: (v) => (v == null ? "" : (v * 100).toFixed(1) + " %"),
};

function seconds(times) {
  return times.map((t) => Date.parse(t) / 1000);
}

function heightFor(width) {
  return width < 500 ? 170 : 220;
}

function chartOptions(spec, width) {
  const format = FORMATS[spec.unit] || formatCount;
  return {
    width: width,
    height: heightFor(width),
    legend: { show: spec.series.length > 1 || width >= 500 },
    scales: spec.unit === "ratio" ? { y: { range: [0, 1] } } : {},
    axes: [
      { stroke: "#555", grid: { stroke: "#eee" }, size: 30 },
      {
        stroke: "#555",
        grid: { stroke: "#eee" },
        // As wide as its longest label, so no label is cut at the chart's left edge.
        size: (u, values) => (values ? Math.ceil(Math.max(...values.map((v) => String(v).length)) * 7) + 16 : 40),
        values: (u, ticks) => ticks.map(format),
      },
    ],
    series: [
      {},
      ...spec.series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        spanGaps: true,
        points: { show: true, size: 5 },
        value: (u, v) => format(v),
      })),
    ],
  };
}

/* One uPlot instance per [data-chart] container, sized to it and resized with it. */
function drawCharts(specs) {
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((node) => {
    const spec = specs[node.getAttribute("data-chart")];
    if (!spec) return;
    const drawn = spec.series.some((s) => s.values.some((v) => v != null));
    if (!drawn || spec.series.length === 0) {
      node.classList.add("chart-empty");
      node.textContent = "Nothing recorded in this range yet.";
      return;
    }
    const data = [seconds(spec.times), ...spec.series.map((s) => s.values)];
    const width = Math.max(200, node.clientWidth);
    const plot = new uPlot(chartOptions(spec, width), data, node);
    node.setAttribute("data-drawn", String(spec.series.length));
    charts.push({ node, plot });
  });
  if (charts.length && "ResizeObserver" in window) {
    const observer = new ResizeObserver(() => {
      charts.forEach(({ node, plot }) => {
        const width = Math.max(200, node.clientWidth);
        if (Math.abs(width - plot.width) > 2) plot.setSize({ width: width, height: heightFor(width) });
      });
    });
    charts.forEach(({ node }) => observer.observe(node));
  }
}

function drawSparklines(spec) {
  const times = seconds(spec.times);
  document.querySelectorAll("[data-sparkline]").forEach((node) => {
    const values = spec.values[Number(node.getAttribute("data-sparkline"))] || [];
    if (!values.some((v) => v != null)) return;
    const options = {
      width: 110,
      height: 30,
      pxAlign: false,
      cursor: { show: false },
      select: { show: false },
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: COLORS[0], width: 1.5, spanGaps: true, points: { show: true, size: 3 } }],
    };
    new uPlot(options, [times, values], node);
    node.setAttribute("data-drawn", "1");
  });
}

/* A table[data-sortable]: its header buttons sort the rows by the row's data-<key> number, again to reverse. */
function sortableTables() {
  document.querySelectorAll("table[data-sortable]").forEach((table) => {
    const body = table.tBodies[0];
    table.querySelectorAll("th button[data-sort]").forEach((button) => {
      button.addEventListener("click", () => {
        const key = button.getAttribute("data-sort");
        const header = button.closest("th");
        const descending = header.getAttribute("aria-sort") !== "descending";
        table.querySelectorAll("th[aria-sort]").forEach((th) => th.removeAttribute("aria-sort"));
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const diff = Number(a.dataset[key]) - Number(b.dataset[key]);
          return descending ? -diff : diff;
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  });
}

function json(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function start() {
  const charts = json("analytics-charts");
  if (charts) drawCharts(charts);
  const sparklines = json("analytics-sparklines");
  if (sparklines) drawSparklines(sparklines);
  sortableTables();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
