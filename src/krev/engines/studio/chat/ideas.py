"""Concepts' image ideas: a concrete scene for each concept (surface, light, props, camera, mood,
composition), written only in words the studio scene grammar understands (``scene/grammar.json``),
so that an idea is also a ``generate_images`` prompt that renders as it reads.

One function writes them for the planner and for the chat domain's ``write_concepts``. The
planner plans a concept's render before the concept exists, so both must arrive at the same
words, and they do because an idea depends only on what the call carries:

- the call's first product (``product_ids[0]``, as a ``ChatProduct``),
- the concept's ad style (``style_ids[number - 1]``; the planner always fills ``style_ids`` in,
  with ``concept_styles``, and a call without them gets ``concept_styles(brief, count)``),
- the call's ``brief`` and the concept's 1-based ``number``.

Nothing random and nothing from the copy: ``concept_ideas(product, brief, style_ids)`` on
both sides gives identical prompts. The domain's ``write_concepts`` therefore does::

    style_ids = args.get("style_ids") or concept_styles(args["brief"], args["count"])
    ideas = concept_ideas(first_product_or_none, args["brief"], style_ids)
    # concept i: style_id = style_ids[i], image_prompt = ideas[i], its copy in that style

Each ad style has its own set (``STYLE_LOOKS``): six styles, six different surfaces, lights,
cameras and props, so the concepts of one call look different. Scene words in the brief ("on
marble", "golden hour", "with flowers") override the style's for every concept, and a
follow-up's words ("darker", "on concrete") override both (``image_idea(..., adjust=...)``, or
``adjust_prompt`` on an earlier concept's prompt).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from krev.engines.chat import MAX_CONCEPTS, ChatProduct
from krev.engines.studio.ads.styles import DEFAULT_STYLE_ID, STYLES, choose_style, style_by_id
from krev.engines.studio.scene.prompt import (
    CAMERA_WORDS,
    LIGHTING_WORDS,
    MOOD_WORDS,
    PROP_WORDS,
    SURFACE_WORDS,
    TONE_WORDS,
    understand_prompt,
)

__all__ = [
    "STYLE_LOOKS",
    "VARIETY_ORDER",
    "Look",
    "LookChange",
    "adjust_prompt",
    "concept_ideas",
    "concept_styles",
    "image_idea",
    "read_look",
    "subject_of",
]


@dataclass(frozen=True)
class Look:
    """A scene in the grammar's values (``surface``, ``lighting``, … as ``understand_prompt``
    reports them) plus the color words of the surface."""

    surface: str
    color: str | None
    lighting: str
    camera: str
    mood: str
    tone: str | None = None
    props: tuple[str, ...] = ()


STYLE_LOOKS: dict[str, Look] = {
    # Direct response: the product as the hero on a clean sweep, shot from below.
    "performance": Look(
        "seamless", "pale gray", "studio", "low_angle", "minimal", None, ("podium",)
    ),
    # Quiet luxury: marble, window light, one green sprig.
    "minimal_luxe": Look(
        "marble", "white", "soft_window", "eye_level", "luxury", None, ("plants",)
    ),
    # The offer is loud: a bright color, shapes, even light.
    "bold_offer": Look(
        "seamless", "vivid coral", "high_key", "eye_level", "playful", None, ("blocks", "sphere")
    ),
    # A testimonial feels homely: a wooden table in warm light, cloth and flowers.
    "social_proof": Look(
        "wood", None, "golden_hour", "eye_level", "natural", None, ("fabric_drape", "flowers")
    ),
    # A checklist reads like a tidy flat lay.
    "benefit_stack": Look("paper", None, "soft_window", "top_down", "minimal", None, ("stones",)),
    # Ours against the usual: dark slate, a hard rim light, close.
    "comparison": Look("stone", "charcoal", "dramatic", "close_up", "moody", "dark", ()),
}

VARIETY_ORDER: tuple[str, ...] = (
    "performance",
    "social_proof",
    "benefit_stack",
    "minimal_luxe",
    "comparison",
    "bold_offer",
)
"""The styles after the brief's own choice, most broadly useful first: a bold offer shows only
an offer the brief states, so it comes last unless the brief chose it."""

# The words each value is written with: every one of them is in the grammar (tests check that
# each idea is understood as the look it was written from).
_SURFACES: dict[str, tuple[str, str, bool]] = {
    # value: (finish, noun, countable)
    "marble": ("polished", "marble", False),
    "wood": ("", "oak tabletop", True),
    "concrete": ("raw", "concrete", False),
    "terrazzo": ("", "terrazzo", False),
    "linen": ("", "linen", False),
    "fabric": ("", "silk", False),
    "sand": ("", "sand", False),
    "water": ("still", "water", False),
    "paper": ("", "kraft paper", False),
    "stone": ("", "slate", False),
    "metal": ("", "brushed steel", False),
    "glass": ("", "glass", False),
    "seamless": ("", "seamless backdrop", True),
}
_LIGHTING: dict[str, str] = {
    "golden_hour": "warm golden hour light",
    "soft_window": "soft window light",
    "sunlight": "midday sunlight",
    "spotlight": "a single spotlight",
    "neon": "neon light",
    "high_key": "airy high-key light",
    "low_key": "low-key lighting",
    "dramatic": "dramatic rim light",
    "studio": "softbox studio lighting",
}
_CAMERA: dict[str, str] = {
    "top_down": "shot from above",
    "low_angle": "low-angle hero shot",
    "close_up": "close-up",
    "eye_level": "eye-level",
}
_MOOD: dict[str, str] = {
    "luxury": "elegant",
    "minimal": "clean and minimal",
    "playful": "bold and playful",
    "natural": "fresh and natural",
    "moody": "moody",
}
_TONE: dict[str, str] = {"dark": "dark tones", "light": "light tones"}
_PROPS: dict[str, str] = {
    "plants": "eucalyptus leaves",
    "flowers": "flowers",
    "stones": "pebbles",
    "podium": "a round podium",
    "blocks": "geometric blocks",
    "fabric_drape": "draped folds",
    "ripples": "ripples",
    "sphere": "spheres",
}
# Where the product sits, by the concept's number: the ad's copy needs room somewhere.
_COMPOSITIONS: tuple[str, ...] = (
    "centered, copy space at the top",
    "placed left of center, copy space to the right",
    "placed right of center, copy space to the left",
    "small, generous negative space",
    "large in the frame",
    "low, copy space at the top",
)


# --- the styles of a call's concepts ----------------------------------------------------------


def concept_styles(brief: str, count: int, *, first: Sequence[str] = ()) -> list[str]:
    """``count`` distinct ad style ids for a call's concepts (at most ``MAX_CONCEPTS``): the
    ``first`` ones asked for by name, then the brief's own choice (``choose_style``), then
    ``VARIETY_ORDER``. Six styles for at most six concepts, so none repeats."""
    count = max(1, min(count, MAX_CONCEPTS))
    chosen: list[str] = []
    for style_id in (*first, choose_style(brief).id, *VARIETY_ORDER):
        if style_by_id(style_id) is not None and style_id not in chosen:
            chosen.append(style_id)
    for style in STYLES:  # a style added to styles.py but not yet to VARIETY_ORDER
        if style.id not in chosen:
            chosen.append(style.id)
    return chosen[:count]


# --- reading look words -----------------------------------------------------------------------


@dataclass(frozen=True)
class LookChange:
    """What a text asks of a scene's look; None where it says nothing."""

    surface: str | None = None
    color: str | None = None
    lighting: str | None = None
    camera: str | None = None
    mood: str | None = None
    tone: str | None = None
    props: tuple[str, ...] = ()
    clear_props: bool = False

    @property
    def empty(self) -> bool:
        return self == LookChange()


