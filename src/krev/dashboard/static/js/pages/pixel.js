import { api, pageOf } from "../api.js";
import { $, attempt, headersOf, row, showError, when } from "../dom.js";

let nextEvents = null;

async function loadConfig() {
  const { data } = await api("GET", "/api/v1/conversions/meta/config");
  const form = $("meta-form");
  $("meta-status").textContent = data.configured
    ? `Pixel ${data.pixel_id} is connected (token ${data.access_token_hint}).`
    : "No Meta pixel is connected: events sent to /api/v1/conversions/meta are refused.";
  form.elements.pixel_id.value = data.pixel_id || "";
  form.elements.test_event_code.value = data.test_event_code || "";
  form.elements.access_token.value = "";
  // The stored token is never shown; leaving the field empty keeps it.
  form.elements.access_token.required = !data.configured;
  $("meta-remove").hidden = !data.configured;
}

async function loadEvents(more = false) {
  const { items, next } = await pageOf("/api/v1/conversions/meta/events", more ? nextEvents : null);
  nextEvents = next;
  const headers = headersOf($("meta-events").closest("table"));
  const rows = items.map((event) => row([event.event_name, event.event_id, event.status,
    event.attempts, event.error, when(event.created_at)], headers));
  if (more) $("meta-events").append(...rows);
  else $("meta-events").replaceChildren(...rows);
  $("meta-empty").hidden = $("meta-events").children.length > 0;
  $("meta-more").hidden = !nextEvents;
}

$("meta-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { pixel_id: form.get("pixel_id") };
  if (form.get("access_token")) body.access_token = form.get("access_token");
  if (form.get("test_event_code")) body.test_event_code = form.get("test_event_code");
  try {
    await api("PUT", "/api/v1/conversions/meta/config", body);
    showError("meta-error", null);
    await loadConfig();
  } catch (error) { showError("meta-error", error); }
});

$("meta-remove").addEventListener("click", () => attempt("meta-error", async () => {
  if (!confirm("Remove the Meta pixel? Events still queued will fail.")) return;
  await api("DELETE", "/api/v1/conversions/meta/config");
  await loadConfig();
}));

$("meta-more").addEventListener("click", () => attempt("page-error", () => loadEvents(true)));

attempt("page-error", () => Promise.all([loadConfig(), loadEvents()]));
