"""The studio color analyzer names a product's own colors the way a shopper would."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import webcolors

from krev.engines.base import AlphaMask, ColorAnalysis, RGBImage
from krev.engines.studio.colors import (
    MERCHANT_PALETTE,
    StudioColorAnalyzer,
    delta_e2000,
    is_palette_color,
    palette_hex,
    product_color_name,
)

SIZE = 256
WHITE = (255, 255, 255)
BLACK = (12, 12, 14)
GOLD = (212, 175, 55)
RED = (200, 30, 40)
NAVY = (31, 42, 68)


def solid(color: tuple[int, int, int], size: int = SIZE) -> RGBImage:
    return np.full((size, size, 3), color, dtype=np.uint8)


def bottle_photo() -> tuple[RGBImage, AlphaMask]:
    """A black bottle with a gold label in the middle of a white studio background."""
    image = solid(WHITE)
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    image[40:240, 88:168] = BLACK
    alpha[40:240, 88:168] = 1.0
    image[120:170, 88:168] = GOLD  # label: a quarter of the bottle
    image[60:80, 100:120] = (250, 250, 250)  # a specular highlight: 2.5% of the bottle
    return image, alpha


def names(analysis: ColorAnalysis) -> list[str]:
    return [color.name for color in analysis.colors]


def analyze(image: RGBImage, alpha: AlphaMask | None = None) -> ColorAnalysis:
    return StudioColorAnalyzer().analyze(image, alpha)


def test_bottle_colors_come_from_the_product_only() -> None:
    image, alpha = bottle_photo()
    analysis = analyze(image, alpha)
    assert names(analysis) == ["black", "gold"]
    black, gold = analysis.colors
    assert black.share == pytest.approx(0.725, abs=0.02)
    assert gold.share == pytest.approx(0.25, abs=0.02)
    assert webcolors.hex_to_rgb(gold.hex) == webcolors.IntegerRGB(*GOLD)


def test_without_alpha_the_background_dominates() -> None:
    image, _ = bottle_photo()
    assert names(analyze(image, None))[0] == "white"


def test_two_tone_product_names_both_colors() -> None:
    image = solid(RED)
    image[:, SIZE // 2 :] = NAVY
    assert sorted(names(analyze(image))) == ["navy", "red"]


def test_noisy_jpeg_product_is_still_named() -> None:
    image, alpha = bottle_photo()
    noise = np.random.default_rng(7).normal(0, 6, image.shape)
    noisy = np.clip(image.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(noisy, cv2.COLOR_RGB2BGR), [95, 60])
    assert ok
    bgr = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    assert bgr is not None
    decoded = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), np.uint8)
    assert names(analyze(decoded, alpha))[:2] == ["black", "gold"]


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ((244, 244, 242), "white"),
        ((222, 222, 222), "white"),  # a white product in shade, not silver
        ((122, 122, 122), "gray"),
        ((196, 196, 200), "silver"),
        ((230, 216, 191), "beige"),
        ((43, 43, 43), "black"),
        ((31, 42, 68), "navy"),
        ((201, 162, 39), "gold"),
    ],
)
def test_solid_products_get_the_plain_name(color: tuple[int, int, int], expected: str) -> None:
    analysis = analyze(solid(color, 32))
    assert names(analysis) == [expected]
    assert analysis.colors[0].share == 1.0
    assert product_color_name(color) == expected


# The merchant words the palette adds where no CSS name fits; every other name is CSS's own,
# with CSS's value as its swatch.
MERCHANT_WORDS = {"kraft", "cream", "mint"}
# CSS names whose CSS value is not what a shop means by them (CSS "brown" is a brick red, CSS
# "gold" a lemon yellow): their swatch is the shop's shade, and the CSS value one of the shades.
SHOP_SWATCHES = {"brown", "gold"}


def test_the_palette_is_css_names_and_a_few_merchant_words() -> None:
    css = set(webcolors.names("css3"))
    assert set(MERCHANT_PALETTE) - css == MERCHANT_WORDS
    for name in (set(MERCHANT_PALETTE) & css) - SHOP_SWATCHES:
        assert palette_hex(name) == webcolors.name_to_hex(name, "css3")
    assert webcolors.name_to_hex("gold", "css3") in MERCHANT_PALETTE["gold"]
    assert palette_hex("Tan") == "#d2b48c"
    assert is_palette_color("kraft") and not is_palette_color("midnightblue")
    assert not is_palette_color("sparkly")


def test_every_named_color_is_from_the_palette() -> None:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for color in analyze(image).colors:
        assert color.name in MERCHANT_PALETTE
    assert all(
        product_color_name((int(r), int(g), int(b))) in MERCHANT_PALETTE
        for r, g, b in rng.integers(0, 256, (200, 3))
    )


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ((181, 137, 91), {"kraft", "tan"}),  # unbleached kraft paper
        ((166, 123, 91), {"kraft", "tan"}),  # a darker kraft, in shade
        ((200, 161, 101), {"kraft", "tan"}),  # a lit kraft bag: once called "gold"
        ((210, 180, 140), {"tan"}),
        ((255, 253, 208), {"cream"}),
        ((243, 233, 198), {"cream"}),
    ],
)
def test_kraft_and_cream_are_merchant_colors_not_gold_or_white(
    color: tuple[int, int, int], expected: set[str]
) -> None:
    assert product_color_name(color) in expected


def test_a_kraft_bag_is_named_kraft_with_its_own_hex() -> None:
    image = solid(WHITE)
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    kraft = (181, 137, 91)
    shade = np.linspace(0.8, 1.08, 120)[None, :, None]
    image[40:230, 70:190] = np.clip(np.array(kraft) * shade, 0, 255).astype(np.uint8)
    alpha[40:230, 70:190] = 1.0
    analysis = analyze(image, alpha)
    assert names(analysis) == ["kraft"]
    hex_rgb = webcolors.hex_to_rgb(analysis.colors[0].hex)
    assert max(abs(a - b) for a, b in zip(hex_rgb, kraft, strict=True)) <= 12


def test_ciede2000_matches_the_published_test_pairs() -> None:
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7 and 17 and their ΔE00.
    pairs = [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ]
    for first, second, expected in pairs:
        reference = np.array([first], dtype=np.float32)
        found = float(delta_e2000(reference, np.array(second, dtype=np.float32))[0])
        assert found == pytest.approx(expected, abs=1e-3)


def test_same_photo_same_colors() -> None:
    image, alpha = bottle_photo()
    noise = np.random.default_rng(3).integers(0, 40, image.shape, dtype=np.uint8)
    image = image + noise // 2
    assert analyze(image, alpha) == analyze(image.copy(), alpha.copy())


def test_a_few_pixels_are_enough() -> None:
    image, _ = bottle_photo()
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    alpha[130, 100:103] = 1.0  # three label pixels
    assert names(analyze(image, alpha)) == ["gold"]
    alpha[50, 100] = 1.0  # and one on the glass
    assert sorted(names(analyze(image, alpha))) == ["black", "gold"]


def test_empty_mask_has_no_colors() -> None:
    image, _ = bottle_photo()
    assert analyze(image, np.zeros((SIZE, SIZE), dtype=np.float32)).colors == []


def test_mismatched_mask_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        analyze(solid(WHITE), np.ones((10, 10), dtype=np.float32))


def test_shading_on_a_curved_product_is_one_color() -> None:
    shade = np.linspace(0.55, 1.0, 64)[None, :, None]
    image = (np.array(RED)[None, None, :] * shade * np.ones((64, 64, 1))).astype(np.uint8)
    assert names(analyze(image)) == ["red"]


def test_same_hue_two_tone_stays_two_colors() -> None:
    image = solid((135, 206, 235), 64)
    image[:, 32:] = NAVY
    assert sorted(names(analyze(image))) == ["lightblue", "navy"]


def test_a_cut_that_takes_in_a_band_of_scene_still_names_the_product() -> None:
    # A red box on a gray table, cut out with a band of table round it that covers more of the
    # cut than the box does: the box's color still comes first, the share stays the pixels'.
    image = solid((128, 128, 128))
    image[88:168, 88:168] = RED
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    alpha[58:198, 58:198] = 1.0
    analysis = analyze(image, alpha)
    assert names(analysis) == ["red", "gray"]
    assert analysis.colors[1].share > analysis.colors[0].share


def sweep_photo(
    product: tuple[int, int, int], sweep: tuple[int, int, int], cast: tuple[float, float, float]
) -> tuple[RGBImage, AlphaMask]:
    """A product shaded across its width on a studio sweep, all under the light's color cast."""
    lit = np.empty((SIZE, SIZE, 3), dtype=np.float32)
    lit[:] = sweep
    shade = np.linspace(0.85, 1.0, 100, dtype=np.float32)[None, :, None]
    lit[50:210, 78:178] = np.array(product, np.float32) * shade
    image = np.clip(lit * np.array(cast, np.float32), 0, 255).astype(np.uint8)
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    alpha[50:210, 78:178] = 1.0
    return image, alpha


