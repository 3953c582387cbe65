// Live progress of a job: polls GET /api/v1/generations/{id} until it ends. The dashboard's
// calls count in its own rate-limit window, never in the user's API keys' one.

import { api } from "./api.js";
import { el } from "./dom.js";

export const ENDED = new Set(["succeeded", "failed", "cancelled"]);
const INTERVAL_MS = 1500;

// Calls onUpdate(generation) on every change, resolves with the final record. Stops early
// (resolving with the last seen record) when `signal` aborts or the page is left.
export async function follow(id, onUpdate, { signal } = {}) {
  let last = null;
  for (;;) {
    if (signal?.aborted) return last;
    const { data } = await api("GET", `/api/v1/generations/${encodeURIComponent(id)}`);
    if (!last || last.status !== data.status || last.progress !== data.progress) onUpdate(data);
    last = data;
    if (ENDED.has(data.status)) return data;
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
}

// A status badge with a progress bar, updated in place: update(generation).
export function progressView() {
  const badge = el("span", { class: "badge" });
  const bar = el("progress", { max: "100", value: "0" });
  const node = el("span", { class: "job-progress", role: "status" }, badge, " ", bar);
  return {
    node,
    update(generation) {
      badge.textContent = generation.status;
      badge.className = `badge ${generation.status}`;
      bar.value = generation.progress;
      bar.hidden = ENDED.has(generation.status);
      bar.setAttribute("aria-label", `${generation.progress}%`);
    },
  };
}
