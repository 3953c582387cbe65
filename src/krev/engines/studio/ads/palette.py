"""An ad's colors from the brand's: the key color (the first vivid color its notes name, else
its products' first vivid color, else the inspiration ad's), laid out by the style's palette
logic, every text/ground pair checked against WCAG AA. An inspiration ad tints the grounds
with its dominant color and picks a dark or light ground by its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from krev.engines.studio.ads.brand import brand_colors, context_colors
from krev.engines.studio.ads.color import (
    WHITE,
    from_oklch,
    legible_on,
    oklch,
    readable,
    shade,
)
from krev.engines.studio.ads.inspiration import InspirationCues
from krev.engines.studio.ads.styles import AdStyle, PaletteLogic
from krev.engines.studio.text.contrast import AA_LARGE, AA_NORMAL, contrast_ratio

__all__ = ["AdPalette", "ad_palette", "key_color"]

# OKLCH chroma from which a color reads as a color rather than a neutral.
_VIVID = 0.06
# A ground hue is taken from the inspiration when its dominant color has at least this chroma.
_TINTED = 0.02
_BRAND_DEEPEN = 0.12
_DEFAULT_KEY: dict[PaletteLogic, str] = {
    "brand": "#2f5bea",
    "neutral": "#8a6f4d",
    "high_contrast": "#ffd400",
    "soft": "#d98a9b",
    "dark": "#c9a45c",
}


@dataclass(frozen=True)
class AdPalette:
    """Hex colors: ``background`` the ad's ground, ``surface`` the band, panel or card the copy
    sits on, ``text`` the copy on the surface, ``accent`` hooks and ornaments, ``button`` the
    call-to-action's fill and ``button_text`` its label."""

    background: str
    surface: str
    text: str
    accent: str
    button: str
    button_text: str


def _vivid(colors: Sequence[str]) -> list[str]:
    return [c for c in colors if oklch(c)[1] >= _VIVID]


def key_color(
    style: AdStyle,
    brand_hex: Sequence[str],
    brand_context: str | None,
    inspiration: InspirationCues | None,
) -> tuple[str, str | None]:
    """The key color and a second brand color (or ``None``)."""
    named = context_colors(brand_context)
    products = [c for c in brand_colors(brand_hex, None) if c not in named]
    steer = inspiration.colors if inspiration else []
    ranked = [
        *_vivid(named),
        *named,  # a brand that names only neutrals ("black and white") keeps them
        *_vivid(products),
        *_vivid(steer),
        *products,
    ]
    key = ranked[0] if ranked else _DEFAULT_KEY[style.palette]
    key_hue = oklch(key)[2]
    second = next(
        (
            c
            for c in [*_vivid(named), *_vivid(products), *_vivid(steer)]
            if c != key and abs((oklch(c)[2] - key_hue + 180) % 360 - 180) >= 25
        ),
        None,
    )
    return key, second


def _legible_on_all(color: str, grounds: Sequence[str], minimum: float) -> str:
    for _ in range(4):
        worst = min(grounds, key=lambda g: contrast_ratio(color, g))
        if contrast_ratio(color, worst) >= minimum:
            return color
        color = legible_on(color, worst, minimum)
    return color if all(contrast_ratio(color, g) >= minimum for g in grounds) else readable(worst)


def _ground(key: str, inspiration: InspirationCues | None) -> tuple[float, float, float, bool]:
    """The ground's hue and chroma scale, and whether the inspiration is dark: its dominant
    color steers the ground, else the key's hue does."""
    _, key_c, key_h = oklch(key)
    if not inspiration or not inspiration.colors:
        return key_h, min(1.0, key_c / 0.15), key_c, False
    lightness, c, hue = oklch(inspiration.colors[0])
    if c < _TINTED:
        return key_h, 0.3, c, lightness < 0.4
    return hue, min(1.0, c / 0.12), c, lightness < 0.4


