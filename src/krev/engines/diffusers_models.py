"""Local diffusers model directories: what a directory holds (read from its files alone), and
loading it onto a device.

Reading a directory needs neither torch nor diffusers, so API processes can say whether the
model is usable and what it can do without loading weights. Loading imports torch and
diffusers lazily (they are the optional ``diffusers`` extra) and never downloads: every
``from_pretrained`` gets ``local_files_only=True``.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from krev.engines.base import RGBImage
from krev.engines.providers import InvalidRequest, TemporarilyUnavailable

MODEL_INDEX = "model_index.json"
INSTALL_HINT = "install the extra: pip install 'krev[diffusers]'"

# Pipelines that paint inside a mask, called with prompt, image and mask_image.
INPAINT_PIPELINES = frozenset(
    {
        "FluxFillPipeline",
        "FluxInpaintPipeline",
        "QwenImageInpaintPipeline",
        "StableDiffusion3InpaintPipeline",
        "StableDiffusionInpaintPipeline",
        "StableDiffusionPAGInpaintPipeline",
        "StableDiffusionXLInpaintPipeline",
        "StableDiffusionXLPAGInpaintPipeline",
        "ZImageInpaintPipeline",
    }
)
# Text-to-image pipelines whose weights also serve an inpainting pipeline
# (diffusers' AutoPipelineForInpainting.from_pipe; tests check the pairs against diffusers).
INPAINT_VARIANTS = {
    "FluxPipeline": "FluxInpaintPipeline",
    "QwenImagePipeline": "QwenImageInpaintPipeline",
    "StableDiffusion3Pipeline": "StableDiffusion3InpaintPipeline",
    "StableDiffusionPAGPipeline": "StableDiffusionPAGInpaintPipeline",
    "StableDiffusionPipeline": "StableDiffusionInpaintPipeline",
    "StableDiffusionXLPAGPipeline": "StableDiffusionXLPAGInpaintPipeline",
    "StableDiffusionXLPipeline": "StableDiffusionXLInpaintPipeline",
    "ZImagePipeline": "ZImageInpaintPipeline",
}
# Model upscalers, with how many times larger their output is than their input (None: the
# pipeline's VAE decides, as for the x4 upscaler).
UPSCALE_PIPELINES: dict[str, int | None] = {
    "StableDiffusionLatentUpscalePipeline": 2,
    "StableDiffusionUpscalePipeline": None,
}


class DiffusersModelError(ValueError):
    """The model directory or the installation cannot serve; the sentence says why."""


@dataclass(frozen=True)
class ModelDirectory:
    """A diffusers model saved with ``save_pretrained`` (or downloaded as such)."""

    path: Path
    pipeline: str
    """``model_index.json``'s ``_class_name``: the diffusers pipeline class."""

    @property
    def inpaints(self) -> bool:
        """An inpaint or fill model: paints inside a mask."""
        return self.pipeline in INPAINT_PIPELINES or (
            "ControlNet" not in self.pipeline
            and self.pipeline.endswith(("InpaintPipeline", "FillPipeline"))
        )

    @property
    def inpaint_variant(self) -> str | None:
        """The inpainting pipeline a text-to-image model's weights also serve."""
        return None if self.inpaints else INPAINT_VARIANTS.get(self.pipeline)

    @property
    def product_scenes(self) -> bool:
        """Can paint a scene around products and leave them as they are."""
        return self.inpaints or self.inpaint_variant is not None

    @property
    def product_scene_refusal(self) -> str | None:
        """Why this model cannot paint around products (None: it can)."""
        if self.product_scenes:
            return None
        return (
            f"The local diffusion model ({self.pipeline}, KREV_DIFFUSERS_MODEL_DIR) only draws "
            "text-to-image and has no inpainting variant, so it cannot keep a product as it "
            "is; product scenes need an inpaint or fill model (FLUX.1 Fill, SDXL or SD "
            "inpainting) or a model with an inpainting variant (SD, SDXL, SD3, FLUX.1)."
        )


def read_model_directory(path: str | Path, setting: str) -> ModelDirectory:
    """What the directory holds, from its ``model_index.json``; ``setting`` names the setting
    that gave the path, for the error's sentence. Loads nothing."""
    directory = Path(path)
    if not directory.is_dir():
        raise DiffusersModelError(f"{setting} {str(directory)!r} is not a directory.")
    index = directory / MODEL_INDEX
    if not index.is_file():
        raise DiffusersModelError(
            f"{setting} {str(directory)!r} has no {MODEL_INDEX}: it must be a diffusers "
            "model directory (a pipeline saved with save_pretrained)."
        )
    try:
        pipeline = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        pipeline = None
    if not isinstance(pipeline, str) or not pipeline:
        raise DiffusersModelError(
            f"{setting}: {str(index)!r} is not a diffusers model index (no _class_name)."
        )
    return ModelDirectory(directory, pipeline)


