// Chat: the user's conversations, the open one's transcript with what each run made, and a box
// to send the next message and follow its run. The open conversation lives in the URL
// (/dashboard/chat/{id}), so a reload, a bookmark or the back button shows it again.

import { all, api, pageOf } from "../api.js";
import { cancelRun, followRun, getRun } from "../chat-run.js";
import { assistantEntry, shortTime, userEntry } from "../chat-transcript.js";
import { $, attempt, el, showError } from "../dom.js";
import { ENDED } from "../follow.js";

const BASE = "/dashboard/chat";
const PAGE_SIZE = 20;

const state = {
  conversation: $("chat").dataset.conversation || null,
  following: null, // the AbortController of the run being followed
  latest: null, // the latest assistant entry (it offers the reply's suggestions)
  listCursor: null,
};

const conversationPath = (id) => `/api/v1/chat/conversations/${encodeURIComponent(id)}`;
const idFromPath = (path) => path.startsWith(`${BASE}/`) ? decodeURIComponent(path.slice(BASE.length + 1)) : null;
const say = (words) => { $("chat-status").textContent = words; };

// --- the conversations list ------------------------------------------------------------------

function markOpen() {
  for (const link of $("conversations").querySelectorAll("a")) {
    if (link.dataset.id === state.conversation) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function listItem(conversation) {
  const link = el("a", {
    href: `${BASE}/${encodeURIComponent(conversation.id)}`, dataset: { id: conversation.id },
  },
  el("span", { class: "conversation-title" }, conversation.title),
  el("time", { class: "conversation-when", datetime: conversation.updated_at },
    shortTime(conversation.updated_at)));
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openConversation(conversation.id, { push: true });
  });
  return el("li", {}, link);
}

async function loadList({ more = false } = {}) {
  const { items, next } = await pageOf("/api/v1/chat", more ? state.listCursor : null, PAGE_SIZE);
  const list = $("conversations");
  if (!more) list.replaceChildren();
  list.append(...items.map(listItem));
  if (!list.children.length) list.append(el("li", { class: "empty" }, "No conversations yet."));
  state.listCursor = next;
  $("more-conversations").hidden = !next;
  markOpen();
}

// --- the transcript ----------------------------------------------------------------------------

function stopFollowing() {
  state.following?.abort();
  state.following = null;
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("send").textContent = busy ? "Waiting for the reply…" : "Send";
}

function newAssistant(message) {
  state.latest?.suggest(false);
  const entry = assistantEntry(message, { onCancel: cancel, onSuggest: draft });
  state.latest = entry;
  return entry;
}

function showHeader(conversation) {
  $("conversation-title").textContent = conversation ? conversation.title : "New conversation";
  const when = $("conversation-when");
  when.replaceChildren(conversation
    ? el("time", { datetime: conversation.created_at }, `Started ${new Date(conversation.created_at).toLocaleString()}`)
    : "");
  $("chat-intro").hidden = Boolean(conversation);
  document.title = `${conversation ? conversation.title : "Chat"} · Krev`;
}

// Follow a run to its end in `entry`, the composer waiting meanwhile.
async function follow(entry, runId, first = null) {
  stopFollowing();
  const controller = new AbortController();
  state.following = controller;
  setBusy(true);
  say("Krev is working on it.");
  try {
    const run = await followRun(runId, entry.update, { signal: controller.signal, first });
    if (run === null) return;
    entry.suggest(entry === state.latest);
    say(run.status === "succeeded" ? "Krev replied." : `The run ${run.status}.`);
  } catch (error) {
    if (!controller.signal.aborted) showError("chat-error", error);
  } finally {
    if (state.following === controller) {
      state.following = null;
      setBusy(false);
    }
  }
}

