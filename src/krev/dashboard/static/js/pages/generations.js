// The gallery of the user's generations, newest first, filtered by kind, status and product
// (the filters live in the URL, so a filtered view can be linked and reloaded). Running jobs
// show their progress live, and turn into their outputs when they finish.

import { all, pageOf } from "../api.js";
import { $, attempt, el, showError, when } from "../dom.js";
import { ENDED, follow, progressView } from "../follow.js";
import { adCopyOf, downloadsOf, kindLabel, mediaOf, outputsOf } from "../generations-view.js";

const PAGE_SIZE = 24;
const FILTERS = ["kind", "status", "product_id"];
// Jobs that make no media of their own: a product's analysis shows on the Products page,
// a chat run's media are generations of their own.
const NOT_MEDIA = new Set(["product_analysis", "chat"]);
// A page whose items are all hidden is skipped; this many at most, then "More" is offered.
const MAX_SKIPPED_PAGES = 5;

const gallery = $("generations");
const more = $("more");
const empty = $("gen-empty");
let cursor = null;
let shown = 0;
let loading = 0;  // which load is current: a newer filter choice wins over a slow older answer

// --- filters in the URL -------------------------------------------------------------------

function chosen() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ""]));
}

function listPath(filters) {
  const query = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) query.set(name, filters[name]);
  const text = query.toString();
  return `/api/v1/generations${text ? `?${text}` : ""}`;
}

function showFilters(filters) {
  for (const name of FILTERS) {
    const select = $("filters").elements[name];
    if (filters[name] && ![...select.options].some((option) => option.value === filters[name])) {
      select.append(el("option", { value: filters[name] }, filters[name]));  // e.g. a deleted product
    }
    select.value = filters[name];
  }
  $("clear-filters").hidden = !FILTERS.some((name) => filters[name]);
}

$("filters").addEventListener("change", () => {
  const form = new FormData($("filters"));
  const query = new URLSearchParams();
  for (const name of FILTERS) if (form.get(name)) query.set(name, form.get(name));
  const text = query.toString();
  history.pushState(null, "", `${location.pathname}${text ? `?${text}` : ""}`);
  reload();
});

$("clear-filters").addEventListener("click", () => {
  history.pushState(null, "", location.pathname);
  reload();
});

window.addEventListener("popstate", reload);

// --- live progress ------------------------------------------------------------------------

// Every running job on screen, followed until it ends. Following stops while the page is
// hidden (another tab, a locked phone) or left, and picks up again when it is shown.
const running = new Map();  // id → the card's fill(record)
let following = new AbortController();

function track(id, fill) {
  running.set(id, fill);
  const { signal } = following;
  follow(id, fill, { signal })
    .then((last) => { if (last && ENDED.has(last.status)) running.delete(id); })
    .catch((error) => { if (!signal.aborted) showError("page-error", error); });
}

function stopFollowing() {
  following.abort();
  following = new AbortController();
}

document.addEventListener("visibilitychange", () => {
  stopFollowing();
  if (!document.hidden) for (const [id, fill] of running) track(id, fill);
});
window.addEventListener("pagehide", stopFollowing);

// --- cards --------------------------------------------------------------------------------

const detailPath = (record) => `/dashboard/generations/${encodeURIComponent(record.id)}`;

function mediaBox(record) {
  const outputs = outputsOf(record);
  if (record.status === "succeeded" && outputs.length) {
    const [first] = outputs;
    const media = mediaOf(record, first, outputs.length);
    const box = el("div", { class: "gen-media" },
      first.video ? media : el("a", { href: detailPath(record), tabindex: "-1" }, media));
    if (outputs.length > 1) box.append(el("span", { class: "gen-count" }, `+${outputs.length - 1}`));
    return box;
  }
  const note = ENDED.has(record.status)
    ? (record.status === "cancelled" ? "Cancelled" : "No output")
    : (record.status === "queued"
      ? `Queued${record.queue_position ? ` · #${record.queue_position} in line` : ""}`
      : `Rendering · ${record.progress}%`);
  return el("div", { class: `gen-media gen-placeholder ${record.status}` }, el("span", {}, note));
}

function fillCard(node, record) {
  const outputs = outputsOf(record);
  const progress = progressView();
  progress.update(record);
  node.dataset.status = record.status;
  node.setAttribute("aria-label", `${kindLabel(record.kind)}, ${record.status}`);
  node.replaceChildren(
    mediaBox(record),
    el("div", { class: "gen-body" },
      el("div", { class: "gen-head" },
        el("span", { class: "badge kind" }, kindLabel(record.kind)), progress.node),
      record.prompt ? el("p", { class: "gen-prompt" }, record.prompt) : null,
      record.kind === "ad" ? adCopyOf(outputs[0]?.copy) : null,
      record.status === "failed" && record.error ? el("p", { class: "error" }, record.error) : null,
      el("p", { class: "gen-when" }, when(record.created_at), ` · ${record.credits_used} credits`),
      el("div", { class: "actions" },
        el("a", { class: "button", href: detailPath(record), "aria-label": `Open ${kindLabel(record.kind).toLowerCase()} details` }, "Open"),
        outputs.length ? downloadsOf(record, outputs[0], outputs.length) : null)));
}

function card(record) {
  const node = el("article", {
    class: "card gen-card",
    dataset: { id: record.id, kind: record.kind },
  });
  fillCard(node, record);
  if (!ENDED.has(record.status)) track(record.id, (update) => fillCard(node, update));
  return node;
}

// --- loading ------------------------------------------------------------------------------

function showEmpty(filters) {
  const filtered = FILTERS.some((name) => filters[name]);
  empty.replaceChildren(...(filtered
    ? ["No generations match these filters."]
    : ["No generations yet. Make one in the ", el("a", { href: "/dashboard/playground" }, "Playground"), "."]));
  empty.hidden = shown > 0;
}

async function loadPage(filters, current) {
  let skipped = 0;
  let added = 0;
  do {
    const page = await pageOf(listPath(filters), cursor, PAGE_SIZE);
    if (current !== loading) return;
    cursor = page.next;
    const visible = filters.kind ? page.items : page.items.filter((item) => !NOT_MEDIA.has(item.kind));
    gallery.append(...visible.map(card));
    added += visible.length;
  } while (!added && cursor && ++skipped < MAX_SKIPPED_PAGES);
  shown += added;
  more.hidden = !cursor;
  showEmpty(filters);
}

function reload() {
  const filters = chosen();
  showFilters(filters);
  stopFollowing();
  running.clear();
  gallery.replaceChildren();
  cursor = null;
  shown = 0;
  empty.hidden = true;
  more.hidden = true;
  const current = ++loading;
  gallery.setAttribute("aria-busy", "true");
  return attempt("page-error", () => loadPage(filters, current))
    .finally(() => { if (current === loading) gallery.removeAttribute("aria-busy"); });
}

more.addEventListener("click", () => {
  more.disabled = true;
  attempt("page-error", () => loadPage(chosen(), loading)).finally(() => { more.disabled = false; });
});

async function loadProducts() {
  const products = await all("/api/v1/products");
  const select = $("filters").elements.product_id;
  const wanted = chosen().product_id;
  select.replaceChildren(select.options[0],
    ...products.map((product) => el("option", { value: product.id }, product.name ?? "Unnamed product")));
  showFilters({ ...chosen(), product_id: wanted });
}

reload();
attempt("page-error", loadProducts);
