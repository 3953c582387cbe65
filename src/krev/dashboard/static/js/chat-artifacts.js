// What a chat run made, as GET /api/v1/chat/runs/{id} lists it: concepts (hook, headline, body,
// call to action, image idea), renders with their files inline (images shown, videos playable,
// ads with their copy), and what the other tools answered, failures in view.

import { el } from "./dom.js";

const KINDS = { image: "Image", video: "Video", ad: "Ad", ads: "Ad" };

function fields(pairs) {
  return el("dl", { class: "concept-fields" }, pairs
    .filter(([, value]) => value)
    .flatMap(([name, value, className]) => [el("dt", {}, name), el("dd", { class: className }, value)]));
}

// A concept, or an ad's copy (the same words without an image idea).
export function conceptCard(words, label) {
  return el("article", { class: "concept" },
    el("header", { class: "concept-head" },
      el("h3", { class: "concept-number" }, label),
      words.style_name ? el("span", { class: "badge" }, words.style_name) : null),
    fields([
      ["Hook", words.hook, "concept-hook"],
      ["Headline", words.headline, "concept-headline"],
      ["Body", words.body_copy],
      ["Call to action", words.cta, "concept-cta"],
      ["Image idea", words.image_prompt, "concept-idea"],
    ]));
}

function mediaFile(kind, url, description) {
  if (kind === "video") {
    return el("video", {
      class: "chat-video", src: url, controls: true, preload: "metadata", playsinline: true,
      "aria-label": description,
    });
  }
  return el("a", { href: url, target: "_blank", rel: "noopener", class: "chat-image-link" },
    el("img", { class: "chat-image", src: url, alt: description, loading: "lazy" }));
}

function mediaTile(artifact, urls, copies) {
  const kind = KINDS[artifact.kind] ?? "Render";
  const description = artifact.prompt ? `${kind}: ${artifact.prompt}` : `${kind} made by this run`;
  const files = artifact.status === "succeeded" && urls.length
    ? urls.map((url) => mediaFile(artifact.kind, url, description))
    : [el("div", { class: `media-pending ${artifact.status}` },
      artifact.status === "failed" || artifact.status === "cancelled"
        ? `${kind} ${artifact.status}` : `Rendering ${kind.toLowerCase()}…`)];
  return el("figure", { class: "chat-media" },
    ...files,
    el("figcaption", {},
      el("span", { class: "media-facts" },
        el("span", { class: `badge ${artifact.status}` }, artifact.status), ` ${kind}`),
      el("a", { href: `/dashboard/generations/${encodeURIComponent(artifact.generation_id)}` },
        "Details"),
      artifact.prompt ? el("span", { class: "media-prompt" }, artifact.prompt) : null),
    copies.length ? el("div", { class: "ad-copies" },
      copies.map((copy, index) => conceptCard(copy, `Copy ${index + 1}`))) : null);
}

const toolName = (tool) => String(tool ?? "a tool").replaceAll("_", " ");

function toolResults(results) {
  const failed = results.filter((result) => !result.ok);
  const answered = results.filter((result) => result.ok);
  const nodes = failed.map((result) => el("p", { class: "error tool-error" },
    `${toolName(result.tool)} failed: ${result.error}`));
  if (answered.length) {
    nodes.push(el("details", { class: "tool-results" },
      el("summary", {}, answered.length === 1
        ? `What ${toolName(answered[0].tool)} returned` : `What ${answered.length} tools returned`),
      answered.map(({ type, step, ok, tool, ...rest }) => el("div", { class: "tool-result" },
        el("h3", {}, toolName(tool)),
        el("pre", {}, JSON.stringify(rest, null, 2))))));
  }
  return nodes;
}

// The run's artifacts as nodes, in the order a reader wants them: concepts, then media, then
// the tools' answers. Image ideas stand in their concepts, so their own entries are skipped.
export function artifactNodes(run) {
  const of = (type) => run.artifacts.filter((artifact) => artifact.type === type);
  const nodes = [];
  const concepts = of("concept");
  if (concepts.length) {
    nodes.push(el("div", { class: "concepts" },
      concepts.map((concept, index) => conceptCard(concept, `Concept ${concept.number ?? index + 1}`))));
  }
  const media = of("media");
  if (media.length) {
    const copies = of("copy");
    nodes.push(el("div", { class: "chat-gallery" }, media.map((artifact) => mediaTile(
      artifact,
      run.media.filter((file) => file.generation_id === artifact.generation_id).map((file) => file.url),
      copies.filter((copy) => copy.generation_id === artifact.generation_id),
    ))));
  }
  nodes.push(...toolResults(of("tool_result")));
  return nodes;
}

// What changes what the artifacts look like (signed URLs are fresh on every poll and do not:
// redrawing for them would reload every image).
export function artifactsMark(run) {
  return JSON.stringify([
    run.artifacts.map((artifact) => [artifact.type, artifact.status, artifact.generation_id]),
    run.media.map((file) => file.generation_id),
  ]);
}
