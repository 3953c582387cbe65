"""The embedded copywriter's words: per copy shape, the hooks, headlines, body openings and
closings it fills from the merchant's facts, the CTA labels it picks from, and the everyday
moment a product type is for.

The fixed words here never state a fact about a product: no figures, prices, discounts,
ratings, awards, ingredients, superlatives or claims of newness or quality. Those come only
from the brief, the brand notes and the product metadata, through the slots. The test
``tests/engines/ads/test_copywriter.py`` checks this vocabulary against a list of claim words.

A template is a string with ``{slot}`` placeholders. ``{Slot}`` capitalises the value's first
letter, ``{?slot}`` renders nothing but needs the slot. A template whose slots are not all
known is skipped. Each list is "specific" first (needs the merchant's facts) and "generic"
(reads well for any product); every variant takes a different one, specific ones first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CATEGORY_MOMENTS",
    "CATEGORY_NOUNS",
    "COLOR_PREFIXES",
    "CONNECTING_WORDS",
    "CONSUMABLE_CATEGORIES",
    "DEFAULT_MOMENT",
    "FIXED_PHRASES",
    "SHAPES",
    "TYPE_MOMENTS",
    "UNUSABLE_TYPE_NOUNS",
    "VISUAL_CATEGORIES",
    "ShapeWords",
    "Templates",
    "template_words",
]


@dataclass(frozen=True)
class Templates:
    specific: tuple[str, ...]
    generic: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShapeWords:
    hooks: Templates
    headlines: Templates
    openers: Templates
    """The body's first sentence ("" where the body starts with its facts)."""
    closers: tuple[str, ...]
    ctas: tuple[str, ...]
    """Meta CTA labels, the style's first choice first; variants take turns."""
    supports: tuple[str, ...]
    """Which facts fill the body between opener and closer, in order: ``benefits``,
    ``statements``, ``proof``, ``look``, ``colors``, ``audience``, ``offer``, ``moment``."""
    body_max: int = 125
    max_supports: int = 3
    repeat_headings: bool = False
    """Whether the body may repeat what the hook or headline says (a checklist lists every
    benefit, whichever one the hook leads with)."""


_DIRECT = ShapeWords(
    hooks=Templates(
        (
            "{Lead}",
            "{Tagline}",
            "{Thing} {lead_vp}",
            "Made for {audience}",
            "Meet {name}",
            "Ready for {event}?",
        ),
        ("Made for {moment}", "Ready when you are", "Take a closer look", "See it for yourself"),
    ),
    headlines=Templates(
        (
            "The {noun_one} that {lead_vp}",
            "{Name}",
            "{Lead}",
            "{Look_noun}",
            "{Noun} for {audience}",
            "{Brand_noun}",
        ),
        ("Made for {moment}", "Get yours today", "Your next {noun_one}", "Ready when you are"),
    ),
    openers=Templates(
        (
            "{Thing} {lead_vp}.",
            "{Name}: {lead_np}.",
            "Meet {name}, made for {audience}.",
            "{A_noun} made for {audience}.",
            "Meet {name}.",
        ),
        ("{Thing}, made for {moment}.", "Meet {thing}.", "Made for {moment}."),
    ),
    closers=("Order yours today.", "Get yours today.", "Try {it} today."),
    ctas=("Shop now", "Order now"),
    supports=("offer", "benefits", "statements", "proof", "look", "moment"),
)

_QUIET = ShapeWords(
    hooks=Templates(
        ("{Name}", "{Tagline}", "{Lead}", "The {look_noun}", "{Name}, in {colors}"),
        (
            "Made for {moment}",
            "Understated, by design",
            "Simply yours",
            "Nothing more, nothing less",
        ),
    ),
    headlines=Templates(
        ("{Name}", "{Brand}", "The {look_noun}", "{Lead}"),
        ("The {noun}", "Discover more", "Made for {moment}", "Simply yours"),
    ),
    openers=Templates(
        ("{Name}. {Look}.", "{Lead}.", "{Name}, made for {moment}."),
        ("{Name}.", "Made for {moment}."),
    ),
    closers=("Discover {name}.", "Discover more.", "Find yours."),
    ctas=("Shop now", "Learn more"),
    supports=("look", "benefits", "statements"),
    body_max=90,
    max_supports=1,
)

