// The playground's pickers: tiles with a picture (a product's cutout, a preset's or an ad
// style's thumbnail), each a real radio button or checkbox with its label, so keyboards,
// screen readers and tests use them as the form controls they are.

import { el } from "./dom.js";

export const humanize = (id) => id.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

// One tile. `picture`: an image URL or null (a tile of text only, e.g. "No preset").
function tile({ type, name, value, label, picture, alt, checker, disabled, reason, checked }) {
  const input = el("input", { type, name, value, disabled, checked });
  const image = picture
    ? el("img", { src: picture, alt, loading: "lazy", decoding: "async", class: checker ? "checker" : null })
    : el("span", { class: "pg-tile-blank", "aria-hidden": "true" }, "—");
  return el("label", { class: `pg-tile${disabled ? " disabled" : ""}` },
    input, image,
    el("span", { class: "pg-tile-name" }, label),
    reason ? el("span", { class: "pg-tile-reason" }, reason) : null);
}

// The user's products, for `product_id` (one, radio buttons, with a "None" tile) or
// `product_ids` (several, checkboxes). Products still analysing or failed are shown but
// cannot be chosen: the API would refuse them (409 / 400).
export function productTiles(products, { multiple, noneLabel, chosen = [] }) {
  const tiles = products.map((product) => {
    const ready = product.status === "ready";
    return tile({
      type: multiple ? "checkbox" : "radio",
      name: "product",
      value: product.id,
      label: product.name ?? "Unnamed product",
      picture: product.segmented_image_url ?? product.image_url,
      alt: "",  // the tile's text names the product; the picture repeats it
      checker: Boolean(product.segmented_image_url),
      disabled: !ready,
      reason: ready ? null : product.status === "analyzing" ? "Still being analysed" : "Analysis failed",
      checked: ready && chosen.includes(product.id),
    });
  });
  if (!multiple) {
    tiles.unshift(tile({ type: "radio", name: "product", value: "", label: noneLabel, checked: !chosen.length }));
  }
  for (const node of tiles) {
    const input = node.querySelector("input");
    if (input.disabled) input.dataset.unavailable = ""; // stays disabled whatever else is chosen
  }
  return tiles;
}

// Presets (`preset_id`) or ad styles (`style_id`): a "none" tile, then one per option with its
// thumbnail. `options`: [{ id, name, description, thumbnail_url }].
export function optionTiles(options, { field, noneLabel, noun }) {
  return [
    tile({ type: "radio", name: field, value: "", label: noneLabel, checked: true }),
    ...options.map((option) => tile({
      type: "radio",
      name: field,
      value: option.id,
      label: option.name ?? humanize(option.id),
      picture: sameOrigin(option.thumbnail_url),
      alt: `A small rendering of the ${option.name ?? humanize(option.id)} ${noun}`,
    })),
  ];
}

// Thumbnails are served by this server; its signed public URL may name another host (a proxy's),
// while the page's Content-Security-Policy allows this origin. The path is the same.
function sameOrigin(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

// Limits a checkbox group to `max` checked: the others are disabled while the group is full.
export function limitChecked(container, max) {
  const update = () => {
    const boxes = [...container.querySelectorAll("input[type=checkbox]:not([data-unavailable])")];
    const full = boxes.filter((box) => box.checked).length >= max;
    for (const box of boxes) box.disabled = !box.checked && full;
  };
  container.addEventListener("change", update);
  update();
}
