"""Rendering: every preset at every aspect ratio, faithful products, layouts, determinism,
variants, style references and text-only scenes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict, Unpack

import cv2
import numpy as np
import pytest

from krev.engines.base import (
    ProductCutout,
    RenderedImage,
    RGBImage,
    SceneComposer,
    SceneRequest,
    Upscaler,
)
from krev.engines.studio.scene import FIDELITY_THRESHOLD, StudioSceneComposer, product_fidelity
from krev.engines.studio.scene.composite import resize_quality, trim_box

# Small frames keep the suite quick; the layout is resolution independent.
SIZES = {
    "1:1": (256, 256),
    "16:9": (320, 180),
    "9:16": (180, 320),
    "4:3": (288, 216),
    "3:4": (216, 288),
}
PRESET_IDS = (
    "studio_white",
    "flat_lay",
    "lifestyle",
    "podium",
    "gradient",
    "marble",
    "outdoor_light",
    "dark_luxe",
)


class _SceneOptions(TypedDict, total=False):
    """The rest of a SceneRequest, as tests pass it."""

    style_references: list[RGBImage]
    seed: int
    variant: int


def _render(
    composer: StudioSceneComposer,
    products: list[ProductCutout],
    preset: str | None,
    size: tuple[int, int] = (384, 384),
    prompt: str = "Product photo",
    **options: Unpack[_SceneOptions],
) -> RenderedImage:
    return composer.render(
        SceneRequest(prompt, size[0], size[1], preset=preset, products=products, **options)
    )


def _chosen(image: RenderedImage) -> dict[str, Any]:
    """What the composer chose for ``image``: the ``render`` part of its scene."""
    render = image.scene["render"]
    assert isinstance(render, dict)
    return render


def test_public_surface() -> None:
    import krev.engines.studio.scene as scene

    assert scene.__all__ == sorted(scene.__all__)
    assert set(scene.__all__) == {
        "FIDELITY_THRESHOLD",
        "StudioSceneComposer",
        "StudioUpscaler",
        "product_fidelity",
    }
    composer: SceneComposer = scene.StudioSceneComposer()
    upscaler: Upscaler = scene.StudioUpscaler()
    assert composer.name == "studio" and upscaler.name == "studio-resample"


def test_presets_listed_with_descriptions(composer: StudioSceneComposer) -> None:
    presets = {p.id: p.description for p in composer.presets()}
    assert set(PRESET_IDS) <= set(presets)
    for description in presets.values():
        assert description.endswith(".") and len(description.split()) >= 6


def test_every_preset_at_every_aspect_ratio(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    for preset in composer.presets():
        for ratio, (width, height) in SIZES.items():
            image = _render(composer, [products["box"]], preset.id, (width, height))
            assert image.rgb.shape == (height, width, 3), (preset.id, ratio)
            assert image.rgb.dtype == np.uint8
            assert image.rgb.flags.c_contiguous
            # A real scene, not a flat fill: the set has tonal variation.
            assert image.rgb.std() > 3, (preset.id, ratio)
            assert len(image.placements) == 1
            json.dumps(image.scene)
            assert image.scene["preset"] == preset.id


def test_no_nan_in_float_stages(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    # uint8 output cannot hold NaN, so check the tone: no black holes from NaN casts.
    for preset in PRESET_IDS:
        image = _render(composer, [products["bottle"]], preset, (200, 200))
        assert (image.rgb.reshape(-1, 3).max(axis=1) > 0).mean() > 0.99


def _dominant_product_color(cutout: ProductCutout) -> np.ndarray:
    rgba = cutout.rgba
    solid = rgba[..., 3] == 255
    return np.median(rgba[..., :3][solid], axis=0)


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_products_stay_faithful(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    for name in ("bottle", "box", "shoe"):
        cutout = products[name]
        image = _render(composer, [cutout], preset)
        (placed,) = image.placements
        fidelity = product_fidelity(image.rgb, placed.box, cutout.rgba)
        assert fidelity >= 0.85, (preset, name, fidelity)
        # The product's own color is what the box shows (no restyling of the product).
        x, y, w, h = placed.box
        region = image.rgb[y : y + h, x : x + w].reshape(-1, 3).astype(np.float32)
        expected = _dominant_product_color(cutout)
        distance = np.linalg.norm(region - expected, axis=1)
        assert (distance < 24).mean() > 0.3, (preset, name)


def test_product_is_scaled_uniformly(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    cutout = products["shoe"]
    alpha = cutout.rgba[..., 3]
    ys, xs = np.nonzero(alpha > 8)
    aspect = (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)
    for preset in ("studio_white", "flat_lay", "podium"):
        for size in ((384, 384), (480, 270), (270, 480)):
            (placed,) = _render(composer, [cutout], preset, size).placements
            _, _, w, h = placed.box
            assert abs(w / h - aspect) < 0.03 * aspect + 1.5 / h


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    return ix * iy / min(aw * ah, bw * bh)


@pytest.mark.parametrize("preset", ["studio_white", "flat_lay", "podium", "lifestyle"])
def test_multi_product_layout(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    chosen = [products[n] for n in ("bottle", "box", "shoe", "jar")]
    for count in (2, 3, 4):
        for width, height in SIZES.values():
            image = _render(composer, chosen[:count], preset, (width * 2, height * 2))
            boxes = [p.box for p in image.placements]
            assert sorted(p.index for p in image.placements) == list(range(count))
            for x, y, w, h in boxes:
                assert x >= 0 and y >= 0 and x + w <= width * 2 and y + h <= height * 2
                assert w >= 8 and h >= 8
            for i in range(count):
                for j in range(i + 1, count):
                    assert _overlap(boxes[i], boxes[j]) < 0.05, (preset, count, boxes)
            scores = [
                product_fidelity(image.rgb, p.box, chosen[p.index].rgba) for p in image.placements
            ]
            assert min(scores) > FIDELITY_THRESHOLD


def _row_step(rgb: np.ndarray) -> float:
    """The largest jump between the mean colors of rows three apart (a horizon line)."""
    rows = rgb.astype(np.float32).mean(axis=1)
    return float(np.abs(rows[3:] - rows[:-3]).max())


def test_flat_lay_is_top_down(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    flat = _render(composer, [], "flat_lay", (320, 320))
    assert _chosen(flat)["camera"] == "top_down"
    assert _chosen(flat)["horizon"] is None
    eye = _render(composer, [], "lifestyle", (320, 320))
    assert _chosen(eye)["horizon"] is not None
    # The eye-level set has a wall/floor line; the flat lay has none.
    assert _row_step(eye.rgb) > 3 * _row_step(flat.rgb)
    # Products in a flat lay sit inside the frame on the surface, not on a floor line.
    image = _render(composer, [products["shoe"], products["box"]], "flat_lay", (320, 320))
    assert _chosen(image)["camera"] == "top_down"


def test_same_inputs_same_bytes_even_on_threads(
    composer: StudioSceneComposer, products: dict[str, ProductCutout]
) -> None:
    requests = [
        SceneRequest(
            "Bottle on dark marble, spotlight",
            320,
            240,
            preset=p,
            products=[products["bottle"], products["box"]],
            seed=5,
            variant=v,
        )
        for p in ("marble", "lifestyle", "podium")
        for v in range(2)
    ]
    serial = [composer.render(r).rgb.tobytes() for r in requests]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = [img.rgb.tobytes() for img in pool.map(composer.render, requests * 2)]
    assert threaded == serial * 2
    assert [composer.render(r).rgb.tobytes() for r in requests] == serial


@pytest.mark.parametrize("preset", ["studio_white", "flat_lay", "marble", "dark_luxe"])
def test_variants_differ_visibly(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    images = [
        _render(composer, [products["box"]], preset, (256, 256), seed=3, variant=v).rgb
        for v in range(4)
    ]
    for i in range(4):
        for j in range(i + 1, 4):
            diff = np.abs(images[i].astype(np.int16) - images[j].astype(np.int16)).mean()
            assert diff > 4.0, (preset, i, j, diff)
    other_seed = _render(composer, [products["box"]], preset, (256, 256), seed=4).rgb
    assert not np.array_equal(other_seed, images[0])


def _background_mean(image: RenderedImage) -> np.ndarray:
    keep = np.ones(image.rgb.shape[:2], bool)
    for placed in image.placements:
        x, y, w, h = placed.box
        keep[y : y + h, x : x + w] = False
    return image.rgb[keep].astype(np.float32).mean(axis=0)


@pytest.mark.parametrize("preset", ["studio_white", "marble", "flat_lay", "lifestyle"])
def test_style_reference_steers_palette(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    rng = np.random.default_rng(1)
    teal = np.clip(np.array([20, 128, 128]) + rng.normal(0, 12, (120, 160, 3)), 0, 255)
    reference = teal.astype(np.uint8)
    target = reference.reshape(-1, 3).astype(np.float32).mean(axis=0)
    plain = _render(composer, [products["box"]], preset, (256, 256))
    styled = _render(composer, [products["box"]], preset, (256, 256), style_references=[reference])
    before = np.linalg.norm(_background_mean(plain) - target)
    after = np.linalg.norm(_background_mean(styled) - target)
    assert after < 0.6 * before, (before, after)
    assert _chosen(styled)["style"]["colors"]
    # The product itself is not restyled.
    placed = styled.placements[0]
    assert product_fidelity(styled.rgb, placed.box, products["box"].rgba) >= 0.85


def test_dark_reference_darkens_the_scene(composer: StudioSceneComposer) -> None:
    dark = np.full((64, 64, 3), 25, np.uint8)
    plain = _render(composer, [], "studio_white", (200, 200))
    styled = _render(composer, [], "studio_white", (200, 200), style_references=[dark])
    assert styled.rgb.mean() < plain.rgb.mean() - 60


def test_text_only_renders_the_described_scene(composer: StudioSceneComposer) -> None:
    image = _render(
        composer,
        [],
        None,
        (320, 240),
        prompt="Dark marble surface with gold veins, spotlight, luxury",
    )
    assert image.placements == []
    assert image.scene["surface"] == "marble"
    assert _chosen(image)["props"] == []
    assert image.rgb.mean() < 90  # dark, as asked
    # Gold is for the veins, not the whole set.
    assert _chosen(image)["palette"]["accent"] == "#ffd700"
    hue = cv2.cvtColor(image.rgb, cv2.COLOR_RGB2HSV)
    assert ((hue[..., 1] > 120) & (hue[..., 2] > 60)).mean() < 0.1
    light = _render(composer, [], None, (320, 240), prompt="Bright white linen, high-key")
    assert light.rgb.mean() > 170
    # Props come only when asked for, and nothing stands where a product would be.
    staged = _render(composer, [], None, (320, 240), prompt="Wooden table with a plant")
    assert _chosen(staged)["props"] == ["plants"]
    centre = staged.rgb[60:200, 140:180].astype(np.float32)
    green = (centre[..., 1] > centre[..., 0] + 20) & (centre[..., 1] > centre[..., 2] + 20)
    assert green.mean() < 0.02


@pytest.mark.parametrize("preset", ["dark_luxe", "neon", "studio_white", "concrete"])
def test_products_keep_clean_edges(
    composer: StudioSceneComposer, products: dict[str, ProductCutout], preset: str
) -> None:
    # The photos were shot on light backdrops; on a new set a product's soft edge must not
    # glow with the old backdrop, nor show a dark ring: edge pixels are the alpha blend of the
    # product's nearby color and the new scene's.
    for name in ("bottle", "shoe"):
        cutout = products[name]
        image = _render(composer, [cutout], preset, (384, 384))
        (placed,) = image.placements
        x, y, w, h = placed.box
        tx, ty, tw, th = trim_box(cutout.rgba)
        source_alpha = cutout.rgba[ty : ty + th, tx : tx + tw, 3].astype(np.float32) / 255.0
        # A margin around the box so the backdrop beside the edge is measured too.
        pad = 6
        alpha = np.pad(np.clip(resize_quality(source_alpha, w, h), 0.0, 1.0), pad)
        luma = image.rgb[y - pad : y + h + pad, x - pad : x + w + pad].astype(np.float32)
        luma = luma.mean(axis=2)
        band = (alpha > 0.15) & (alpha < 0.85)
        near = cv2.dilate(band.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert band.sum() > 50

        def nearby(mask: np.ndarray, luma: np.ndarray = luma) -> np.ndarray:
            """The mean luma of ``mask`` pixels around each pixel."""
            weight = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3.0)
            return cv2.GaussianBlur(luma * mask, (0, 0), 3.0) / np.maximum(weight, 1e-3)

        inner, outer = nearby(near & (alpha >= 0.99)), nearby(near & (alpha <= 0.01))
        residual = (luma - (alpha * inner + (1 - alpha) * outer))[band]
        # Measured: -1..7 levels with the edge cleaning; 15-18 without it (a visible rim).
        assert abs(float(residual.mean())) < 10, (preset, name, residual.mean())


def test_unknown_preset_and_tiny_frames_are_refused(composer: StudioSceneComposer) -> None:
    with pytest.raises(ValueError, match="preset"):
        composer.render(SceneRequest("x", 64, 64, preset="nope"))
    with pytest.raises(ValueError, match="width"):
        composer.render(SceneRequest("x", 8, 64))