def installed() -> bool:
    """torch and diffusers are importable (found without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "diffusers"))


# --- loading (imports torch and diffusers) ---------------------------------------------------


def pick_device(requested: str) -> str:
    """``auto``: cuda when a GPU answers, else Apple's mps, else the CPU."""
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, requested: str) -> Any:
    """``auto``: bfloat16 on a GPU that has it (FLUX is trained in it; SDXL's VAE overflows in
    float16), float16 on other GPUs, float32 on the CPU (half precision is slow or missing
    there)."""
    import torch

    if requested != "auto":
        return getattr(torch, requested)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    return torch.float32


def load_pipeline(model: ModelDirectory, device: str, dtype: Any, **components: Any) -> Any:
    """The model's pipeline class, loaded from its directory only and moved to ``device``.
    ``dtype`` is a torch dtype or, per component, a dict with a ``"default"``; ``components``
    are modules already loaded (shared with another pipeline) that are used, not read again."""
    if not installed():
        raise DiffusersModelError(f"torch and diffusers are not installed; {INSTALL_HINT}.")
    import diffusers
    import transformers

    # A server's log is no terminal: no progress bars while loading (nor while drawing).
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    pipeline_class = getattr(diffusers, model.pipeline, None)
    if pipeline_class is None:
        raise DiffusersModelError(
            f"{model.pipeline} (from {str(model.path / MODEL_INDEX)!r}) is not a pipeline "
            f"of the installed diffusers {diffusers.__version__}."
        )
    try:
        pipeline = pipeline_class.from_pretrained(
            model.path, dtype=dtype, local_files_only=True, **components
        )
    except (OSError, ValueError) as error:
        raise DiffusersModelError(
            f"The model in {str(model.path)!r} could not be loaded: {error}"
        ) from error
    pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def call_arguments(pipeline: Any, **arguments: Any) -> dict[str, Any]:
    """The arguments ``pipeline`` takes: pipelines differ (FLUX has no negative prompt, the
    latent upscaler no output size), so a common call names everything and keeps what fits."""
    accepted = inspect.signature(pipeline.__call__).parameters
    return {name: value for name, value in arguments.items() if name in accepted}


def generators(seeds: Sequence[int]) -> list[Any]:
    """One CPU generator per image: the noise is drawn on the CPU, so a seed gives the same
    image on any device and whatever the batch it is drawn in."""
    import torch

    return [torch.Generator("cpu").manual_seed(seed % 2**63) for seed in seeds]


def to_rgb(images: Any) -> list[RGBImage]:
    """A pipeline's ``output_type="np"`` batch (floats in [0, 1]) as RGB uint8 images."""
    batch = np.asarray(images, np.float32)
    if batch.ndim == 3:
        batch = batch[None]
    pixels = np.clip(np.rint(batch * 255.0), 0, 255).astype(np.uint8)
    return [np.ascontiguousarray(image[..., :3]) for image in pixels]


def resize(image: RGBImage, width: int, height: int) -> RGBImage:
    if image.shape[1] == width and image.shape[0] == height:
        return image
    resized = Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized, np.uint8)


def run_pipeline(
    pipeline: Any,
    arguments: dict[str, Any],
    lock: threading.Lock,
    model: str,
    spent: Callable[[float], None],
) -> Any:
    """Call a loaded pipeline, one call at a time per model (``lock``), without autograd; the
    seconds it took go to ``spent``. GPU memory running out is transient (the job is retried);
    diffusers refusing its inputs is the request's fault; ``model`` names the model in both."""
    import torch

    try:
        with lock, torch.inference_mode():
            started = time.perf_counter()
            try:
                return pipeline(**arguments)
            finally:
                spent(time.perf_counter() - started)
    except torch.cuda.OutOfMemoryError as error:
        raise TemporarilyUnavailable(
            f"The {model} ran out of GPU memory; the job is retried."
        ) from error
    except (ValueError, TypeError) as error:
        # diffusers checks its inputs with ValueError (sizes, a prompt too long for the
        # model); anything else is a bug and propagates as one.
        raise InvalidRequest(f"The {model} refused the request: {error}") from error
