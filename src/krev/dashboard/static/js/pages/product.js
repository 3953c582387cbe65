// One product: its pictures and facts, a form to correct its analysis (PATCH, with the
// published taxonomy's categories, types and materials), and delete.

import { api } from "../api.js";
import { $, attempt, el, text, when } from "../dom.js";
import {
  POLL_MS, colorSwatches, isAnalyzing, materialsText, nameOf, pictures, statusBadge,
} from "../products-facts.js";

const id = $("product").dataset.id;
const one = `/api/v1/products?id=${encodeURIComponent(id)}`;
let product = null;

// --- the facts -------------------------------------------------------------------------

function fact(term, value) {
  return [el("dt", {}, term), el("dd", {}, value instanceof Node ? value : text(value))];
}

function show(next) {
  const picturesChanged = !product || product.status !== next.status;
  product = next;
  const name = nameOf(product);
  document.title = `${name} · Krev`;
  $("product-name").textContent = name;
  $("product-status").replaceChildren(statusBadge(product));
  if (picturesChanged) $("product-pictures").replaceChildren(pictures(product, { large: true }));
  const { metadata } = product;
  $("product-facts").replaceChildren(
    ...fact("Brand", metadata.brandName),
    ...fact("Product line", metadata.productName),
    ...fact("Type", metadata.productType),
    ...fact("Category", product.category),
    ...fact("Colors", colorSwatches(metadata)),
    ...fact("Materials", materialsText(metadata)),
    ...fact("Added", when(product.created_at)),
    ...(product.status === "failed" ? fact("Analysis", product.error ?? "failed") : []),
  );
  $("product").removeAttribute("aria-busy");
  const waiting = isAnalyzing(product);
  $("edit-wait").hidden = !waiting;
  $("edit-fields").disabled = waiting;
}

async function load() {
  show((await api("GET", one)).data);
  while (isAnalyzing(product)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    show((await api("GET", one)).data);
  }
  fillForm();
}

// --- correcting ------------------------------------------------------------------------

let taxonomy = null;

function fillTaxonomy(found) {
  taxonomy = found;
  $("edit-category").append(...found.categories.map(({ name }) => el("option", { value: name }, name)));
  // Types grouped by category; forms that hold many categories' products ("bottle") last.
  const groups = [...found.categories.map(({ name }) => name), null];
  $("edit-type").append(...groups.map((category) => el("optgroup",
    { label: category ?? "any category" },
    found.product_types.filter((type) => type.category === category)
      .map((type) => el("option", { value: type.name }, type.name)))));
  $("edit-materials").append(...found.materials.map((material) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "material", value: material }), ` ${material}`)));
}

const colorList = (value) => value.split(",").map((word) => word.trim()).filter(Boolean);
const checkedMaterials = () => [...document.querySelectorAll('input[name="material"]:checked')]
  .map((box) => box.value);
const sameList = (a, b) => a.length === b.length && a.every((item, index) => item === b[index]);

function fillForm() {
  if (!product || !taxonomy) return;
  const { metadata } = product;
  $("edit-name").value = product.name ?? "";
  $("edit-brand").value = metadata.brandName ?? "";
  $("edit-line").value = metadata.productName ?? "";
  $("edit-category").value = product.category ?? "";
  $("edit-type").value = metadata.productType ?? "";
  $("edit-colors").value = (metadata.colors ?? []).join(", ");
  const materials = new Set(metadata.materials ?? []);
  for (const box of document.querySelectorAll('input[name="material"]')) {
    box.checked = materials.has(box.value);
  }
}

// Only what the user changed: a name left as it was stays derived from the brand and line.
function correction() {
  const { metadata } = product;
  const body = {};
  const changes = {};
  const field = (value) => value.trim() || null; // empty clears
  const name = field($("edit-name").value);
  if (name !== (product.name ?? null)) body.name = name;
  const category = $("edit-category").value || null;
  if (category !== (product.category ?? null)) body.category = category;
  const brand = field($("edit-brand").value);
  if (brand !== (metadata.brandName ?? null)) changes.brandName = brand;
  const line = field($("edit-line").value);
  if (line !== (metadata.productName ?? null)) changes.productName = line;
  const type = $("edit-type").value || null;
  if (type !== (metadata.productType ?? null)) changes.productType = type;
  const colors = colorList($("edit-colors").value);
  if (!sameList(colors, metadata.colors ?? [])) changes.colors = colors;
  const materials = checkedMaterials();
  if (!sameList([...materials].sort(), [...(metadata.materials ?? [])].sort())) {
    changes.materials = materials;
  }
  if (Object.keys(changes).length) body.metadata = changes;
  return body;
}

// A type that belongs to one category brings its category along.
$("edit-type").addEventListener("change", () => {
  const chosen = taxonomy?.product_types.find((type) => type.name === $("edit-type").value);
  if (chosen?.category) $("edit-category").value = chosen.category;
});

$("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("edit-done").textContent = "";
  await attempt("edit-error", async () => {
    const body = correction();
    if (!Object.keys(body).length) {
      $("edit-done").textContent = "Nothing to save: nothing was changed.";
      return;
    }
    const { data } = await api("PATCH", one, body);
    show(data);
    fillForm();
    $("edit-done").textContent = "Saved.";
  });
});

// --- deleting --------------------------------------------------------------------------

$("delete-product").addEventListener("click", () => attempt("delete-error", async () => {
  if (!confirm(`Delete “${nameOf(product ?? {})}”? Its photo and cutout are deleted too.`)) return;
  await api("DELETE", one);
  location.assign("/dashboard/products");
}));

attempt("page-error", async () => {
  const [found] = await Promise.all([api("GET", "/api/v1/products/taxonomy"), load()]);
  fillTaxonomy(found.data);
  fillForm();
});
