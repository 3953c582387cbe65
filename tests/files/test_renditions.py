"""Any stored image's signed URL serves PNG or JPEG on request (``?format=png|jpeg``), for the
tools that take no WebP (Meta's Ads Manager): the same pixels (JPEG within its tolerance),
the right Content-Type, converted once and kept beside the original, and gone with it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.platform.config import Settings
from tests.conftest import Account, runtime_of
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, create_product, generated

# JPEG at quality 92 of a rendered studio scene: a mean error of about 1 level, a few levels
# at hard edges.
JPEG_MEAN_TOLERANCE = 2.5
JPEG_P99_TOLERANCE = 24


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(plans=JOB_PLANS, embedded_workers=2, sync_wait_seconds=120.0)


def _decoded(content: bytes, fmt: str) -> npt.NDArray[np.uint8]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == fmt
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _storage_root(client: TestClient) -> Path:
    return runtime_of(client).settings.data_dir / "storage"


def test_an_output_is_served_as_png_and_jpeg_with_the_same_pixels(
    client: TestClient, account: Account
) -> None:
    data = generated(client, account, {"prompt": "Dark marble surface, golden hour light"})
    url = data["images"][0]
    original = client.get(url)
    assert original.headers["content-type"] == "image/webp"
    pixels = _decoded(original.content, "WEBP")

    png = client.get(f"{url}&format=png")
    jpeg = client.get(f"{url}&format=jpeg")
    jpg = client.get(f"{url}&format=JPG")  # a file extension, in any case, names it too

    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert np.array_equal(_decoded(png.content, "PNG"), pixels), "PNG is lossless"
    assert jpeg.status_code == 200, jpeg.text
    assert jpeg.headers["content-type"] == "image/jpeg"
    error = np.abs(_decoded(jpeg.content, "JPEG").astype(int) - pixels.astype(int))
    assert error.mean() < JPEG_MEAN_TOLERANCE, error.mean()
    assert np.percentile(error, 99) < JPEG_P99_TOLERANCE
    assert jpg.content == jpeg.content
    # Asking for what is stored serves the stored file.
    assert client.get(f"{url}&format=webp").content == original.content


def test_a_rendition_is_converted_once_and_kept_beside_the_original(
    client: TestClient, account: Account
) -> None:
    data = generated(client, account, {"prompt": "Concrete wall, cool daylight"})
    url = data["images"][0]
    [original] = list(
        _storage_root(client).glob(f"users/*/generations/{data['generation_id']}/*.webp")
    )
    rendition = original.with_name(original.name + ".rendition.png")
    assert not rendition.exists()

    first = client.get(f"{url}&format=png")
    assert rendition.is_file()
    made = rendition.stat().st_mtime_ns
    second = client.get(f"{url}&format=png")

    assert first.content == second.content == rendition.read_bytes()
    assert rendition.stat().st_mtime_ns == made, "served from the kept file, not converted again"
    # It is a cache of the original, not counted against the plan's storage.
    usage = client.get("/api/v1/credits", headers=account.headers).json()["data"]["storage"]
    assert usage["used_bytes"] == original.stat().st_size


def test_an_unknown_format_is_a_400_naming_the_ones_served(
    client: TestClient, account: Account
) -> None:
    data = generated(client, account, {"prompt": "Pastel set"})

    for value in ("gif", "webp2", "", "png;jpeg"):
        response = client.get(f"{data['images'][0]}&format={value}")

        assert response.status_code == 400, response.text
        body = response.json()
        assert body["success"] is False and body["code"] == "unsupported_format"
        assert "png" in body["error"] and "jpeg" in body["error"]
    assert client.get(data["images"][0]).status_code == 200


def test_a_format_does_not_open_an_unsigned_or_foreign_url(
    client: TestClient, account: Account
) -> None:
    data = generated(client, account, {"prompt": "Pastel set"})
    url = data["images"][0]
    tampered = url.replace("signature=", "signature=x")

    assert client.get(f"{tampered}&format=png").status_code == 403
    assert client.get(f"{url}&format=png&format=jpeg").status_code == 400


def test_renditions_go_with_their_original(client: TestClient, account: Account) -> None:
    product = create_product(client, account, BLUE_BOX)
    cutout_url = product["segmented_image_url"]
    png = client.get(f"{cutout_url}&format=png")
    jpeg = client.get(f"{cutout_url}&format=jpeg")
    assert png.status_code == jpeg.status_code == 200
    # The cutout's transparency survives in PNG; JPEG has none, so it sits on white.
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.mode == "RGBA"
        assert np.asarray(image.getchannel("A")).min() == 0
    corner = _decoded(jpeg.content, "JPEG")[0, 0]
    assert corner.min() > 245
    kept = sorted(path.name for path in _storage_root(client).glob("users/*/products/*/*"))
    assert [name for name in kept if "rendition" in name and "~" not in name] == [
        "cutout.webp.rendition.jpeg",
        "cutout.webp.rendition.png",
    ]

    deleted = client.delete(
        "/api/v1/products", params={"id": product["id"]}, headers=account.headers
    )

    assert deleted.status_code == 200, deleted.text
    assert list(_storage_root(client).glob("users/**/*.rendition.*")) == []
    assert client.get(f"{cutout_url}&format=png").status_code == 404
