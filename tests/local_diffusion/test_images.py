"""The local diffusion image provider over tiny models loaded from their directories: sizes,
seeds, product scenes through an inpaint model and through a text-to-image model's
inpainting variant, and a model that cannot keep products."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from krev.engines.diffusers_images import DiffusersImageGenerator, model_size
from krev.engines.diffusers_models import INPAINT_PIPELINES, INPAINT_VARIANTS
from krev.engines.providers import ImageGenerationRequest, InvalidRequest, ProductCanvas

pytestmark = pytest.mark.torch

STEPS = 2
PROMPT = "premium leather wallet on dark marble surface, studio lighting"


@pytest.fixture(scope="module")
def inpaint(inpaint_model: Path) -> DiffusersImageGenerator:
    return DiffusersImageGenerator(inpaint_model, steps=STEPS)


@pytest.fixture(scope="module")
def text_to_image(text_to_image_model: Path) -> DiffusersImageGenerator:
    return DiffusersImageGenerator(text_to_image_model, steps=STEPS)


def product_canvas(width: int, height: int) -> ProductCanvas:
    """A striped product on a grey canvas: 0 in the mask where it is, 1 (paint) elsewhere."""
    image = np.full((height, width, 3), 128, np.uint8)
    mask = np.ones((height, width), np.float32)
    x, y, w, h = width // 3, height // 4, width // 3, height // 2
    stripes = np.zeros((h, w, 3), np.uint8)
    stripes[::2] = (200, 40, 30)
    stripes[1::2] = (20, 60, 180)
    image[y : y + h, x : x + w] = stripes
    mask[y : y + h, x : x + w] = 0.0
    return ProductCanvas(image=image, mask=mask, boxes=[(x, y, w, h)])


def ask(**values: object) -> ImageGenerationRequest:
    fields: dict[str, object] = {"prompt": PROMPT, "width": 100, "height": 70, "seed": 7}
    fields.update(values)
    return ImageGenerationRequest(**fields)  # type: ignore[arg-type]


def test_a_text_only_prompt_gives_images_of_exactly_the_asked_size(
    inpaint: DiffusersImageGenerator,
) -> None:
    images = inpaint.generate(ask(count=2))

    assert len(images) == 2
    for image in images:
        assert image.rgb is not None
        assert image.rgb.shape == (70, 100, 3)  # drawn at 96 x 64, resized back
        assert image.rgb.dtype == np.uint8
        assert image.data is None and image.url is None
    assert images[0].rgb is not None and images[1].rgb is not None
    assert not np.array_equal(images[0].rgb, images[1].rgb)  # each variant has its own seed


def test_the_same_seed_gives_the_same_images_however_they_are_batched(
    inpaint: DiffusersImageGenerator,
) -> None:
    both = inpaint.generate(ask(count=2))
    again = inpaint.generate(ask(count=2))
    second_alone = inpaint.generate(ask(count=1, first_variant=1))
    other_seed = inpaint.generate(ask(count=1, seed=8))

    assert all(
        a.rgb is not None and b.rgb is not None and np.array_equal(a.rgb, b.rgb)
        for a, b in zip(both, again, strict=True)
    )
    assert both[1].rgb is not None and second_alone[0].rgb is not None
    assert other_seed[0].rgb is not None and both[0].rgb is not None
    # Batched or alone, variant 1 is drawn from the same noise: what differs is float sums
    # in another order, which a random-weight model amplifies, far below another seed's.
    batching = np.abs(both[1].rgb.astype(int) - second_alone[0].rgb.astype(int)).mean()
    seeds = np.abs(other_seed[0].rgb.astype(int) - both[0].rgb.astype(int)).mean()
    assert seeds > 20
    assert batching < seeds / 4


@pytest.mark.parametrize("model", ["inpaint", "text_to_image"])
def test_a_product_scene_is_painted_around_the_product(
    model: str, request: pytest.FixtureRequest
) -> None:
    generator: DiffusersImageGenerator = request.getfixturevalue(model)
    canvas = product_canvas(120, 90)

    (image,) = generator.generate(ask(width=120, height=90, canvas=canvas))

    assert image.rgb is not None
    assert image.rgb.shape == (90, 120, 3)
    kept = canvas.mask == 0.0
    assert np.array_equal(image.rgb[kept], canvas.image[kept])  # the product, pixel for pixel
    painted = canvas.mask == 1.0
    change = np.abs(image.rgb[painted].astype(int) - canvas.image[painted].astype(int))
    assert change.mean() > 5  # the background is the model's, not the grey canvas


def test_a_text_to_image_model_serves_product_scenes_through_its_inpainting_variant(
    text_to_image: DiffusersImageGenerator,
) -> None:
    assert text_to_image.model.pipeline == "StableDiffusionPipeline"
    assert text_to_image.model.inpaint_variant == "StableDiffusionInpaintPipeline"
    assert text_to_image.capabilities.text_only
    assert text_to_image.capabilities.product_scenes
    assert text_to_image.product_scene_refusal is None
    (image,) = text_to_image.generate(ask())
    assert image.rgb is not None and image.rgb.shape == (70, 100, 3)


def without_inpainting_variant(source: Path, target: Path) -> Path:
    """The text-to-image model saved as Stable Diffusion with self-attention guidance: the
    same components, a pipeline diffusers has no inpainting variant of."""
    shutil.copytree(source, target)
    index = json.loads((target / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionSAGPipeline"
    (target / "model_index.json").write_text(json.dumps(index))
    return target


def test_a_model_without_inpainting_variant_refuses_product_scenes_and_draws_text(
    text_to_image_model: Path, tmp_path: Path
) -> None:
    generator = DiffusersImageGenerator(
        without_inpainting_variant(text_to_image_model, tmp_path / "sag"), steps=STEPS
    )

    assert generator.capabilities.text_only
    assert not generator.capabilities.product_scenes
    assert generator.product_scene_refusal is not None
    assert "StableDiffusionSAGPipeline" in generator.product_scene_refusal
    with pytest.raises(InvalidRequest, match="cannot keep a product as it is"):
        generator.generate(ask(canvas=product_canvas(100, 70)))
    (image,) = generator.generate(ask())
    assert image.rgb is not None and image.rgb.shape == (70, 100, 3)


def test_the_model_loads_on_the_cpu_in_full_precision_here(
    inpaint: DiffusersImageGenerator,
) -> None:
    import torch

    assert not torch.cuda.is_available()  # these machines' torch is the CPU build
    assert inpaint.device == "cpu"
    assert inpaint.model.pipeline == "StableDiffusionInpaintPipeline"
    assert inpaint.model.inpaints


def test_large_outputs_are_drawn_at_most_max_side_and_in_multiples_of_16() -> None:
    assert model_size(100, 70, 1024) == (96, 64)
    assert model_size(2048, 1536, 1024) == (1024, 768)
    assert model_size(1080, 1350, 1024) == (816, 1024)
    assert model_size(8, 8, 1024) == (16, 16)


def test_the_pipeline_tables_agree_with_the_installed_diffusers() -> None:
    import diffusers
    from diffusers.pipelines.auto_pipeline import (
        AUTO_INPAINT_PIPELINES_MAPPING,
        AUTO_TEXT2IMAGE_PIPELINES_MAPPING,
    )

    for name in INPAINT_PIPELINES:
        assert getattr(diffusers, name, None) is not None, name
    pairs = {
        text.__name__: AUTO_INPAINT_PIPELINES_MAPPING[key].__name__
        for key, text in AUTO_TEXT2IMAGE_PIPELINES_MAPPING.items()
        if key in AUTO_INPAINT_PIPELINES_MAPPING
    }
    for text, inpaint in INPAINT_VARIANTS.items():
        assert pairs.get(text) == inpaint, text