# Comparatives the grammar has no word for ("darker" is a tone, but it also means less light).
_COMPARATIVES: tuple[tuple[tuple[str, ...], LookChange], ...] = (
    (
        ("moodier", "more moody", "more mysterious", "more cinematic"),
        LookChange(mood="moody", tone="dark", lighting="dramatic"),
    ),
    (
        ("darker", "darken", "dimmer", "less bright", "more dark", "night time", "nighttime"),
        LookChange(tone="dark", lighting="low_key"),
    ),
    (
        ("brighter", "lighter", "lighten", "more airy", "airier", "less dark", "more light"),
        LookChange(tone="light", lighting="high_key"),
    ),
    (("warmer", "more warm", "cozier", "cosier"), LookChange(lighting="golden_hour")),
    (("cooler", "colder", "more cool", "softer", "gentler"), LookChange(lighting="soft_window")),
    (
        ("more dramatic", "punchier", "more contrast", "edgier", "more drama"),
        LookChange(lighting="dramatic"),
    ),
    (("closer", "tighter", "zoom in", "zoomed in", "more close"), LookChange(camera="close_up")),
    (
        ("wider", "zoom out", "zoomed out", "pull back", "further away"),
        LookChange(camera="eye_level"),
    ),
    (
        ("cleaner", "simpler", "more minimal", "less busy", "less clutter", "no props"),
        LookChange(mood="minimal", clear_props=True),
    ),
    (
        ("fancier", "more luxurious", "more premium", "more elegant", "classier", "more upscale"),
        LookChange(mood="luxury"),
    ),
    (
        ("more fun", "more playful", "bolder", "more colorful", "more colourful", "more vibrant"),
        LookChange(mood="playful"),
    ),
    (("more natural", "more organic", "earthier"), LookChange(mood="natural")),
)
# A color is read from a chat message only where it names a place for it ("on a sage
# backdrop", "in pink"): "the red wallet" names the product's color, not the set's.
_COLOR_PLACE = re.compile(
    r"\b(?:on|in|against|atop|onto|background|backdrop|backdrops|tones?|palette|surface)\b"
)


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text) is not None


