"""Capability interfaces and the typed data they exchange.

Implementations live in ``krev.engines.studio`` (embedded, CPU) and, later, model-backed
alternatives chosen by configuration. Images cross these interfaces as NumPy arrays: RGB
``uint8`` of shape (height, width, 3), masks as ``float32`` alpha in [0, 1] of shape
(height, width).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]
AlphaMask = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SegmentationResult:
    """The product's alpha (soft edges allowed) and how sure the segmenter is."""

    alpha: AlphaMask
    confidence: float  # 0..1; low when no clear foreground was found
    method: str  # e.g. "studio-classical"


class Segmenter(Protocol):
    name: str

    def segment(self, image: RGBImage) -> SegmentationResult:
        """Separate the product from its background."""


@dataclass(frozen=True)
class NamedColor:
    name: str  # CSS color name, e.g. "black", "gold"
    hex: str  # "#rrggbb" of the cluster centre
    share: float  # fraction of the product's pixels


@dataclass(frozen=True)
class ColorAnalysis:
    colors: list[NamedColor] = field(default_factory=list)  # most prominent first


class ColorAnalyzer(Protocol):
    def analyze(self, image: RGBImage, alpha: AlphaMask | None) -> ColorAnalysis:
        """The product's dominant colors, from its own pixels only (alpha > 0.5)."""


@dataclass(frozen=True)
class ProductMetadata:
    """What the analysis extracts, in the reference's ``metadata`` field names' terms."""

    brand_name: str | None = None
    product_name: str | None = None
    product_type: str | None = None
    category: str | None = None
    colors: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # every piece of label text read, for debugging


class ProductAnalyzer(Protocol):
    def analyze(
        self,
        image: RGBImage,
        alpha: AlphaMask | None,
        colors: ColorAnalysis,
        *,
        known_brands: Sequence[str] = (),
        catalog_labels: Sequence[Sequence[str]] = (),
    ) -> ProductMetadata:
        """Brand, product line, type, category and materials of the product in ``image``.

        ``known_brands`` are brand names the product's owner has given their other products
        (their corrections): text on the label that reads as one of them is the brand.
        ``catalog_labels`` are the label lines read on the owner's other products: a brand
        recurs across a catalog, a product line rarely does."""


def auto_name(metadata: ProductMetadata) -> str:
    """The reference's naming: "{productName} by {brandName}", falling back sensibly."""
    brand, product = metadata.brand_name, metadata.product_name
    if brand and product:
        return f"{product} by {brand}"
    if product or brand:
        return str(product or brand)
    described = " ".join(part for part in (*metadata.colors[:1], metadata.product_type) if part)
    return described.capitalize() if described else "Untitled product"


# --- Image generation (issue 4) -------------------------------------------------------------

RGBAImage = npt.NDArray[np.uint8]  # (height, width, 4), straight (not premultiplied) alpha


@dataclass(frozen=True)
class ProductCutout:
    """A catalog product ready to be placed in a scene: its segmented cutout and what the
    analysis read about it (used for layout and palette, never to alter its pixels)."""

    rgba: RGBAImage
    name: str = ""
    product_type: str | None = None
    category: str | None = None
    color_hex: list[str] = field(default_factory=list)  # "#rrggbb", most prominent first


@dataclass(frozen=True)
class PresetInfo:
    id: str  # e.g. "studio_white", "flat_lay"
    description: str


@dataclass(frozen=True)
class SceneRequest:
    """One output image to render."""

    prompt: str
    width: int
    height: int
    preset: str | None = None  # one of SceneComposer.presets() ids, or None
    products: list[ProductCutout] = field(default_factory=list)
    style_references: list[RGBImage] = field(default_factory=list)  # decoded reference images
    seed: int = 0  # same seed + variant + inputs -> the same pixels
    variant: int = 0  # 0..image_count-1; different variants differ visibly


@dataclass(frozen=True)
class PlacedProduct:
    index: int  # into SceneRequest.products
    box: tuple[int, int, int, int]  # x, y, width, height of the product in the output


@dataclass(frozen=True)
class RenderedImage:
    rgb: RGBImage
    scene: dict[str, object]  # what was understood and chosen; JSON-serialisable
    placements: list[PlacedProduct] = field(default_factory=list)


class SceneComposer(Protocol):
    """Turns a prompt (+ preset, products, style references) into a product image."""

    name: str

    def presets(self) -> list[PresetInfo]:
        """Every preset id this composer accepts, with a one-sentence description."""

    def understand(self, prompt: str, preset: str | None = None) -> dict[str, object]:
        """The parsed scene spec (surface, colors, lighting, camera, mood, props); unknown
        words are ignored. JSON-serialisable; stored with the generation."""

    def render(self, request: SceneRequest) -> RenderedImage:
        """Render one image of ``request.width`` x ``request.height``."""


class Upscaler(Protocol):
    name: str

    def upscale(self, image: RGBImage, long_side: int) -> RGBImage:
        """``image`` resized so its long side is ``long_side``, keeping the aspect ratio."""
