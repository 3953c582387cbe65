// The credits-used chart: one stacked bar per UTC day (images, videos, ads; the part chat runs
// used hatched in its kind's colour), drawn as SVG at the container's own pixel width so its
// text stays readable on a phone. Colours come from classes in dashboard.css (the CSP allows
// no inline style). Its text alternative is the SVG's title and description (and the table
// the page fills beside it).

const SVG = "http://www.w3.org/2000/svg";

export const KINDS = [
  { key: "images", label: "Images" },
  { key: "videos", label: "Videos" },
  { key: "ads", label: "Ads" },
];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const number = (value) => value.toLocaleString();

// "2026-12-14" → "Dec 14": the day as the API counts it (UTC), whatever the browser's zone.
export function dayLabel(date, options = { month: "short", day: "numeric" }) {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { ...options, timeZone: "UTC" });
}

// The kind's credits of a day, split into what was asked directly and what chat runs asked.
export function parts(day, kind) {
  const chat = day.via_chat[kind];
  return { direct: day[kind] - chat, chat };
}

// A round top for the axis: 1, 2, 2.5 or 5 times a power of ten, at least `value`.
function niceCeiling(value) {
  if (value <= 0) return 100;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

export function describe(usage) {
  const { total, via_chat: chat } = usage;
  const range = `${dayLabel(usage.start)} to ${dayLabel(usage.end)} (UTC)`;
  if (total.total === 0) return `No credits used from ${range}.`;
  const kinds = KINDS.map(({ key, label }) => {
    const through = chat[key] ? ` (${number(chat[key])} via chat)` : "";
    return `${label.toLowerCase()} ${number(total[key])}${through}`;
  }).join(", ");
  const busiest = usage.daily.reduce((top, day) => (day.total > top.total ? day : top));
  return `${number(total.total)} credits used from ${range}: ${kinds}. ` +
    `The most in one day: ${number(busiest.total)} on ${dayLabel(busiest.date)}.`;
}

function patterns() {
  // One hatch per kind: the kind's colour in stripes over a light tint of it.
  return svg("defs", {}, ...KINDS.map(({ key }) => svg("pattern", {
    id: `usage-hatch-${key}`, width: 6, height: 6, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)",
  }, svg("rect", { width: 6, height: 6, class: `tint-${key}` }),
  svg("rect", { width: 3, height: 6, class: `fill-${key}` }))));
}

export function drawUsageChart(container, usage) {
  const width = Math.max(280, Math.floor(container.clientWidth));
  const narrow = width < 520;
  const height = narrow ? 210 : 250;
  // The right margin leaves room for half of "Today" under the last bar.
  const margin = { top: 26, right: 14, bottom: 40, left: narrow ? 40 : 48 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const days = usage.daily;
  const top = niceCeiling(Math.max(...days.map((day) => day.total)));
  const y = (value) => margin.top + plotHeight - (value / top) * plotHeight;
  const slot = plotWidth / days.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.72));

  const chart = svg("svg", {
    class: "usage-svg", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-labelledby": "usage-svg-title", "aria-describedby": "usage-svg-desc",
  });
  chart.append(
    svg("title", { id: "usage-svg-title" }, `Credits used per day, last ${usage.days} days`),
    svg("desc", { id: "usage-svg-desc" }, describe(usage)),
    patterns(),
  );

  // The value axis: gridlines with their labels, and its title above them.
  const axis = svg("g", { class: "axis", "aria-hidden": "true" });
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (top / 4) * tick;
    const at = y(value);
    axis.append(
      svg("line", { x1: margin.left, x2: width - margin.right, y1: at, y2: at, class: tick ? "grid" : "baseline" }),
      svg("text", { x: margin.left - 6, y: at, class: "tick-y", "text-anchor": "end", "dominant-baseline": "middle" }, number(value)),
    );
  }
  axis.append(svg("text", { x: margin.left - (narrow ? 36 : 44), y: 12, class: "axis-title" }, "Credits"));
  axis.append(svg("text", {
    x: margin.left + plotWidth / 2, y: height - 4, class: "axis-title", "text-anchor": "middle",
  }, "Day (UTC)"));

  // Day labels: as many as fit, counted back from today so today always has one.
  const every = Math.max(1, Math.ceil((narrow ? 42 : 50) / slot));
  days.forEach((day, index) => {
    if ((days.length - 1 - index) % every !== 0) return;
    const last = index === days.length - 1;
    axis.append(svg("text", {
      x: margin.left + slot * (index + 0.5), y: margin.top + plotHeight + 16,
      class: last ? "tick-x today" : "tick-x", "text-anchor": "middle",
    }, last ? "Today" : dayLabel(day.date)));
  });
  chart.append(axis);

  const bars = svg("g", { class: "bars" });
  days.forEach((day, index) => {
    const x = margin.left + slot * index + (slot - barWidth) / 2;
    const group = svg("g", {
      class: "day", "data-date": day.date, "data-total": day.total,
      ...Object.fromEntries(KINDS.map(({ key }) => [`data-${key}`, day[key]])),
      "data-via-chat": day.via_chat.total,
    });
    const lines = KINDS.filter(({ key }) => day[key]).map(({ key, label }) => {
      const through = day.via_chat[key] ? ` (${number(day.via_chat[key])} via chat)` : "";
      return `${label}: ${number(day[key])}${through}`;
    });
    group.append(svg("title", {}, `${dayLabel(day.date, { weekday: "short", month: "short", day: "numeric" })}: ` +
      `${number(day.total)} credits${lines.length ? `\n${lines.join("\n")}` : ""}`));
    // A full-height target, so a short bar (or a day without use) still shows its numbers.
    group.append(svg("rect", { x: margin.left + slot * index, y: margin.top, width: slot, height: plotHeight, class: "hover" }));
    let stacked = 0;
    for (const { key } of KINDS) {
      const { direct, chat } = parts(day, key);
      for (const [amount, series, fill] of [[direct, key, null], [chat, `${key}-chat`, `url(#usage-hatch-${key})`]]) {
        if (!amount) continue;
        const from = y(stacked);
        stacked += amount;
        group.append(svg("rect", {
          x, y: y(stacked), width: barWidth, height: Math.max(1, from - y(stacked)),
          class: fill ? "segment" : `segment fill-${key}`, fill, "data-series": series, "data-credits": amount,
        }));
      }
    }
    bars.append(group);
  });
  chart.append(bars);

  if (usage.total.total === 0) {
    chart.append(svg("text", {
      x: margin.left + plotWidth / 2, y: margin.top + plotHeight / 2, class: "empty-note", "text-anchor": "middle",
    }, "No credits used yet"));
  }
  container.replaceChildren(chart);
  return chart;
}

// Draw now and again whenever the container's width changes (a rotated phone, a resized window).
export function followWidth(container, usage) {
  let drawnAt = null;
  const draw = () => {
    const width = Math.floor(container.clientWidth);
    if (width === drawnAt) return;
    drawnAt = width;
    drawUsageChart(container, usage);
  };
  draw();
  // Redrawn on the next frame: drawing inside the observer's callback can resize the page (a
  // scrollbar appears) and trip the browser's resize-loop guard.
  if ("ResizeObserver" in window) new ResizeObserver(() => requestAnimationFrame(draw)).observe(container);
}
