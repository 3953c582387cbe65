"""Fixtures for ad generation: the real app with worker threads, loopback fetches allowed only
through the allowlist, and helpers that speak HTTP to it and decode what comes back."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.platform.config import Settings
from tests.conftest import Account, runtime_of
from tests.generations.stack import JOB_PLANS

ADS = "/api/v1/ads"
STYLES = "/api/v1/ads/styles"
SIZES = {"1:1": (1080, 1080), "4:5": (1080, 1350), "9:16": (1080, 1920)}
AD_KEYS = {"generation_id", "images", "image_count", "credits_used", "ad_copy", "ad_copies"}
COPY_KEYS = {"style_name", "hook", "headline", "body_copy", "cta"}
STYLE_IDS = {
    "performance",
    "minimal_luxe",
    "bold_offer",
    "social_proof",
    "benefit_stack",
    "comparison",
}


@pytest.fixture
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    # A generous wait window: parallel test processes share two cores, and these tests read
    # the synchronous answer. A test may add settings of its own (indirect parametrization).
    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        fetch_allowlist=["127.0.0.1"],
        **overrides,
    )


def post_ad(client: TestClient, account: Account, body: Any, **headers: str) -> Any:
    return client.post(ADS, json=body, headers={**account.headers, **headers})


def generated_ad(client: TestClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/ads and the 200 answer's data, shaped as the reference's."""
    response = post_ad(client, account, body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["success"] is True
    data: dict[str, Any] = payload["data"]
    assert set(data) == AD_KEYS
    assert set(data["ad_copy"]) == COPY_KEYS
    return data


def download(client: TestClient, url: str) -> npt.NDArray[np.uint8]:
    """A signed output URL's WebP, decoded to RGB."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def ad_generations(client: TestClient, account: Account) -> list[Any]:
    response = client.get(
        "/api/v1/generations", params={"kind": "ad", "limit": 100}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def stored_ads(client: TestClient) -> list[str]:
    """Every ad or image output file local storage holds (sidecars aside)."""
    root = runtime_of(client).settings.data_dir / "storage"
    return sorted(str(path) for path in root.glob("users/*/generations/*/*.webp"))


@functools.cache
def _ocr() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def read_text(image: npt.NDArray[np.uint8]) -> str:
    """The letters and digits OCR reads in an image, lower-case, run together (OCR drops some
    spaces). Read at half size: ad copy is set large, and it reads three times faster."""
    half = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    result, _elapsed = _ocr()(np.ascontiguousarray(half[..., ::-1]))  # it takes BGR
    return letters(" ".join(str(entry[1]) for entry in result or []))


def letters(text: str) -> str:
    """``text``'s letters and digits, lower-case, run together."""
    return "".join(c for c in text.lower() if c.isalnum())
