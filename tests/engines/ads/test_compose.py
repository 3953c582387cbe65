"""The ad layout, checked on the pixels it produces: every style at every Meta placement size,
rendered with and without its text, at Meta's copy limits, over a studio scene."""

from __future__ import annotations

import itertools
from functools import cache

import cv2
import numpy as np
import pytest

from krev.engines.base import SceneRequest
from krev.engines.providers import AdCopy, CopyProduct, CopyRequest
from krev.engines.studio.ads import (
    AD_SIZES,
    STYLES,
    AdRenderRequest,
    RenderedAd,
    ad_palette,
    compose_ad,
    render_ad,
    scene_box,
    specimen_scene,
    style_by_id,
    style_thumbnail,
)
from krev.engines.studio.ads.copywriter import StudioCopywriter
from krev.engines.studio.ads.specimen import SPECIMEN_COPY
from krev.engines.studio.ads.styles import AdStyle
from krev.engines.studio.scene import StudioSceneComposer
from krev.engines.studio.text import AA_NORMAL, ELLIPSIS, worst_contrast
from tests.engines.scene.conftest import cutout

# Copy at Meta's limits: hook 60, headline 40, body 125, CTA 20 characters.
LONG = AdCopy(
    "Performance Master",
    "Crème brûlée — Ürün: a hook that runs on to sixty characters"[:60],
    "Wonderfully long headline, forty chars!!"[:40],
    (
        "Body copy at Meta's limit keeps going with words that wrap over several lines; "
        "the layout must never clip or overflow any of it."
    )[:125],
    "Order now for later!"[:20],
)
assert (len(LONG.hook), len(LONG.headline), len(LONG.body_copy), len(LONG.cta)) == (60, 40, 125, 20)
BRAND = "#3b7dd8"
CASES = list(itertools.product([s.id for s in STYLES], list(AD_SIZES)))


@cache
def rendered(style_id: str, size: str, long: bool, variant: int = 0) -> RenderedAd:
    style = style_by_id(style_id)
    assert style is not None
    width, height = AD_SIZES[size]
    _, _, sw, sh = scene_box(style, width, height)
    scene, box = specimen_scene(sw, sh, BRAND)
    copy = LONG if long else SPECIMEN_COPY[style.copy_shape]
    return render_ad(
        AdRenderRequest(
            width,
            height,
            style,
            copy,
            scene,
            [box],
            ad_palette(style, [BRAND], None, None),
            variant=variant,
        )
    )


def text_pixels(ad: RenderedAd) -> np.ndarray:
    return np.any(ad.image != ad.background, axis=2)


@pytest.mark.parametrize(("style_id", "size"), CASES)
@pytest.mark.parametrize("long", [False, True])
def test_text_stays_in_its_place(style_id: str, size: str, long: bool) -> None:
    width, height = AD_SIZES[size]
    ad = rendered(style_id, size, long, variant=int(long))
    assert ad.image.shape == (height, width, 3) and ad.image.dtype == np.uint8
    ink = text_pixels(ad)
    assert ink.sum() > 2000, "the copy is drawn"
    ys, xs = np.nonzero(ink)
    # Nothing touches the edges: 3% of the short side stays free all round.
    edge = round(0.03 * width)
    assert xs.min() >= edge and xs.max() < width - edge
    assert ys.min() >= edge and ys.max() < height - edge
    if size == "9:16":
        # Meta's safe zones: top 14%, bottom 35%, sides 6%.
        assert ys.min() >= 0.14 * height and ys.max() < 0.65 * height
        assert xs.min() >= 0.06 * width and xs.max() < 0.94 * width
    # Never over a product: its pixels are the scene's own, in the ad and under its text.
    sx, sy, _, _ = ad.scene_rect
    for px, py, pw, ph in ad.product_rects:
        assert not ink[py : py + ph, px : px + pw].any()
        style = style_by_id(style_id)
        assert style is not None
        _, _, sw, sh = scene_box(style, width, height)
        scene, _ = specimen_scene(sw, sh, BRAND)
        own = scene[py - sy : py - sy + ph, px - sx : px - sx + pw]
        assert np.array_equal(ad.image[py : py + ph, px : px + pw], own)


