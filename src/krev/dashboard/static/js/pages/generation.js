// One generation: its outputs large, the prompt, what the engine understood, engine, credits
// and times, download links; cancel while it runs, delete once it has ended. A running job
// updates live (not while the page is hidden).

import { api } from "../api.js";
import { $, attempt, el, showError, text, when } from "../dom.js";
import { ENDED, follow, progressView } from "../follow.js";
import {
  adCopyOf, downloadsOf, engineOf, facts, kindLabel, mediaOf, outputFacts, outputsOf, sceneFacts,
} from "../generations-view.js";

const root = $("generation");
const id = root.dataset.id;
const path = `/api/v1/generations/${encodeURIComponent(id)}`;
const progress = progressView();
$("gen-progress").append(progress.node);
let current = null;
let shownOutputs = null;  // the outputs drawn, so a poll does not restart a playing video

const SOURCES = { api: "API key", dashboard: "Dashboard", unknown: "—" };

function showOutputs(record) {
  const outputs = outputsOf(record);
  const key = outputs.map((item) => item.url).join(" ");
  if (key === shownOutputs && outputs.length) return;
  shownOutputs = key;
  if (!outputs.length) {
    const note = record.status === "failed" ? "This generation failed; nothing was made."
      : record.status === "cancelled" ? "This generation was cancelled; nothing was made."
        : record.status === "queued" ? "Waiting for a worker…" : `Rendering · ${record.progress}%`;
    $("gen-outputs").replaceChildren(el("div", { class: `gen-placeholder large ${record.status}` }, el("span", {}, note)));
    shownOutputs = null;
    return;
  }
  $("gen-outputs").replaceChildren(...outputs.map((item) => el("figure", { class: "gen-output" },
    el("div", { class: item.video ? "gen-frame" : "gen-frame checker" }, mediaOf(record, item, outputs.length, { large: true })),
    item.copy ? el("figcaption", {}, adCopyOf(item.copy)) : null)));
  $("gen-downloads").replaceChildren(...outputs.map((item) => el("div", { class: "gen-download-row" },
    outputs.length > 1 ? el("span", { class: "gen-download-name" }, `${kindLabel(record.kind)} ${item.index + 1}`) : null,
    ...downloadsOf(record, item, outputs.length))));
  $("gen-downloads-card").hidden = false;
}

function show(record) {
  current = record;
  progress.update(record);
  showOutputs(record);
  $("gen-prompt").previousElementSibling.textContent = record.kind === "ad" ? "Brief" : "Prompt";
  $("gen-prompt").textContent = record.prompt ?? "—";
  const output = record.output;
  $("gen-facts").replaceChildren(...facts([
    ["Kind", kindLabel(record.kind)],
    ["Engine", text(engineOf(output))],
    ["Credits used", String(record.credits_used)],
    ...outputFacts(output),
    ["Created", when(record.created_at)],
    ["Started", when(record.started_at)],
    ["Completed", when(record.completed_at)],
    ["Submitted from", SOURCES[record.source] ?? record.source],
  ]));
  showError("gen-error", record.status === "failed" ? (record.error ?? "The generation failed.") : null);
  const scene = sceneFacts(output);
  $("gen-scene").replaceChildren(...facts(scene));
  $("gen-scene-card").hidden = !scene.length;
  const ended = ENDED.has(record.status);
  $("cancel").hidden = ended;
  $("delete").hidden = !ended;
  if (ended) $("gen-status").textContent = record.status === "cancelled" ? "Cancelled." : "";
  root.removeAttribute("aria-busy");
}

// --- live progress, paused while the page is hidden ---------------------------------------

let following = null;

function startFollowing() {
  if (following || !current || ENDED.has(current.status) || document.hidden) return;
  const controller = new AbortController();
  following = controller;
  follow(id, show, { signal: controller.signal })
    .catch((error) => { if (!controller.signal.aborted) showError("page-error", error); })
    .finally(() => { if (following === controller) following = null; });
}

function stopFollowing() {
  following?.abort();
  following = null;
}

document.addEventListener("visibilitychange", () => (document.hidden ? stopFollowing() : startFollowing()));
window.addEventListener("pagehide", stopFollowing);

// --- actions ------------------------------------------------------------------------------

$("cancel").addEventListener("click", () => attempt("page-error", async () => {
  $("cancel").disabled = true;
  try {
    const { data } = await api("POST", `${path}/cancel`);
    show(data);
    // A running job stops at its next step; until then it is still processing.
    if (!ENDED.has(data.status)) $("gen-status").textContent = "Cancelling: the job stops at its next step.";
    startFollowing();
  } finally {
    $("cancel").disabled = false;
  }
}));

$("delete").addEventListener("click", () => attempt("page-error", async () => {
  const what = kindLabel(current.kind).toLowerCase();
  if (!confirm(`Delete this ${what}? Its files are removed for good; the credits it used are not returned.`)) return;
  $("delete").disabled = true;
  try {
    await api("DELETE", path);
  } finally {
    $("delete").disabled = false;
  }
  location.assign("/dashboard/generations");
}));

attempt("page-error", async () => {
  const { data } = await api("GET", path);
  show(data);
  startFollowing();
});
