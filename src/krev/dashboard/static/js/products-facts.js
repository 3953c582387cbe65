// A product as the products gallery and the product page show it: the original and the cutout
// on a checkerboard, its analysis status, colors as swatches named in words, materials.
// Everything the user or the analysis wrote is set as text.

import { el } from "./dom.js";

export const POLL_MS = 1500; // how often an analysing product is asked about again

const STATUS = {
  analyzing: { label: "Analyzing…", badge: "processing" },
  ready: { label: "Ready", badge: "succeeded" },
  failed: { label: "Analysis failed", badge: "failed" },
};

export const isAnalyzing = (product) => product.status === "analyzing";

export const productPath = (id) => `/dashboard/products/${encodeURIComponent(id)}`;

// An upload sent without a name has none until its analysis names it.
export function nameOf(product) {
  if (product.name) return product.name;
  return isAnalyzing(product) ? "New product" : "Unnamed product";
}

export function statusBadge(product) {
  const known = STATUS[product.status] ?? { label: product.status, badge: "" };
  return el("span", { class: `badge ${known.badge}`, role: "status" }, known.label);
}

// The brand and the type in one line ("Aura · jar"), or null when analysis found neither.
export function brandAndType(product) {
  const parts = [product.metadata.brandName, product.metadata.productType].filter(Boolean);
  return parts.length ? parts.join(" · ") : null;
}

export function colorSwatches(metadata) {
  const names = metadata.colors ?? [];
  if (!names.length) return null;
  return el("ul", { class: "product-colors", "aria-label": "Colors" }, names.map((name, index) => {
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    // CSSOM, which the page's Content-Security-Policy allows (a style attribute it would not).
    swatch.style.backgroundColor = metadata.color_hex?.[index] ?? name;
    return el("li", {}, swatch, " ", name);
  }));
}

export const materialsText = (metadata) => (metadata.materials ?? []).join(", ") || null;

function picture(src, alt, { checker, placeholder, lazy }) {
  const content = src
    ? el("img", { src, alt, loading: lazy ? "lazy" : undefined, decoding: "async" })
    : el("span", { class: "product-picture-placeholder" }, placeholder);
  return el("figure", { class: checker ? "product-picture checker" : "product-picture" }, content);
}

// The original beside its cutout (a placeholder while the background is being removed, or
// when the upload skipped it).
export function pictures(product, { lazy = false, large = false } = {}) {
  const name = nameOf(product);
  const cutoutMissing = isAnalyzing(product) ? "Removing the background…" : "No cutout";
  return el("div", { class: large ? "product-pictures large" : "product-pictures" },
    picture(product.image_url, `Photo of ${name}`, { lazy }),
    picture(product.segmented_image_url, `Cutout of ${name}`,
      { checker: true, placeholder: cutoutMissing, lazy }));
}
