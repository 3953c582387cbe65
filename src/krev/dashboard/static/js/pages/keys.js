import { api } from "../api.js";
import { $, attempt, copyText, el, headersOf, row, showError, when } from "../dom.js";

const SCOPES = ["images", "videos", "products", "credits", "ads", "conversions", "chat"];

async function loadKeys() {
  const { data } = await api("GET", "/api/v1/keys");
  const headers = headersOf($("keys").closest("table"));
  $("keys").replaceChildren(...data.map((key) => {
    const action = key.revoked_at ? "" : el("button", {
      type: "button", class: "danger revoke", "aria-label": `Revoke ${key.name}`,
      onclick: () => attempt("page-error", async () => {
        if (!confirm(`Revoke "${key.name}"? It stops working immediately.`)) return;
        await api("DELETE", `/api/v1/keys?id=${encodeURIComponent(key.id)}`);
        await loadKeys();
      }),
    }, "Revoke");
    const used = key.revoked_at ? `revoked ${when(key.revoked_at)}`
      : key.last_used_at ? when(key.last_used_at) : "never";
    const tr = row([key.name, el("code", {}, `${key.prefix}…`), key.scopes.join(", "),
      when(key.created_at), used, action], headers);
    if (key.revoked_at) tr.classList.add("revoked");
    return tr;
  }));
}

$("scopes").append(...SCOPES.map((scope) => el("label", { class: "check" },
  el("input", { type: "checkbox", name: "scope", value: scope, checked: true }), ` ${scope}`)));

$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const { data } = await api("POST", "/api/v1/keys", {
      name: form.get("name"), scopes: form.getAll("scope"),
    });
    showError("key-error", null);
    $("new-key-value").textContent = data.key;
    $("copy-status").textContent = "";
    $("new-key").hidden = false;
    await loadKeys();
  } catch (error) { showError("key-error", error); }
});

$("copy-key").addEventListener("click", async () => {
  await copyText($("new-key-value").textContent);
  $("copy-status").textContent = "Copied.";
});

attempt("page-error", loadKeys);