def ad_palette(
    style: AdStyle,
    brand_hex: Sequence[str],
    brand_context: str | None,
    inspiration: InspirationCues | None,
) -> AdPalette:
    key, second = key_color(style, brand_hex, brand_context, inspiration)
    key_l, key_c, key_h = oklch(key)
    hue, tint, _, dark_ground = _ground(key, inspiration)
    logic = style.palette
    if logic == "brand":
        # White copy on the brand's own color reads as an ad; a mid-tone brand color is
        # deepened a little (at most _BRAND_DEEPEN in lightness) so white reaches AA.
        deepened = legible_on(key, WHITE, AA_NORMAL)
        surface = deepened if key_l - oklch(deepened)[0] <= _BRAND_DEEPEN else key
        deep = from_oklch(0.22, min(key_c, 0.05), key_h)
        text = WHITE if contrast_ratio(WHITE, surface) >= AA_NORMAL else deep
        text = _legible_on_all(text, [surface], AA_NORMAL)
        light_text = text == WHITE
        background = from_oklch(0.2 if dark_ground else 0.965, 0.01 + 0.025 * tint, hue)
        accent_seed = second or from_oklch(0.9 if light_text else 0.3, max(key_c, 0.08), key_h)
        # On a mid-tone brand color only near-white or near-black reach 4.5:1; the accent is
        # kept a color (3:1, ornaments and large hooks), and the layout sets small hooks in
        # it only where the pixels under them reach 4.5:1.
        accent = _legible_on_all(accent_seed, [surface], AA_LARGE)
        if second and contrast_ratio(second, surface) >= AA_LARGE:
            button = second
        else:
            button = from_oklch(0.97, 0.02, key_h) if light_text else deep
            button = _legible_on_all(button, [surface], AA_LARGE)
        button_text = _legible_on_all(
            from_oklch(0.25, min(key_c, 0.1), key_h) if light_text else WHITE,
            [button],
            AA_NORMAL,
        )
    elif logic == "neutral":
        c = 0.004 + 0.012 * tint
        background = from_oklch(0.2 if dark_ground else 0.955, c, hue)
        surface = from_oklch(0.26 if dark_ground else 0.985, c * 0.6, hue)
        text = _legible_on_all(
            from_oklch(0.95 if dark_ground else 0.24, 0.01, hue), [background, surface], AA_NORMAL
        )
        accent = _legible_on_all(shade(key, c=min(key_c, 0.09)), [background, surface], AA_NORMAL)
        button, button_text = text, background
    elif logic == "high_contrast":
        loud = (
            from_oklch(key_l if 0.5 <= key_l <= 0.92 else 0.66, max(key_c, 0.2), key_h)
            if key_c >= _VIVID
            else _DEFAULT_KEY["high_contrast"]
        )
        surface = loud
        text = readable(loud)
        accent = button = text
        button_text = _legible_on_all(loud, [button], AA_NORMAL)
        background = from_oklch(0.2, 0.04 + 0.04 * tint, hue)
    elif logic == "soft":
        background = from_oklch(0.2 if dark_ground else 0.935, 0.015 + 0.035 * tint, hue)
        surface = from_oklch(0.27 if dark_ground else 0.992, 0.006, key_h)
        text = _legible_on_all(
            from_oklch(0.95 if dark_ground else 0.3, min(key_c, 0.07), key_h),
            [background, surface],
            AA_NORMAL,
        )
        accent = _legible_on_all(
            from_oklch(0.78 if dark_ground else 0.52, max(key_c, 0.1), key_h),
            [background, surface],
            AA_NORMAL,
        )
        button = _legible_on_all(from_oklch(0.5, max(key_c, 0.1), key_h), [WHITE], AA_NORMAL)
        button_text = WHITE
    else:  # dark
        background = from_oklch(0.17, 0.01 + 0.02 * tint, hue)
        surface = from_oklch(0.245, 0.012 + 0.02 * tint, hue)
        text = _legible_on_all(from_oklch(0.96, 0.006, hue), [background, surface], AA_NORMAL)
        accent = _legible_on_all(
            from_oklch(max(key_l, 0.74), max(key_c, 0.12), key_h), [background, surface], AA_NORMAL
        )
        button = accent
        button_text = _legible_on_all(background, [button], AA_NORMAL)
    return AdPalette(background, surface, text, accent, button, button_text)
