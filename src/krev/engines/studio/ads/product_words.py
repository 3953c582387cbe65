"""A product as ad copy names it: its name ("Vigor Peak"), what it is ("protein bar"), how a
sentence refers to it, what it is for ("snack time"), and how it looks ("tan leather"), from
the brief's own noun and the products' metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from krev.engines.providers import CopyProduct
from krev.engines.studio.ads.brief import CopyFacts
from krev.engines.studio.ads.copy_templates import (
    CATEGORY_MOMENTS,
    CATEGORY_NOUNS,
    COLOR_PREFIXES,
    CONSUMABLE_CATEGORIES,
    DEFAULT_MOMENT,
    TYPE_MOMENTS,
    UNUSABLE_TYPE_NOUNS,
    VISUAL_CATEGORIES,
)
from krev.engines.studio.taxonomy import match_taxonomy

__all__ = ["ProductWords", "adds_color", "look_noun", "with_article"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than one per line)."""
    return frozenset(text.split())


# Nouns without "a" (by their last word): "Coffee made for your mornings".
_MASS_NOUNS = _words(
    "coffee tea juice soda water milk wine beer spirits candy chocolate cereal sauce "
    "spread pasta oil soup skincare collagen equipment food care gear"
)
# Materials that are true but sell nothing when named ("black plastic headphones").
_UNFLATTERING_MATERIALS = _words("plastic paper cardboard rubber fabric wax polyester")
_SINGULAR_ENDING_IN_S = _words(
    "lens canvas glass dress bus gas plus hummus chess class compass mattress series"
)


@dataclass(frozen=True)
class ProductWords:
    name: str | None
    """A proper name: brand and line ("Vigor Peak"), the line, or the catalog name."""
    brand: str | None
    noun: str | None
    """What it is ("protein bar", "sneakers")."""
    plural: bool
    mass: bool
    category: str | None
    product_type: str | None
    colors: str | None
    look: str | None
    """Color and material, where they describe the product itself ("black leather")."""
    kind: tuple[str | None, str | None]
    """(type, category) the copy speaks of: the brief's own noun's where the taxonomy knows
    it ("protein bar" is food), else the metadata's."""

    @classmethod
    def of(cls, products: list[CopyProduct], facts: CopyFacts) -> ProductWords:
        brands = list(dict.fromkeys(p.brand_name for p in products if p.brand_name))
        brand = brands[0] if len(brands) == 1 else None
        single = products[0] if len(products) == 1 else None
        category = _common(p.category for p in products)
        product_type = _common(p.product_type for p in products)
        noun = _clean_phrase(facts.subject) or _clean_phrase(facts.subject_hint)
        plural = False
        if noun is None and len(products) > 1:
            types = list(dict.fromkeys(p.product_type for p in products if p.product_type))
            if len(types) == 2 and not (set(types) & UNUSABLE_TYPE_NOUNS):
                noun, plural = f"{types[0]} and {types[1]}", True
            else:
                noun = "collection"
        if noun is None and product_type and product_type not in UNUSABLE_TYPE_NOUNS:
            noun = product_type
        if noun is None and category:
            noun = CATEGORY_NOUNS.get(category)
        if noun and brand and noun.lower().startswith(brand.lower() + " "):
            noun = noun[len(brand) + 1 :]
        if noun is not None and not plural:
            plural = _is_plural(noun)
        name = _name(single, brand) if single is not None else None
        colors, look = _appearance(products, category)
        named = match_taxonomy([noun]) if noun else None
        return cls(
            name=name,
            brand=brand,
            noun=noun,
            plural=plural,
            mass=noun is not None and noun.split()[-1].lower() in _MASS_NOUNS,
            category=category,
            product_type=product_type,
            colors=colors,
            look=look,
            kind=named if named is not None else (product_type, category),
        )

    @property
    def branded_noun(self) -> str | None:
        """The brand before the noun ("Vigor protein bar"), unless the noun is a name of its
        own ("Day Shift capsules") or holds the brand already."""
        if not self.noun or not self.brand or self.noun[:1].isupper():
            return None
        if self.brand.lower() in self.noun.lower():
            return None
        branded = f"{self.brand} {self.noun}"
        if self.name and self.name.lower() == branded.lower():
            return None  # "Aurora night serum" is the name "Aurora Night Serum" again
        return branded

    @property
    def thing(self) -> str | None:
        """How a sentence names it: "Vigor Peak", "the Vigor bar", "the protein bar"."""
        if self.name:
            return self.name
        if self.branded_noun:
            return f"the {self.branded_noun}"
        if self.noun:
            return f"the {self.noun}"
        return self.brand

    @property
    def moment(self) -> str:
        product_type, category = self.kind
        if product_type in TYPE_MOMENTS:
            return TYPE_MOMENTS[product_type]
        return CATEGORY_MOMENTS.get(category or "", DEFAULT_MOMENT)

    @property
    def consumable(self) -> bool:
        return self.kind[1] in CONSUMABLE_CATEGORIES


