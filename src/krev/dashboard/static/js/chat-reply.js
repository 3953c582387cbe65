// An assistant's reply as the planners write it: paragraphs, "- " and "1. " lists (nested by
// indentation), **bold**, _emphasis_ and `code`. Built as elements holding text only, so a
// reply that quotes markup (a product name, the user's message) shows it as written.

import { el } from "./dom.js";

const INLINE = /(\*\*[^*\n]+\*\*|`[^`\n]+`|(?<!\w)_[^_\n]+_(?!\w))/;
const ITEM = /^(\s*)(?:[-*]|(\d+)\.)\s+(.*)$/;
const QUOTED = /\u201c([^\u201d]{1,120})\u201d/g;

function wrapped(part, mark, tag) {
  return part.length > 2 * mark.length && part.startsWith(mark) && part.endsWith(mark)
    ? el(tag, {}, part.slice(mark.length, -mark.length)) : null;
}

export function inline(line) {
  return line.split(INLINE).filter(Boolean).map((part) =>
    wrapped(part, "**", "strong") ?? wrapped(part, "`", "code") ?? wrapped(part, "_", "em") ?? part);
}

// One block (a run of lines between blank lines) as paragraphs and lists.
function blockNodes(block) {
  const nodes = [];
  let paragraph = null;
  let lists = []; // the open lists, outermost first: { indent, list }
  for (const line of block.split("\n")) {
    const item = ITEM.exec(line);
    if (!item) {
      lists = [];
      if (paragraph) paragraph.append(el("br"), ...inline(line.trim()));
      else nodes.push(paragraph = el("p", {}, ...inline(line.trim())));
      continue;
    }
    paragraph = null;
    const indent = item[1].length;
    while (lists.length && lists.at(-1).indent > indent) lists.pop();
    let open = lists.at(-1);
    if (!open || open.indent < indent) {
      const list = el(item[2] ? "ol" : "ul", item[2] && item[2] !== "1" ? { start: item[2] } : {});
      const parent = open?.list.lastElementChild;
      if (parent) parent.append(list);
      else nodes.push(list);
      lists.push(open = { indent, list });
    }
    open.list.append(el("li", {}, ...inline(item[3])));
  }
  return nodes;
}

export function blocksOf(reply) {
  return reply.split(/\n\s*\n/).map((block) => block.replace(/\s+$/, "")).filter(Boolean);
}

// The reply as nodes. `folded`: the run's artifacts already show its details (concept cards,
// media), so only the first block (what was done) and the last (what next) stay in view and
// the rest waits behind "The full reply".
export function replyNodes(reply, { folded = false } = {}) {
  const blocks = blocksOf(reply);
  if (!folded || blocks.length < 3) return blocks.flatMap(blockNodes);
  return [
    ...blockNodes(blocks[0]),
    el("details", { class: "full-reply" },
      el("summary", {}, "The full reply"), ...blocks.slice(1, -1).flatMap(blockNodes)),
    ...blockNodes(blocks.at(-1)),
  ];
}

// What the reply suggests saying next: the phrases its last block quotes ("say “render
// them”"), offered as one-click drafts.
export function suggestionsOf(reply) {
  const last = blocksOf(reply).at(-1) ?? "";
  return [...new Set([...last.matchAll(QUOTED)].map((match) => match[1].trim()))].slice(0, 5);
}
