"""The embedded studio scene composer: prompt -> scene spec -> a rendered set (backdrop, floor,
podiums, props, light) with the user's product cutouts placed, shadowed, reflected and checked
for fidelity. Pure and deterministic: the same request renders the same pixels, and every call
keeps its state local, so renders run safely on a thread pool (NumPy and OpenCV release the GIL).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import (
    PlacedProduct,
    PresetInfo,
    RenderedImage,
    SceneRequest,
)
from krev.engines.studio.scene.composite import (
    ScaledCutout,
    cast_shadow,
    composite_product,
    reflect_product,
    scaled_cutout,
    trim_box,
)
from krev.engines.studio.scene.layout import LayoutStyle, Placement, Podium, solve_layout
from krev.engines.studio.scene.lighting import Light, light_fields, scene_light
from krev.engines.studio.scene.palette import Palette, mix, scene_palette, shift_palette
from krev.engines.studio.scene.presets import PRESETS, preset_by_id
from krev.engines.studio.scene.prompt import understand_prompt
from krev.engines.studio.scene.props import PropContext, draw_podium, draw_props
from krev.engines.studio.scene.stage import StageSpec, render_stage
from krev.engines.studio.scene.style import StyleHint, apply_style_palette, style_hint, tone_gain
from krev.engines.studio.scene.textures import fine_grain

__all__ = ["SceneLayers", "StudioSceneComposer"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

# Where the wall meets the floor, as a fraction of height, per camera.
_HORIZON = {"eye_level": 0.56, "close_up": 0.5, "low_angle": 0.7}
# Surfaces that reflect when no preset says otherwise.
_GLOSSY_SURFACES = frozenset({"glass", "metal", "water"})
# A pixel podiums or props changed by more than this (of 1.0) is theirs.
_DRESSING_STEP = 1.0 / 1024
# ... and only shaded when all its channels kept the same ratio (within this) to the bare
# set's, darker but not black.
_SHADE_SPREAD = 0.02
_SHADE_FLOOR = 0.2


@dataclass(frozen=True)
class SceneLayers:
    """A scene's parts, in canvas coordinates (the frame plus any margin around it).

    ``render`` lays each product over the plate (its cutout times its gain); a video warps the
    plate, the dressing and the products each with its own camera transform."""

    plate: FloatArray
    """(H, W, 3) float32 in [0, 1]: the set, dressed, lit, with the products' shadows and
    reflections in it; no product."""
    bare: FloatArray | None
    """The same set without podiums and props (``split`` only, when there are any)."""
    dressing: npt.NDArray[np.bool_] | None
    """Where podiums and props (with their own shadows) changed the set."""
    shading: npt.NDArray[np.bool_] | None
    """The part of ``dressing`` that only their shadows darkened (the set's own color, less
    light): it lies on the floor and moves with it."""
    cutouts: list[ScaledCutout]
    placements: list[Placement]
    """Drawing order, back to front; canvas coordinates."""
    gains: list[FloatArray]
    """Each product's uniform harmonisation gain (a few percent)."""
    podiums: list[Podium]
    frame: tuple[int, int, int, int]
    """The requested frame inside the canvas: x, y, width, height."""
    horizon: float | None
    """The wall line as a fraction of the canvas height; None for top-down sets."""
    light: Light
    palette: Palette
    scene: dict[str, object]


@dataclass(frozen=True)
class _Variant:
    azimuth: float  # key light direction, degrees
    shift: float  # layout offset, fraction of width
    scale: float  # product size factor
    hue: float  # palette hue rotation (turns)
    lightness: float  # palette lightness move (-1..1 of the remaining range)
    horizon: float  # wall line offset, fraction of height
    flip: bool  # mirror textures
    camera: str | None  # an alternative camera for eye-level shots