def _common(values: Iterable[str | None]) -> str | None:
    found = list(dict.fromkeys(values))
    return found[0] if len(found) == 1 else None


def _clean_phrase(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split()).strip(" ,.;:")
    return text if 0 < len(text) <= 32 else None


def _is_plural(noun: str) -> bool:
    last = noun.split()[-1].lower()
    if last in _SINGULAR_ENDING_IN_S or last in _MASS_NOUNS:
        return False
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "'s"))


def _name(product: CopyProduct, brand: str | None) -> str | None:
    line = _clean_phrase(product.product_name)
    if line and brand and not line.lower().startswith(brand.lower()):
        return f"{brand} {line}"
    if line:
        return line
    catalog = _clean_phrase(product.name)
    if catalog and _reads_as_name(catalog):
        return catalog
    return None


def _reads_as_name(text: str) -> bool:
    """A catalog name a person gave ("Day Shift by Aura"), not a file name ("IMG_2031")."""
    if "_" in text or re.search(r"\.(?:jpe?g|png|webp|heic)$", text, re.IGNORECASE):
        return False
    if re.match(r"^(?:img|dsc|photo|image|untitled|product)\b", text, re.IGNORECASE):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 3 and letters >= 0.6 * len(text.replace(" ", "")) and len(text.split()) <= 6


def _color_words(name: str) -> str | None:
    name = name.strip().lower()
    if re.fullmatch(r"[a-z]+", name) is None:
        return None
    for prefix in COLOR_PREFIXES:
        rest = name.removeprefix(prefix)
        if rest != name and len(rest) >= 3:
            return f"{prefix} {rest}"
    return name


def _appearance(products: list[CopyProduct], category: str | None) -> tuple[str | None, str | None]:
    if len(products) != 1 or category not in VISUAL_CATEGORIES:
        return None, None
    product = products[0]
    colors = [c for c in (_color_words(name) for name in product.colors) if c][:2]
    materials = [
        m
        for m in product.materials
        if re.fullmatch(r"[a-z][a-z -]*", m) and m not in _UNFLATTERING_MATERIALS
    ]
    color_text = " and ".join(colors) if colors else None
    material = materials[0] if materials else None
    if material and colors and colors[0] != material:
        return color_text, f"{colors[0]} {material}"
    return color_text, material or (colors[0] if colors else None)


def look_noun(product: ProductWords) -> str | None:
    """Look and noun without saying a word twice: "teal stainless steel" and "steel bottle"
    make "teal stainless steel bottle"; None when the look adds nothing to the noun."""
    if not product.look or not product.noun:
        return None
    look, noun = product.look.split(), product.noun.split()
    for overlap in range(min(len(look), len(noun)), 0, -1):
        if [w.lower() for w in look[-overlap:]] == [w.lower() for w in noun[:overlap]]:
            return " ".join(look + noun[overlap:])
    nouns = {word.lower() for word in noun}
    extra = [word for word in look if word.lower() not in nouns]
    return " ".join(extra + noun) if extra else None


def with_article(product: ProductWords) -> str:
    noun = product.noun or ""
    if product.plural or product.mass:
        return noun
    article = "an" if re.match(r"[aeiou]|8|11|18", noun, re.IGNORECASE) else "a"
    return f"{article} {noun}"


def adds_color(product: ProductWords) -> bool:
    """Whether "In {colors}" says a color that the look and the noun do not."""
    shown = f"{product.look or ''} {product.noun or ''}".lower().split()
    return any(color not in shown for color in (product.colors or "").split(" and "))
