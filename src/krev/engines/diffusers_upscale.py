"""A model upscaler for HD outputs: a local diffusers upscaling pipeline (the x4 upscaler or
the x2 latent upscaler) from its own model directory.

The model runs once on the image shrunk, when larger, to what its factor needs to reach the
requested long side (so the work and the memory follow the output size, not the input's),
then the result is resized to exactly the requested size.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

from PIL import Image

from krev.engines.base import RGBImage
from krev.engines.diffusers_models import (
    UPSCALE_PIPELINES,
    DiffusersModelError,
    call_arguments,
    generators,
    load_pipeline,
    pick_device,
    pick_dtype,
    read_model_directory,
    resize,
    to_rgb,
)

# The x4 and latent upscalers' UNets halve the input three times.
MULTIPLE = 8


def output_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The size an upscale to ``long_side`` returns (the aspect ratio kept, as the studio
    upscaler rounds it)."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class DiffusersUpscaler:
    """An ``Upscaler`` over a local diffusers upscaling model, loaded once when built."""

    id = "diffusers"
    name = "diffusers"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        steps: int = 20,
        seed: int = 0,
    ) -> None:
        self.model = read_model_directory(model_dir, "KREV_UPSCALER_MODEL_DIR")
        if self.model.pipeline not in UPSCALE_PIPELINES:
            raise DiffusersModelError(
                f"KREV_UPSCALER_MODEL_DIR holds a {self.model.pipeline}, not an upscaler "
                f"({', '.join(sorted(UPSCALE_PIPELINES))})."
            )
        self.device = pick_device(device)
        self.steps = steps
        self.seed = seed
        self._pipeline = load_pipeline(self.model, self.device, pick_dtype(self.device, dtype))
        factor = UPSCALE_PIPELINES[self.model.pipeline]
        self.factor: int = factor or int(self._pipeline.vae_scale_factor)
        self._lock = threading.Lock()

    def upscale(self, image: RGBImage, long_side: int) -> RGBImage:
        height, width = image.shape[:2]
        target = output_size(width, height, long_side)
        if long_side <= max(width, height):
            return resize(image, *target)  # nothing for the model to add
        shrink = min(1.0, long_side / self.factor / max(width, height))
        small = (_multiple(width * shrink), _multiple(height * shrink))
        arguments = call_arguments(
            self._pipeline,
            prompt="",
            image=Image.fromarray(resize(image, *small)),
            num_inference_steps=self.steps,
            generator=generators([self.seed]),
            output_type="np",
        )
        import torch

        with self._lock, torch.inference_mode():
            result = self._pipeline(**arguments)
        return resize(to_rgb(result.images)[0], *target)


def _multiple(pixels: float) -> int:
    return max(MULTIPLE, math.ceil(pixels / MULTIPLE) * MULTIPLE)
