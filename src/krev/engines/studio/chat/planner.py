"""The embedded planner: a chat message read without a model (``parse``) into a whole plan of
tool calls over the public bodies, then a reply from what they returned (``reply``).

What a plan holds, in this order:

1. ``check_credits`` ("how many credits"), ``list_products`` ("list my products"; always for
   the discover agent), ``research_ad_library`` (research words; always for discover);
2. ``write_concepts`` for "three concepts" (count capped at ``MAX_CONCEPTS``), with
   ``style_ids`` filled in (``ideas.concept_styles``) so that each concept's image idea is known
   now: "... and render them" adds one ``generate_images`` per concept whose prompt is that
   idea (``ideas.concept_ideas``, the function the domain's ``write_concepts`` uses);
3. otherwise media asked for directly ("4 images", "a 15 second tiktok", "3 ads"), or a
   follow-up on the conversation's concepts and renders ("make the second one darker", "now a
   9:16 video of it", "another one like the first but on marble").

Agents: ``asset`` plans all of it; ``discover`` researches and writes, and renders nothing;
``auto`` is ``discover`` for research that asks for no media, else ``asset``. Products come by
the policy of ``products``. Meta campaign changes are never planned: a note says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from krev.engines.chat import (
    MAX_CONCEPTS,
    AgentUsed,
    ChatProduct,
    ChatRequest,
    Plan,
    PriorConcept,
    PriorMedia,
    ToolCall,
    ToolName,
    ToolOutcome,
)
from krev.engines.studio.ads.styles import choose_style, style_by_id
from krev.engines.studio.chat.ideas import (
    VARIETY_ORDER,
    adjust_prompt,
    concept_ideas,
    concept_styles,
    image_idea,
    read_look,
)
from krev.engines.studio.chat.limits import (
    AD_ASPECT_RATIOS,
    IMAGE_ASPECT_RATIOS,
    MAX_PRODUCTS,
    MAX_VIDEOS,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DEFAULT_SECONDS,
    VIDEO_MAX_SECONDS,
    VIDEO_MIN_SECONDS,
    image_count,
    nearest_ratio,
)
from krev.engines.studio.chat.parse import ALL, LAST, Reading, read_message
from krev.engines.studio.chat.products import ProductChoice, choose_products
from krev.engines.studio.chat.reply import write_reply

__all__ = ["DEFAULT_CONCEPTS", "StudioPlanner", "concept_brief", "research_terms"]

DEFAULT_CONCEPTS = 3
"""Concepts for a bare plural ("write some hooks")."""

_SHAPES: dict[str, tuple[str, ...]] = {
    "generate_images": IMAGE_ASPECT_RATIOS,
    "generate_video": VIDEO_ASPECT_RATIOS,
    "generate_ads": AD_ASPECT_RATIOS,
}
_NOUN = {"generate_images": "images", "generate_video": "videos", "generate_ads": "ads"}


class StudioPlanner:
    """``krev.engines.chat.Planner`` without a model: deterministic, a few milliseconds."""

    name = "studio"

    def plan(self, request: ChatRequest) -> Plan:
        return _Planning(request).plan()

    def reply(self, request: ChatRequest, plan: Plan, outcomes: Sequence[ToolOutcome]) -> str:
        return write_reply(request, plan, outcomes)


# --- briefs and search terms ------------------------------------------------------------------

_CHAT_CLAUSES = (
    # "and include image ideas", "with photo prompts"
    r"[,;]?\s*(?:(?:and|then|plus|also)\s+)*(?:please\s+)?(?:include|including|add|with|plus|"
    r"and)\s+(?:some\s+|the\s+)?(?:image|photo|visual|picture|scene|shot)s?\s+(?:ideas?|"
    r"concepts?|prompts?|descriptions?|directions?|suggestions?)",
    # "and render them", "then generate the images too"
    r"[,;]?\s*(?:(?:and|then|also|plus)\s+)*(?:please\s+)?(?:render|generate|create|make|"
    r"visuali[sz]e|produce)\s+(?:them|those|these|each(?: one)?|all(?: of them)?|both|the "
    r"(?:images|visuals|photos|renders|videos?))(?:\s+(?:too|as well|also|now))?",
    r"\s+with\s+(?:images|visuals|renders|photos|pictures)\b",
    r"[,;]?\s*\b\d\s+(?:images?|photos?|variants?|versions?)\s+(?:each|per concept|apiece)",
    r"\s*(?:\bin\s+)?\b\d{1,2}\s*:\s*\d{1,2}\b",
)
_INSTRUCTION = re.compile(
    r"^\s*(?:(?:hey|hi|ok|okay|please|pls|can you|could you|would you|now)\b[\s,]*)*"
    r"(?:(?:make|create|write|generate|give me|come up with|draft|brainstorm|produce|design|"
    r"i need|i want|we need|need)\s+(?:me\s+|us\s+)?)?"
    r"(?:(?:some|a few|a couple of|a|an|\d+|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"more|new|fresh|different|distinct|other)\s+)*"
    r"(?:(?:facebook|meta|instagram|ig|tiktok|social|ad|ads|marketing|campaign|creative|short|"
    r"punchy|catchy|vertical|square|landscape|video|static)\s+)*"
    r"(?:concepts?|ideas?|angles?|hooks?|copy|headlines?|captions?|taglines?|ads?|adverts?|"
    r"creatives?|variations?)\b",
    re.IGNORECASE,
)


def concept_brief(message: str, product: ChatProduct | None = None) -> str:
    """The brief of a ``write_concepts`` or ``generate_ads`` call: the message without what
    only chat reads (counts, "include image ideas", "render them", a shape), its request
    worded as the ads copywriter reads briefs ("Create an ad for this serum, 20% off")."""
    text = " ".join(message.split())
    for pattern in _CHAT_CLAUSES:
        text = re.sub(pattern, "", text, flags=re.IGNORECASE)
    text = _INSTRUCTION.sub("Create an ad", text, count=1)
    text = re.sub(r"\s+([,.;!?])", r"\1", " ".join(text.split())).strip(" ,;")
    text = re.sub(r"\s*\b(?:please|pls|thanks|thank you)\b[.!]?$", "", text, flags=re.I).strip()
    if not text or text.lower() == "create an ad":
        name = product.name if product is not None and product.name else None
        return f"Create an ad for {name}" if name else "Create an ad"
    return text


def research_terms(reading: Reading, products: Sequence[ChatProduct]) -> str | None:
    """What to search the Ad Library for: the message's own topic words ("vitamin c serum"),
    else the first product's type, category or name."""
    if reading.topic:
        return reading.topic
    for product in products:
        for value in (product.product_type, product.category, product.name):
            if value and value.strip():
                return value.strip()
    return None


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class _Target:
    """Something made earlier that a follow-up acts on."""

    prompt: str
    product_ids: tuple[str, ...]
    kind: str  # image | video | ad
    concept: PriorConcept | None = None
    aspect_ratio: str | None = None


