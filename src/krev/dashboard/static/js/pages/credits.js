// Credits & usage: the plan, balance, storage and reset date (GET /api/v1/credits), the credits
// used per day by kind (GET /api/v1/credits/usage, charted), and the ledger a page at a time
// (GET /api/v1/credits/history), each move with what caused it (a key by its name from
// GET /api/v1/keys, the dashboard, a chat run…).
import { api, pageOf } from "../api.js";
import { KINDS, dayLabel, followWidth, number } from "../credits-chart.js";
import { $, attempt, el, headersOf, row, when } from "../dom.js";

const DAYS = 30;
const PAGE = 20;
const GENERATION_NAMES = {
  image: "Image generation", video: "Video generation", ad: "Ad creative",
  product_analysis: "Product analysis", chat: "Chat run",
};
const MOVES = {
  refund: "Refund", partial_refund: "Partial refund", grant: "Credits granted",
  adjustment: "Adjustment", monthly_reset: "Monthly credits",
};

let keyNames = new Map();
let nextCursor = null;

// --- the plan --------------------------------------------------------------------------------

function fillMeter(id, value, limit, text) {
  const meter = $(id);
  const share = limit > 0 ? Math.min(1, value / limit) : 0;
  meter.setAttribute("aria-valuemax", String(limit));
  meter.setAttribute("aria-valuenow", String(Math.min(value, limit)));
  meter.setAttribute("aria-valuetext", text);
  meter.firstElementChild.style.width = `${(share * 100).toFixed(1)}%`;
  meter.classList.toggle("low", id === "balance-meter" && share < 0.1);
  meter.classList.toggle("high", id === "storage-meter" && share > 0.9);
}

function daysUntil(iso) {
  const days = Math.ceil((new Date(iso).getTime() - Date.now()) / 86_400_000);
  if (days <= 0) return "today";
  return days === 1 ? "in 1 day" : `in ${days} days`;
}

async function loadPlan() {
  const { data } = await api("GET", "/api/v1/credits");
  $("plan-name").textContent = data.plan_name;
  $("balance").textContent = data.credits.current_formatted;
  // Grants can lift the balance above the plan's monthly credits: "of" would then read wrong.
  $("balance-of").textContent = data.credits.current <= data.credits.limit
    ? `of ${data.credits.limit_formatted} a month`
    : `credits · plan: ${data.credits.limit_formatted} a month`;
  fillMeter("balance-meter", data.credits.current, data.credits.limit,
    `${data.credits.current_formatted} of ${data.credits.limit_formatted} credits`);
  $("storage").textContent = data.storage.used_formatted;
  $("storage-of").textContent = `of ${data.storage.limit_formatted}`;
  fillMeter("storage-meter", data.storage.used_bytes, data.storage.limit_bytes,
    `${data.storage.used_formatted} of ${data.storage.limit_formatted}`);
  const resets = new Date(data.resets_at);
  $("resets").textContent = resets.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  $("resets").title = resets.toLocaleString();
  $("resets-in").textContent = daysUntil(data.resets_at);
}

// --- usage -----------------------------------------------------------------------------------

async function loadUsage() {
  const { data } = await api("GET", `/api/v1/credits/usage?days=${DAYS}`);
  const chat = data.via_chat.total ? `, ${number(data.via_chat.total)} via chat` : "";
  $("usage-total").textContent = `${number(data.total.total)} credits${chat}`;
  followWidth($("usage-chart"), data);
  const headers = headersOf($("usage-table"));
  const used = data.daily.filter((day) => day.total > 0).reverse();
  $("usage-rows").replaceChildren(...(used.length
    ? used.map((day) => {
      const tr = row([dayLabel(day.date, { weekday: "short", month: "short", day: "numeric" }),
        ...KINDS.map(({ key }) => number(day[key])), number(day.via_chat.total), number(day.total)], headers);
      tr.dataset.date = day.date;
      [...tr.children].slice(1).forEach((cell) => cell.classList.add("num"));
      return tr;
    })
    : [el("tr", {}, el("td", { colspan: headers.length }, "No credits used in these days."))]));
}

// --- the ledger ------------------------------------------------------------------------------

function what(entry) {
  const job = GENERATION_NAMES[entry.generation_kind] ?? (entry.generation_id ? "Generation" : null);
  let name = entry.kind === "reservation" ? (job ?? "Reservation") : (MOVES[entry.kind] ?? entry.kind);
  if (entry.kind !== "reservation" && job) name += ` · ${job.toLowerCase()}`;
  return el("span", {}, name, entry.note ? el("span", { class: "ledger-note" }, entry.note) : null);
}

function keyName(id) {
  const key = keyNames.get(id);
  if (!key) return "An API key";
  return key.revoked_at ? `${key.name} (revoked)` : key.name;
}

function causedBy(entry) {
  const chat = entry.source.startsWith("chat:");
  let who;
  if (entry.api_key_id) who = [el("span", { class: "ledger-key" }, keyName(entry.api_key_id)), el("span", { class: "ledger-note" }, "API key")];
  else if (entry.source === "dashboard" || chat) who = ["Dashboard session"];
  else if (entry.source === "admin") who = ["Administrator"];
  else if (entry.source === "system") who = ["Krev", el("span", { class: "ledger-note" }, "automatic")];
  else who = ["Not recorded"];
  return el("span", { class: "ledger-cause" }, ...who, chat ? el("span", { class: "badge via-chat" }, "via chat") : null);
}

function ledgerRow(entry, headers) {
  const delta = el("span", { class: entry.delta < 0 ? "delta spent" : "delta earned" },
    `${entry.delta > 0 ? "+" : entry.delta < 0 ? "−" : ""}${number(Math.abs(entry.delta))}`);
  const link = entry.generation_id ? el("a", {
    href: `/dashboard/generations/${encodeURIComponent(entry.generation_id)}`,
    "aria-label": `View the generation of ${when(entry.created_at)}`,
  }, "View") : "";
  const tr = row([when(entry.created_at), what(entry), delta, number(entry.balance_after), causedBy(entry), link], headers);
  tr.dataset.kind = entry.kind;
  if (entry.generation_id) tr.dataset.generation = entry.generation_id;
  // Named cells: on a phone each move is laid out as a compact card (dashboard.css).
  ["when", "what", "num credits", "num balance", "cause", "go"].forEach((name, index) => {
    tr.children[index].className = name;
  });
  return tr;
}

async function loadLedger(more = false) {
  const { items, next } = await pageOf("/api/v1/credits/history", more ? nextCursor : null, PAGE);
  nextCursor = next;
  const headers = headersOf($("ledger").closest("table"));
  const rows = items.map((entry) => ledgerRow(entry, headers));
  if (more) $("ledger").append(...rows);
  else $("ledger").replaceChildren(...rows);
  const shown = $("ledger").children.length;
  $("ledger-empty").hidden = shown > 0;
  $("ledger-more").hidden = !nextCursor;
  $("ledger-count").textContent = shown ? `${shown} ${shown === 1 ? "move" : "moves"} shown${nextCursor ? "" : " (all)"}.` : "";
}

async function loadKeys() {
  const { data } = await api("GET", "/api/v1/keys");
  keyNames = new Map(data.map((key) => [key.id, key]));
}

$("ledger-more").addEventListener("click", () => attempt("page-error", async () => {
  $("ledger-more").disabled = true;
  try { await loadLedger(true); } finally { $("ledger-more").disabled = false; }
}));

attempt("page-error", () => Promise.all([
  loadPlan(),
  loadUsage(),
  // The ledger names keys: both are read before its first page is drawn.
  loadKeys().then(() => loadLedger()),
]));
