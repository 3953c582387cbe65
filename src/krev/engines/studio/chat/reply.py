"""The assistant's reply, written from the plan and what each call returned: what was done, the
concepts in full (hook, headline, body, call to action, image idea), the media started with
their generation ids and credits, each tool error in plain words, the plan's notes, and one
suggested next step. Markdown, deterministic: the same outcomes give the same text.

Results are read by the keys the chat domain's tools return: ``write_concepts`` ``{concepts:
[{hook, headline, body_copy, cta, style_id, style_name, image_prompt}]}``; media ``{generation_id,
kind, status, credits_reserved}``; ``list_products`` ``{products: [{id, name, …}]}``;
``check_credits`` numbers such as ``balance``; ``research_ad_library`` ``{ads: [...]}`` with
``summary``, ``insights`` or ``source`` where it has them. Keys a result lacks are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from krev.engines.chat import ChatProduct, ChatRequest, Plan, ToolOutcome
from krev.engines.studio.ads.styles import style_by_id

__all__ = ["explain_error", "write_reply"]

_MEDIA = ("generate_images", "generate_video", "generate_ads")

# Error codes (or parts of them) in plain words; the tool's own sentence follows.
_ERRORS: tuple[tuple[str, str], ...] = (
    ("budget", "it would go over this run's credit budget"),
    ("insufficient_credits", "your account doesn't have enough credits for it"),
    ("payment", "your account doesn't have enough credits for it"),
    ("scope", "this API key isn't allowed to do that (a scope is missing)"),
    ("forbidden", "this API key isn't allowed to do that"),
    ("not_ready", "the product isn't ready yet (its analysis hasn't finished)"),
    ("not_analy", "the product isn't ready yet (its analysis hasn't finished)"),
    ("not_found", "something it needed wasn't found (a product may have been deleted)"),
    ("subject_ambiguous", "the prompt fits several of your products"),
    ("subject_not_renderable", "the prompt names something that isn't in your catalog"),
    ("rate", "too many requests right now; try again in a minute"),
    ("unavailable", "that tool isn't available on this server right now"),
    ("not_configured", "that tool isn't set up on this server"),
    ("timeout", "it took too long to answer"),
    ("invalid", "the request was refused as invalid"),
    ("validation", "the request was refused as invalid"),
)


_ENDED = ("succeeded", "failed", "cancelled", "deleted")


def explain_error(outcome: ToolOutcome) -> str:
    """An error in plain words, then the tool's own sentence."""
    code = (outcome.error_code or "").lower()
    plain = next((words for key, words in _ERRORS if key in code), None)
    detail = (outcome.error or "").strip().rstrip(".")
    if plain and detail:
        return f"{plain} ({detail})."
    if plain:
        return f"{plain}."
    return f"{detail or 'it failed without saying why'}."


def write_reply(request: ChatRequest, plan: Plan, outcomes: Sequence[ToolOutcome]) -> str:
    return _Reply(request, plan, outcomes).text()


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