@pytest.mark.parametrize(("style_id", "size"), CASES)
def test_long_copy_fits_whole_or_ends_in_an_ellipsis(style_id: str, size: str) -> None:
    width, height = AD_SIZES[size]
    ad = rendered(style_id, size, True, variant=1)
    names = {t.name for t in ad.texts}
    assert {"hook", "cta"} <= names
    assert "headline" in names and ("body" in names or "item" in names)
    ink = text_pixels(ad)
    for text in ad.texts:
        x, y, w, h = text.rect
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
        if text.truncated:
            assert text.lines[-1].endswith(ELLIPSIS)
        # The text's ink lies inside its measured box: nothing spills past it.
        grown = ink[max(0, y - 12) : y + h + 12, max(0, x - 12) : x + w + 12].copy()
        grown[
            y - max(0, y - 12) : y - max(0, y - 12) + h, x - max(0, x - 12) : x - max(0, x - 12) + w
        ] = False
        others = [o for o in ad.texts if o is not text]
        for o in others:  # ink of a neighbour inside the margin is not a spill
            ox, oy, ow, oh = o.rect
            gx, gy = max(0, x - 12), max(0, y - 12)
            grown[
                max(0, oy - gy) : max(0, oy - gy + oh), max(0, ox - gx) : max(0, ox - gx + ow)
            ] = False
        assert not grown.any(), f"{text.name} spills out of its box"
    # Texts never overlap one another.
    for a, b in itertools.combinations(ad.texts, 2):
        ax, ay, aw, ah = a.rect
        bx, by, bw, bh = b.rect
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a.name, b.name)
    # At Meta's limits the headline and the body are shown whole on a 4:5 or 9:16 ad.
    if size != "1:1":
        shown = " ".join(" ".join(t.lines) for t in ad.texts if t.name == "headline")
        assert ELLIPSIS not in shown


@pytest.mark.parametrize(("style_id", "size"), CASES)
def test_body_text_reaches_wcag_aa_on_the_pixels_behind_it(style_id: str, size: str) -> None:
    ad = rendered(style_id, size, True, variant=1)
    ink = text_pixels(ad)
    for text in ad.texts:
        x, y, w, h = text.rect
        mask = ink[y : y + h, x : x + w].astype(np.uint8)
        behind = cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(bool)
        pixels = ad.background[y : y + h, x : x + w][behind]
        color = tuple(int(text.color[i : i + 2], 16) for i in (1, 3, 5))
        measured = worst_contrast(color, pixels)
        assert measured >= text.minimum, (text.name, measured)
        if text.name in ("body", "item", "cta"):
            assert text.minimum == AA_NORMAL and measured >= 4.5


def test_accented_copy_is_shaped_not_boxed() -> None:
    style = style_by_id("performance")
    assert style is not None
    width, height = AD_SIZES["4:5"]
    _, _, sw, sh = scene_box(style, width, height)
    scene, box = specimen_scene(sw, sh)
    copy = AdCopy(
        "x", "Crème brûlée — Ürün", "Crème brûlée — Ürün", "Çok güzel, señor.", "Shop now"
    )
    ad = render_ad(
        AdRenderRequest(
            width, height, style, copy, scene, [box], ad_palette(style, [BRAND], None, None)
        )
    )
    headline = next(t for t in ad.texts if t.name == "headline")
    assert headline.lines == ("Crème brûlée — Ürün",)
    # The accents sit above the letters, inside the measured box (the first rows hold ink).
    x, y, w, h = headline.rect
    rows = np.nonzero(text_pixels(ad)[y : y + h, x : x + w].any(axis=1))[0]
    assert rows.min() <= 3 and rows.max() >= h - 4 - round(0.25 * headline.size)


def test_styles_look_clearly_different() -> None:
    images = {s.id: rendered(s.id, "4:5", False).image.astype(np.int16) for s in STYLES}
    for a, b in itertools.combinations(images, 2):
        difference = float(np.abs(images[a] - images[b]).mean())
        assert difference > 20, (a, b, difference)


def test_variants_move_the_layout() -> None:
    first = rendered("performance", "4:5", False, 0)
    second = rendered("performance", "4:5", False, 1)
    assert float(np.abs(first.image.astype(np.int16) - second.image).mean()) > 2


def test_density_changes_the_breathing_room() -> None:
    style = style_by_id("bold_offer")
    assert style is not None
    width, height = AD_SIZES["1:1"]
    _, _, sw, sh = scene_box(style, width, height)
    scene, box = specimen_scene(sw, sh)
    copy = SPECIMEN_COPY["offer"]

    def headline(density: float) -> int:
        ad = render_ad(
            AdRenderRequest(
                width,
                height,
                style,
                copy,
                scene,
                [box],
                ad_palette(style, [BRAND], None, None),
                density=density,
            )
        )
        return next(t.rect for t in ad.texts if t.name == "headline")[0]

    assert headline(0.0) > headline(1.0)  # airy: wider margins


def test_scene_of_the_wrong_size_is_refused() -> None:
    style = STYLES[0]
    with pytest.raises(ValueError, match="needs"):
        compose_ad(
            AdRenderRequest(
                1080,
                1350,
                style,
                SPECIMEN_COPY["direct"],
                np.zeros((10, 10, 3), np.uint8),
                [],
                ad_palette(style, [], None, None),
            )
        )


def test_scene_boxes_lie_on_the_canvas() -> None:
    for style, (width, height), count in itertools.product(STYLES, AD_SIZES.values(), (1, 4)):
        x, y, w, h = scene_box(style, width, height, count)
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
        assert w * h >= 0.1 * width * height


def test_thumbnails_are_small_and_distinct() -> None:
    thumbs = [style_thumbnail(s) for s in STYLES]
    assert all(t.shape == (256, 256, 3) for t in thumbs)
    for a, b in itertools.combinations(thumbs, 2):
        assert float(np.abs(a.astype(np.int16) - b).mean()) > 15
    assert style_thumbnail(STYLES[0], 128).shape == (128, 128, 3)


