"""The fidelity check: our own renders pass far above the threshold; a product that was warped,
recolored or resized in the output fails it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from krev.engines.base import ProductCutout, RenderedImage, SceneRequest
from krev.engines.studio.scene import (
    FIDELITY_THRESHOLD,
    StudioSceneComposer,
    product_fidelity,
)

PRESETS = ("studio_white", "dark_luxe", "outdoor_light", "flat_lay")


def _render(composer: StudioSceneComposer, cutout: ProductCutout, preset: str) -> RenderedImage:
    return composer.render(
        SceneRequest("Product photo", 384, 384, preset=preset, products=[cutout])
    )


def _replace_region(image: RenderedImage, region: np.ndarray) -> np.ndarray:
    x, y, w, h = image.placements[0].box
    out = image.rgb.copy()
    out[y : y + h, x : x + w] = region
    return out


def _region(image: RenderedImage) -> np.ndarray:
    x, y, w, h = image.placements[0].box
    return image.rgb[y : y + h, x : x + w]


def _warped(region: np.ndarray, amount: float) -> np.ndarray:
    """A wave through the product, ``amount`` of its width (a bent label)."""
    h, w = region.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = xx + np.float32(amount * w) * np.sin(yy / h * 2 * np.pi * 1.5)
    return cv2.remap(region, map_x, yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _recolored(region: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(region, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + 20) % 180).astype(np.uint8)  # +40 degrees
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _rescaled(region: np.ndarray) -> np.ndarray:
    h, w = region.shape[:2]
    return cv2.resize(region, None, fx=1.08, fy=1.08)[:h, :w]


@pytest.mark.parametrize("preset", PRESETS)
def test_own_renders_pass_far_above_threshold(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    for name in ("bottle", "box", "shoe"):
        image = _render(composer, products[name], preset)
        score = product_fidelity(image.rgb, image.placements[0].box, products[name].rgba)
        assert score >= FIDELITY_THRESHOLD + 0.25, (preset, name, score)


@pytest.mark.parametrize("preset", PRESETS)
def test_drifted_products_fail(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    for name, warp in (("box", 0.03), ("shoe", 0.03), ("bottle", 0.06)):
        cutout = products[name]
        image = _render(composer, cutout, preset)
        box = image.placements[0].box
        region = _region(image)
        for label, changed in (
            ("warped", _warped(region, warp)),
            ("recolored", _recolored(region)),
            ("rescaled", _rescaled(region)),
        ):
            score = product_fidelity(_replace_region(image, changed), box, cutout.rgba)
            assert score < FIDELITY_THRESHOLD, (preset, name, label, score)


def test_a_different_product_fails(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    image = _render(composer, products["box"], "studio_white")
    assert (
        product_fidelity(image.rgb, image.placements[0].box, products["shoe"].rgba)
        < FIDELITY_THRESHOLD
    )


def test_a_box_outside_the_image_scores_zero(products: dict[str, ProductCutout]) -> None:
    canvas = np.zeros((100, 100, 3), np.uint8)
    assert product_fidelity(canvas, (80, 80, 40, 40), products["box"].rgba) == 0.0
