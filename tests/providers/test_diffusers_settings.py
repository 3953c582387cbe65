"""The local diffusion providers' settings, checked in the main environment (no torch): the
server refuses to start naming what is missing, and reads nothing but files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from krev.engines.diffusers_models import installed
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError


def model_directory(path: Path, pipeline: str) -> Path:
    """A directory that looks like a saved pipeline (its index only: nothing loads it)."""
    path.mkdir(parents=True)
    (path / "model_index.json").write_text(json.dumps({"_class_name": pipeline}))
    return path


def test_the_engine_needs_its_model_directory(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigurationError, match="KREV_DIFFUSERS_MODEL_DIR is required"):
        registry.check(make_settings(image_engine="diffusers"))


@pytest.mark.parametrize(
    ("make_path", "sentence"),
    [
        (lambda tmp: tmp / "nowhere", "is not a directory"),
        (lambda tmp: tmp, "has no model_index.json"),
    ],
)
def test_a_path_that_is_not_a_model_directory_is_named(
    make_settings: Callable[..., Settings], tmp_path: Path, make_path, sentence: str
) -> None:
    path = make_path(tmp_path)
    with pytest.raises(ConfigurationError) as refused:
        registry.check(make_settings(image_engine="diffusers", diffusers_model_dir=path))
    assert "KREV_IMAGE_ENGINE=diffusers: KREV_DIFFUSERS_MODEL_DIR" in str(refused.value)
    assert sentence in str(refused.value)


def test_an_index_without_a_pipeline_class_is_refused(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    (tmp_path / "model_index.json").write_text("<html>login page</html>")
    with pytest.raises(ConfigurationError, match="is not a diffusers model index"):
        registry.check(make_settings(image_engine="diffusers", diffusers_model_dir=tmp_path))


@pytest.mark.skipif(installed(), reason="torch is installed: the sentence is for installs without")
def test_without_torch_the_start_is_refused_naming_the_extra(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    model = model_directory(tmp_path / "fill", "FluxFillPipeline")
    settings = make_settings(image_engine="diffusers", diffusers_model_dir=model)

    with pytest.raises(ConfigurationError, match=r"pip install 'krev\[diffusers\]'"):
        registry.check(settings)
    assert not registry.is_configured(settings, "image", "diffusers")


def test_what_a_model_can_do_is_read_from_its_index(tmp_path: Path) -> None:
    from krev.engines.diffusers_models import read_model_directory

    fill = read_model_directory(model_directory(tmp_path / "a", "FluxFillPipeline"), "X")
    sdxl = read_model_directory(model_directory(tmp_path / "b", "StableDiffusionXLPipeline"), "X")
    sana = read_model_directory(model_directory(tmp_path / "c", "SanaPipeline"), "X")

    assert fill.inpaints and fill.product_scenes and fill.product_scene_refusal is None
    assert not sdxl.inpaints and sdxl.inpaint_variant == "StableDiffusionXLInpaintPipeline"
    assert sdxl.product_scenes
    assert not sana.product_scenes
    assert sana.product_scene_refusal is not None
    assert "SanaPipeline" in sana.product_scene_refusal