@pytest.mark.parametrize("size", ["4:5", "9:16"])
def test_over_a_studio_scene_with_two_products(size: str) -> None:
    """The real pipeline's order: the scene rendered by the studio engine at the style's scene
    box, then the copy laid out around the products it placed."""
    composer = StudioSceneComposer()
    products = [cutout(3, 240), cutout(6, 240)]
    width, height = AD_SIZES[size]
    for style in STYLES:
        _, _, sw, sh = scene_box(style, width, height, len(products))
        scene = composer.render(
            SceneRequest("on dark slate, moody light", sw, sh, products=products)
        )
        boxes = [p.box for p in sorted(scene.placements, key=lambda p: p.index)]
        ad = render_ad(
            AdRenderRequest(
                width,
                height,
                style,
                LONG,
                scene.rgb,
                boxes,
                ad_palette(style, ["#c0392b"], "brand colors navy and gold", None),
            )
        )
        ink = text_pixels(ad)
        for (px, py, pw, ph), (bx, by, _, _) in zip(ad.product_rects, boxes, strict=True):
            assert not ink[py : py + ph, px : px + pw].any()
            assert np.array_equal(
                ad.image[py : py + ph, px : px + pw], scene.rgb[by : by + ph, bx : bx + pw]
            )
        assert all(t.contrast >= t.minimum for t in ad.texts), style.id


# Briefs a merchant would write, as the gallery's: copy of typical length from the embedded
# copywriter (hooks of 10-40 characters, headlines of 10-40, bodies of 40-120).
TYPICAL_BRIEFS = [
    (
        "Launch ad for the Kora water bottle: keeps drinks cold all day, leak-proof lid, for "
        "hikers and commuters.",
        "Kora makes simple gear for long days outdoors.",
        CopyProduct(name="Kora water bottle", product_type="bottle"),
    ),
    (
        "Holiday ad for the Halo gift box: 15% off this week with code HALO15. Customers say "
        '"the prettiest box I have ever received".',
        "Halo: thoughtful packaging, made in Leeds.",
        CopyProduct(name="Halo gift box", product_type="box"),
    ),
    (
        "Create a direct response ad for this protein bar",
        None,
        CopyProduct(brand_name="Vigor", product_name="Peak", product_type="bar", category="food"),
    ),
]


def typical_copies(style: AdStyle) -> list[AdCopy]:
    copies = [SPECIMEN_COPY[style.copy_shape]]
    for brief, notes, product in TYPICAL_BRIEFS:
        request = CopyRequest(
            brief=brief,
            style_id=style.id,
            style_name=style.name,
            tone=style.tone,
            copy_shape=style.copy_shape,
            products=[product],
            brand_context=notes,
            count=4,
        )
        copies += StudioCopywriter().write(request)
    return copies


@pytest.mark.parametrize("style", STYLES, ids=[s.id for s in STYLES])
def test_a_story_sets_typical_copy_at_sizes_a_phone_reader_reads(style: AdStyle) -> None:
    """On 9:16 the copy has the middle band to itself: typical copy is set whole with the
    headline at least 64 px, the body (or each benefit line) 36 px and the button's label 34 px
    on the 1080x1920 ad. A quote card's lead is the quote, at least 48 px, signed in 32 px."""
    width, height = AD_SIZES["9:16"]
    _, _, sw, sh = scene_box(style, width, height)
    scene, box = specimen_scene(sw, sh, BRAND)
    palette = ad_palette(style, [BRAND], None, None)
    copies = typical_copies(style)
    assert len(copies) == 13
    smallest: dict[str, int] = {}
    for index, copy in enumerate(copies):
        request = AdRenderRequest(
            width, height, style, copy, scene, [box], palette, variant=index % 4
        )
        ad = render_ad(request)
        assert not [t.name for t in ad.texts if t.truncated], copy
        for text in ad.texts:
            smallest[text.name] = min(text.size, smallest.get(text.name, text.size))
    lead, signature = ("body", "headline") if style.family == "quote_card" else ("headline", "")
    assert smallest[lead] >= (48 if signature else 64), smallest
    if signature:
        assert smallest[signature] >= 32, smallest
    else:
        assert smallest["body" if "body" in smallest else "item"] >= 36, smallest
    assert smallest["cta"] >= 34, smallest


def test_a_story_s_scene_runs_through_the_zones_text_must_leave() -> None:
    """Meta's bottom 35% keeps text out, not pictures: on 9:16 every style's scene reaches down
    through it to the frame's foot, and starts high enough that part of it shows above."""
    width, height = AD_SIZES["9:16"]
    for style, count in itertools.product(STYLES, (1, 2, 3, 4)):
        _, y, w, h = scene_box(style, width, height, count)
        assert y < 0.6 * height and y + h >= 0.94 * height, style.id
        assert w >= 0.4 * width and h >= 0.4 * height