_VARIANTS = (
    _Variant(-35.0, 0.0, 1.0, 0.0, 0.0, 0.0, False, None),
    _Variant(45.0, -0.09, 0.9, 0.035, 0.14, 0.04, True, None),
    _Variant(-70.0, 0.09, 1.04, -0.045, -0.12, -0.04, False, None),
    _Variant(60.0, 0.0, 1.0, 0.08, 0.06, 0.0, True, "close_up"),
)


def _dressing(
    canvas: FloatArray, bare: FloatArray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Where the dressed set differs from the bare one, and where it is only darker by the
    same factor in every channel (a shadow cast on the set)."""
    change = cv2.transform(cv2.absdiff(canvas, bare), np.ones((1, 3), np.float32))
    dressing = change > _DRESSING_STEP
    # Only the changed pixels (a small share of the set) are looked at further.
    where = np.flatnonzero(dressing)
    ratio = canvas.reshape(-1, 3)[where] / np.maximum(bare.reshape(-1, 3)[where], 1e-3)
    low, high = ratio.min(axis=1), ratio.max(axis=1)
    shaded = (high - low < _SHADE_SPREAD) & (high < 1.0) & (low > _SHADE_FLOOR)
    shading = np.zeros(dressing.shape, np.bool_)
    shading.reshape(-1)[where[shaded]] = True
    return dressing, shading


def _stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


def _variant(index: int) -> _Variant:
    base = _VARIANTS[index % len(_VARIANTS)]
    if index < len(_VARIANTS):
        return base
    # Beyond the four designed variants: the same recipes, light and palette moved further.
    rng = np.random.default_rng(index)
    return _Variant(
        base.azimuth * -1,
        base.shift * -1,
        base.scale,
        base.hue + rng.uniform(-0.1, 0.1),
        base.lightness,
        base.horizon,
        not base.flip,
        base.camera,
    )


class StudioSceneComposer:
    """Product scenes on the CPU, no model weights: the products are the user's own photos."""

    name = "studio"

    def presets(self) -> list[PresetInfo]:
        return [PresetInfo(p.id, p.description) for p in PRESETS]

    def understand(self, prompt: str, preset: str | None = None) -> dict[str, object]:
        return understand_prompt(prompt, preset)

    def render(self, request: SceneRequest) -> RenderedImage:
        return self.flatten(self.layers(request))

    @staticmethod
    def flatten(layers: SceneLayers) -> RenderedImage:
        """The still: each product laid over the plate (in place: the plate is used up)."""
        canvas = layers.plate
        for place, cutout, gain in zip(
            layers.placements, layers.cutouts, layers.gains, strict=True
        ):
            composite_product(canvas, cutout, place, gain)
        np.clip(canvas, 0.0, 1.0, out=canvas)
        rgb = np.asarray(cv2.convertScaleAbs(canvas, alpha=255.0), np.uint8)
        # Whether each product stayed faithful is checked after any engine, by the pipeline.
        placed = [PlacedProduct(index=p.index, box=p.box) for p in layers.placements]
        placed.sort(key=lambda p: p.index)
        return RenderedImage(rgb=rgb, scene=layers.scene, placements=placed)

    def layers(
        self, request: SceneRequest, *, margin: tuple[int, int] = (0, 0), split: bool = False
    ) -> SceneLayers:
        """The scene's parts before the products go in: what ``render`` flattens, and what a
        video moves separately.

        ``margin`` (x, y pixels per side) extends the set beyond the ``request``'s frame, which
        keeps its composition (layout, wall line): a camera can move without running out of
        set. ``split`` also renders the set without its podiums and props (``bare``) and marks
        where they stood (``dressing``), so they can move at their own depth.
        """
        if request.width < 16 or request.height < 16:
            raise ValueError("width and height must be at least 16 pixels")
        if request.preset is not None and preset_by_id(request.preset) is None:
            raise ValueError(f"unknown preset {request.preset!r}")
        spec = understand_prompt(request.prompt, request.preset)
        preset = preset_by_id(request.preset)
        variant = _variant(request.variant)
        width, height = request.width, request.height
        mx, my = margin
        canvas_w, canvas_h = width + 2 * mx, height + 2 * my

        surface = str(spec.get("surface") or "seamless")
        camera = str(spec.get("camera") or "eye_level")
        camera_fixed = preset is not None and "camera" in preset.fixed
        if variant.camera and camera == "eye_level" and not camera_fixed:
            camera = variant.camera
        top_down = camera == "top_down"
        if top_down:
            backdrop = "none"
        elif preset is not None and preset.backdrop != "none":
            backdrop = preset.backdrop
        else:
            backdrop = {"seamless": "sweep", "water": "sky", "sand": "sky"}.get(surface, "wall")
        horizon: float | None = None
        if not top_down:
            horizon = _HORIZON.get(camera, 0.56) + variant.horizon
            if width < height:
                horizon -= 0.04  # tall frames show more floor under the product
        # The wall line as a fraction of the whole canvas (the frame's own when no margin).
        canvas_horizon = horizon
        if horizon is not None and my:
            canvas_horizon = (my + horizon * height) / canvas_h
        glossy = (preset.glossy if preset is not None else surface in _GLOSSY_SURFACES) and (
            not top_down
        )
        listed = spec.get("props")
        props = [str(p) for p in listed] if isinstance(listed, list) else []
        light = scene_light(str(spec.get("lighting") or "studio"), variant.azimuth)

        palette = scene_palette(spec, surface, backdrop)
        palette = shift_palette(palette, variant.hue, variant.lightness)
        hint = style_hint(request.style_references)
        if hint is not None:
            palette = apply_style_palette(palette, hint)

        # Lay out the products before building the set: props and light follow them.
        aspects = []
        for product in request.products:
            _, _, tw, th = trim_box(product.rgba)
            aspects.append(tw / max(th, 1))
        placements, podiums = solve_layout(
            aspects,
            width,
            height,
            LayoutStyle(
                camera, horizon, "podium" in props and not top_down, variant.shift, variant.scale
            ),
        )
        if mx or my:
            placements = [replace(p, x=p.x + mx, y=p.y + my) for p in placements]
            podiums = [
                replace(p, cx=p.cx + mx, top=p.top + my, bottom=p.bottom + my) for p in podiums
            ]

        base_seed = _stable_seed(request.seed, surface)
        stage = StageSpec(
            canvas_w,
            canvas_h,
            surface,
            backdrop,
            canvas_horizon,
            base_seed,
            variant.flip,
            variant.shift * 0.5,
        )
        canvas = render_stage(stage, palette)
        bare = canvas.copy() if split else None

        podium_color = mix(palette.backdrop, np.ones(3, np.float32), 0.35)
        for podium in podiums:
            draw_podium(canvas, podium, podium_color, light.side)
        drawn = draw_props(
            canvas,
            PropContext(
                canvas_w,
                canvas_h,
                canvas_horizon,
                light.side,
                _stable_seed(request.seed, request.variant),
            ),
            props,
            placements,
            palette.props,
        )
        if podiums:
            drawn = ["podium", *drawn]
        dressing = shading = None
        if bare is not None:
            dressing, shading = _dressing(canvas, bare)
            if not dressing.any():
                bare, dressing, shading = None, None, None

        cutouts = [
            scaled_cutout(request.products[p.index].rgba, p.width, p.height) for p in placements
        ]
        shadow = self._shadow_map(
            (canvas_h, canvas_w), placements, cutouts, light, top_down, bool(podiums)
        )

        if placements:
            hero = next(p for p in placements if p.index == 0)
            focus = ((hero.x + hero.width / 2) / canvas_w, hero.base / canvas_h)
        else:
            focus = (0.5, (horizon or 0.5) + 0.15)
            if mx or my:
                focus = ((mx + focus[0] * width) / canvas_w, (my + focus[1] * height) / canvas_h)
        light_map, glow = light_fields(light, canvas_w, canvas_h, focus, canvas_horizon)
        grain = fine_grain(base_seed, canvas_w, canvas_h)[..., None] * np.float32(1.0 / 255.0)
        tone = self._light_set(
            canvas, shadow, light_map, glow, hint, None, glossy, placements, cutouts, grain
        )
        if bare is not None:
            # The same light, tone and grain: where no prop stood, both plates are identical.
            self._light_set(
                bare, shadow, light_map, glow, hint, tone, glossy, placements, cutouts, grain
            )
        gains = [self._harmonise(light, light_map, place) for place in placements]

        scene: dict[str, object] = {
            **spec,
            "render": {
                "engine": self.name,
                "surface": surface,
                "camera": camera,
                "backdrop": backdrop,
                "horizon": round(horizon, 3) if horizon is not None else None,
                "lighting": light.as_dict(),
                "palette": palette.as_dict(),
                "props": drawn,
                "glossy": glossy,
                "variant": request.variant,
                "style": hint.as_dict() if hint is not None else None,
            },
        }
        return SceneLayers(
            plate=canvas,
            bare=bare,
            dressing=dressing,
            shading=shading,
            cutouts=cutouts,
            placements=placements,
            gains=gains,
            podiums=podiums,
            frame=(mx, my, width, height),
            horizon=canvas_horizon,
            light=light,
            palette=palette,
            scene=scene,
        )

    @staticmethod
    def _light_set(
        canvas: FloatArray,
        shadow: FloatArray | None,
        light_map: FloatArray,
        glow: FloatArray | None,
        hint: StyleHint | None,
        tone: tuple[np.float32, np.float32] | None,
        glossy: bool,
        placements: list[Placement],
        cutouts: list[ScaledCutout],
        grain: FloatArray,
    ) -> tuple[np.float32, np.float32] | None:
        """The set's shadows, light, tone, reflections and grain, in place; the tone applied
        (measured on this canvas unless ``tone`` is given)."""
        if shadow is not None:
            canvas *= 1.0 - shadow[..., None]
        canvas *= light_map
        if glow is not None:
            canvas += glow
        if hint is not None:
            if tone is None:
                tone = tone_gain(canvas, hint)
            canvas *= tone[0]
            canvas += tone[1]
        if glossy:
            for place, cutout in zip(placements, cutouts, strict=True):
                reflect_product(canvas, cutout, place, 0.28)
        # Dither the set (not the products) so smooth gradients do not band in 8 bits.
        canvas += grain
        # The set saturates like a photo would before the products go in; blending a product's
        # soft edge with an over-range backdrop would leave a glowing rim.
        np.clip(canvas, 0.0, 1.0, out=canvas)
        return tone

    @staticmethod
    def _shadow_map(
        shape: tuple[int, int],
        placements: list[Placement],
        cutouts: list[ScaledCutout],
        light: Light,
        top_down: bool,
        on_podiums: bool,
    ) -> FloatArray | None:
        """How much each pixel of the set the products' shadows darken (None: no products)."""
        if not placements:
            return None
        shadow = np.zeros(shape, np.float32)
        length = light.shadow_length * (0.35 if on_podiums else 1.0)
        for place, cutout in zip(placements, cutouts, strict=True):
            cast_shadow(
                shadow,
                cutout.alpha,
                place,
                top_down,
                light.side,
                length,
                light.shadow_softness,
                light.shadow_opacity,
            )
        return shadow

    @staticmethod
    def _harmonise(light: Light, light_map: FloatArray, place: Placement) -> FloatArray:
        """A subtle uniform gain: the product takes a little of the scene's exposure and color
        temperature (at most a few percent), never a local change."""
        cy = min(light_map.shape[0] - 1, place.y + place.height // 2)
        cx = min(light_map.shape[1] - 1, place.x + place.width // 2)
        local = light_map[cy, cx]
        exposure = float(np.clip(float(local.mean()) ** 0.2, 0.96, 1.03))
        temperature = np.array(light.temperature, np.float32)
        tint = (temperature / temperature.mean()) ** 0.15
        gain: FloatArray = np.clip(tint * exposure, 0.95, 1.04).astype(np.float32)
        return gain