_OFFER = ShapeWords(
    hooks=Templates(
        (
            "{Offer_code}",
            "{Occasion}: {offer}",
            "{Offer_when}",
            "{Offer_on}",
            "{Offer}",
            "{Extra}",
        ),
        ("Don't miss out: {offer}", "Treat yourself: {offer}", "Good news: {offer}"),
    ),
    headlines=Templates(
        ("{Offer_on}", "Use code {code}", "{Ends}", "{Offer}", "{Occasion}", "{Extra}"),
        ("{Name}", "Get yours today", "Treat yourself"),
    ),
    openers=Templates(
        (
            "{Occasion}: {offer_on_when}.",
            "{?undated}{Occasion}: {offer_on}.",
            "{Offer_on_when}.",
            "{Offer_when}.",
            "{?undated}{Offer_on}.",
            "{?undated}{Offer}.",
        ),
    ),
    closers=(
        "{?deadline}Grab yours before it ends.",
        "Treat yourself today.",
        "{?consumable}Stock up today.",
        "Get yours today.",
    ),
    ctas=("Get offer", "Shop now"),
    supports=("offer", "benefits", "statements"),
    # Short, as the style's tone asks: the offer panel of a 9:16 story sets no more whole.
    body_max=110,
)

# The Bold Offer style when the brief states no offer: urgent and energetic, but it promises
# no deal, no scarcity and no deadline that nobody gave.
_OFFER_NONE = ShapeWords(
    hooks=Templates(
        (
            "{Lead}",
            "{Tagline}",
            "Time for {name}",
            "Treat yourself to {name}",
            "{Thing} {lead_vp}",
            "Ready for {event}?",
        ),
        ("Go on, treat yourself", "Ready when you are", "Made for {moment}", "Why wait?"),
    ),
    headlines=Templates(
        ("{Name}", "{Lead}", "{Look_noun}", "{Brand_noun}"),
        ("Get yours today", "Treat yourself", "Made for {moment}", "Why wait?"),
    ),
    openers=Templates(
        ("{Thing} {lead_vp}.", "{Name}: {lead_np}.", "Meet {name}."),
        ("Treat yourself to {thing}.", "Made for {moment}."),
    ),
    closers=("Grab yours today.", "Get yours today.", "Treat yourself today."),
    ctas=("Shop now", "Order now"),
    supports=("benefits", "statements", "look"),
)

_QUOTE = ShapeWords(
    hooks=Templates(
        ("“{quote}”", "{Proof}", "Hear it from {author}", "In {speaker}'s words"),
        ("Don't take our word for it", "See for yourself", "Made for {moment}"),
    ),
    headlines=Templates(
        ("“{quote}”", "{Name}", "{Lead}", "{Proof}"),
        ("See for yourself", "Made for {moment}"),
    ),
    openers=Templates(("{quote_line}",)),
    closers=("See for yourself.", "Try {it} for yourself."),
    ctas=("Shop now", "Learn more"),
    supports=("proof", "benefits", "offer", "statements"),
)

