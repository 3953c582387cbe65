"""The scene's colors: backdrop, floor, accent (veins, grain, chips) and prop colors, chosen
from the spec's colors, tone, mood and surface, then nudged per variant and by style references.
Colors are sRGB floats in [0, 1].
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import webcolors

__all__ = ["Palette", "hex_rgb", "mix", "rgb_hex", "scene_palette", "shift_palette"]

Color = npt.NDArray[Any]  # a (3,) float32 RGB in [0, 1]

# A surface's natural colors (base, accent) when the prompt names none.
SURFACE_COLORS: dict[str, tuple[str, str]] = {
    "marble": ("#eeebe6", "#8d8c8f"),
    "wood": ("#b98a5e", "#6e4a2f"),
    "concrete": ("#b4b1ab", "#77736d"),
    "terrazzo": ("#ece6dc", "#c96f55"),
    "linen": ("#e4dccd", "#b8ab94"),
    "fabric": ("#e6d8cf", "#a68f80"),
    "sand": ("#e3cfa6", "#b59a6e"),
    "water": ("#4aa9c2", "#e9fbff"),
    "paper": ("#efebe3", "#cfc7b8"),
    "stone": ("#b3aa9c", "#8a8276"),
    "metal": ("#b8bcc2", "#7d8288"),
    "glass": ("#1a1a22", "#e6e9ef"),
    "seamless": ("#eeeeec", "#d6d6d2"),
}
DARK_SURFACE_COLORS: dict[str, tuple[str, str]] = {
    "marble": ("#2c2b30", "#a98c5a"),
    "wood": ("#4a3122", "#24160e"),
    "concrete": ("#4b4a48", "#2d2c2b"),
    "stone": ("#3a3835", "#5c5750"),
    "seamless": ("#26252a", "#1a1a1e"),
    "glass": ("#0e0d12", "#5a5870"),
}
MOOD_PROPS: dict[str, tuple[str, ...]] = {
    "luxury": ("#c9a45c", "#2b2a2e", "#e9e4da"),
    "playful": ("#f6a6b2", "#8fd3c6", "#ffd27f"),
    "natural": ("#6f8f5a", "#c8b08a", "#e8e0cf"),
    "moody": ("#3b3440", "#6b5a4a", "#1f1f24"),
    "minimal": ("#d9d6d0", "#b9b6b0", "#f2f1ee"),
}


def hex_rgb(value: str) -> Color:
    c = webcolors.hex_to_rgb(webcolors.normalize_hex(value))
    return np.array([c.red, c.green, c.blue], np.float32) / 255.0


def rgb_hex(color: Color) -> str:
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in np.clip(color, 0, 1))


def mix(a: Color, b: Color, t: float) -> Color:
    out: Color = (a + (b - a) * np.float32(t)).astype(np.float32)
    return out


def luminance(color: Color) -> float:
    return float(0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2])


@dataclass(frozen=True)
class Palette:
    backdrop: Color  # wall / sweep top
    backdrop_low: Color  # second gradient stop / sweep bottom
    floor: Color  # surface base
    accent: Color  # veins, grain, chips
    props: tuple[Color, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "backdrop": rgb_hex(self.backdrop),
            "backdrop_low": rgb_hex(self.backdrop_low),
            "floor": rgb_hex(self.floor),
            "accent": rgb_hex(self.accent),
            "props": [rgb_hex(c) for c in self.props],
        }


def _spec_colors(spec: dict[str, object]) -> tuple[list[Color], list[Color]]:
    """The spec's colors for the set as a whole, and those meant for details (veins, trim)."""
    colors = spec.get("colors")
    main: list[Color] = []
    accents: list[Color] = []
    for entry in colors if isinstance(colors, list) else []:
        if isinstance(entry, dict):
            target = accents if entry.get("role") == "accent" else main
            target.append(hex_rgb(str(entry["hex"])))
    return main, accents


# Real surfaces reflect a few percent even when black; below this the set would be a void.
_MIN_SURFACE_LUMINANCE = 0.07


