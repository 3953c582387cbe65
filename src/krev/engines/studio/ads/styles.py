"""The ad styles: each a layout family with its own typography, color logic and copy tone.

The copywriter reads ``tone`` and ``copy_shape``; the layout reads ``family``, ``typeface`` and
``palette``. Without a ``style_id`` the brief chooses (``choose_style``): the first style, in
``BRIEF_ORDER``, one of whose cue words or phrases the brief contains; else ``performance``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BRIEF_ORDER",
    "DEFAULT_STYLE_ID",
    "STYLES",
    "AdStyle",
    "choose_style",
    "style_by_id",
]

Typeface = Literal["sans", "serif", "condensed"]
PaletteLogic = Literal["brand", "neutral", "high_contrast", "soft", "dark"]
CopyShape = Literal["direct", "quiet", "offer", "quote", "benefits", "contrast"]


@dataclass(frozen=True)
class AdStyle:
    id: str
    name: str
    """As the response's ``ad_copy.style_name`` shows it."""
    description: str
    family: str
    """The layout family: where the scene, the copy and the button go."""
    typeface: Typeface
    palette: PaletteLogic
    """How the ad's colors follow from the brand's: its own, neutrals around it, a loud
    contrast, pastel tints of it, or a dark ground."""
    tone: str
    """How the copy sounds, in a few words (the copywriter's templates and an LLM's prompt)."""
    copy_shape: CopyShape
    """What the body copy is built as."""
    brief_words: tuple[str, ...] = ()
    """Words and phrases in a brief that choose this style when the request names none."""


STYLES: tuple[AdStyle, ...] = (
    AdStyle(
        "performance",
        "Performance Master",
        "Direct response: the product as the hero, one strong benefit headline and a bold "
        "call-to-action button on the brand's color.",
        family="hero_band",
        typeface="sans",
        palette="brand",
        tone="direct, confident, benefit first",
        copy_shape="direct",
        brief_words=("direct response", "conversion", "convert", "performance", "roas"),
    ),
    AdStyle(
        "minimal_luxe",
        "Minimal Luxe",
        "Quiet luxury: generous space, a serif headline in small capitals, muted neutrals "
        "and a slim outlined button.",
        family="gallery",
        typeface="serif",
        palette="neutral",
        tone="understated, refined, few words",
        copy_shape="quiet",
        brief_words=(
            "luxury",
            "luxe",
            "premium",
            "elegant",
            "refined",
            "timeless",
            "minimal",
            "minimalist",
            "high-end",
            "sophisticated",
        ),
    ),
    AdStyle(
        "bold_offer",
        "Bold Offer",
        "The offer is the message: a large offer panel in a loud contrast color, the product "
        "beside it and an urgent button. Shows only an offer the brief or brand notes state.",
        family="offer_panel",
        typeface="condensed",
        palette="high_contrast",
        tone="urgent, energetic, short",
        copy_shape="offer",
        brief_words=(
            "sale",
            "discount",
            "% off",
            "percent off",
            "deal",
            "offer",
            "promo",
            "promotion",
            "coupon",
            "code",
            "limited time",
            "today only",
            "last chance",
            "ends soon",
            "black friday",
            "cyber monday",
            "free shipping",
            "bundle",
            "clearance",
            "flash",
        ),
    ),
    AdStyle(
        "social_proof",
        "Social Proof",
        "A testimonial card: a quote set large in quotation marks beside the product. Quotes "
        "only what the brief or brand notes give; otherwise the card speaks as the brand.",
        family="quote_card",
        typeface="serif",
        palette="soft",
        tone="warm, personal, credible",
        copy_shape="quote",
        brief_words=(
            "review",
            "reviews",
            "testimonial",
            "testimonials",
            "customers love",
            "customers say",
            "loved by",
            "rated",
            "stars",
            "social proof",
            "word of mouth",
            "ugc quote",
        ),
    ),
    AdStyle(
        "benefit_stack",
        "Benefit Stack",
        "Reasons to buy as a checklist: the product on one side, up to three short benefit "
        "lines with check marks on the other.",
        family="checklist",
        typeface="sans",
        palette="brand",
        tone="clear, practical, scannable",
        copy_shape="benefits",
        brief_words=(
            "benefits",
            "benefit",
            "features",
            "reasons",
            "why choose",
            "checklist",
            "what you get",
            "highlights",
        ),
    ),
    AdStyle(
        "comparison",
        "Comparison",
        "Ours against the usual: two columns contrasting the product with the ordinary "
        "alternative (never a named competitor), the product over its column.",
        family="split",
        typeface="sans",
        palette="dark",
        tone="matter-of-fact, contrasting",
        copy_shape="contrast",
        brief_words=(
            "compare",
            "comparison",
            " vs ",
            "versus",
            "unlike",
            "better than",
            "switch from",
            "instead of",
            "alternative to",
            "the old way",
        ),
    ),
)

DEFAULT_STYLE_ID = "performance"

# Which style wins when a brief's words point at several: an offer the brief states is the
# message; a comparison or quote shapes the whole layout; benefits and luxury tone come after.
BRIEF_ORDER: tuple[str, ...] = (
    "bold_offer",
    "comparison",
    "social_proof",
    "benefit_stack",
    "minimal_luxe",
    "performance",
)

_BY_ID = {style.id: style for style in STYLES}


def style_by_id(style_id: str) -> AdStyle | None:
    return _BY_ID.get(style_id)


def _mentions(text: str, cue: str) -> bool:
    if cue.startswith(" ") or not cue[0].isalnum() or not cue[-1].isalnum():
        return cue in text
    return re.search(rf"(?<![\w-]){re.escape(cue)}(?![\w-])", text) is not None


def choose_style(brief: str) -> AdStyle:
    """The style a brief's words point at (``BRIEF_ORDER`` breaks ties); ``performance`` when
    none do. Percent signs after a number count as an offer ("20% off", "save 15%")."""
    text = f" {' '.join(brief.lower().split())} "
    if re.search(r"\d\s*%", text):
        return _BY_ID["bold_offer"]
    for style_id in BRIEF_ORDER:
        style = _BY_ID[style_id]
        if any(_mentions(text, cue) for cue in style.brief_words):
            return style
    return _BY_ID[DEFAULT_STYLE_ID]
