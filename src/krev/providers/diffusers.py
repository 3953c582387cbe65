"""Local diffusion providers (the ``diffusers`` extra): image generation from
KREV_DIFFUSERS_MODEL_DIR, model upscaling from KREV_UPSCALER_MODEL_DIR and video generation
(Wan 2.x) from KREV_VIDEO_MODEL_DIR.

Whether they are configured, and what the image model can do, is read from the model
directory's files alone (no torch import, no weights), so API processes can answer and
refuse without loading a model; workers load each model once, when first used.

A text-to-image model without an inpainting variant cannot keep a product as it is: the
provider then says ``product_scenes=False`` (``capabilities``), and ``product_scene_refusal``
is the sentence to refuse a product scene with (at accept, and at start in the log); the
server still starts, since text-only prompts work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from krev.engines import wan_models
from krev.engines.diffusers_images import MAX_COUNT, capabilities_of
from krev.engines.diffusers_models import (
    INSTALL_HINT,
    DiffusersModelError,
    ModelDirectory,
    installed,
    read_model_directory,
)
from krev.engines.providers import ImageCapabilities
from krev.engines.video import VideoModelCapabilities
from krev.platform.config import Settings
from krev.providers.registry import ProviderSpec, register

log = structlog.get_logger("krev.providers.diffusers")

IMAGE_SETTING = "KREV_DIFFUSERS_MODEL_DIR"
UPSCALER_SETTING = "KREV_UPSCALER_MODEL_DIR"
VIDEO_SETTING = "KREV_VIDEO_MODEL_DIR"

# Before the model directory is read: what an inpaint model (the recommended kind) can do.
DIFFUSERS_IMAGE = ImageCapabilities(text_only=True, product_scenes=True, max_count=MAX_COUNT)


def _missing(
    path: Any, setting: str, what: str, read: Callable[[Any, str], object] = read_model_directory
) -> list[str]:
    if path is None:
        return [f"{setting} is required ({what})."]
    problems: list[str] = []
    try:
        read(path, setting)
    except DiffusersModelError as error:
        problems.append(str(error))
    if not installed():
        problems.append(f"torch and diffusers are not installed; {INSTALL_HINT}.")
    return problems


def image_missing(settings: Settings) -> list[str]:
    return _missing(
        settings.diffusers_model_dir,
        IMAGE_SETTING,
        "a local diffusers model directory with its model_index.json",
    )


def upscaler_missing(settings: Settings) -> list[str]:
    return _missing(
        settings.upscaler_model_dir,
        UPSCALER_SETTING,
        "a local diffusers upscaler directory with its model_index.json",
    )


def video_missing(settings: Settings) -> list[str]:
    return _missing(
        settings.video_model_dir,
        VIDEO_SETTING,
        f"a local Wan 2.x video model directory: {wan_models.LAYOUT}",
        wan_models.read_video_model_directory,
    )


def video_capabilities(settings: Settings) -> VideoModelCapabilities:
    """What the configured video model can do, from its files (``video_missing`` is empty)."""
    assert settings.video_model_dir is not None
    return wan_models.capabilities_of(
        wan_models.read_video_model_directory(settings.video_model_dir, VIDEO_SETTING),
        fps=settings.video_model_fps,
        max_frames=settings.video_model_max_frames,
    )


def image_model(settings: Settings) -> ModelDirectory | None:
    """The configured model directory, or None when it is not usable (``image_missing``)."""
    if settings.diffusers_model_dir is None:
        return None
    try:
        return read_model_directory(settings.diffusers_model_dir, IMAGE_SETTING)
    except DiffusersModelError:
        return None


def capabilities(settings: Settings) -> ImageCapabilities:
    """What the configured model can do, from its files."""
    model = image_model(settings)
    return DIFFUSERS_IMAGE if model is None else capabilities_of(model)


def product_scene_refusal(settings: Settings) -> str | None:
    """Why the configured model cannot serve product scenes (None: it can)."""
    model = image_model(settings)
    return None if model is None else model.product_scene_refusal


def start_notices(settings: Settings) -> list[str]:
    """At start: that product scenes will be refused, and why."""
    refusal = product_scene_refusal(settings)
    return [] if refusal is None else [f"Product scenes will be refused: {refusal}"]


def _image(settings: Settings) -> Any:
    from krev.engines.diffusers_images import DiffusersImageGenerator

    assert settings.diffusers_model_dir is not None  # image_missing refused the start
    generator = DiffusersImageGenerator(
        settings.diffusers_model_dir,
        device=settings.diffusers_device,
        dtype=settings.diffusers_dtype,
        steps=settings.diffusers_steps,
        guidance_scale=settings.diffusers_guidance_scale,
        max_side=settings.diffusers_max_side,
    )
    for notice in start_notices(settings):
        log.warning("diffusers_product_scenes_refused", notice=notice)
    return generator


def _upscaler(settings: Settings) -> Any:
    from krev.engines.diffusers_upscale import DiffusersUpscaler

    assert settings.upscaler_model_dir is not None  # upscaler_missing refused the start
    return DiffusersUpscaler(
        settings.upscaler_model_dir,
        device=settings.diffusers_device,
        dtype=settings.diffusers_dtype,
        steps=settings.upscaler_steps,
    )


def _video(settings: Settings) -> Any:
    from krev.engines.diffusers_video import DiffusersVideoGenerator

    assert settings.video_model_dir is not None  # video_missing refused the start
    return DiffusersVideoGenerator(
        settings.video_model_dir,
        device=settings.diffusers_device,
        dtype=settings.diffusers_dtype,
        steps=settings.video_model_steps,
        guidance_scale=settings.video_model_guidance_scale,
        max_side=settings.video_model_max_side,
        fps=settings.video_model_fps,
        max_frames=settings.video_model_max_frames,
    )


register(
    ProviderSpec(
        "image",
        "diffusers",
        _image,
        missing=image_missing,
        image=DIFFUSERS_IMAGE,
        image_for=capabilities,
        notices=start_notices,
        description="A local diffusion model (KREV_DIFFUSERS_MODEL_DIR) on a GPU or the CPU; "
        "needs the diffusers extra.",
    )
)
register(
    ProviderSpec(
        "upscale",
        "diffusers",
        _upscaler,
        missing=upscaler_missing,
        description="A local diffusion upscaler (KREV_UPSCALER_MODEL_DIR); needs the "
        "diffusers extra.",
    )
)
register(
    ProviderSpec(
        "video",
        "diffusers",
        _video,
        missing=video_missing,
        video_for=video_capabilities,
        description="A local Wan 2.x video model (KREV_VIDEO_MODEL_DIR: text-to-video, "
        "image-to-video or both) on a GPU; needs the diffusers extra.",
    )
)
