"""Fixtures for the catalog: the real app with worker threads running analysis jobs, loopback
fetches allowed only through the allowlist, and helpers that speak HTTP to it."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.platform.config import Settings
from krev.platform.storage import LocalStorage
from tests.conftest import Account, runtime_of
from tests.generations.stack import JOB_PLANS
from tests.support.product_photos import make_photo

PRODUCTS = "/api/v1/products"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # A generous wait window: the suite runs in parallel processes, each loading the OCR
    # models on its first analysis, and these tests check the synchronous answer.
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=60.0,
        fetch_allowlist=["127.0.0.1"],
    )


def photo_bytes(index: int = 0, *, fmt: str = "PNG", size: int = 256) -> bytes:
    """A rendered product photo (known product on a studio background) as PNG or JPEG."""
    image = Image.fromarray(np.ascontiguousarray(make_photo(index, size).image), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def data_url(content: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def upload_json(client: TestClient, account: Account, body: dict[str, Any], **headers: str) -> Any:
    return client.post(PRODUCTS, json=body, headers={**account.headers, **headers})


def storage_root(client: TestClient) -> Path:
    """Where the app's local storage keeps its files."""
    storage = runtime_of(client).storage
    assert isinstance(storage, LocalStorage)
    return storage.root


def storage_used(client: TestClient, account: Account) -> int:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["storage"]["used_bytes"])


def list_products(client: TestClient, account: Account, **params: Any) -> Any:
    response = client.get(PRODUCTS, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()
