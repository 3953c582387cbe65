"""POST /api/v1/images end to end: the reference's answer, sizes, variants, products placed
with their own colors, credits, and the generation record with the parsed scene."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.catalog.conftest import data_url
from tests.conftest import Account
from tests.images.conftest import (
    BLUE_BOX,
    GREEN_BOX,
    ORANGE_JAR,
    balance,
    create_product,
    cutout_color,
    download,
    generate,
    generated,
    generation,
    palette_share,
    share_near,
    stored_outputs,
)
from tests.support.origin_server import OriginServer

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH_MODES
def test_text_to_image_renders_the_described_scene(client: TestClient, account: Account) -> None:
    before = balance(client, account)
    prompt = "Dark marble surface, golden hour light, top-down"

    # Empty lists are as good as leaving the fields out.
    body = {"prompt": f"  {prompt}  ", "product_ids": [], "reference_images": []}
    data = generated(client, account, body)

    assert data["image_count"] == 1 and len(data["images"]) == 1
    assert data["credits_used"] == 40
    assert balance(client, account) == before - 40
    image = download(client, data["images"][0])
    assert image.shape == (1024, 1024, 3)
    assert image.std() > 5  # a rendered scene, not a blank canvas

    record = generation(client, account, data["generation_id"])
    assert record["kind"] == "image" and record["status"] == "succeeded"
    assert record["credits_used"] == 40
    output = record["output"]
    assert len(output["urls"]) == 1
    # What was understood of the prompt is kept with the generation.
    scene = output["scene"]
    assert scene["surface"] == "marble"
    assert scene["lighting"] == "golden_hour"
    assert scene["camera"] == "top_down"
    assert output["product_ids"] == [] and output["width"] == 1024
    assert len(output["variants"]) == 1 and output["variants"][0]["placements"] == []
    assert len(stored_outputs(client, data["generation_id"])) == 1


@BOTH_MODES
def test_a_product_is_placed_with_its_own_colors(client: TestClient, account: Account) -> None:
    product = create_product(client, account, BLUE_BOX)
    color = cutout_color(client, product)

    data = generated(
        client,
        account,
        {"prompt": "on a white studio sweep", "product_id": product["id"], "aspect_ratio": "16:9"},
    )

    image = download(client, data["images"][0])
    assert image.shape == (768, 1344, 3)
    output = generation(client, account, data["generation_id"])["output"]
    assert output["product_ids"] == [product["id"]]
    [placement] = output["variants"][0]["placements"]
    assert placement["product_id"] == product["id"] and placement["fidelity"] >= 0.6
    x, y, w, h = placement["box"]
    inside = np.zeros(image.shape[:2], dtype=bool)
    inside[y : y + h, x : x + w] = True
    # The product's own blue fills much of its box and is rare in the white scene around it.
    assert share_near(image[inside], color) > 0.3
    assert share_near(image[~inside], color) < share_near(image[inside], color) / 3


def test_several_products_share_one_scene(client: TestClient, account: Account) -> None:
    green = create_product(client, account, GREEN_BOX)
    orange = create_product(client, account, ORANGE_JAR)

    data = generated(
        client,
        account,
        {"prompt": "products on a wooden table", "product_ids": [green["id"], orange["id"]]},
    )

    image = download(client, data["images"][0])
    output = generation(client, account, data["generation_id"])["output"]
    placements = output["variants"][0]["placements"]
    assert [p["product_id"] for p in placements] == [green["id"], orange["id"]]
    for product, placement in zip((green, orange), placements, strict=True):
        x, y, w, h = placement["box"]
        assert share_near(image[y : y + h, x : x + w], cutout_color(client, product)) > 0.2
    # product_id may repeat one of product_ids; it adds nothing.
    same = generated(
        client,
        account,
        {"prompt": "studio", "product_id": green["id"], "product_ids": [green["id"]]},
    )
    assert generation(client, account, same["generation_id"])["output"]["product_ids"] == [
        green["id"]
    ]


def test_variants_differ_and_cost_per_image(client: TestClient, account: Account) -> None:
    before = balance(client, account)

    two = generated(client, account, {"prompt": "pastel gradient", "image_count": 2})
    four = generated(
        client, account, {"prompt": "soft light", "image_count": 4, "preset_id": "flat_lay"}
    )

    assert (two["image_count"], two["credits_used"]) == (2, 80)
    assert (four["image_count"], four["credits_used"]) == (4, 160)
    assert balance(client, account) == before - 240
    images = [download(client, url) for url in four["images"]]
    assert all(image.shape == (1024, 1024, 3) for image in images)
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            difference = np.abs(images[i].astype(np.int16) - images[j].astype(np.int16)).mean()
            assert difference > 2.0, (i, j, difference)
    output = generation(client, account, four["generation_id"])["output"]
    assert output["preset_id"] == "flat_lay" and output["scene"]["camera"] == "top_down"


def test_hd_is_4096_on_the_long_side_at_80_a_image(client: TestClient, account: Account) -> None:
    before = balance(client, account)

    data = generated(
        client, account, {"prompt": "concrete, dramatic", "aspect_ratio": "9:16", "hd": True}
    )

    assert data["credits_used"] == 80
    assert balance(client, account) == before - 80
    image = download(client, data["images"][0])
    assert image.shape == (4096, 2304, 3)
    output = generation(client, account, data["generation_id"])["output"]
    assert output["hd"] is True and (output["width"], output["height"]) == (2304, 4096)


def test_reference_images_are_fetched_and_steer_the_scene(
    client: TestClient, account: Account
) -> None:
    red = io.BytesIO()
    Image.new("RGB", (300, 200), (220, 20, 30)).save(red, format="PNG")
    with OriginServer() as origin:
        url = origin.put("/style.png", red.getvalue(), "image/png")
        data = generated(
            client,
            account,
            {"prompt": "a studio backdrop", "reference_images": [url, data_url(red.getvalue())]},
        )
        assert origin.paths == ["/style.png"]

    image = download(client, data["images"][0])
    assert image.shape == (1024, 1024, 3)
    # The references' palette reached the renderer: it read their red.
    assert palette_share(client, account, data["generation_id"], (220, 20, 30)) > 0.9


def test_respond_async_answers_202_then_the_generation_succeeds(
    client: TestClient, account: Account
) -> None:
    response = generate(client, account, {"prompt": "marble"}, Prefer="respond-async")

    assert response.status_code == 202, response.text
    body = response.json()["data"]
    assert set(body) == {"generation_id", "status", "poll_url"}
    assert response.headers["Preference-Applied"] == "respond-async"
    deadline = time.monotonic() + 120
    while (record := generation(client, account, body["generation_id"]))["status"] in (
        "queued",
        "processing",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert record["status"] == "succeeded"
    assert download(client, record["output"]["urls"][0]).shape == (1024, 1024, 3)


def test_the_images_scope_is_required(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    products_only = make_account(scopes=["products"])
    for response in (
        generate(client, products_only, {"prompt": "marble"}),
        client.get("/api/v1/presets", headers=products_only.headers),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "insufficient_scope"


def test_progress_then_cancelling_a_running_generation_refunds_and_keeps_nothing(
    client: TestClient, account: Account
) -> None:
    before = balance(client, account)
    response = generate(
        client, account, {"prompt": "marble", "hd": True, "image_count": 4}, Prefer="respond-async"
    )
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    deadline = time.monotonic() + 120
    # Progress moves as each variant finishes (5 once the inputs are loaded, then per variant).
    while (seen := generation(client, account, generation_id))["progress"] <= 5:
        assert seen["status"] in ("queued", "processing") and time.monotonic() < deadline
        time.sleep(0.02)
    assert seen["status"] == "processing" and 5 < seen["progress"] < 100

    cancelled = client.post(f"/api/v1/generations/{generation_id}/cancel", headers=account.headers)

    assert cancelled.status_code == 200, cancelled.text
    while (record := generation(client, account, generation_id))["status"] == "processing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert record["status"] == "cancelled" and record["output"] is None
    assert stored_outputs(client, generation_id) == []
    assert balance(client, account) == before
    usage = client.get("/api/v1/credits", headers=account.headers).json()["data"]["storage"]
    assert usage["used_bytes"] == 0