@lru_cache(maxsize=512)
def read_look(text: str) -> LookChange:
    """The look a brief or a follow-up asks for: the grammar's words ("on marble", "golden
    hour", "with flowers", "from above") and the comparatives it has none for ("darker",
    "warmer", "closer", "cleaner"). Words the grammar names win over a comparative's guess."""
    lowered = " ".join(text.lower().replace("_", " ").split())
    if not lowered:
        return LookChange()
    implied = LookChange()
    for phrases, change in _COMPARATIVES:
        if any(_has(lowered, phrase) for phrase in phrases):
            implied = LookChange(
                surface=implied.surface,
                lighting=implied.lighting or change.lighting,
                camera=implied.camera or change.camera,
                mood=implied.mood or change.mood,
                tone=implied.tone or change.tone,
                clear_props=implied.clear_props or change.clear_props,
            )
    spec = understand_prompt(lowered)
    lighting = spec["lighting"] if isinstance(spec["lighting"], str) else None
    # understand_prompt infers a light from a mood; only a named light counts here.
    if lighting is not None and not any(_has(lowered, p) for p in LIGHTING_WORDS[lighting]):
        lighting = None
    colors = spec["colors"] if isinstance(spec["colors"], list) else []
    color = next(
        (str(c["name"]) for c in colors if isinstance(c, dict) and c.get("role") == "main"), None
    )
    if color is not None and not _COLOR_PLACE.search(lowered):
        color = None
    props = spec["props"] if isinstance(spec["props"], list) else []
    return LookChange(
        surface=_str(spec["surface"]),
        color=color,
        lighting=lighting or implied.lighting,
        camera=_str(spec["camera"]) or implied.camera,
        mood=_str(spec["mood"]) or implied.mood,
        tone=_str(spec["tone"]) or implied.tone,
        props=tuple(str(p) for p in props if not implied.clear_props),
        clear_props=implied.clear_props,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _applied(look: Look, change: LookChange) -> Look:
    if change.empty:
        return look
    color = look.color
    if change.surface is not None and change.surface != look.surface:
        color = None  # the style's color was for its own surface ("vivid coral" backdrop)
    if change.tone is not None and change.tone != look.tone:
        color = None  # "white" marble made darker, "charcoal" slate made brighter
    props = () if change.clear_props else look.props
    return replace(
        look,
        surface=change.surface or look.surface,
        color=change.color or color,
        lighting=change.lighting or look.lighting,
        camera=change.camera or look.camera,
        mood=change.mood or look.mood,
        tone=change.tone or look.tone,
        props=tuple(dict.fromkeys((*props, *change.props))),
    )


# --- writing an idea --------------------------------------------------------------------------

# A name that is itself a scene ("Sunset Serum", "Marble Candle", "Glow in the Dark Mug") would
# change the scene it is put in: such a product is called by its type, or "The product".
_SCENE_WORD = re.compile(r"\b(?:on|onto|atop|upon|in|inside|against|over|under|with|at)\b")


@lru_cache(maxsize=1024)
def _plain(name: str) -> bool:
    if _SCENE_WORD.search(name.lower()):
        return False
    spec = understand_prompt(name)
    keys = ("surface", "colors", "tone", "lighting", "camera", "mood", "props")
    return not any(spec[key] for key in keys)


def subject_of(product: ChatProduct | None) -> str:
    """How an idea names its product: its name, else its product name or type, where that
    says nothing about a scene; else "The product" (a framing word: no subject)."""
    if product is not None:
        for text in (product.name, product.product_name, product.product_type):
            if text and text.strip() and _plain(text.strip()):
                return text.strip()[:1].upper() + text.strip()[1:]
    return "The product"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _article(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _surface_words(look: Look) -> str:
    finish, noun, countable = _SURFACES.get(look.surface, _SURFACES["seamless"])
    words = " ".join(w for w in (finish, look.color or "", noun) if w)
    return _article(words) if countable else words


def _write(subject: str, look: Look, number: int) -> str:
    scene = f"{subject} on {_surface_words(look)}"
    if look.props:
        scene += " with " + _and([_PROPS[p] for p in look.props if p in _PROPS])
    parts = [
        scene,
        _LIGHTING.get(look.lighting, _LIGHTING["studio"]),
        _CAMERA.get(look.camera, _CAMERA["eye_level"]),
        _MOOD.get(look.mood, _MOOD["minimal"]),
    ]
    if look.tone in _TONE:
        parts.append(_TONE[look.tone])
    parts.append(_COMPOSITIONS[(max(number, 1) - 1) % len(_COMPOSITIONS)])
    return ", ".join(parts)


def image_idea(
    product: ChatProduct | None,
    style_id: str,
    brief: str,
    number: int,
    adjust: str | None = None,
) -> str:
    """Concept ``number``'s image idea: ``style_id``'s look (``STYLE_LOOKS``; an unknown id
    gets ``performance``'s), overridden by the brief's scene words and then ``adjust``'s,
    with a composition by number. Also its ``generate_images`` prompt."""
    look = STYLE_LOOKS.get(style_id, STYLE_LOOKS[DEFAULT_STYLE_ID])
    look = _applied(look, read_look(brief))
    if adjust:
        look = _applied(look, read_look(adjust))
    return _write(subject_of(product), look, number)


def concept_ideas(
    product: ChatProduct | None, brief: str, style_ids: Sequence[str], adjust: str | None = None
) -> list[str]:
    """The image ideas of a ``write_concepts`` call's concepts, in order: what the planner
    renders and what the domain stores as each concept's ``image_prompt``."""
    return [
        image_idea(product, style_id, brief, number, adjust)
        for number, style_id in enumerate(style_ids, start=1)
    ]


# --- changing an earlier prompt ---------------------------------------------------------------

# Words that belong to a look phrase when they stand next to one ("a single spotlight", "a
# round podium", "softbox studio lighting"): removed or replaced with it.
_LEADING = frozenset(
    ("a", "an", "the", "single", "round", "smooth", "glossy", "geometric", "few", "some"),
) | frozenset(("warm", "raw", "polished", "still", "shot"))
_TRAILING = frozenset(("light", "lighting", "lit", "shot", "shots"))
_WORD = re.compile(r"[a-z][a-z'\-]*")


def _spans(text: str, table: dict[str, tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where ``table``'s phrases occur in ``text`` (lower case), widened over the words that
    go with them and merged where only spaces separate them."""
    found: list[tuple[int, int]] = []
    for phrases in table.values():
        for phrase in phrases:
            pattern = rf"(?<![a-z]){re.escape(phrase)}(?![a-z])"
            found.extend(m.span() for m in re.finditer(pattern, text))
    widened = []
    for start, end in found:
        while True:
            before = re.search(r"([a-z][a-z'\-]*)\s+$", text[:start])
            if before and before.group(1) in _LEADING:
                start = before.start(1)
                continue
            break
        while True:
            after = re.match(r"\s+([a-z][a-z'\-]*)", text[end:])
            if after and after.group(1) in _TRAILING:
                end += after.end(1)
                continue
            break
        widened.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(widened):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _replace_spans(text: str, spans: list[tuple[int, int]], new: str | None) -> str:
    """The first span replaced by ``new`` (or removed), the others removed."""
    for index, (start, end) in reversed(list(enumerate(spans))):
        text = text[:start] + (new if index == 0 and new else "") + text[end:]
    return text


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\s+([,.;])", r"\1", text)
        text = re.sub(r"\b(?:with|and|a|an|the|on)\s*(?=[,.;]|$)", "", text)
        text = re.sub(r"([,;])\s*(?:[,;]\s*)+", r"\1 ", text)
        text = re.sub(r"\b(with|and)\s+and\b", r"\1", text)
        text = " ".join(text.split())
    text = re.sub(r"\b([Aa])n? ([a-z])", lambda m: _article(m.group(2)).replace("a", m[1], 1), text)
    return text.strip(" ,;")


def adjust_prompt(prompt: str, adjust: str) -> str:
    """An earlier image prompt changed as ``adjust`` asks ("make the second one darker"): the
    words of each aspect it changes are replaced in place (the first) or removed (the rest),
    and what the prompt did not say is added at the end. ``understand_prompt`` of the result
    reads the new look; the prompt's other words stay."""
    change = read_look(adjust)
    if change.empty:
        return prompt
    text = prompt if len(prompt.lower()) == len(prompt) else prompt.lower()
    additions: list[str] = []
    for table, value, words in (
        (LIGHTING_WORDS, change.lighting, _LIGHTING),
        (CAMERA_WORDS, change.camera, _CAMERA),
        (MOOD_WORDS, change.mood, _MOOD),
    ):
        if value is None:
            continue
        spans = _spans(text.lower(), table)
        if spans:
            text = _replace_spans(text, spans, words[value])
        else:
            additions.append(words[value])
    if change.clear_props:
        text = _replace_spans(text, _spans(text.lower(), PROP_WORDS), None)
    color = change.color
    if change.surface is not None:
        finish, noun, countable = _SURFACES[change.surface]
        surface = " ".join(w for w in (finish, color or "", noun) if w)
        surface = _article(surface) if countable else surface
        color = None
        spans = _spans(text.lower(), SURFACE_WORDS)
        if spans:
            first = _with_its_color(text, spans[0])
            text = _replace_spans(text, [first, *spans[1:]], surface)
        else:
            additions.insert(0, f"on {surface}")
    if change.tone is not None:
        text = _retone(text, change.tone, additions)
    if color is not None:
        text = _recolor(text, color, additions)
    if change.props:
        additions.append("with " + _and([_PROPS[p] for p in change.props if p in _PROPS]))
    return _tidy(", ".join([text, *additions]))


def _with_its_color(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A surface's span widened over the color words and the article before it ("a pale gray
    seamless backdrop"): they described the surface being replaced."""
    start, end = span
    names = _main_colors(text)
    while True:
        before = text[:start].lower().rstrip()
        name = next((n for n in names if before.endswith(n)), None)
        word = re.search(r"([a-z][a-z'\-]*)$", before)
        if name is not None:
            start = len(before) - len(name)
        elif word is not None and word.group(1) in _LEADING:
            start = word.start(1)
        else:
            return start, end


def _retone(text: str, tone: str, additions: list[str]) -> str:
    """Tone words out (but the "light" of a lighting phrase), the new one before the surface."""
    text = re.sub(r"(?i)\b(?:dark|light) tones?\b", "", text)  # what _TONE wrote
    lowered = text.lower()
    keep = _spans(lowered, LIGHTING_WORDS)
    tone_words = {word for words in TONE_WORDS.values() for word in words}
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(lowered):
        inside = any(start <= match.start() < end for start, end in keep)
        if match.group() in tone_words and not inside:
            out.append(text[last : match.start()])
            last = match.end()
    text = _tidy("".join([*out, text[last:]]))
    word = "dark" if tone == "dark" else "light"
    surfaces = _spans(text.lower(), {k: v for k, v in SURFACE_WORDS.items() if k != "seamless"})
    if surfaces:
        start = surfaces[0][0]
        article = re.match(r"(?:an?|the)\s+", text[start:], re.IGNORECASE)
        if article:
            start += article.end()
        return _tidy(f"{text[:start]}{word} {text[start:]}")
    additions.append(_TONE[tone])
    return text


def _main_colors(text: str) -> list[str]:
    """The names of the colors ``understand_prompt`` reads for the set ("pale gray")."""
    colors = understand_prompt(text)["colors"]
    if not isinstance(colors, list):
        return []
    return [str(c["name"]) for c in colors if isinstance(c, dict) and c.get("role") == "main"]


def _recolor(text: str, color: str, additions: list[str]) -> str:
    names = _main_colors(text)
    lowered = text.lower()
    for name in names:
        at = lowered.find(name)
        if at >= 0:
            return text[:at] + color + text[at + len(name) :]
    additions.append(f"{color} tones")
    return text
