"""Which products a message is about.

The policy, first that applies:

1. the request's selected products (``product_ids``), all of them, in order;
2. products the message names, matched against the catalog: a whole name, product name or
   "brand type" ("Lumen serum") in the message; else a type or a name's last word ("the
   serum") that exactly one product has, or a brand that has one product. Words compare as the
   scene engine's catalog match does (``word_key``: case, accents and plurals alike). Several
   products fitting equally ("the serum" with two serums) is an ambiguity: asked, never chosen;
3. the products the conversation has been about (``context.product_ids``), the most recent;
4. the catalog's only product, when it has exactly one (there is nothing to choose).

Otherwise none: never a random or "newest" product, which would spend credits on a guess.
The planner then plans no media, only what needs no product (concepts from the brief alone),
and the reply asks which product, naming a few.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from krev.engines.chat import ChatProduct, ChatRequest
from krev.engines.studio.scene.subject import word_key, word_key_text

__all__ = ["ProductChoice", "choose_products", "named_products", "product_by_id"]

Source = Literal["selected", "message", "conversation", "only", "none"]

# Words no product is found by: what chat asks for, not what it is about.
_GENERIC_WORDS = (
    "product item thing one ones it ad ads advert creative image photo picture shot render "
    "video reel clip concept idea angle hook copy headline caption brand my our your the "
    "this that these those new set"
)
_GENERIC = frozenset(word_key(word) for word in _GENERIC_WORDS.split(" "))


@dataclass(frozen=True)
class ProductChoice:
    products: tuple[ChatProduct, ...]
    source: Source
    ambiguous: tuple[ChatProduct, ...] = ()
    """Products that fit the message's words equally well (none chosen)."""
    phrase: str | None = None
    """The words they fit ("serum")."""


@lru_cache(maxsize=4096)
def _keys(text: str) -> str:
    return word_key_text(text)


def _whole_names(product: ChatProduct) -> list[str]:
    names = [product.name, product.product_name]
    if product.brand_name and product.product_type:
        names.append(f"{product.brand_name} {product.product_type}")
    if product.brand_name and product.product_name:
        names.append(f"{product.brand_name} {product.product_name}")
    return [name for name in names if name and name.strip()]


def _heads(product: ChatProduct) -> set[str]:
    heads = set()
    for text in (product.product_type, product.name, product.product_name):
        keys = _keys(text or "").split()
        if keys and keys[-1] not in _GENERIC and len(keys[-1]) > 1:
            heads.add(keys[-1])
    return heads


def named_products(
    message: str, candidates: Sequence[ChatProduct]
) -> tuple[list[ChatProduct], list[ChatProduct], str | None]:
    """The products ``message`` names (in the message's order), else the ones an ambiguous
    word fits, with that word."""
    padded = f" {_keys(message)} "
    words = set(padded.split())
    found: list[tuple[int, ChatProduct]] = []
    for product in candidates:
        positions = []
        for name in _whole_names(product):
            keys = _keys(name)
            if keys and not set(keys.split()) <= _GENERIC:
                at = padded.find(f" {keys} ")
                if at >= 0:
                    positions.append(at)
        if positions:
            found.append((min(positions), product))
    if found:
        chosen = [product for _, product in sorted(found, key=lambda item: item[0])]
        return list(dict.fromkeys(chosen)), [], None
    by_head: dict[str, list[ChatProduct]] = {}
    for product in candidates:
        for head in _heads(product) & words:
            by_head.setdefault(head, []).append(product)
        brand = _keys(product.brand_name or "")
        if brand and f" {brand} " in padded and not set(brand.split()) <= _GENERIC:
            by_head.setdefault(brand, []).append(product)
    chosen = []
    for head in sorted(by_head, key=lambda h: padded.find(f" {h} ")):
        fits = list(dict.fromkeys(by_head[head]))
        if len(fits) > 1:
            return [], fits, head
        chosen.extend(fits)
    return list(dict.fromkeys(chosen)), [], None


def choose_products(request: ChatRequest) -> ProductChoice:
    """The request's products by the module's policy."""
    if request.selected:
        return ProductChoice(tuple(request.selected), "selected")
    named, ambiguous, phrase = named_products(request.message, request.catalog)
    if named:
        return ProductChoice(tuple(named), "message")
    if ambiguous:
        return ProductChoice((), "none", tuple(ambiguous), phrase)
    if request.context.product_ids:
        recent = product_by_id(request, request.context.product_ids[0])
        return ProductChoice((recent,), "conversation")
    if len(request.catalog) == 1:
        return ProductChoice((request.catalog[0],), "only")
    return ProductChoice((), "none")


def product_by_id(request: ChatRequest, product_id: str) -> ChatProduct:
    """The selected or catalog product with this id; one with only the id (named by nothing)
    when the planner was not given it."""
    for product in (*request.selected, *request.catalog):
        if product.id == product_id:
            return product
    return ChatProduct(id=product_id, name="")