def _lift(color: Color) -> Color:
    lum = luminance(color)
    if lum >= _MIN_SURFACE_LUMINANCE:
        return color
    return mix(color, np.full(3, 0.5, np.float32), (_MIN_SURFACE_LUMINANCE - lum) / 0.5 + 0.02)


def scene_palette(spec: dict[str, object], surface: str, backdrop_kind: str) -> Palette:
    """The palette a spec asks for (before variant and style adjustments)."""
    tone = spec.get("tone")
    mood = str(spec.get("mood") or "minimal")
    table = (
        DARK_SURFACE_COLORS
        if tone == "dark" and surface in DARK_SURFACE_COLORS
        else (SURFACE_COLORS)
    )
    base_hex, accent_hex = table.get(surface, SURFACE_COLORS["seamless"])
    floor, accent = hex_rgb(base_hex), hex_rgb(accent_hex)
    named, accents = _spec_colors(spec)
    white = np.ones(3, np.float32)
    if accents:
        accent = accents[0]
    if named:
        first = named[0]
        if surface in ("seamless", "paper", "linen", "fabric", "terrazzo", "glass"):
            floor = first
        elif surface in ("marble", "stone", "concrete"):
            # A colored stone is a tint of the stone, keeping its texture readable.
            floor = mix(floor * first / max(luminance(first), 0.05) * luminance(floor), first, 0.35)
            floor = np.clip(floor, 0, 1).astype(np.float32)
        if len(named) > 1 and not accents:
            accent = named[1]
    if backdrop_kind == "gradient":
        top = named[0] if named else hex_rgb("#cfd9f7")
        low = named[1] if len(named) > 1 else mix(top, hex_rgb("#f7d9e8"), 0.8)
        floor = mix(top, low, 0.75)
        backdrop, backdrop_low = top, low
    elif backdrop_kind == "sweep":
        backdrop = floor if surface == "seamless" else (named[0] if named else floor)
        backdrop_low = mix(backdrop, np.zeros(3, np.float32), 0.06)
    else:
        wall = named[0] if named and surface not in ("seamless",) and len(named) == 1 else None
        if wall is None:
            wall = mix(floor, white, 0.55) if tone != "dark" else mix(floor, white, 0.16)
            if surface == "wood":
                wall = hex_rgb("#e9e1d4") if tone != "dark" else hex_rgb("#2c2825")
        backdrop = wall
        backdrop_low = mix(wall, np.zeros(3, np.float32), 0.1)
    if tone == "dark":
        if luminance(backdrop) > 0.35:
            backdrop = mix(backdrop, np.zeros(3, np.float32), 0.75)
            backdrop_low = mix(backdrop_low, np.zeros(3, np.float32), 0.75)
        if luminance(floor) > 0.35:
            floor = mix(floor, np.zeros(3, np.float32), 0.7)
    elif tone == "light" and luminance(backdrop) < 0.6:
        backdrop = mix(backdrop, white, 0.5)
        backdrop_low = mix(backdrop_low, white, 0.5)
    props = tuple(hex_rgb(h) for h in MOOD_PROPS.get(mood, MOOD_PROPS["minimal"]))
    if named:
        props = (named[-1], *props[:2])
    return Palette(
        _lift(backdrop).astype(np.float32),
        _lift(backdrop_low).astype(np.float32),
        _lift(floor).astype(np.float32),
        accent.astype(np.float32),
        props,
    )


def _shift(color: Color, hue: float, lightness: float) -> Color:
    h, light, s = colorsys.rgb_to_hls(*(float(v) for v in color))
    light = min(1.0, max(0.0, light + lightness * (1 - light if lightness > 0 else light)))
    return np.array(colorsys.hls_to_rgb((h + hue) % 1.0, light, s), np.float32)


def shift_palette(palette: Palette, hue: float, lightness: float) -> Palette:
    """The palette rotated in hue and moved in lightness (variants differ in palette)."""
    return replace(
        palette,
        backdrop=_shift(palette.backdrop, hue, lightness),
        backdrop_low=_shift(palette.backdrop_low, hue, lightness),
        floor=_shift(palette.floor, hue * 0.5, lightness * 0.5),
        props=tuple(_shift(c, hue, 0.0) for c in palette.props),
    )
