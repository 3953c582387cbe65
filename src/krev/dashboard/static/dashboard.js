// The dashboard talks to the same JSON API as every client: the session cookie is
// HttpOnly, and writes send the CSRF token returned at login as X-CSRF-Token.
"use strict";

const SCOPES = ["images", "videos", "products", "credits", "ads", "conversions", "chat"];
let csrfToken = null;

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({ success: false, error: "Unexpected response." }));
  if (!payload.success) throw Object.assign(new Error(payload.error), { status: response.status });
  return payload;
}

function show(view) {
  $("login-view").hidden = view !== "login";
  $("app-view").hidden = view !== "app";
  $("logout").hidden = view !== "app";
}

function text(value) { return value === null || value === undefined ? "—" : String(value); }

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = text(value);
  row.appendChild(td);
}

async function loadCredits() {
  const { data } = await api("GET", "/api/v1/credits");
  const list = $("credits");
  list.replaceChildren();
  for (const [label, value] of [
    ["Plan", data.plan_name],
    ["Credits", `${data.credits.current_formatted} of ${data.credits.limit_formatted}`],
    ["Storage", `${data.storage.used_formatted} of ${data.storage.limit_formatted}`],
    ["Resets", data.resets_at],
  ]) {
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = value;
    list.append(dt, dd);
  }
}

async function loadKeys() {
  const { data } = await api("GET", "/api/v1/keys");
  const body = $("keys");
  body.replaceChildren();
  for (const key of data) {
    const row = document.createElement("tr");
    cell(row, key.name);
    cell(row, `${key.prefix}…`);
    cell(row, key.scopes.join(", "));
    cell(row, key.created_at);
    cell(row, key.revoked_at ? `revoked ${key.revoked_at}` : key.last_used_at);
    const action = document.createElement("td");
    if (!key.revoked_at) {
      const button = document.createElement("button");
      button.className = "revoke";
      button.textContent = "Revoke";
      button.addEventListener("click", async () => {
        if (!confirm(`Revoke "${key.name}"? It stops working immediately.`)) return;
        await api("DELETE", `/api/v1/keys?id=${encodeURIComponent(key.id)}`);
        await loadKeys();
      });
      action.appendChild(button);
    }
    row.appendChild(action);
    body.appendChild(row);
  }
}

async function loadMeta() {
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
  const events = await api("GET", "/api/v1/conversions/meta/events?limit=20");
  const body = $("meta-events");
  body.replaceChildren();
  for (const event of events.data) {
    const row = document.createElement("tr");
    for (const value of [event.event_name, event.event_id, event.status, event.attempts,
                         event.error, event.created_at]) cell(row, value);
    body.appendChild(row);
  }
}

async function enter(session) {
  csrfToken = session.csrf_token;
  $("who").textContent = session.user.email;
  show("app");
  await Promise.all([loadCredits(), loadKeys(), loadMeta()]);
}

async function start() {
  const scopes = $("scopes");
  for (const scope of SCOPES) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.name = "scope"; box.value = scope; box.checked = true;
    label.append(box, ` ${scope}`);
    scopes.appendChild(label);
  }
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const { data } = await api("POST", "/api/v1/auth/login", {
        email: form.get("email"), password: form.get("password"),
      });
      $("login-error").textContent = "";
      await enter(data);
    } catch (error) { $("login-error").textContent = error.message; }
  });
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const { data } = await api("POST", "/api/v1/keys", {
        name: form.get("name"), scopes: form.getAll("scope"),
      });
      $("key-error").textContent = "";
      $("new-key-value").textContent = data.key;
      $("new-key").hidden = false;
      await loadKeys();
    } catch (error) { $("key-error").textContent = error.message; }
  });
  $("meta-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { pixel_id: form.get("pixel_id") };
    if (form.get("access_token")) body.access_token = form.get("access_token");
    if (form.get("test_event_code")) body.test_event_code = form.get("test_event_code");
    try {
      await api("PUT", "/api/v1/conversions/meta/config", body);
      $("meta-error").textContent = "";
      await loadMeta();
    } catch (error) { $("meta-error").textContent = error.message; }
  });
  $("meta-remove").addEventListener("click", async () => {
    if (!confirm("Remove the Meta pixel? Events still queued will fail.")) return;
    await api("DELETE", "/api/v1/conversions/meta/config");
    await loadMeta();
  });
  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    $("password-done").textContent = "";
    if (form.get("new_password") !== form.get("repeat_password")) {
      $("password-error").textContent = "The two new passwords differ.";
      return;
    }
    try {
      const { data } = await api("POST", "/api/v1/auth/password", {
        current_password: form.get("current_password"), new_password: form.get("new_password"),
      });
      event.target.reset();
      $("password-error").textContent = "";
      const others = data.other_sessions_ended;
      $("password-done").textContent = "Password changed." + (others
        ? ` ${others} other session${others === 1 ? " was" : "s were"} logged out.` : "");
    } catch (error) { $("password-error").textContent = error.message; }
  });
  $("logout").addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/logout").catch(() => {});
    csrfToken = null;
    show("login");
  });
  try {
    const { data } = await api("GET", "/api/v1/auth/session");
    await enter(data);
  } catch { show("login"); }
}

start();
