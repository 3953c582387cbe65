// How a generation shows on the dashboard, shared by the gallery and the record page: its
// outputs (images, playable videos, ads with their copy), download links, the words it was
// asked for and what the engine made of them. Everything the user or an engine wrote is set
// as text.

import { el } from "./dom.js";

const KIND_LABELS = { image: "Image", video: "Video", ad: "Ad" };
export const kindLabel = (kind) => KIND_LABELS[kind] ?? kind.replaceAll("_", " ");

const VIDEO_PATH = /\.(mp4|webm|mov)$/i;
const pathOf = (url) => new URL(url, location.href).pathname;
export const isVideo = (url) => VIDEO_PATH.test(pathOf(url));

// The storage serves an image in another encoding on request (?format=png|jpeg); the
// signature covers the object, not the format, so the signed URL stays valid.
export function inFormat(url, format) {
  const converted = new URL(url, location.href);
  converted.searchParams.set("format", format);
  return converted.href;
}

// The outputs of a finished generation: [{ url, video, copy }] in the order the API lists them.
export function outputsOf(record) {
  const output = record.output;
  if (!output) return [];
  return (output.urls ?? []).map((url, index) => ({
    url,
    index,
    video: isVideo(url),
    poster: isVideo(url) ? output.poster_url : undefined,
    copy: output.ad_copies?.[index],
  }));
}

const altOf = (record, item, total) => {
  const what = total > 1 ? `${kindLabel(record.kind)} ${item.index + 1} of ${total}` : kindLabel(record.kind);
  return record.prompt ? `${what}: ${record.prompt}` : `Generated ${what.toLowerCase()}`;
};

// One output as an <img> or a playable <video>; `large` for the record page.
export function mediaOf(record, item, total, { large = false } = {}) {
  const output = record.output ?? {};
  const sized = { width: output.width, height: output.height };
  if (item.video) {
    return el("video", {
      class: large ? "gen-video large" : "gen-video",
      src: item.url,
      poster: item.poster,
      controls: true,
      playsinline: true,
      preload: "metadata",
      "aria-label": altOf(record, item, total),
      ...sized,
    });
  }
  return el("img", {
    class: large ? "gen-image large" : "gen-image",
    src: item.url,
    alt: altOf(record, item, total),
    loading: large ? "eager" : "lazy",
    decoding: "async",
    ...sized,
  });
}

// An ad's copy as Meta shows it: hook, headline, primary text and the button's label.
export function adCopyOf(copy) {
  if (!copy) return null;
  return el("div", { class: "ad-copy" },
    copy.hook ? el("p", { class: "ad-hook" }, copy.hook) : null,
    copy.headline ? el("p", { class: "ad-headline" }, copy.headline) : null,
    copy.body_copy ? el("p", { class: "ad-body" }, copy.body_copy) : null,
    copy.cta ? el("span", { class: "ad-cta" }, copy.cta) : null);
}

const fileName = (record, item, ext) => `krev-${record.kind}-${record.id.slice(0, 8)}-${item.index + 1}.${ext}`;

// Download links for one output: an MP4 for a video, PNG and JPEG for an image or an ad
// (the stored WebP converted by the storage, what Ads Manager and most tools take).
export function downloadsOf(record, item, total) {
  const label = total > 1 ? `${kindLabel(record.kind).toLowerCase()} ${item.index + 1}` : kindLabel(record.kind).toLowerCase();
  const link = (href, ext, name) => el("a", {
    class: "button secondary download",
    href,
    download: fileName(record, item, ext),
    "aria-label": `Download ${label} as ${name}`,
  }, name);
  if (item.video) return [link(item.url, "mp4", "MP4")];
  return [link(inFormat(item.url, "png"), "png", "PNG"), link(inFormat(item.url, "jpeg"), "jpg", "JPEG")];
}

// The engine that made it: "studio", or per part ("image: studio · copy: studio").
export function engineOf(output) {
  const engine = output?.engine;
  if (!engine) return null;
  if (typeof engine === "string") return engine;
  return Object.entries(engine).map(([part, name]) => `${part}: ${name}`).join(" · ");
}

const SCENE_FIELDS = [
  ["subject", "Subject"], ["surface", "Surface"], ["lighting", "Lighting"], ["camera", "Camera"],
  ["mood", "Mood"], ["tone", "Tone"], ["preset", "Preset"], ["props", "Props"],
  ["matched", "Words understood"], ["ignored", "Words ignored"],
];
const words = (value) => String(value).replaceAll("_", " ");

// What the engine understood of the prompt (output.scene), as [label, node-or-text] pairs;
// only what it found, so a bare prompt shows a short list.
export function sceneFacts(output) {
  const scene = output?.scene;
  if (!scene || typeof scene !== "object") return [];
  const facts = [];
  for (const [field, label] of SCENE_FIELDS) {
    const value = scene[field];
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) facts.push([label, value.map((item) => words(typeof item === "object" ? JSON.stringify(item) : item)).join(", ")]);
    } else if (typeof value !== "object") {
      facts.push([label, words(value)]);
    }
  }
  const colors = (scene.colors ?? []).filter((color) => color && color.hex);
  if (colors.length) {
    facts.push(["Colors", el("span", { class: "gen-colors" }, colors.map((color) => {
      const swatch = el("span", { class: "swatch", title: color.name ?? color.hex });
      swatch.style.background = color.hex;  // a style property, which the CSP allows
      return el("span", { class: "gen-color" }, swatch, " ", color.name ?? color.hex);
    }))]);
  }
  return facts;
}

// What else the output says about its shape, as [label, text] pairs.
export function outputFacts(output) {
  if (!output) return [];
  const facts = [];
  if (output.workflow) facts.push(["Workflow", words(output.workflow)]);
  if (output.style_name) facts.push(["Style", output.style_name]);
  if (output.aspect_ratio) facts.push(["Aspect ratio", output.aspect_ratio]);
  if (output.width && output.height) facts.push(["Size", `${output.width} × ${output.height} px`]);
  if (output.duration) facts.push(["Duration", `${output.duration} s${output.fps ? ` at ${output.fps} fps` : ""}`]);
  if (output.audio?.used) facts.push(["Audio", words(output.audio.used)]);
  return facts;
}

export function facts(pairs) {
  return pairs.flatMap(([label, value]) => [
    el("dt", {}, label),
    el("dd", {}, value instanceof Node ? value : String(value)),
  ]);
}
