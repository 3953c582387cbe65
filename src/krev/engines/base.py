"""Capability interfaces and the typed data they exchange.

Implementations live in ``krev.engines.studio`` (embedded, CPU) and, later, model-backed
alternatives chosen by configuration. Images cross these interfaces as NumPy arrays: RGB
``uint8`` of shape (height, width, 3), masks as ``float32`` alpha in [0, 1] of shape
(height, width).
"""

from __future__ import annotations

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
        self, image: RGBImage, alpha: AlphaMask | None, colors: ColorAnalysis
    ) -> ProductMetadata:
        """Brand, product line, type, category and materials of the product in ``image``."""


def auto_name(metadata: ProductMetadata) -> str:
    """The reference's naming: "{productName} by {brandName}", falling back sensibly."""
    brand, product = metadata.brand_name, metadata.product_name
    if brand and product:
        return f"{product} by {brand}"
    if product or brand:
        return str(product or brand)
    described = " ".join(part for part in (*metadata.colors[:1], metadata.product_type) if part)
    return described.capitalize() if described else "Untitled product"
