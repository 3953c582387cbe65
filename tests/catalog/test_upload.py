"""Uploading products through the API: data URL, multipart and http URL, with real analysis
jobs run by the app's worker threads."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.catalog.conftest import (
    PRODUCTS,
    data_url,
    list_products,
    photo_bytes,
    storage_root,
    storage_used,
    upload_json,
)
from tests.conftest import Account
from tests.support.origin_server import OriginServer

REFERENCE_KEYS = {
    "id",
    "name",
    "image_url",
    "segmented_image_url",
    "category",
    "metadata",
    "source",
    "created_at",
}


def _download(client: TestClient, url: str, fmt: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    assert image.format == fmt
    image.load()
    return image


def test_data_url_upload_answers_with_an_analyzed_product(
    client: TestClient, account: Account
) -> None:
    response = upload_json(client, account, {"image_url": data_url(photo_bytes(0))})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    product = body["data"]
    assert set(product) >= REFERENCE_KEYS
    assert product["source"] == "api"
    assert product["status"] == "ready"
    assert product["created_at"].endswith("Z")
    assert set(product["metadata"]) == {
        "brandName",
        "productName",
        "productType",
        "colors",
        "color",
        "color_hex",
        "materials",
    }
    assert product["metadata"]["colors"], "colors come from the product's own pixels"
    assert product["name"], "an unnamed upload is named from its analysis"

    original = _download(client, product["image_url"], "JPEG")  # opaque: stored as JPEG
    assert original.size == (256, 256)
    cutout = _download(client, product["segmented_image_url"], "WEBP")
    assert cutout.mode == "RGBA"
    alpha = np.asarray(cutout.getchannel("A"))
    assert alpha.min() == 0 and alpha.max() == 255, "background removed, product kept"
    assert storage_used(client, account) > 0


def test_multipart_jpeg_keeps_the_given_name(client: TestClient, account: Account) -> None:
    response = client.post(
        PRODUCTS,
        files={"file": ("wallet.jpg", photo_bytes(3, fmt="JPEG"), "image/jpeg")},
        data={"name": "Premium Leather Wallet"},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    product = response.json()["data"]
    assert product["name"] == "Premium Leather Wallet"
    assert product["segmented_image_url"] is not None
    assert _download(client, product["image_url"], "JPEG").mode == "RGB"


def test_multipart_png_can_skip_segmentation(client: TestClient, account: Account) -> None:
    response = client.post(
        PRODUCTS,
        files={"file": ("p.png", photo_bytes(1), "image/png")},
        data={"skip_segmentation": "true"},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    product = response.json()["data"]
    assert product["segmented_image_url"] is None
    assert product["metadata"]["colors"]


def test_http_url_is_fetched(client: TestClient, account: Account) -> None:
    with OriginServer() as origin:
        url = origin.put("/bottle.jpg", photo_bytes(2, fmt="JPEG"), "image/jpeg")
        response = upload_json(
            client, account, {"image_url": url, "name": "Bottle", "skip_segmentation": True}
        )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "Bottle"
    assert origin.paths == ["/bottle.jpg"]


def test_respond_async_answers_202_then_get_shows_it_completing(
    client: TestClient, account: Account
) -> None:
    response = upload_json(
        client,
        account,
        {"image_url": data_url(photo_bytes(4)), "skip_segmentation": True},
        Prefer="respond-async",
    )

    assert response.status_code == 202, response.text
    accepted = response.json()["data"]
    assert accepted["status"] == "analyzing"
    assert accepted["poll_url"].endswith(f"/api/v1/generations/{accepted['generation_id']}")
    deadline = time.monotonic() + 60
    while True:
        product = list_products(client, account, id=accepted["id"])["data"]
        if product["status"] != "analyzing" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert product["status"] == "ready"
    assert product["name"]


def test_upload_over_the_storage_quota_is_413_and_stores_nothing(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    tiny = make_account(plan="tiny")
    response = upload_json(client, tiny, {"image_url": data_url(photo_bytes(0))})

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "storage_quota_exceeded"
    assert list_products(client, tiny)["meta"]["count"] == 0
    assert storage_used(client, tiny) == 0
    root = storage_root(client)
    assert not [p for p in (root / "users" / str(tiny.user_id)).rglob("*") if p.is_file()]