class _Reply:
    def __init__(self, request: ChatRequest, plan: Plan, outcomes: Sequence[ToolOutcome]) -> None:
        self.request = request
        self.plan = plan
        self.outcomes = list(outcomes)
        self.products = {p.id: p for p in (*request.catalog, *request.selected)}
        # Image prompts of the concepts this run wrote (or the conversation's), by prompt.
        self.concept_of: dict[str, int] = {
            c.image_prompt: c.number for c in request.context.concepts
        }
        for outcome in self.ok("write_concepts"):
            for number, concept in enumerate(_dicts((outcome.result or {}).get("concepts")), 1):
                prompt = _text(concept.get("image_prompt"))
                if prompt:
                    self.concept_of[prompt] = number

    def ok(self, *tools: str) -> list[ToolOutcome]:
        return [o for o in self.outcomes if o.ok and o.call.tool in tools and o.result is not None]

    # -- names --

    def product_names(self, ids: object) -> str | None:
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list):
            return None
        names = [n for i in ids if (n := _name(self.products.get(str(i))))]
        if not names:
            return None
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def call_products(self, args: Mapping[str, Any]) -> str | None:
        return self.product_names(args.get("product_ids") or args.get("product_id"))

    def what(self, outcome: ToolOutcome) -> str:
        """What a call makes, in words: "The images for concept 2", "A 10-second 9:16 video"."""
        tool, args = outcome.call.tool, outcome.call.args
        prompt = _text(args.get("prompt")) or ""
        concept = self.concept_of.get(prompt)
        of = f" of {names}" if (names := self.call_products(args)) else ""
        if tool == "generate_images":
            count = _int(args.get("image_count")) or 1
            noun = "images" if count > 1 else "image"
            label = f" for concept {concept}" if concept else of
            shape = f" ({args['aspect_ratio']})" if args.get("aspect_ratio") else ""
            return f"{count} {noun}{label}{shape}"
        if tool == "generate_video":
            seconds = _int(args.get("duration"))
            length = f"{seconds}-second " if seconds else ""
            shape = f"{args['aspect_ratio']} " if args.get("aspect_ratio") else ""
            label = f" for concept {concept}" if concept else of
            return f"a {length}{shape}video{label}"
        if tool == "generate_ads":
            count = _int(args.get("image_count")) or 1
            style = style_by_id(str(args.get("style_id") or ""))
            styled = f" in the {style.name} style" if style else ""
            noun = "ad variants" if count > 1 else "ad"
            return f"{count} {noun}{of}{styled}"
        if tool == "write_concepts":
            return "the concepts"
        if tool == "research_ad_library":
            return f"the Ad Library search for \u201c{args.get('search_terms', '')}\u201d"
        if tool == "list_products":
            return "your product list"
        if tool == "check_credits":
            return "your credit balance"
        return str(tool).replace("_", " ")

    # -- sections --

    def text(self) -> str:
        parts = [
            self.summary(),
            *self.concepts(),
            self.media(),
            self.research(),
            self.product_list(),
            self.credits(),
            self.errors(),
            self.notes(),
            self.next_step(),
        ]
        return "\n\n".join(part for part in parts if part).strip()

    def summary(self) -> str:
        done: list[str] = []
        for outcome in self.ok("write_concepts"):
            concepts = _dicts(outcome.result.get("concepts") if outcome.result else None)
            names = self.call_products(outcome.call.args)
            noun = "ad concept" if len(concepts) == 1 else "ad concepts"
            done.append(f"wrote {len(concepts)} {noun}" + (f" for {names}" if names else ""))
        media = self.ok(*_MEDIA)
        if media:
            finished = all(_text((o.result or {}).get("status")) in _ENDED for o in media)
            verb = "rendered" if finished and self.rendered(media) else "started"
            done.append(f"{verb} {_count(len(media), 'render')}")
        for outcome in self.ok("research_ad_library"):
            own = (outcome.result or {}).get("source") == "own_catalog"
            done.append(
                "reviewed your own products and past creative" if own else "searched the Ad Library"
            )
        if self.ok("list_products"):
            done.append("listed your products")
        if self.ok("check_credits"):
            done.append("checked your credits")
        failed = [o for o in self.outcomes if not o.ok]
        if not done and not failed:
            return ""
        if not done:
            return f"I couldn't do what you asked: {_count(len(failed), 'step')} failed (below)."
        sentence = "I " + _join(done) + "."
        if failed:
            sentence += f" {_count(len(failed), 'step').capitalize()} failed (below)."
        return sentence[0].upper() + sentence[1:]

    def concepts(self) -> list[str]:
        sections = []
        for outcome in self.ok("write_concepts"):
            concepts = _dicts((outcome.result or {}).get("concepts"))
            if not concepts:
                continue
            names = self.call_products(outcome.call.args)
            lines = [f"**Concepts{' for ' + names if names else ''}**"]
            for number, concept in enumerate(concepts, start=1):
                hook = _text(concept.get("hook")) or _text(concept.get("headline")) or "Untitled"
                style = _text(concept.get("style_name"))
                if style is None and (found := style_by_id(str(concept.get("style_id", "")))):
                    style = found.name
                lines.append(f"{number}. **{hook}**" + (f" \u2014 _{style}_" if style else ""))
                for label, key in (
                    ("Headline", "headline"),
                    ("Body", "body_copy"),
                    ("CTA", "cta"),
                    ("Image idea", "image_prompt"),
                ):
                    value = _text(concept.get(key))
                    if value:
                        lines.append(f"   - {label}: {value}")
            sections.append("\n".join(lines))
        return sections

    @staticmethod
    def rendered(outcomes: Sequence[ToolOutcome]) -> bool:
        """Whether the renders have ended (the run writes its reply once they have, with
        ``credits_used``); a reply written earlier speaks of credits reserved."""
        return all("credits_used" in (o.result or {}) for o in outcomes)

    def media(self) -> str:
        outcomes = self.ok(*_MEDIA)
        if not outcomes:
            return ""
        ended = self.rendered(outcomes)
        lines = ["**Renders**" if ended else "**Renders started**"]
        total = 0
        for outcome in outcomes:
            result = outcome.result or {}
            facts = []
            generation = _text(result.get("generation_id"))
            if generation:
                facts.append(f"generation `{generation}`")
            status = _text(result.get("status"))
            if status:
                facts.append(status)
            error = _text(result.get("error"))
            if error and status in ("failed", "cancelled"):
                facts.append(error)
            credits = _int(result.get("credits_used" if ended else "credits_reserved"))
            if credits is not None:
                total += credits
                facts.append(f"{credits} credits" if ended else f"{credits} credits reserved")
            what = self.what(outcome)
            said = f": {', '.join(facts)}" if facts else ""
            lines.append(f"- {what[0].upper()}{what[1:]}{said}")
        if total and len(outcomes) > 1:
            lines.append(f"{total} credits {'in all' if ended else 'reserved in all'}.")
        if ended and any(_text((o.result or {}).get("status")) == "succeeded" for o in outcomes):
            lines.append("Their files are in this run's `media` (signed URLs).")
        return "\n".join(lines)

    def research(self) -> str:
        sections = []
        for outcome in self.ok("research_ad_library"):
            result = outcome.result or {}
            terms = _text(outcome.call.args.get("search_terms")) or ""
            ads = _dicts(result.get("ads"))
            if result.get("source") == "own_catalog":
                lines = ["**Your own products and creative**"]
            else:
                lines = [f"**Ad research: \u201c{terms}\u201d**"]
                summary = _text(result.get("summary"))
                if summary:
                    lines.append(summary)
                elif ads:
                    lines.append(f"{_count(len(ads), 'ad')} found.")
                else:
                    lines.append("No ads found for that search.")
            for insight in result.get("insights") or []:
                if isinstance(insight, str) and insight.strip():
                    lines.append(f"- {' '.join(insight.split())}")
            for ad in ads[:5]:
                who = _text(ad.get("page_name")) or _text(ad.get("brand")) or "An advertiser"
                body = (
                    _text(ad.get("body"))
                    or _text(ad.get("ad_creative_body"))
                    or _text(ad.get("headline"))
                    or _text(ad.get("title"))
                )
                if body and len(body) > 140:
                    body = body[:137].rstrip() + "\u2026"
                lines.append(f"- {who}" + (f": \u201c{body}\u201d" if body else ""))
            note = _text(result.get("note"))
            if note:
                lines.append(note)
            sections.append("\n".join(lines))
        return "\n\n".join(sections)

    def product_list(self) -> str:
        sections = []
        for outcome in self.ok("list_products"):
            result = outcome.result or {}
            items = _dicts(result.get("products")) or _dicts(result.get("data"))
            if not items:
                sections.append("Your catalog has no ready products yet.")
                continue
            lines = [f"**Your products** ({len(items)})"]
            for item in items[:20]:
                name = _text(item.get("name")) or "Unnamed"
                extra = [
                    t
                    for t in (
                        _text(item.get("brand_name")),
                        _text(item.get("product_type")),
                    )
                    if t
                ]
                ident = _text(item.get("id"))
                lines.append(
                    f"- {name}"
                    + (f" ({', '.join(extra)})" if extra else "")
                    + (f" \u2014 `{ident}`" if ident else "")
                )
            if len(items) > 20:
                lines.append(f"\u2026 and {len(items) - 20} more.")
            sections.append("\n".join(lines))
        return "\n\n".join(sections)

    def credits(self) -> str:
        lines = []
        for outcome in self.ok("check_credits"):
            result = outcome.result or {}
            balance = _int(result.get("balance"))
            if balance is None:
                balance = _int(result.get("credits"))
            if balance is not None:
                lines.append(f"You have **{balance:,} credits**.")
            for key, value in result.items():
                number = _int(value)
                if number is None or key in ("balance", "credits"):
                    continue
                lines.append(f"- {key.replace('_', ' ').capitalize()}: {number:,}")
        return "\n".join(lines)

    def errors(self) -> str:
        failed = [o for o in self.outcomes if not o.ok]
        if not failed:
            return ""
        lines = ["**What didn't work**"]
        for outcome in failed:
            what = self.what(outcome)
            verb = "didn't start" if outcome.call.tool in _MEDIA else "failed"
            lines.append(f"- {what[0].upper()}{what[1:]} {verb}: {explain_error(outcome)}")
        return "\n".join(lines)

    def notes(self) -> str:
        notes = self.plan.notes
        if len(notes) == 1:
            return notes[0]
        return "\n".join(f"- {note}" for note in notes)

    def next_step(self) -> str:
        concepts = self.ok("write_concepts")
        media = self.ok(*_MEDIA)
        tools = {o.call.tool for o in media}
        failed = [o for o in self.outcomes if not o.ok]
        if concepts and not media and any(o.call.tool == "write_concepts" for o in concepts):
            written = len(_dicts((concepts[0].result or {}).get("concepts")))
            if written and concepts[0].call.args.get("product_ids"):
                return (
                    "Next: say \u201crender them\u201d to make one image per concept (or "
                    "\u201crender the second one\u201d), \u201cmake three more\u201d for new "
                    "angles, or \u201ca 9:16 video of the first one\u201d."
                )
            if written:
                return (
                    "Next: select a product (or name it) and say \u201crender them\u201d to "
                    "see each concept's image idea on it."
                )
        if "generate_images" in tools:
            return (
                "Next: say \u201cmake the second one darker\u201d, \u201canother one like the "
                "first but on marble\u201d or \u201cnow a 9:16 video of it\u201d."
            )
        if "generate_video" in tools:
            return (
                "Next: say \u201cmake a 15 second version\u201d or \u201cnow a square one\u201d "
                "for another cut."
            )
        if "generate_ads" in tools:
            return (
                "Next: say \u201ctry it in 9:16\u201d or \u201ca bold offer version\u201d for "
                "variations."
            )
        if self.ok("research_ad_library"):
            return (
                "Next: say \u201cwrite three concepts based on this\u201d to turn what's working "
                "into your own ads."
            )
        if self.ok("list_products"):
            return "Next: name one (\u201cthree ad concepts for the \u2026\u201d) to start."
        if failed:
            return "Next: once that's sorted out, ask again and I'll pick up from there."
        return ""


def _name(product: ChatProduct | None) -> str | None:
    if product is None:
        return None
    return product.name or product.product_name or product.product_type


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
