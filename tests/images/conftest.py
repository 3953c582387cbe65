"""Fixtures for image generation: the real app with worker threads, loopback fetches allowed
only through the allowlist, and helpers that speak HTTP to it and decode what comes back."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageColor

from krev.platform.config import Settings
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account, runtime_of
from tests.generations.stack import JOB_PLANS
from tests.support.http_types import AnyClient

IMAGES = "/api/v1/images"
PRESETS = "/api/v1/presets"

# Photos from tests/support/product_photos.py whose product is one clear, saturated color:
# a blue box on white, a green box on a gradient, an orange jar on a colored backdrop.
BLUE_BOX, GREEN_BOX, ORANGE_JAR = 4, 5, 10


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # A generous wait window: parallel test processes share two cores, and these tests read
    # the synchronous answer.
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        fetch_allowlist=["127.0.0.1"],
    )


def generate(client: AnyClient, account: Account, body: dict[str, Any], **headers: str) -> Any:
    return client.post(IMAGES, json=body, headers={**account.headers, **headers})


def generated(client: AnyClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/images and the 200 answer's data."""
    response = generate(client, account, body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["success"] is True
    assert set(payload["data"]) == {"generation_id", "images", "image_count", "credits_used"}
    data: dict[str, Any] = payload["data"]
    return data


def download(client: TestClient, url: str) -> npt.NDArray[np.uint8]:
    """A signed output URL's WebP, decoded to RGB."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def create_product(client: AnyClient, account: Account, index: int, **fields: Any) -> Any:
    """A product uploaded through the API and analysed; its view once it is ready."""
    body = {"image_url": data_url(photo_bytes(index, size=256)), **fields}
    response = client.post(PRODUCTS, json=body, headers=account.headers)
    assert response.status_code in (200, 202), response.text
    product_id = response.json()["data"]["id"]
    deadline = time.monotonic() + 120
    while True:
        view = client.get(PRODUCTS, params={"id": product_id}, headers=account.headers)
        product = view.json()["data"]
        if product["status"] != "analyzing":
            assert product["status"] == "ready", product
            return product
        assert time.monotonic() < deadline, "the product's analysis never finished"
        time.sleep(0.05)


def cutout_color(client: TestClient, product: dict[str, Any]) -> npt.NDArray[np.float64]:
    """The median color of the product's own (opaque) pixels in its catalog cutout."""
    response = client.get(product["segmented_image_url"])
    assert response.status_code == 200
    with Image.open(io.BytesIO(response.content)) as image:
        rgba = np.asarray(image.convert("RGBA"))
    opaque = rgba[..., 3] > 250
    return np.median(rgba[opaque][:, :3].astype(np.float64), axis=0)


def share_near(
    image: npt.NDArray[np.uint8], color: npt.NDArray[np.float64], tolerance: float = 40.0
) -> float:
    """Fraction of the image's pixels within ``tolerance`` (RGB distance) of ``color``."""
    distance = np.linalg.norm(image.astype(np.float64) - color, axis=-1)
    return float((distance < tolerance).mean())


def palette_share(
    client: TestClient, account: Account, generation_id: str, rgb: tuple[int, int, int]
) -> float:
    """The share of the render's palette (the one its references gave it) within 30 of
    ``rgb``; 0 when it had no references."""
    render = generation(client, account, generation_id)["output"]["variants"][0]["scene"]
    style = render["render"]["style"]
    if style is None:
        return 0.0
    return sum(
        share
        for color, share in zip(style["colors"], style["shares"], strict=True)
        if np.linalg.norm(np.array(ImageColor.getrgb(color)) - rgb) < 30
    )


def balance(client: TestClient, account: Account) -> int:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["credits"]["current"])


def generation(client: TestClient, account: Account, generation_id: str) -> Any:
    response = client.get(f"/api/v1/generations/{generation_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def image_generations(client: TestClient, account: Account) -> list[Any]:
    response = client.get("/api/v1/generations", params={"limit": 100}, headers=account.headers)
    assert response.status_code == 200, response.text
    return [g for g in response.json()["data"] if g["kind"] == "image"]


def stored_outputs(client: TestClient, generation_id: str) -> list[str]:
    """The WebP files local storage holds for this generation (its content-type sidecars
    aside)."""
    root = runtime_of(client).settings.data_dir / "storage"
    return sorted(str(path) for path in root.glob(f"users/*/generations/{generation_id}/*.webp"))


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 at a port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/style.png"
