// The transcript's entries: the user's messages as written, and the assistant's replies with
// what their run made, its progress while it runs and a button to cancel it.

import { artifactNodes, artifactsMark } from "./chat-artifacts.js";
import { replyNodes, suggestionsOf } from "./chat-reply.js";
import { el } from "./dom.js";
import { ENDED, progressView } from "./follow.js";

const AGENTS = { asset: "Asset agent", discover: "Discover agent" };

// "14:05" today, "7 Dec" before.
export function shortTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  if (date.toDateString() === new Date().toDateString()) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  return date.toLocaleDateString([], { day: "numeric", month: "short" });
}

function who(name, iso) {
  return el("p", { class: "message-who" }, el("span", {}, name),
    iso ? el("time", { datetime: iso, title: new Date(iso).toLocaleString() }, shortTime(iso)) : null);
}

export function userEntry(message) {
  return el("li", { class: "message user", dataset: { message: message.id } },
    who("You", message.created_at), el("p", { class: "message-text" }, message.content));
}

function runFacts(run) {
  const facts = [AGENTS[run.agent_used] ?? null];
  if (run.credits_used) facts.push(`${run.credits_used} credits`);
  else if (run.status === "succeeded") facts.push("no credits used");
  return facts.filter(Boolean).join(" · ");
}

// An assistant's entry. update(run) redraws it from a poll of its run; without a run (one
// whose poll failed) it shows the message alone. onCancel(runId) and onSuggest(text) come from
// the page.
export function assistantEntry(message, { onCancel, onSuggest }) {
  const body = el("div", { class: "reply" });
  const artifacts = el("div", { class: "artifacts" });
  const progress = progressView();
  const cancel = el("button", { type: "button", class: "danger cancel-run" }, "Cancel");
  const running = el("div", { class: "run-progress" }, el("span", {}, "Working on it"), progress.node, cancel);
  const facts = el("p", { class: "run-facts" });
  const problem = el("p", { class: "error run-error" });
  const suggestions = el("div", { class: "suggestions" });
  const node = el("li", { class: "message assistant", dataset: { message: message.id } },
    who("Krev", message.created_at), body, running, artifacts, problem, facts, suggestions);
  let mark = null;
  let content = message.content;
  let runId = null;

  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    cancel.textContent = "Cancelling…";
    if (!(await onCancel(runId))) {
      cancel.disabled = false;
      cancel.textContent = "Cancel";
    }
  });

  function drawReply(folded) {
    body.replaceChildren(...(content ? replyNodes(content, { folded }) : []));
  }

  function update(run) {
    runId = run.run_id;
    const ended = ENDED.has(run.status);
    running.hidden = ended;
    if (!ended) progress.update(run);
    content = run.assistant_text ?? content;
    const next = `${run.status}|${artifactsMark(run)}|${content.length}`;
    if (next === mark) return;
    mark = next;
    const hasArtifacts = run.artifacts.some((a) => a.type === "concept" || a.type === "media");
    drawReply(hasArtifacts);
    artifacts.replaceChildren(...artifactNodes(run));
    problem.textContent = run.status === "failed" || run.status === "cancelled"
      ? (run.error ?? `The run ${run.status}.`) : "";
    problem.hidden = !problem.textContent;
    facts.textContent = ended ? runFacts(run) : "";
    node.classList.toggle("failed", run.status === "failed");
  }

  // Offer the phrases the reply suggests (the latest reply only: earlier ones are history).
  function suggest(on) {
    const phrases = on && content ? suggestionsOf(content) : [];
    suggestions.replaceChildren(...(phrases.length ? [
      el("span", { class: "suggestions-label" }, "Try:"),
      ...phrases.map((phrase) => el("button", {
        type: "button", class: "secondary suggestion", onclick: () => onSuggest(phrase),
      }, phrase)),
    ] : []));
  }

  running.hidden = true;
  problem.hidden = true;
  drawReply(false);
  return { node, update, suggest };
}
