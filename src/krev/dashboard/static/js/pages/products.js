// The products gallery: drop or choose photos (several at once, each with its own progress),
// follow their analysis, and browse the catalog a page at a time.

import { api, pageOf } from "../api.js";
import { $, attempt, el, showError } from "../dom.js";
import {
  POLL_MS, brandAndType, colorSwatches, isAnalyzing, materialsText, nameOf, pictures,
  productPath, statusBadge,
} from "../products-facts.js";
import { PARALLEL_UPLOADS, eachLimited, fileSize, uploadProduct } from "../products-upload.js";

const PRODUCTS = "/api/v1/products";
const PAGE_SIZE = 24;
const MAX_PAGE = 100; // the API's largest page

const gallery = $("products");
const shown = new Map(); // product id -> its latest record
const uploadRows = new Map(); // product id -> the upload row that brought it in
let nextCursor = null;

// --- the gallery -----------------------------------------------------------------------

function card(product) {
  const name = nameOf(product);
  const line = brandAndType(product);
  const materials = materialsText(product.metadata);
  return el("li", { class: "product-card", dataset: { id: product.id } },
    pictures(product, { lazy: true }),
    el("div", { class: "product-card-body" },
      el("h3", { class: "product-name" }, el("a", { href: productPath(product.id) }, name)),
      line && el("p", { class: "product-line" }, line),
      colorSwatches(product.metadata),
      materials && el("p", { class: "product-materials" }, materials),
      product.status === "failed" && product.error && el("p", { class: "error" }, product.error),
      el("div", { class: "product-status" }, statusBadge(product))));
}

function render(product) {
  shown.set(product.id, product);
  const fresh = card(product);
  const existing = gallery.querySelector(`[data-id="${CSS.escape(product.id)}"]`);
  if (existing) existing.replaceWith(fresh);
  return fresh;
}

function emptyState() {
  $("products-empty").hidden = shown.size > 0;
}

function append(products) {
  for (const product of products) {
    if (!shown.has(product.id)) gallery.append(render(product));
  }
  emptyState();
  following();
}

function prepend(product) {
  if (shown.has(product.id)) render(product);
  else gallery.prepend(render(product));
  emptyState();
  following();
}

function forget(id) {
  shown.delete(id);
  gallery.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  emptyState();
}

async function loadPage() {
  const page = await pageOf(PRODUCTS, nextCursor, PAGE_SIZE);
  nextCursor = page.next;
  $("more").hidden = !nextCursor;
  append(page.items);
}

// --- following analyses ----------------------------------------------------------------

function updated(product) {
  if (!shown.has(product.id)) return;
  // Drawn again only when its status moves: the images already shown stay in place.
  if (shown.get(product.id).status !== product.status) render(product);
  else shown.set(product.id, product);
  uploadRows.get(product.id)?.analysed(product);
  if (!isAnalyzing(product)) uploadRows.delete(product.id);
}

// One list call a round for every analysing product among the newest (they are the new
// uploads, listed first); only one the list no longer reaches is asked about by id.
async function refreshAnalyzing() {
  const ids = [...gallery.children].map((node) => node.dataset.id); // newest first
  const waiting = ids.filter((id) => isAnalyzing(shown.get(id)));
  if (!waiting.length) return;
  const reach = Math.max(...waiting.map((id) => ids.indexOf(id))) + 1;
  const seen = new Set();
  if (reach <= MAX_PAGE) {
    const { items } = await pageOf(PRODUCTS, null, reach);
    for (const product of items) {
      seen.add(product.id);
      updated(product);
    }
  }
  for (const id of waiting.filter((id) => !seen.has(id))) {
    try {
      updated((await api("GET", `${PRODUCTS}?id=${encodeURIComponent(id)}`)).data);
    } catch (error) {
      if (error.status !== 404) throw error;
      forget(id); // deleted elsewhere meanwhile
    }
  }
}

let followingNow = false;
async function following() {
  if (followingNow) return;
  followingNow = true;
  try {
    while ([...shown.values()].some(isAnalyzing)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await attempt("page-error", refreshAnalyzing);
    }
  } finally {
    followingNow = false;
  }
}

// --- uploads ---------------------------------------------------------------------------

function uploadRow(file, list) {
  const bar = el("progress", { max: "100", value: "0", "aria-label": `Upload of ${file.name}` });
  const state = el("span", { class: "upload-state", role: "status" }, "Waiting…");
  const problem = el("p", { class: "error", role: "alert", hidden: true });
  const node = el("li", { class: "product-upload" },
    el("span", { class: "upload-name" }, file.name),
    el("span", { class: "upload-size" }, fileSize(file.size)),
    bar, state, problem);
  list.append(node);
  const settle = (kind, words) => {
    node.classList.add(kind);
    bar.hidden = true;
    state.textContent = words;
  };
  return {
    progress(fraction) {
      const percent = Math.round(fraction * 100);
      bar.value = percent;
      state.textContent = percent < 100 ? `Uploading ${percent}%` : "Checking the image…";
    },
    analysing() {
      bar.removeAttribute("value"); // indeterminate: analysis reports no percentage here
      state.textContent = "Analyzing…";
    },
    analysed(product) {
      if (product.status === "ready") settle("done", `Added as ${nameOf(product)}`);
      else if (product.status === "failed") {
        settle("failed", "Analysis failed");
        showError(problem, product.error ?? "The analysis failed.");
      }
    },
    refused(error) {
      settle("failed", "Not added");
      showError(problem, error);
    },
  };
}

async function uploadOne({ file, row }) {
  row.progress(0);
  try {
    const product = await uploadProduct(file, (fraction) => row.progress(fraction));
    if (isAnalyzing(product)) {
      row.analysing();
      uploadRows.set(product.id, row);
    } else {
      row.analysed(product);
    }
    prepend(product);
  } catch (error) {
    row.refused(error);
  }
}

// Every file of a drop or choice gets its row at once (waiting its turn); the batch is listed
// above the earlier ones, in the order it was given.
function upload(files) {
  const batch = document.createDocumentFragment();
  const items = [...files].map((file) => ({ file, row: uploadRow(file, batch) }));
  $("uploads").prepend(batch);
  if (items.length) eachLimited(items, PARALLEL_UPLOADS, uploadOne);
}

const input = $("product-files");
input.addEventListener("change", () => {
  upload(input.files);
  input.value = ""; // the same photo may be chosen again
});

const zone = $("dropzone");
const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
for (const type of ["dragenter", "dragover"]) {
  zone.addEventListener(type, (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
}
zone.addEventListener("dragleave", (event) => {
  if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
});
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("dragging");
  upload(event.dataTransfer.files);
});
// A photo dropped beside the zone must not replace the page with the image.
for (const type of ["dragover", "drop"]) {
  window.addEventListener(type, (event) => {
    if (carriesFiles(event) && !zone.contains(event.target)) event.preventDefault();
  });
}

$("more").addEventListener("click", () => attempt("page-error", loadPage));

attempt("page-error", loadPage);
