// The playground: try an image, video or ad request in a form, see the same request as curl
// and Python, run it and follow the job to its result. Everything offered comes from the API:
// the user's products, the presets and ad styles, what this server's engines can render
// (GET /api/v1/capabilities) and what a job costs.

import { all, api } from "../api.js";
import { $, attempt, copyText, el, showError } from "../dom.js";
import { follow, progressView } from "../follow.js";
import { humanize, limitChecked, optionTiles, productTiles } from "../playground-pickers.js";
import { CALLS, curlOf, pythonOf } from "../playground-snippets.js";

const KINDS = ["image", "video", "ad"];
const MAX_PRODUCTS = 4;
const MAX_RUNS = 5; // results kept on the page, per kind
const NOUN = { image: "Image", video: "Video", ad: "Ad" };
const AD_SHAPES = { "1:1": "1:1 square feed", "4:5": "4:5 feed", "9:16": "9:16 story" };
const AUDIO = {
  auto: "Auto: a music bed, and a voice-over for UGC",
  off: "Off: no audio track",
  native: "Native: the video model's own audio",
};

const state = { capabilities: null, balance: null, presets: [], styles: [] };
const formOf = (kind) => $(`${kind}-form`);
const checked = (form, name) => form.querySelector(`input[name="${name}"]:checked`)?.value ?? "";
const trimmed = (form, name) => form.elements[name].value.trim();
const products = (form) => [...form.querySelectorAll('input[name="product"]:checked')]
  .map((input) => input.value).filter(Boolean);
const credits = (n) => n.toLocaleString("en-US");

// --- the request each form makes --------------------------------------------------------------
// Only what the user set, beside the fields every form shows a value for; the body is sent as
// it is and written out as curl and Python, so the three never differ.

const BODIES = {
  image(form) {
    const body = { prompt: form.elements.prompt.value };
    const chosen = products(form);
    if (chosen.length === 1) body.product_id = chosen[0];
    if (chosen.length > 1) body.product_ids = chosen;
    if (checked(form, "preset_id")) body.preset_id = checked(form, "preset_id");
    body.aspect_ratio = form.elements.aspect_ratio.value;
    body.image_count = Number(form.elements.image_count.value);
    if (form.elements.hd.checked) body.hd = true;
    const references = form.elements.reference_images;
    const urls = references.value.split("\n").map((line) => line.trim()).filter(Boolean);
    if (urls.length && !references.disabled) body.reference_images = urls;
    return body;
  },
  video(form) {
    const body = { prompt: form.elements.prompt.value };
    if (checked(form, "product")) body.product_id = checked(form, "product");
    if (trimmed(form, "source_image")) body.source_image = trimmed(form, "source_image");
    if (checked(form, "preset_id")) body.preset_id = checked(form, "preset_id");
    if (form.elements.aspect_ratio.value) body.aspect_ratio = form.elements.aspect_ratio.value;
    const duration = form.elements.duration.valueAsNumber;
    if (!Number.isNaN(duration)) body.duration = duration; // left out: the server's 5 s
    if (checked(form, "audio_mode")) body.audio_mode = checked(form, "audio_mode");
    return body;
  },
  ad(form) {
    const body = { brief: form.elements.brief.value, product_ids: products(form) };
    if (checked(form, "style_id")) body.style_id = checked(form, "style_id");
    if (form.elements.aspect_ratio.value) body.aspect_ratio = form.elements.aspect_ratio.value;
    body.image_count = Number(form.elements.image_count.value);
    if (trimmed(form, "brand_context")) body.brand_context = trimmed(form, "brand_context");
    if (trimmed(form, "inspiration_image")) body.inspiration_image = trimmed(form, "inspiration_image");
    return body;
  },
};

// What the request will be charged, from the server's prices: [credits, how it adds up].
const COSTS = {
  image(body, prices) {
    const each = body.hd ? prices.image_hd : prices.image;
    const images = `${body.image_count} image${body.image_count > 1 ? "s" : ""}`;
    return [body.image_count * each, `${images} × ${each}${body.hd ? " in 4K" : ""}`];
  },
  video(body, prices) {
    const seconds = body.duration ?? 5;
    return [seconds * prices.video_per_second, `${seconds} s × ${prices.video_per_second} a second`];
  },
  ad(body, prices) {
    return [body.image_count * prices.ad_image, `${body.image_count} ad${body.image_count > 1 ? "s" : ""} × ${prices.ad_image}`];
  },
};

