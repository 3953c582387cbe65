"""Local diffusion: one diffusers model directory serving text-only prompts and product scenes.

The model's ``model_index.json`` picks the pipeline class. An inpaint or fill model (FLUX.1
Fill, SDXL or SD inpainting) draws a text-only prompt as an inpainting of the whole frame and a
product scene by painting the background around the products (the canvas' mask, 1.0 = paint).
A text-to-image model draws text-only prompts itself and product scenes through its inpainting
variant (``AutoPipelineForInpainting.from_pipe``, sharing the same weights); a model without
one cannot keep a product as it is, and says so (``product_scene_refusal``).

The model renders at the requested size rounded to a multiple of 16 (FLUX packs 2x2 latents of
an 8x VAE) and at most ``max_side`` on its long side (a model drawn far beyond its training size
repeats itself), then the image is resized to exactly what was asked. Each image has its own
seed (``request.seed`` + its variant), so a job's images are the same however they are batched.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from krev.engines.base import RGBImage
from krev.engines.diffusers_models import (
    DiffusersModelError,
    ModelDirectory,
    call_arguments,
    generators,
    load_pipeline,
    pick_device,
    pick_dtype,
    read_model_directory,
    resize,
    run_pipeline,
    to_rgb,
)
from krev.engines.providers import (
    ContentRefused,
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    InvalidRequest,
    ProductCanvas,
)

MAX_COUNT = 4
"""Images one call draws in a batch; memory grows with it."""
MULTIPLE = 16
# A text-only prompt on an inpaint model paints the whole frame over this: it does not show
# through (the mask covers everything) but the pipeline needs an image.
_BLANK = 127


def model_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size the model draws for a ``width`` x ``height`` output."""
    scale = min(1.0, max_side / max(width, height))

    def side(pixels: int) -> int:
        return max(MULTIPLE, round(pixels * scale / MULTIPLE) * MULTIPLE)

    return side(width), side(height)


def capabilities_of(model: ModelDirectory) -> ImageCapabilities:
    return ImageCapabilities(
        text_only=True, product_scenes=model.product_scenes, max_count=MAX_COUNT
    )


class DiffusersImageGenerator:
    """An ``ImageGenerator`` over a local diffusers model, loaded once when built."""

    id = "diffusers"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        steps: int = 28,
        guidance_scale: float | None = None,
        max_side: int = 1024,
    ) -> None:
        self.model = read_model_directory(model_dir, "KREV_DIFFUSERS_MODEL_DIR")
        self.capabilities = capabilities_of(self.model)
        self.device = pick_device(device)
        self.steps = steps
        self.guidance_scale = guidance_scale
        self.max_side = max_side
        pipeline = load_pipeline(self.model, self.device, pick_dtype(self.device, dtype))
        self._draw: Any = None if self.model.inpaints else pipeline
        self._paint: Any = pipeline if self.model.inpaints else self._inpaint_variant(pipeline)
        # A pipeline keeps per-call state (scheduler timesteps): one call at a time.
        self._lock = threading.Lock()
        self.model_seconds = 0.0
        """Seconds spent inside the model so far (the rest of a call is ours: the bench
        measures that overhead)."""

    def _inpaint_variant(self, pipeline: Any) -> Any:
        if self.model.inpaint_variant is None:
            return None
        from diffusers import AutoPipelineForInpainting

        painter = AutoPipelineForInpainting.from_pipe(pipeline)
        painter.set_progress_bar_config(disable=True)
        return painter

    @property
    def product_scene_refusal(self) -> str | None:
        return self.model.product_scene_refusal

    def generate(self, request: ImageGenerationRequest) -> list[GeneratedImage]:
        if request.count > MAX_COUNT:
            raise InvalidRequest(f"At most {MAX_COUNT} images per call, not {request.count}.")
        width, height = model_size(request.width, request.height, self.max_side)
        seeds = [request.seed + request.first_variant + i for i in range(request.count)]
        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "width": width,
            "height": height,
            "num_inference_steps": self.steps,
            "num_images_per_prompt": request.count,
            "generator": generators(seeds),
            "output_type": "np",
        }
        if self.guidance_scale is not None:
            arguments["guidance_scale"] = self.guidance_scale
        if request.canvas is not None:
            if self._paint is None:
                raise InvalidRequest(str(self.model.product_scene_refusal))
            pipeline = self._paint
            image = resize(request.canvas.image, width, height)
            mask = _mask_image(request.canvas.mask, width, height)
            arguments |= {"image": Image.fromarray(image), "mask_image": mask, "strength": 1.0}
        elif self._draw is not None:
            pipeline = self._draw
        else:
            pipeline = self._paint
            blank = Image.new("RGB", (width, height), (_BLANK,) * 3)
            everything = Image.new("L", (width, height), 255)
            arguments |= {"image": blank, "mask_image": everything, "strength": 1.0}
        result = self._run(pipeline, call_arguments(pipeline, **arguments))
        flagged = getattr(result, "nsfw_content_detected", None)
        if flagged and any(flagged):
            raise ContentRefused("The model's safety checker refused the generated image.")
        images = to_rgb(result.images)
        if len(images) != request.count:
            raise InvalidRequest(f"The model drew {len(images)} images, not {request.count}.")
        outputs = [resize(image, request.width, request.height) for image in images]
        if request.canvas is not None:
            outputs = [_keep_products(image, request.canvas) for image in outputs]
        return [GeneratedImage(rgb=image) for image in outputs]

    def _run(self, pipeline: Any, arguments: dict[str, Any]) -> Any:
        return run_pipeline(pipeline, arguments, self._lock, "local diffusion model", self._spend)

    def _spend(self, seconds: float) -> None:
        self.model_seconds += seconds


def _keep_products(image: RGBImage, canvas: ProductCanvas) -> RGBImage:
    """The canvas' own pixels where it says not to paint: a model paints in latent space, so
    even an inpainting model's unpainted area comes back through its VAE, a little changed
    (diffusers' ``apply_overlay`` does the same). Only the products' bounding box is blended:
    the rest is all paint."""
    height, width = image.shape[:2]
    paint = np.asarray(_mask_image(canvas.mask, width, height), np.uint8)
    rows, columns = np.nonzero(paint < 255)
    if rows.size == 0:
        return image
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    weight = paint[top:bottom, left:right, None].astype(np.float32) / 255.0
    products = resize(canvas.image, width, height)[top:bottom, left:right].astype(np.float32)
    kept = image.copy()
    box = kept[top:bottom, left:right].astype(np.float32)
    kept[top:bottom, left:right] = np.clip(
        np.rint(box * weight + products * (1.0 - weight)), 0, 255
    ).astype(np.uint8)
    return kept


def _mask_image(mask: Any, width: int, height: int) -> Image.Image:
    """The canvas' paint mask (1.0 = paint) as the 8-bit mask diffusers expects (white =
    paint), at the model's size."""
    pixels = np.clip(np.rint(np.asarray(mask, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L").resize((width, height), Image.Resampling.BILINEAR)


__all__ = [
    "MAX_COUNT",
    "DiffusersImageGenerator",
    "DiffusersModelError",
    "capabilities_of",
    "model_size",
]