# Social proof without a quote or proof in the brief: the card speaks as the brand, warm and
# personal, and never puts words in a customer's mouth.
_QUOTE_NONE = ShapeWords(
    hooks=Templates(
        ("{Proof}", "{Tagline}", "{Lead}", "Say hello to {name}"),
        ("Made for {moment}", "We think you'll like this", "From us to you", "Say hello"),
    ),
    headlines=Templates(
        ("{Name}", "{Lead}", "{Proof}", "{Brand_noun}"),
        ("From us to you", "Made for {moment}", "See for yourself"),
    ),
    openers=Templates(
        ("Say hello to {name}.", "{Thing} {lead_vp}.", "{Proof}.", "{Name}: {lead_np}."),
        ("Meet {thing}, made for {moment}.", "Made for {moment}."),
    ),
    closers=("See for yourself.", "We think you'll like {it}.", "Try {it} for yourself."),
    ctas=("Shop now", "Learn more"),
    supports=("benefits", "offer", "statements", "look"),
)

_BENEFITS = ShapeWords(
    hooks=Templates(
        (
            "{Lead}",
            "{?b2}Why {name}?",
            "{?b2}What you get with {name}",
            "{Tagline}",
            "{Name}, at a glance",
        ),
        (
            "Made for {moment}",
            "Take a closer look",
            "Good to know",
            "See the details",
            "{?b2}Here's what you get",
        ),
    ),
    headlines=Templates(
        ("{Name}", "{Lead}", "{B2}", "The {look_noun}", "Made for {audience}"),
        ("Made for {moment}", "Get yours today", "Take a closer look", "{?b2}Here's what you get"),
    ),
    openers=Templates(("",)),
    closers=("Order yours today.", "Get yours today.", "Find yours today."),
    ctas=("Shop now", "Learn more"),
    supports=("benefits", "offer", "look", "colors", "audience", "statements", "moment"),
    repeat_headings=True,
)

_CONTRAST = ShapeWords(
    hooks=Templates(
        (
            "Still using {rival}?",
            "Swap {rival} for {name}",
            "{Rival}? Try {name}",
            "Skip {rival}",
            "Ready to ditch {rival}?",
        ),
        ("Make the switch", "Time to switch it up", "Ready for a change?"),
    ),
    headlines=Templates(
        ("Swap {rival} for {name}", "{Name} vs. {rival}", "{Lead}", "{Name}", "Skip {rival}"),
        ("Make the switch", "Ready for a change?"),
    ),
    openers=Templates(
        ("Swap {rival} for {branded}.", "{Rival}, or {branded}?", "Still using {rival}?"),
        ("Skip {rival}.",),
    ),
    closers=("Make the switch.", "Make the switch today.", "Try {it} today."),
    ctas=("Learn more", "Shop now"),
    supports=("benefits", "statements"),
)

# The comparison style without an alternative in the brief: ours against "the usual", never
# against a named brand, and without claiming what the usual lacks.
_CONTRAST_NONE = ShapeWords(
    hooks=Templates(
        ("Not your usual {noun}", "The usual {noun}, or {ours}?", "Rethink your {noun}", "{Lead}"),
        ("Skip the usual", "Time to switch it up", "Ready for a change?", "Make the switch"),
    ),
    headlines=Templates(
        ("{Name}", "{Lead}", "Not your usual {noun}", "{Brand_noun}"),
        ("Make the switch", "Skip the usual", "Ready for a change?"),
    ),
    openers=Templates(
        ("The usual {noun}, or {ours}?", "{Thing} {lead_vp}.", "{Name}: {lead_np}."),
        ("Skip the usual.", "Ready for a change?"),
    ),
    closers=("Make the switch.", "Make the switch today.", "Try {it} today."),
    ctas=("Learn more", "Shop now"),
    supports=("benefits", "statements"),
)

SHAPES: dict[str, ShapeWords] = {
    "direct": _DIRECT,
    "quiet": _QUIET,
    "offer": _OFFER,
    "offer:none": _OFFER_NONE,
    "quote": _QUOTE,
    "quote:none": _QUOTE_NONE,
    "benefits": _BENEFITS,
    "contrast": _CONTRAST,
    "contrast:none": _CONTRAST_NONE,
}

