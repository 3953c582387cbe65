"""POST /api/v1/images with KREV_IMAGE_ENGINE=diffusers: the tiny models, loaded from their
directories by the worker, behind the real API; text-only prompts drawn by the model, a
catalog product kept faithful in a painted scene, and a model that cannot keep products
refused before anything is charged."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import (
    BLUE_BOX,
    balance,
    create_product,
    cutout_color,
    download,
    generate,
    generated,
    generation,
    image_generations,
    share_near,
    stored_outputs,
)

pytestmark = pytest.mark.torch


@pytest.fixture
def model_dir(request: pytest.FixtureRequest) -> Path:
    """The inpaint model, or the fixture named by indirect parametrization."""
    return Path(request.getfixturevalue(getattr(request, "param", "inpaint_model")))


@pytest.fixture
def settings(make_settings: Callable[..., Settings], model_dir: Path) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        image_engine="diffusers",
        diffusers_model_dir=model_dir,
        diffusers_steps=2,
        # The tiny model draws at most 128 px on the long side; outputs are resized to size.
        diffusers_max_side=128,
    )


def test_a_text_only_prompt_is_drawn_by_the_local_model(
    client: TestClient, account: Account
) -> None:
    before = balance(client, account)
    body = {
        "prompt": "Premium leather wallet on dark marble surface, studio lighting",
        "image_count": 2,
        "aspect_ratio": "16:9",
    }

    data = generated(client, account, body)

    assert data["image_count"] == 2 and len(data["images"]) == 2
    assert balance(client, account) == before - data["credits_used"]
    images = [download(client, url) for url in data["images"]]
    for image in images:
        assert image.shape == (768, 1344, 3)
        assert image.std() > 5  # the model's picture, not a blank canvas
    assert np.abs(images[0].astype(int) - images[1].astype(int)).mean() > 5  # two variants
    record = generation(client, account, data["generation_id"])
    assert record["status"] == "succeeded"
    assert record["output"]["engine"] == "diffusers"
    assert record["output"]["product_ids"] == []
    assert len(stored_outputs(client, data["generation_id"])) == 2


# The text-to-image model: its inpainting variant paints (the inpaint model's product scenes
# are tested on the provider, tests/local_diffusion/test_images.py).
@pytest.mark.parametrize("model_dir", ["text_to_image_model"], indirect=True)
def test_a_product_scene_keeps_the_product_and_paints_the_rest(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)

    data = generated(
        client,
        account,
        {"prompt": "on a walnut desk by a window", "product_id": product["id"]},
    )

    (url,) = data["images"]
    image = download(client, url)
    assert image.shape == (1024, 1024, 3)
    output = generation(client, account, data["generation_id"])["output"]
    assert output["engine"] == "diffusers"
    assert output["product_ids"] == [product["id"]]
    ((placement,),) = [variant["placements"] for variant in output["variants"]]
    assert placement["product_id"] == product["id"]
    assert placement["fidelity"] >= 0.9  # the product as its cutout, whatever painted around it
    x, y, w, h = placement["box"]
    assert share_near(image[y : y + h, x : x + w], cutout_color(client, product)) > 0.3
    outside = np.ones(image.shape[:2], bool)
    outside[y : y + h, x : x + w] = False
    assert image[outside].std() > 5  # the model painted the scene, not a flat backdrop


@pytest.fixture
def text_only_model(text_to_image_model: Path, tmp_path: Path) -> Path:
    """The text-to-image model as a pipeline with no inpainting variant (same components)."""
    target = tmp_path / "sag"
    shutil.copytree(text_to_image_model, target)
    index = json.loads((target / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionSAGPipeline"
    (target / "model_index.json").write_text(json.dumps(index))
    return target


@pytest.mark.parametrize("model_dir", ["text_only_model"], indirect=True)
def test_a_model_that_cannot_keep_products_refuses_them_before_charging(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    before = balance(client, account)

    response = generate(
        client, account, {"prompt": "on a walnut desk", "product_id": product["id"]}
    )

    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["success"] is False and payload["code"] == "engine_cannot_render"
    assert "inpainting" in payload["error"]
    assert balance(client, account) == before
    assert image_generations(client, account) == []
    # Text-only prompts still work on it.
    data = generated(client, account, {"prompt": "a lighthouse at dusk"})
    assert download(client, data["images"][0]).shape == (1024, 1024, 3)
