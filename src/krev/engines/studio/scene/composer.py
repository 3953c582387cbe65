"""The embedded studio scene composer: prompt -> scene spec -> a rendered set (backdrop, floor,
podiums, props, light) with the user's product cutouts placed, shadowed, reflected and checked
for fidelity. Pure and deterministic: the same request renders the same pixels, and every call
keeps its state local, so renders run safely on a thread pool (NumPy and OpenCV release the GIL).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
from krev.engines.studio.scene.layout import LayoutStyle, Placement, solve_layout
from krev.engines.studio.scene.lighting import Light, light_fields, scene_light
from krev.engines.studio.scene.palette import mix, scene_palette, shift_palette
from krev.engines.studio.scene.presets import PRESETS, preset_by_id
from krev.engines.studio.scene.prompt import understand_prompt
from krev.engines.studio.scene.props import PropContext, draw_podium, draw_props
from krev.engines.studio.scene.stage import StageSpec, render_stage
from krev.engines.studio.scene.style import apply_style_palette, match_tone, style_hint
from krev.engines.studio.scene.textures import fine_grain

__all__ = ["StudioSceneComposer"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

# Where the wall meets the floor, as a fraction of height, per camera.
_HORIZON = {"eye_level": 0.56, "close_up": 0.5, "low_angle": 0.7}
# Surfaces that reflect when no preset says otherwise.
_GLOSSY_SURFACES = frozenset({"glass", "metal", "water"})


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
        if request.width < 16 or request.height < 16:
            raise ValueError("width and height must be at least 16 pixels")
        if request.preset is not None and preset_by_id(request.preset) is None:
            raise ValueError(f"unknown preset {request.preset!r}")
        spec = understand_prompt(request.prompt, request.preset)
        preset = preset_by_id(request.preset)
        variant = _variant(request.variant)
        width, height = request.width, request.height

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

        base_seed = _stable_seed(request.seed, surface)
        stage = StageSpec(
            width, height, surface, backdrop, horizon, base_seed, variant.flip, variant.shift * 0.5
        )
        canvas = render_stage(stage, palette)

        podium_color = mix(palette.backdrop, np.ones(3, np.float32), 0.35)
        for podium in podiums:
            draw_podium(canvas, podium, podium_color, light.side)
        drawn = draw_props(
            canvas,
            PropContext(
                width, height, horizon, light.side, _stable_seed(request.seed, request.variant)
            ),
            props,
            placements,
            palette.props,
        )
        if podiums:
            drawn = ["podium", *drawn]

        cutouts = [
            scaled_cutout(request.products[p.index].rgba, p.width, p.height) for p in placements
        ]
        self._shadows(canvas, placements, cutouts, light, top_down, bool(podiums))

        if placements:
            hero = next(p for p in placements if p.index == 0)
            focus = ((hero.x + hero.width / 2) / width, hero.base / height)
        else:
            focus = (0.5, (horizon or 0.5) + 0.15)
        light_map, glow = light_fields(light, width, height, focus, horizon)
        canvas *= light_map
        if glow is not None:
            canvas += glow
        if hint is not None:
            match_tone(canvas, hint)
        if glossy:
            for place, cutout in zip(placements, cutouts, strict=True):
                reflect_product(canvas, cutout, place, 0.28)
        # Dither the set (not the products) so smooth gradients do not band in 8 bits.
        canvas += fine_grain(base_seed, width, height)[..., None] * np.float32(1.0 / 255.0)

        # The set saturates like a photo would before the products go in; blending a product's
        # soft edge with an over-range backdrop would leave a glowing rim.
        np.clip(canvas, 0.0, 1.0, out=canvas)
        for place, cutout in zip(placements, cutouts, strict=True):
            composite_product(canvas, cutout, place, self._harmonise(light, light_map, place))

        np.clip(canvas, 0.0, 1.0, out=canvas)
        rgb = np.asarray(cv2.convertScaleAbs(canvas, alpha=255.0), np.uint8)
        # Whether each product stayed faithful is checked after any engine, by the pipeline.
        placed = [PlacedProduct(index=p.index, box=p.box) for p in placements]
        placed.sort(key=lambda p: p.index)
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
        return RenderedImage(rgb=rgb, scene=scene, placements=placed)

    @staticmethod
    def _shadows(
        canvas: FloatArray,
        placements: list[Placement],
        cutouts: list[ScaledCutout],
        light: Light,
        top_down: bool,
        on_podiums: bool,
    ) -> None:
        if not placements:
            return
        shadow = np.zeros(canvas.shape[:2], np.float32)
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
        canvas *= 1.0 - shadow[..., None]

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