# What a product is for, in everyday words ("Made for snack time"); a type's own first.
TYPE_MOMENTS: dict[str, str] = {
    "coffee": "your mornings",
    "tea": "your mornings",
    "cereal": "your mornings",
    "mug": "your mornings",
    "wine": "your next get-together",
    "beer": "your next get-together",
    "spirits": "your next get-together",
    "luggage": "your next trip",
    "sunscreen": "sunny days",
    "candle": "quiet evenings",
    "diffuser": "quiet evenings",
    "cookware": "your kitchen",
    "tableware": "your table",
    "sauce": "your kitchen",
    "spread": "your kitchen",
    "pasta": "your kitchen",
    "olive oil": "your kitchen",
    "spices": "your kitchen",
    "baking": "your kitchen",
    "soup": "your kitchen",
    "snack": "snack time",
    "cookies": "snack time",
    "candy": "snack time",
    "chocolate": "snack time",
    "bar": "snack time",
    "headphones": "your playlist",
    "speaker": "your playlist",
    "yoga mat": "your practice",
    "water bottle": "your day",
    "pre-workout": "your workouts",
    "protein powder": "your workouts",
}
CATEGORY_MOMENTS: dict[str, str] = {
    "supplement": "your daily routine",
    "skincare": "your skincare routine",
    "beauty": "your routine",
    "beverage": "any time of day",
    "food": "your kitchen",
    "bags": "your everyday carry",
    "apparel": "everyday wear",
    "footwear": "every step",
    "jewelry": "every day",
    "electronics": "your day",
    "home": "your home",
    "pet": "your pet",
    "toys": "playtime",
    "sports": "your workouts",
}
DEFAULT_MOMENT = "your everyday"

# A noun for a product whose type is unknown but whose category reads as one.
CATEGORY_NOUNS: dict[str, str] = {
    "supplement": "supplement",
    "beverage": "drink",
    "bags": "bag",
    "footwear": "shoes",
    "toys": "toy",
    "skincare": "skincare",
}
# Taxonomy types that are not nouns a sentence can name a product by ("the Aura cleaning").
UNUSABLE_TYPE_NOUNS = frozenset(("cleaning", "shaving", "baking", "oral care", "decor"))
# Where a product's own colors and materials describe it (not its packaging's).
VISUAL_CATEGORIES = frozenset(
    ("bags", "apparel", "footwear", "jewelry", "home", "electronics", "sports", "toys", "pet")
)
# Products people buy again ("Stock up today").
CONSUMABLE_CATEGORIES = frozenset(("supplement", "beverage", "food"))

# Sentences and words the copywriter's code adds around the merchant's facts.
FIXED_PHRASES: tuple[str, ...] = (
    "Use code {code} at checkout.",
    "{offer} with code {code}",
    "Made for {audience}.",
    "In {colors}.",
    "Ends {deadline}.",
    "— {author}",
    DEFAULT_MOMENT,
)
CONNECTING_WORDS: tuple[str, ...] = ("a", "an", "and", "the", "collection", "it", "them")
COLOR_PREFIXES: tuple[str, ...] = ("light", "dark")

_SLOT = re.compile(r"\{\??(\w+)\}")


def template_words() -> frozenset[str]:
    """Every word the templates themselves contribute, lower-cased (slots left out)."""
    texts: list[str] = [*FIXED_PHRASES, *CONNECTING_WORDS, *COLOR_PREFIXES, DEFAULT_MOMENT]
    for shape in SHAPES.values():
        for group in (shape.hooks, shape.headlines, shape.openers):
            texts += group.specific + group.generic
        texts += shape.closers  # CTA labels are Meta's, and go in their own field
    texts += TYPE_MOMENTS.values()
    texts += CATEGORY_MOMENTS.values()
    texts += CATEGORY_NOUNS.values()
    words: set[str] = set()
    for text in texts:
        words.update(re.findall(r"[a-z0-9'.-]+", _SLOT.sub(" ", text).lower()))
    found = (word.strip(".'-").removesuffix("'s") for word in words)
    return frozenset(word for word in found if word)