function render(kind) {
  const body = BODIES[kind](formOf(kind));
  $(`${kind}-curl`).textContent = curlOf(kind, body, location.origin);
  $(`${kind}-python`).textContent = pythonOf(kind, body, location.origin);
  const cost = $(`${kind}-cost`);
  const prices = state.capabilities?.prices;
  if (!prices) {
    cost.textContent = "";
    return body;
  }
  const [amount, how] = COSTS[kind](body, prices);
  const short = state.balance !== null && amount > state.balance;
  cost.classList.toggle("short", short);
  cost.replaceChildren(
    el("strong", {}, `${credits(amount)} credits`), ` (${how})`,
    state.balance === null ? "" : short
      ? ` · you have ${credits(state.balance)}: not enough`
      : ` · you have ${credits(state.balance)}`,
  );
  return body;
}

const renderAll = () => KINDS.forEach(render);

// --- tabs ---------------------------------------------------------------------------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];

// `remember`: the URL names the tab, so a reload or a shared link opens it again.
function selectTab(tab, { focus = false, remember = true } = {}) {
  for (const each of tabs) {
    const on = each === tab;
    each.setAttribute("aria-selected", String(on));
    each.tabIndex = on ? 0 : -1;
    $(each.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  if (remember) {
    const url = new URL(location.href);
    url.searchParams.set("kind", tab.id.replace("tab-", ""));
    history.replaceState(null, "", url);
  }
}

for (const tab of tabs) tab.addEventListener("click", () => selectTab(tab));
document.querySelector('[role="tablist"]').addEventListener("keydown", (event) => {
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  selectTab(tabs[(to + tabs.length) % tabs.length], { focus: true });
});

// --- what this server offers --------------------------------------------------------------------

function engineLine(kind, parts, note) {
  const node = $(`${kind}-engine`);
  node.replaceChildren(el("p", {}, parts));
  if (note) {
    node.append(el("details", {}, el("summary", {}, "What this engine can render"), el("p", {}, note)));
  }
}

function fillSelect(select, values, labels = {}, chosen) {
  select.replaceChildren(...values.map((value) =>
    el("option", { value, selected: value === chosen }, labels[value] ?? value)));
}

function offerProducts(kind, list, { multiple, noneLabel, unavailable, chosen }) {
  const picker = $(`${kind}-products`).querySelector("[data-products]");
  const hint = $(`${kind}-products-hint`);
  if (!list.length) {
    picker.replaceChildren();
    hint.replaceChildren("You have no products yet: ",
      el("a", { href: "/dashboard/products" }, "upload one on Products"),
      kind === "ad" ? " to make ads of it." : " to place it in a scene.");
    return;
  }
  picker.replaceChildren(...productTiles(list, { multiple, noneLabel, chosen }));
  if (unavailable) {
    for (const input of picker.querySelectorAll("input")) {
      input.disabled = true;
      input.dataset.unavailable = "";
    }
    hint.textContent = unavailable;
  }
  if (multiple) limitChecked(picker, MAX_PRODUCTS);
}

function describeChoice(container, about, options, none) {
  const update = () => {
    const id = checked(container, container.querySelector("input")?.name ?? "");
    const option = options.find((each) => each.id === id);
    about.textContent = option ? `${option.name ?? humanize(option.id)}: ${option.description}` : none;
  };
  container.addEventListener("change", update);
  update();
}

function offerImage(capabilities, presets, productList, chosen) {
  const image = capabilities.image;
  engineLine("image", [
    "Rendered by ", el("strong", {}, image.engine),
    image.fallback && image.fallback !== image.engine ? ` (falling back to ${image.fallback})` : "",
    ".",
  ], image.note);
  $("image-prompt-hint").textContent = image.text_only_subjects
    ? "Describe the picture; the engine draws what the prompt names."
    : `The ${image.engine} engine draws sets and places your products: choose a product, name `
      + "one of yours in the prompt, or describe only the set.";
  offerProducts("image", productList, {
    multiple: true,
    chosen,
    unavailable: image.product_scenes ? null
      : `The ${image.engine} engine cannot keep products faithful in a scene, so none can be chosen.`,
  });
  if (productList.length && image.product_scenes) {
    $("image-products-hint").textContent = "One product, or several for a multi-product scene.";
  }
  const presetBox = $("image-presets");
  presetBox.querySelector("[data-presets]").replaceChildren(
    ...optionTiles(presets, { field: "preset_id", noneLabel: "No preset", noun: "preset" }));
  describeChoice(presetBox, $("image-preset-about"), presets, "No preset: the prompt alone sets the scene.");
  $("image-hd-hint").textContent = `Upscaled to 4096 px by ${image.upscale_engine}; `
    + `${capabilities.prices.image_hd} credits an image instead of ${capabilities.prices.image}.`;
  const references = $("image-references");
  references.disabled = !image.reference_images;
  if (!image.reference_images) {
    $("image-references-hint").textContent = `The ${image.engine} engine does not use reference images.`;
  }
}

function offerVideo(capabilities, presets, productList, chosen) {
  const video = capabilities.video;
  engineLine("video", ["Rendered by ", el("strong", {}, video.engine),
    video.fallback && video.fallback !== video.engine ? ` (falling back to ${video.fallback})` : "", "."]);
  $("video-prompt-hint").textContent = (video.text_only_subjects
    ? "Describe the shot; the engine draws what the prompt names. "
    : `The ${video.engine} engine films your products: choose one (or a source image) to show it; `
      + "without either, describe only the set. ")
    + "Creator words (UGC, unboxing, testimonial) choose the UGC workflow.";
  offerProducts("video", productList, { multiple: false, noneLabel: "No product", chosen: chosen.slice(0, 1) });
  const presetBox = $("video-presets");
  presetBox.querySelector("[data-presets]").replaceChildren(
    ...optionTiles(presets, { field: "preset_id", noneLabel: "No preset", noun: "preset" }));
  describeChoice(presetBox, $("video-preset-about"), presets, "No preset: the prompt alone sets the scene.");
  fillSelect($("video-aspect"), video.aspect_ratios, { "16:9": "16:9 landscape", "9:16": "9:16 portrait", "1:1": "1:1 square" }, "16:9");
  const [shortest, longest] = video.durations;
  Object.assign($("video-duration"), { min: shortest, max: longest });
  $("video-duration-hint").textContent = `Whole seconds, ${shortest} to ${longest}; `
    + `${capabilities.prices.video_per_second} credits a second.`;
  const audio = $("video-audio");
  const hint = $("video-audio-hint");
  audio.replaceChildren(audio.querySelector("legend"), ...video.audio_modes.map((mode) => {
    const unavailable = mode === "native" && !video.native_audio
      ? `The ${video.engine} engine makes no audio of its own.` : null;
    const id = `video-audio-${mode}`;
    return el("div", { class: "pg-radio" },
      el("input", { type: "radio", id, name: "audio_mode", value: mode, checked: mode === "auto",
        disabled: Boolean(unavailable), "aria-describedby": unavailable ? `${id}-why` : null }),
      el("label", { for: id }, AUDIO[mode] ?? humanize(mode)),
      unavailable ? el("span", { class: "pg-why", id: `${id}-why` }, unavailable) : null);
  }), hint);
  hint.textContent = video.speech_available ? ""
    : `Voice-overs need speech, which this server's ${video.speech_engine} engine cannot do here: `
      + "UGC videos carry captions only.";
}

function offerAd(capabilities, styles, productList, chosen) {
  const ad = capabilities.ad;
  engineLine("ad", ["Scenes by ", el("strong", {}, ad.image_engine), ", copy by ",
    el("strong", {}, ad.copy_engine),
    ad.copy_fallback && ad.copy_fallback !== ad.copy_engine ? ` (falling back to ${ad.copy_fallback})` : "", "."]);
  offerProducts("ad", productList, { multiple: true, chosen });
  if (productList.length) $("ad-products-hint").textContent = "Analysed products: their names, colors and type feed the copy.";
  const offered = styles.filter((style) => ad.styles.includes(style.id));
  const styleBox = $("ad-styles");
  styleBox.querySelector("[data-styles]").replaceChildren(
    ...optionTiles(offered, { field: "style_id", noneLabel: "Brief chooses", noun: "ad style" }));
  describeChoice(styleBox, $("ad-style-about"), offered, "No style: the brief's words choose one.");
  fillSelect($("ad-aspect"), ad.aspect_ratios, AD_SHAPES, ad.aspect_ratios.includes("4:5") ? "4:5" : ad.aspect_ratios[0]);
}

async function refreshBalance() {
  const { data } = await api("GET", "/api/v1/credits");
  state.balance = data.credits.current;
  renderAll();
}

async function load() {
  const wanted = new URL(location.href).searchParams;
  const [capabilities, presets, styles, productList, credit] = await Promise.all([
    api("GET", "/api/v1/capabilities"),
    api("GET", "/api/v1/presets"),
    api("GET", "/api/v1/ads/styles"),
    all("/api/v1/products"),
    api("GET", "/api/v1/credits"),
  ]);
  state.capabilities = capabilities.data;
  state.balance = credit.data.credits.current;
  const chosen = wanted.getAll("product");
  offerImage(capabilities.data, presets.data, productList, chosen);
  offerVideo(capabilities.data, presets.data, productList, chosen);
  offerAd(capabilities.data, styles.data, productList, chosen);
  renderAll();
}

// --- running a request --------------------------------------------------------------------------

function outputsOf(kind, generation) {
  const urls = generation.output?.urls ?? [];
  if (kind === "video") {
    return urls.map((url) => el("figure", { class: "pg-output" },
      el("video", { src: url, controls: true, playsinline: true, preload: "auto" }),
      el("figcaption", {}, el("a", { href: url, download: "" }, "Download MP4"))));
  }
  const copies = generation.output?.ad_copies ?? [];
  return urls.map((url, index) => {
    const alt = `${kind === "ad" ? "Ad" : "Generated image"} ${index + 1} of ${urls.length}`;
    const figure = el("figure", { class: "pg-output" },
      el("a", { href: url, target: "_blank", rel: "noopener" }, el("img", { src: url, alt })));
    const copy = copies[index];
    if (copy) {
      const formats = ["png", "jpeg"].map((format) => {
        const link = new URL(url);
        link.searchParams.set("format", format);
        return el("a", { href: link.href, download: "" }, format.toUpperCase());
      });
      figure.append(el("figcaption", {},
        el("dl", { class: "facts pg-copy-facts" },
          el("dt", {}, "Style"), el("dd", {}, copy.style_name),
          el("dt", {}, "Hook"), el("dd", {}, copy.hook),
          el("dt", {}, "Headline"), el("dd", {}, copy.headline),
          el("dt", {}, "Primary text"), el("dd", {}, copy.body_copy),
          el("dt", {}, "Button"), el("dd", {}, copy.cta)),
        el("p", { class: "pg-downloads" }, "Download for Ads Manager: ", formats[0], " · ", formats[1])));
    }
    return figure;
  });
}

function runView(kind, generationId, summary) {
  const progress = progressView();
  const failure = el("p", { class: "error", role: "alert", hidden: true });
  const outputs = el("div", { class: `pg-outputs pg-outputs-${kind}` });
  const used = el("span", { class: "pg-used" });
  const node = el("article", { class: "card pg-run", "aria-label": `${NOUN[kind]} run` },
    el("div", { class: "pg-run-head" },
      el("h3", {}, NOUN[kind]),
      progress.node,
      used,
      el("a", { href: `/dashboard/generations/${encodeURIComponent(generationId)}` }, "Generation page")),
    el("p", { class: "pg-run-summary" }, summary),
    failure, outputs);
  return {
    node,
    update: progress.update,
    finish(generation) {
      progress.update(generation);
      if (generation.status === "succeeded") {
        used.textContent = `${credits(generation.credits_used)} credits`;
        outputs.replaceChildren(...outputsOf(kind, generation));
      } else {
        showError(failure, generation.error ?? `The job was ${generation.status}; its credits were refunded.`);
      }
    },
    fail(error) { showError(failure, error); },
  };
}

async function run(kind, event) {
  event.preventDefault();
  const body = render(kind);
  const button = $(`${kind}-submit`);
  showError(`${kind}-error`, null);
  button.disabled = true;
  let accepted;
  try {
    // Accepted at once (202), so the job's whole progress shows here, not only its end.
    ({ data: accepted } = await api("POST", CALLS[kind].path, body, { headers: { Prefer: "respond-async" } }));
  } catch (error) {
    showError(`${kind}-error`, error);
    return;
  } finally {
    button.disabled = false;
  }
  const summary = kind === "ad" ? body.brief : body.prompt;
  const view = runView(kind, accepted.generation_id, summary);
  const runs = $(`${kind}-runs`);
  runs.prepend(view.node);
  while (runs.children.length > MAX_RUNS) runs.lastElementChild.remove();
  view.update({ status: accepted.status ?? "queued", progress: 0 });
  attempt("page-error", refreshBalance); // the reservation shows at once
  try {
    view.finish(await follow(accepted.generation_id, view.update));
  } catch (error) {
    view.fail(error);
  }
  attempt("page-error", refreshBalance); // a failed job's refund
}

// --- wiring -----------------------------------------------------------------------------------

for (const kind of KINDS) {
  const form = formOf(kind);
  form.addEventListener("input", () => render(kind));
  form.addEventListener("change", () => render(kind));
  form.addEventListener("submit", (event) => run(kind, event));
}

for (const button of document.querySelectorAll(".pg-copy")) {
  button.addEventListener("click", async () => {
    const [kind, language] = button.dataset.copy.split("-");
    const status = $(`${kind}-copied`);
    try {
      await copyText($(button.dataset.copy).textContent);
      status.textContent = `Copied the ${language === "curl" ? "curl command" : "Python code"}.`;
    } catch (error) {
      status.textContent = `Could not copy: ${error.message}`;
    }
  });
}

const startKind = new URL(location.href).searchParams.get("kind");
selectTab($(`tab-${KINDS.includes(startKind) ? startKind : "image"}`), { remember: false });
renderAll();
attempt("page-error", load);