BLUE_CAST = (0.93, 0.97, 1.06)


def test_a_white_product_on_a_white_sweep_under_a_blue_cast_is_white() -> None:
    image, alpha = sweep_photo((250, 250, 250), (245, 245, 245), BLUE_CAST)
    analysis = analyze(image, alpha)
    assert names(analysis)[0] == "white"
    # The hex reports the pixels as measured, cast and all.
    red, _, blue = webcolors.hex_to_rgb(analysis.colors[0].hex)
    assert blue > red


def test_a_mint_product_on_a_neutral_sweep_stays_mint() -> None:
    image, alpha = sweep_photo((170, 240, 209), (245, 245, 245), (1.0, 1.0, 1.0))
    assert names(analyze(image, alpha))[0] == "mint"


def test_a_white_product_on_a_colored_sweep_stays_white() -> None:
    image, alpha = sweep_photo((250, 250, 250), (190, 220, 250), (1.0, 1.0, 1.0))
    assert names(analyze(image, alpha))[0] == "white"


def test_a_white_product_on_a_pale_tinted_backdrop_stays_white() -> None:
    # A light, barely tinted backdrop behind a neutral product is the backdrop's color, not a
    # cast: the product does not share it, so nothing is corrected.
    image, alpha = sweep_photo((250, 250, 250), (238, 246, 226), (1.0, 1.0, 1.0))
    assert names(analyze(image, alpha))[0] == "white"


def test_a_cast_without_a_cut_is_not_corrected() -> None:
    image, _ = sweep_photo((250, 250, 250), (250, 250, 250), BLUE_CAST)
    assert names(analyze(image))[0] != "white"