@dataclass
class _Planning:
    request: ChatRequest
    reading: Reading = field(init=False)
    steps: list[ToolCall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reading = read_message(self.request.message)

    # -- helpers --

    def note(self, sentence: str) -> None:
        if sentence not in self.notes:
            self.notes.append(sentence)

    def add(self, tool: ToolName, args: dict[str, Any]) -> None:
        self.steps.append(ToolCall(tool, args))

    def shape(self, tool: ToolName, fallback: str | None = None) -> str | None:
        asked = self.reading.aspect_ratio or fallback
        if asked is None:
            return None
        allowed = _SHAPES[tool]
        fitted = nearest_ratio(asked, allowed)
        if fitted != asked and self.reading.aspect_ratio:
            self.note(
                f"{_NOUN[tool].capitalize()} come in {', '.join(allowed)}, so "
                f"{asked} became {fitted}."
            )
        return fitted

    def count(self, tool: ToolName, asked: int | None) -> int:
        if asked is None:
            return 1
        fitted = image_count(asked)
        if fitted != asked:
            noun = "images" if tool == "generate_images" else "ad variants"
            if asked > fitted:
                self.note(f"One call makes at most {fitted} {noun}, so I asked for {fitted}.")
            else:
                self.note(
                    f"{noun.capitalize()} come in sets of 1, 2 or 4, so I asked for {fitted} "
                    f"instead of {asked}."
                )
        return fitted

    def seconds(self) -> int:
        asked = self.reading.duration
        if asked is None:
            return VIDEO_DEFAULT_SECONDS
        fitted = max(VIDEO_MIN_SECONDS, min(VIDEO_MAX_SECONDS, asked))
        if fitted != asked:
            self.note(
                f"Videos run {VIDEO_MIN_SECONDS} to {VIDEO_MAX_SECONDS} seconds, so the video is "
                f"{fitted} seconds rather than {asked}."
            )
        return fitted

    # -- the plan --

    def plan(self) -> Plan:
        reading, request = self.reading, self.request
        agent = self.agent()
        choice = choose_products(request)
        products = list(choice.products)
        if reading.meta_action:
            self.note(
                f"I can't change Meta campaigns from chat (you asked to \u201c"
                f"{reading.meta_action}\u201d): launching, publishing, pausing and budgets stay in "
                "Ads Manager. I can make the creative for you to upload there."
            )
        if reading.credits:
            self.add("check_credits", {})
        if reading.list_products or agent == "discover":
            self.add("list_products", {} if reading.list_products else {"limit": 20})
        if reading.research or agent == "discover":
            self.research(products)
        creative = self.creative(agent, choice)
        if not self.steps and not self.notes:
            self.note(
                "I didn't find anything to make in that message. Try \u201cthree ad concepts for "
                "the serum\u201d, \u201c4 square images on marble\u201d or \u201ca 10 second "
                "9:16 video\u201d."
            )
        elif creative:
            self.product_note(choice)
        return Plan(agent_used=agent, steps=tuple(self.steps), notes=tuple(self.notes))

    def agent(self) -> AgentUsed:
        if self.request.agent != "auto":
            return self.request.agent
        return "discover" if self.reading.research and not self.reading.media else "asset"

    def research(self, products: Sequence[ChatProduct]) -> None:
        terms = research_terms(self.reading, products)
        if terms is None:
            self.note(
                "Tell me what to research (a product type, a brand or a niche) and I'll search "
                "the Ad Library for it."
            )
            return
        args: dict[str, Any] = {"search_terms": terms}
        if self.reading.countries:
            args["countries"] = list(self.reading.countries)
        self.add("research_ad_library", args)

    def product_note(self, choice: ProductChoice) -> None:
        names = ", ".join(_name(p) for p in choice.products if _name(p) != "your product")
        if choice.source == "only" and names:
            self.note(f"You have one product, {names}, so I used it.")
        elif choice.source == "conversation" and names:
            self.note(f"I used {names}, the product we've been working on.")

    def ask_for_product(self, choice: ProductChoice, what: str) -> None:
        if choice.ambiguous:
            names = ", ".join(_name(p) for p in choice.ambiguous[:5])
            self.note(
                f"\u201c{choice.phrase}\u201d fits several of your products ({names}); select "
                f"one or name it and I'll make the {what}."
            )
            return
        catalog = self.request.catalog
        if not catalog:
            self.note(
                f"The {what} need a product, and your catalog has no ready product yet: add one "
                "with POST /api/v1/products, then ask again."
            )
            return
        names = ", ".join(_name(p) for p in catalog[:5])
        self.note(
            f"Which product? The {what} need one: select it (product_ids) or name it, e.g. "
            f"{names}. I didn't guess, so nothing was rendered."
        )

    # -- creative work --

    def creative(self, agent: AgentUsed, choice: ProductChoice) -> bool:
        """Plans the concepts and media; whether there were any to plan."""
        reading = self.reading
        media_planned_before = len(self.steps)
        if "concepts" in reading.asks:
            self.concepts(agent, choice)
        elif self.is_follow_up(choice):
            if agent == "discover":
                self.note(
                    "The discover agent researches and writes; it renders nothing. Ask the "
                    "asset agent (or auto) to render."
                )
                return False
            self.follow_up(choice)
        elif any(kind in reading.asks for kind in ("images", "video", "ads")):
            if agent == "discover":
                self.note(
                    "The discover agent researches and writes; it renders nothing. Ask the "
                    "asset agent (or auto) for the media."
                )
                return False
            self.fresh_media(choice)
        else:
            return False
        return len(self.steps) > media_planned_before

    def concepts(self, agent: AgentUsed, choice: ProductChoice) -> None:
        reading, request = self.reading, self.request
        ask = reading.asks["concepts"]
        count = ask.count if ask.count is not None else DEFAULT_CONCEPTS
        if count > MAX_CONCEPTS:
            self.note(f"I write at most {MAX_CONCEPTS} concepts at a time, so here are six.")
            count = MAX_CONCEPTS
        products = list(choice.products)[:MAX_PRODUCTS]
        product = products[0] if products else None
        brief = concept_brief(request.message, product)
        style_ids = self.styles(brief, count)
        args: dict[str, Any] = {"count": count, "brief": brief, "style_ids": style_ids}
        if products:
            args["product_ids"] = [p.id for p in products]
        self.add("write_concepts", args)
        if not products:
            if choice.ambiguous or reading.media:
                self.ask_for_product(choice, "renders")
            else:
                self.note("No product was named, so the concepts are written from the brief alone.")
        wants_images = reading.render or "images" in reading.asks
        wants_video = "video" in reading.asks
        wants_ads = "ads" in reading.asks
        if not (wants_images or wants_video or wants_ads) or not products:
            return
        if agent == "discover":
            self.note(
                "The discover agent writes concepts but renders nothing: say \u201crender "
                "them\u201d to the asset agent to make the images."
            )
            return
        ideas = concept_ideas(product, brief, style_ids)
        ids = [p.id for p in products]
        if wants_images or not (wants_video or wants_ads):
            per = self.count("generate_images", reading.per_item)
            for idea in ideas:
                self.images(idea, ids, per)
        if wants_video:
            wanted = reading.asks["video"].count or 1
            for idea in ideas[: min(wanted, MAX_VIDEOS)]:
                self.video(idea, products[0].id)
        if wants_ads:
            ads_ask = reading.asks["ads"]
            self.add("generate_ads", self.ads_args(brief, ids, ads_ask.count, style_ids[0]))

    def styles(self, brief: str, count: int) -> list[str]:
        ranked = concept_styles(brief, MAX_CONCEPTS, first=self.reading.style_ids)
        used = {c.style_id for c in self.request.context.concepts}
        if self.reading.more and used and not self.reading.style_ids:
            # "three more": styles the conversation has not had yet come first.
            ranked = [s for s in ranked if s not in used] + [s for s in ranked if s in used]
        return ranked[:count]

    def images(
        self,
        prompt: str,
        product_ids: Sequence[str],
        count: int,
        aspect_fallback: str | None = None,
    ) -> None:
        args: dict[str, Any] = {"prompt": prompt}
        if len(product_ids) == 1:
            args["product_id"] = product_ids[0]
        elif product_ids:
            args["product_ids"] = list(product_ids[:MAX_PRODUCTS])
        shape = self.shape("generate_images", aspect_fallback)
        if shape:
            args["aspect_ratio"] = shape
        if self.reading.preset_id:
            args["preset_id"] = self.reading.preset_id
        if self.reading.hd:
            args["hd"] = True
        if count != 1:
            args["image_count"] = count
        self.add("generate_images", args)

    def video(self, scene: str, product_id: str | None, aspect_fallback: str | None = None) -> None:
        prompt = scene
        if not re.search(r"\b(?:camera|pan|push|dolly|orbit|zoom)\b", prompt.lower()):
            prompt += ", slow camera pan"
        if self.reading.ugc and "ugc" not in prompt.lower():
            prompt += ", UGC creator-style"
        args: dict[str, Any] = {"prompt": prompt}
        if product_id:
            args["product_id"] = product_id
        shape = self.shape("generate_video", aspect_fallback)
        if shape:
            args["aspect_ratio"] = shape
        args["duration"] = self.seconds()
        self.add("generate_video", args)

    def ads_args(
        self, brief: str, product_ids: Sequence[str], asked: int | None, style_id: str | None
    ) -> dict[str, Any]:
        args: dict[str, Any] = {"brief": brief, "product_ids": list(product_ids[:MAX_PRODUCTS])}
        shape = self.shape("generate_ads")
        if shape:
            args["aspect_ratio"] = shape
        count = self.count("generate_ads", asked)
        if count != 1:
            args["image_count"] = count
        if style_id:
            args["style_id"] = style_id
        return args

    def fresh_media(self, choice: ProductChoice) -> None:
        reading, request = self.reading, self.request
        products = list(choice.products)
        kinds = [k for k in ("images", "video", "ads") if k in reading.asks]
        if not products:
            self.ask_for_product(choice, " and ".join(_PLAIN[k] for k in kinds))
            return
        product = products[0]
        brief = concept_brief(request.message, product)
        named_style = reading.style_ids[0] if reading.style_ids else None
        ids = [p.id for p in products][:MAX_PRODUCTS]
        if len(products) > MAX_PRODUCTS:
            self.note(f"One call shows at most {MAX_PRODUCTS} products; I used the first four.")
        if "images" in reading.asks:
            style = named_style or choose_style(brief).id
            prompt = image_idea(product, style, brief, 1)
            self.images(prompt, ids, self.count("generate_images", reading.asks["images"].count))
        if "video" in reading.asks:
            wanted = reading.asks["video"].count or 1
            if wanted > MAX_VIDEOS:
                self.note(f"I start at most {MAX_VIDEOS} videos from one message.")
            if len(products) > 1:
                self.note(f"A video shows one product, so the video is of {_name(product)}.")
            first = named_style or choose_style(brief).id
            styles = [first, *(s for s in VARIETY_ORDER if s != first)]
            for number in range(1, min(wanted, MAX_VIDEOS) + 1):
                style = styles[(number - 1) % len(styles)]
                self.video(image_idea(product, style, brief, number), product.id)
        if "ads" in reading.asks:
            asked = reading.asks["ads"].count
            self.add("generate_ads", self.ads_args(brief, ids, asked, named_style))

    # -- follow-ups --

    def is_follow_up(self, choice: ProductChoice) -> bool:
        context, reading = self.request.context, self.reading
        if not (context.concepts or context.media):
            return False
        if reading.meta_action and not reading.render:
            return False  # "launch the second one" points at it to publish it, not to remake it
        ordinal = any(ref not in (ALL, LAST) for ref in reading.refs)
        if choice.source == "message" and not ordinal:
            return False  # "4 images of the candle": a product named afresh
        if reading.render or ordinal or reading.ref_kind is not None:
            return True
        changes = not read_look(reading.text).empty or reading.preset_id is not None
        if reading.refs and (changes or reading.asks):
            return True  # "make it darker", "now a 9:16 video of it"
        return changes and not reading.asks

    def targets(self) -> list[_Target]:
        context, reading = self.request.context, self.reading
        refs = reading.refs or ((ALL,) if reading.render and context.concepts else (LAST,))
        by_media = reading.ref_kind in ("images", "video", "ads") and bool(context.media)
        if context.concepts and not by_media and not (refs == (LAST,) and context.media):
            concepts = context.concepts
            chosen: list[PriorConcept] = []
            for ref in refs:
                if ref == ALL:
                    chosen.extend(concepts)
                elif ref == LAST:
                    chosen.append(concepts[-1])
                elif ref <= len(concepts):
                    chosen.append(concepts[ref - 1])
                else:
                    self.note(f"There is no concept {ref}: the last run wrote {len(concepts)}.")
            return [_concept_target(c) for c in dict.fromkeys(chosen)]
        kind = {"images": "image", "video": "video", "ads": "ad"}.get(reading.ref_kind or "")
        media = [m for m in context.media if kind is None or m.kind == kind] or list(context.media)
        picked: list[PriorMedia] = []
        for ref in refs:
            if ref == ALL:
                picked.extend(media[-MAX_VIDEOS:])
            elif ref == LAST:
                picked.append(media[-1])
            elif ref <= len(media):
                picked.append(media[ref - 1])
            else:
                self.note(f"There is no render {ref} in this conversation yet.")
        return [_media_target(m) for m in dict.fromkeys(picked)]

    def follow_up(self, choice: ProductChoice) -> None:
        reading = self.reading
        targets = self.targets()
        changes = not read_look(reading.text).empty
        fallback_ids = tuple(p.id for p in choice.products)
        if "video" in reading.asks:
            out = "video"
        elif "ads" in reading.asks:
            out = "ad"
        elif "images" in reading.asks or reading.render:
            out = "image"
        else:
            out = ""
        videos = 0
        for target in targets:
            prompt = adjust_prompt(target.prompt, reading.text) if changes else target.prompt
            ids = target.product_ids or fallback_ids
            kind = out or target.kind
            if kind == "video":
                if videos >= MAX_VIDEOS:
                    continue
                videos += 1
                self.video(prompt, ids[0] if ids else None, target.aspect_ratio)
            elif kind == "ad":
                if not ids:
                    self.ask_for_product(choice, "ads")
                    continue
                concept = target.concept
                brief = f"{concept.headline}. {concept.body_copy}" if concept else target.prompt
                style = reading.style_ids[0] if reading.style_ids else None
                if style is None and concept is not None and style_by_id(concept.style_id):
                    style = concept.style_id
                asked = reading.asks["ads"].count if "ads" in reading.asks else None
                self.add("generate_ads", self.ads_args(brief, ids, asked, style))
            else:
                asked = reading.asks["images"].count if "images" in reading.asks else None
                self.images(
                    prompt,
                    ids,
                    self.count("generate_images", reading.per_item or asked),
                    target.aspect_ratio,
                )
        if not targets:
            self.note("I couldn't tell which earlier concept or render you meant.")
        elif not any(t.product_ids for t in targets) and not fallback_ids:
            self.note("These renders have no product; select one to put it in the scene.")


_PLAIN = {"images": "images", "video": "video", "ads": "ads"}


def _name(product: ChatProduct) -> str:
    return product.name or product.product_name or product.product_type or "your product"


def _concept_target(concept: PriorConcept) -> _Target:
    return _Target(
        prompt=concept.image_prompt,
        product_ids=concept.product_ids,
        kind="image",
        concept=concept,
    )


def _media_target(media: PriorMedia) -> _Target:
    return _Target(
        prompt=media.prompt,
        product_ids=media.product_ids,
        kind=media.kind,
        aspect_ratio=media.aspect_ratio,
    )
