"""The diffusers providers as the registry builds them from settings: built once per process,
capabilities read from the model directory's files, the model upscaler for HD."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from krev.engines.diffusers_images import DiffusersImageGenerator
from krev.engines.diffusers_models import DiffusersModelError
from krev.engines.diffusers_upscale import DiffusersUpscaler
from krev.platform.config import Settings
from krev.providers import diffusers as diffusers_provider
from krev.providers import registry

pytestmark = pytest.mark.torch


def test_the_registry_builds_the_configured_model_once(
    make_settings: Callable[..., Settings], inpaint_model: Path
) -> None:
    settings = make_settings(
        image_engine="diffusers", diffusers_model_dir=inpaint_model, diffusers_steps=3
    )
    registry.check(settings)  # configured: torch, diffusers and a model directory

    first = registry.provider(settings, "image", "diffusers")
    again = registry.provider(settings, "image", "diffusers")

    assert isinstance(first, DiffusersImageGenerator)
    assert again is first
    assert first.steps == 3
    assert registry.image_capabilities("diffusers", settings).product_scenes


def test_capabilities_follow_the_model_in_the_directory_without_loading_it(
    make_settings: Callable[..., Settings], text_to_image_model: Path, tmp_path: Path
) -> None:
    sag = tmp_path / "sag"
    shutil.copytree(text_to_image_model, sag)
    index = json.loads((sag / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionSAGPipeline"
    (sag / "model_index.json").write_text(json.dumps(index))

    settings = make_settings(image_engine="diffusers", diffusers_model_dir=sag)
    registry.check(settings)  # text-only prompts still work: the server starts

    capabilities = registry.image_capabilities("diffusers", settings)
    assert capabilities.text_only
    assert not capabilities.product_scenes
    refusal = diffusers_provider.product_scene_refusal(settings)
    assert refusal is not None and "KREV_DIFFUSERS_MODEL_DIR" in refusal
    # What every process logs when it starts with this model.
    assert registry.notices(settings) == [f"Product scenes will be refused: {refusal}"]
    assert settings.built_providers == {}  # nothing was loaded to answer

    t2i = make_settings(image_engine="diffusers", diffusers_model_dir=text_to_image_model)
    assert registry.image_capabilities("diffusers", t2i).product_scenes
    assert diffusers_provider.product_scene_refusal(t2i) is None
    assert registry.notices(t2i) == []


def test_a_directory_that_is_not_a_model_refuses_the_start(
    make_settings: Callable[..., Settings], tmp_path: Path, inpaint_model: Path
) -> None:
    with pytest.raises(registry.ConfigurationError, match=r"has no model_index\.json"):
        registry.check(make_settings(image_engine="diffusers", diffusers_model_dir=tmp_path))
    with pytest.raises(DiffusersModelError, match=r"has no model_index\.json"):
        DiffusersImageGenerator(tmp_path)
    with pytest.raises(registry.ConfigurationError, match="KREV_UPSCALER_MODEL_DIR is required"):
        registry.check(make_settings(upscale_engine="diffusers"))


def test_a_pipeline_diffusers_does_not_have_is_refused_when_loading(
    inpaint_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "future"
    shutil.copytree(inpaint_model, model)
    index = json.loads((model / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusion9InpaintPipeline"
    (model / "model_index.json").write_text(json.dumps(index))

    with pytest.raises(DiffusersModelError, match="is not a pipeline of the installed diffusers"):
        DiffusersImageGenerator(model)


def test_a_damaged_model_is_refused_with_the_directory_named(
    inpaint_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "damaged"
    shutil.copytree(inpaint_model, model)
    shutil.rmtree(model / "unet")

    with pytest.raises(DiffusersModelError, match="could not be loaded"):
        DiffusersImageGenerator(model)


def test_the_model_upscaler_returns_exactly_the_asked_size(
    make_settings: Callable[..., Settings], upscaler_model: Path
) -> None:
    settings = make_settings(
        upscale_engine="diffusers", upscaler_model_dir=upscaler_model, upscaler_steps=2
    )
    registry.check(settings)
    upscaler = registry.provider(settings, "upscale", "diffusers")
    assert isinstance(upscaler, DiffusersUpscaler)
    assert upscaler.factor == 2  # the tiny VAE's; the real x4 upscaler's is 4
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (45, 61, 3), dtype=np.uint8)

    larger = upscaler.upscale(image, 150)
    smaller = upscaler.upscale(image, 30)

    assert larger.shape == (111, 150, 3)
    assert larger.dtype == np.uint8
    assert smaller.shape == (22, 30, 3)
    assert np.array_equal(upscaler.upscale(image, 150), larger)  # seeded: the same each time


def test_an_image_model_is_not_an_upscaler(inpaint_model: Path) -> None:
    with pytest.raises(DiffusersModelError, match="not an upscaler"):
        DiffusersUpscaler(inpaint_model)