async function openConversation(id, { push = false } = {}) {
  stopFollowing();
  setBusy(false);
  showError("chat-error", null);
  state.conversation = id;
  state.latest = null;
  const path = id ? `${BASE}/${encodeURIComponent(id)}` : BASE;
  if (push && location.pathname !== path) history.pushState({ conversation: id }, "", path);
  markOpen();
  $("transcript").replaceChildren();
  if (!id) {
    showHeader(null);
    return;
  }
  await attempt("page-error", async () => {
    const { data: conversation } = await api("GET", conversationPath(id));
    if (state.conversation !== id) return; // the user moved on meanwhile
    showHeader(conversation);
    // Each run's artifacts and media come with its poll; read them side by side.
    const runs = await Promise.all(conversation.runs.map((runId) => getRun(runId).catch(() => null)));
    if (state.conversation !== id) return;
    const byReply = new Map(runs.filter(Boolean).map((run) =>
      [run.messages.find((message) => message.role === "assistant")?.id, run]));
    const entries = conversation.messages.map((message) => {
      if (message.role === "user") return { node: userEntry(message) };
      const entry = newAssistant(message);
      const run = byReply.get(message.id);
      if (run) entry.update(run);
      return { node: entry.node, entry, run };
    });
    $("transcript").replaceChildren(...entries.map(({ node }) => node));
    const last = entries.filter(({ entry }) => entry).at(-1);
    if (!last?.run) return;
    if (ENDED.has(last.run.status)) last.entry.suggest(true);
    else follow(last.entry, last.run.run_id, last.run); // still running: pick it up again
  });
}

// --- sending -----------------------------------------------------------------------------------

function draft(phrase) {
  $("chat-message").value = phrase;
  $("chat-message").focus();
}

async function cancel(runId) {
  try {
    await cancelRun(runId);
    say("Cancelling the run.");
    return true;
  } catch (error) {
    showError("chat-error", error);
    return false;
  }
}

function pickedProducts() {
  return [...$("product-picks").querySelectorAll("input:checked")].map((input) => input.value);
}

async function send(event) {
  event.preventDefault();
  const message = $("chat-message").value.trim();
  if (!message) {
    showError("chat-error", new Error("Write a message first."));
    $("chat-message").focus();
    return;
  }
  const body = { message, agent: $("chat-agent").value };
  if (state.conversation) body.conversation_id = state.conversation;
  const products = pickedProducts();
  if (products.length) body.product_ids = products;
  setBusy(true);
  let queued;
  try {
    queued = (await api("POST", "/api/v1/chat", body)).data;
  } catch (error) {
    // Refused (a Meta change, bad input, too many jobs): nothing was stored; say why and
    // leave the message in the box to edit.
    setBusy(false);
    showError("chat-error", error);
    return;
  }
  showError("chat-error", null);
  $("chat-message").value = "";
  for (const input of $("product-picks").querySelectorAll("input:checked")) input.checked = false;
  const now = new Date().toISOString();
  if (!state.conversation) {
    state.conversation = queued.conversation_id;
    history.pushState({ conversation: state.conversation }, "", `${BASE}/${encodeURIComponent(state.conversation)}`);
    attempt("page-error", async () => {
      showHeader((await api("GET", conversationPath(queued.conversation_id))).data);
      await loadList();
    });
  }
  const entry = newAssistant({ id: queued.assistant_message_id, role: "assistant", content: "", created_at: now });
  $("transcript").append(
    userEntry({ id: queued.user_message_id, role: "user", content: message, created_at: now }),
    entry.node);
  entry.update({
    run_id: queued.run_id, status: queued.status, progress: 0, agent_used: null,
    assistant_text: null, artifacts: [], media: [], credits_used: 0, error: null,
  });
  entry.node.scrollIntoView({ block: "nearest" });
  await follow(entry, queued.run_id);
}

// --- products to pick ----------------------------------------------------------------------

async function loadProducts() {
  const products = (await all("/api/v1/products")).filter((product) => product.status !== "failed");
  const picks = $("product-picks");
  if (!products.length) {
    picks.replaceChildren(el("p", { class: "empty" }, "No products yet. ",
      el("a", { href: "/dashboard/products" }, "Add one"), " to make creative of it."));
    return;
  }
  picks.replaceChildren(...products.map((product) => el("label", { class: "product-pick" },
    el("input", { type: "checkbox", name: "product", value: product.id }),
    el("img", {
      src: product.segmented_image_url ?? product.image_url, alt: "", class: "checker", loading: "lazy",
    }),
    el("span", {}, product.name ?? "Unnamed product"))));
}

// --- wiring ------------------------------------------------------------------------------------

$("composer").addEventListener("submit", send);
$("chat-message").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (!$("send").disabled) $("composer").requestSubmit();
  }
});
$("new-conversation").addEventListener("click", () => {
  openConversation(null, { push: true });
  $("chat-message").focus();
});
$("more-conversations").addEventListener("click", () =>
  attempt("conversations-error", () => loadList({ more: true })));
window.addEventListener("popstate", () => openConversation(idFromPath(location.pathname)));

attempt("conversations-error", loadList);
attempt("chat-error", loadProducts);
openConversation(state.conversation);
