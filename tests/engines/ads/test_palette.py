"""Ad colors: the brand's own (its notes' hex codes and CSS names first, then its products'),
the style's color logic, and an inspiration ad steering ground and density."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from krev.engines.studio.ads import STYLES, InspirationCues, ad_palette, inspiration_cues
from krev.engines.studio.ads.brand import context_colors
from krev.engines.studio.ads.color import oklch
from krev.engines.studio.ads.styles import style_by_id
from krev.engines.studio.text import contrast_ratio


def style(style_id: str):
    found = style_by_id(style_id)
    assert found is not None
    return found


def hue_distance(a: str, b: str) -> float:
    return abs((oklch(a)[2] - oklch(b)[2] + 180) % 360 - 180)


def test_brand_context_names_colors_by_hex_and_css_name() -> None:
    notes = "Brand colours: deep navy and #FF6600, accents in hot pink. Made with olive oil."
    assert context_colors(notes) == ["#000080", "#ff6600", "#ff69b4"]
    assert context_colors("Our palette is olive and cream") == ["#808000"]
    assert context_colors(None) == []


def test_performance_wears_the_products_color() -> None:
    palette = ad_palette(style("performance"), ["#f5f5f5", "#1e8c5a"], None, None)
    # The near-white product color is passed over for the vivid green; the band is that green
    # (at most a little deeper so white copy reads on it).
    assert hue_distance(palette.surface, "#1e8c5a") < 8
    assert abs(oklch(palette.surface)[0] - oklch("#1e8c5a")[0]) <= 0.12


def test_brand_context_colors_come_before_product_colors() -> None:
    palette = ad_palette(style("performance"), ["#1e8c5a"], "Our brand color is #7b2ff7", None)
    assert hue_distance(palette.surface, "#7b2ff7") < 8
    named = ad_palette(style("bold_offer"), ["#1e8c5a"], "We are known for our crimson.", None)
    assert hue_distance(named.surface, "#dc143c") < 10


def test_every_palette_reads() -> None:
    brands = [["#ff6600"], ["#1e8c5a"], ["#ffd400"], ["#111111"], ["#f8f8f8"], []]
    for ad_style, brand in itertools.product(STYLES, brands):
        p = ad_palette(ad_style, brand, None, None)
        assert contrast_ratio(p.text, p.surface) >= 4.5, (ad_style.id, brand)
        assert contrast_ratio(p.button_text, p.button) >= 4.5, (ad_style.id, brand)
        assert contrast_ratio(p.accent, p.surface) >= 3.0, (ad_style.id, brand)


def test_styles_follow_their_own_color_logic() -> None:
    brand = ["#ff6600"]
    dark = ad_palette(style("comparison"), brand, None, None)
    assert oklch(dark.background)[0] < 0.3 and oklch(dark.text)[0] > 0.9
    soft = ad_palette(style("social_proof"), brand, None, None)
    assert oklch(soft.background)[0] > 0.85 and oklch(soft.background)[1] < 0.08
    luxe = ad_palette(style("minimal_luxe"), brand, None, None)
    assert oklch(luxe.background)[1] < 0.03  # neutral ground
    loud = ad_palette(style("bold_offer"), brand, None, None)
    assert oklch(loud.surface)[1] >= 0.18  # saturated


def test_inspiration_steers_the_palette() -> None:
    luxe = style("minimal_luxe")
    plain = ad_palette(luxe, ["#ff6600"], None, None)
    teal = ad_palette(luxe, ["#ff6600"], None, InspirationCues(["#2a9d8f", "#ffffff"], 0.3))
    pink = ad_palette(luxe, ["#ff6600"], None, InspirationCues(["#e5989b", "#ffffff"], 0.3))
    assert teal.background != plain.background != pink.background
    assert hue_distance(teal.background, "#2a9d8f") < 20
    assert hue_distance(pink.background, "#e5989b") < 20
    night = ad_palette(luxe, ["#ff6600"], None, InspirationCues(["#15151a"], 0.5))
    assert oklch(night.background)[0] < 0.3  # a dark inspiration gives a dark ground
    # Without brand colors the inspiration's vivid color becomes the key.
    keyed = ad_palette(style("performance"), [], None, InspirationCues(["#f2f2f2", "#8e44ad"], 0.5))
    assert hue_distance(keyed.surface, "#8e44ad") < 10


def test_inspiration_cues_read_colors_and_density() -> None:
    airy = np.full((400, 320, 3), (42, 157, 143), np.uint8)
    cv2.circle(airy, (160, 200), 60, (250, 250, 250), -1)
    cues = inspiration_cues(airy)
    assert hue_distance(cues.colors[0], "#2a9d8f") < 10
    assert cues.density < 0.2
    busy = airy.copy()
    for row in range(20, 380, 22):
        for col in range(10, 300, 48):
            cv2.putText(busy, "SALE", (col, row), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    assert inspiration_cues(busy).density > cues.density + 0.4
