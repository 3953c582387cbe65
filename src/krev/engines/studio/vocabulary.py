"""The published vocabulary: the categories, product types, materials and color words a product's
analysis answers with, and so the values a user may set when correcting one.

Everything here is derived from the taxonomy and the color palette the analyzers use, never kept
as a second copy: a type the taxonomy gains is published, and a correction can always send back
what an analysis wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import webcolors

from krev.engines.studio.colors import MERCHANT_PALETTE
from krev.engines.studio.taxonomy import MATERIALS, SHAPE_TYPES, TAXONOMY

__all__ = [
    "EXTRA_MATERIALS",
    "MATERIAL_SPELLINGS",
    "PublishedType",
    "categories",
    "color_words",
    "css_color_names",
    "materials",
    "palette_colors",
    "product_types",
]

# Broad material words a merchant uses that the label vocabulary (``taxonomy.MATERIALS``) does
# not name as such: accepted in a correction, never inferred from a label.
EXTRA_MATERIALS: tuple[str, ...] = ("metal", "fabric", "kraft", "paper")
# Other spellings of a published material: accepted in a correction and stored as the published
# word, so a catalog never holds one material under two names.
MATERIAL_SPELLINGS: dict[str, str] = {"aluminium": "aluminum"}


@dataclass(frozen=True)
class PublishedType:
    name: str
    category: str | None  # None for a form that holds products of many categories ("bottle")


@cache
def categories() -> tuple[str, ...]:
    """Every category, in taxonomy order."""
    return tuple(category.name for category in TAXONOMY)


@cache
def product_types() -> tuple[PublishedType, ...]:
    """Every product type with its category: the taxonomy's, then the product forms an outline
    alone shows (``SHAPE_TYPES``) that the taxonomy does not already name."""
    found = [
        PublishedType(product_type.name, category.name)
        for category in TAXONOMY
        for product_type in category.types
    ]
    named = {published.name for published in found}
    found.extend(
        PublishedType(form, category) for form, category in SHAPE_TYPES.items() if form not in named
    )
    return tuple(found)


@cache
def materials() -> tuple[str, ...]:
    """The material vocabulary (what analysis writes), then the broad words merchants use."""
    return tuple(dict.fromkeys((*MATERIALS, *EXTRA_MATERIALS)))


@cache
def palette_colors() -> tuple[str, ...]:
    """The color words analysis names a product's colors with."""
    return tuple(MERCHANT_PALETTE)


@cache
def css_color_names() -> tuple[str, ...]:
    """Every CSS color name (CSS Color Module Level 3/4 named colors)."""
    return tuple(sorted(webcolors.names("css3")))


@cache
def color_words() -> frozenset[str]:
    """Every color word a product may carry: the CSS names and the palette's own words (which
    include merchant words with no CSS name, when the palette has them)."""
    return frozenset((*css_color_names(), *palette_colors()))
