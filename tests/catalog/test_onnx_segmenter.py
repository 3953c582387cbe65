"""Uploads with ``KREV_SEGMENTER=onnx``: the cutout comes from the ONNX model at the configured
path (a tiny model built here), and a missing or broken model is a clear error, never a download."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.engines.studio.segment import iou
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.catalog.conftest import data_url, photo_bytes, storage_root, upload_json
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.support.product_photos import make_photo
from tests.support.tiny_onnx import chroma_saliency_model, write_model

SIDE = 128


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return write_model(tmp_path / "models" / "tiny-u2net.onnx", chroma_saliency_model(SIDE))


@pytest.fixture
def settings(make_settings: Callable[..., Settings], model_path: Path) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=60.0,
        segmenter="onnx",
        segmenter_model_path=model_path,
        segmenter_input_size=SIDE,
    )


def _alpha_of(client: TestClient, url: str) -> np.ndarray:
    response = client.get(url)
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as cutout:
        assert cutout.format == "WEBP" and cutout.mode == "RGBA"
        return np.asarray(cutout.getchannel("A"), np.float32) / 255.0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_cutout_comes_from_the_configured_model(client: TestClient, account: Account) -> None:
    # Photo 12 is a white bag on white: a chromaticity model cannot see it, the classical
    # segmenter can. Its empty cutout proves which segmenter ran.
    photo, blind = make_photo(4, 256), make_photo(12, 256)

    seen = upload_json(client, account, {"image_url": data_url(photo_bytes(4))})
    unseen = upload_json(client, account, {"image_url": data_url(photo_bytes(12))})

    assert seen.status_code == 200, seen.text
    assert iou(_alpha_of(client, seen.json()["data"]["segmented_image_url"]), photo.mask) >= 0.93
    assert unseen.status_code == 200, unseen.text
    assert iou(_alpha_of(client, unseen.json()["data"]["segmented_image_url"]), blind.mask) < 0.5


def test_a_model_file_that_is_not_onnx_fails_the_analysis_clearly(
    client: TestClient, account: Account, model_path: Path
) -> None:
    model_path.write_bytes(b"this is not a model")

    response = upload_json(client, account, {"image_url": data_url(photo_bytes(4))})

    assert response.status_code == 500, response.text
    body = response.json()
    assert body["code"] == "generation_failed"
    assert "segmentation model could not be loaded" in body["error"]
    assert str(model_path) not in body["error"], "the server's paths are for the operator"
    root = storage_root(client)
    assert not list(root.rglob("cutout.webp"))


def test_the_server_refuses_onnx_without_a_model_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_SEGMENTER_MODEL_PATH is required"):
        registry.check(make_settings(segmenter="onnx"))
    with pytest.raises(ConfigurationError, match="is not a file"):
        registry.check(
            make_settings(segment_engine="onnx", segmenter_model_path=tmp_path / "u2net.onnx")
        )
    assert not (tmp_path / "u2net.onnx").exists(), "nothing is downloaded"
