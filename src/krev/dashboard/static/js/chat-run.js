// Following a chat run: GET /api/v1/chat/runs/{id} every 1.5 s until it ends. The polls count
// in the dashboard's own rate-limit window (and the poll window), never in the user's keys'.

import { ApiError, api } from "./api.js";
import { ENDED } from "./follow.js";

const INTERVAL_MS = 1500;
const MAX_FAILURES = 4;

export const runPath = (runId) => `/api/v1/chat/runs/${encodeURIComponent(runId)}`;

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

export async function getRun(runId) {
  return (await api("GET", runPath(runId))).data;
}

// Calls onUpdate(run) after every poll; resolves with the last view once the run ends, or
// with null as soon as `signal` aborts (the user opened another conversation). A poll that
// fails for a moment (a dropped connection, a busy server) is tried again; several in a row,
// or an answer that will not change (the run is gone), end the wait with that error.
export async function followRun(runId, onUpdate, { signal, first = null } = {}) {
  let run = first;
  let failures = 0;
  for (;;) {
    if (run) {
      onUpdate(run);
      if (ENDED.has(run.status)) return run;
    }
    if (run || failures) await pause(INTERVAL_MS * (1 + failures), signal);
    if (signal?.aborted) return null;
    try {
      run = await getRun(runId);
      failures = 0;
    } catch (error) {
      const passing = !(error instanceof ApiError) || error.status === 429 || error.status >= 500;
      if (!passing || ++failures > MAX_FAILURES) throw error;
      run = null;
    }
    if (signal?.aborted) return null;
  }
}

// Ask the run to stop; it ends at once when queued, between its steps when running.
export async function cancelRun(runId) {
  return (await api("POST", `${runPath(runId)}/cancel`)).data;
}
