"""The ONNX segmenter: a real onnxruntime session over a tiny saliency model built here, its
cutouts measured against the rendered photos' true masks, and clear errors for unusable files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from krev.engines.onnx_segment import OnnxSegmenter, SegmentationModelError
from krev.engines.studio.segment import iou
from tests.support.product_photos import make_photo
from tests.support.tiny_onnx import chroma_saliency_model, one_channel_model, write_model

SIDE = 128
# Colored products on white, gradient and colored backgrounds: what a chromaticity model can
# see (it is blind to white-on-white, which is the classical segmenter's and real models' job).
SEEN_PHOTOS = (1, 4, 6, 13, 14, 18)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("models") / "tiny.onnx", chroma_saliency_model(SIDE))


@pytest.fixture(scope="module")
def segmenter(model_path: Path) -> OnnxSegmenter:
    return OnnxSegmenter(model_path, input_size=SIDE)


@pytest.mark.parametrize("index", SEEN_PHOTOS)
def test_cutouts_match_the_true_masks(segmenter: OnnxSegmenter, index: int) -> None:
    photo = make_photo(index, 384)

    result = segmenter.segment(photo.image)

    assert result.method == "onnx"
    assert result.alpha.shape == photo.mask.shape
    assert result.alpha.dtype == np.float32
    assert float(result.alpha.min()) >= 0.0 and float(result.alpha.max()) <= 1.0
    assert iou(result.alpha, photo.mask) >= 0.93
    assert result.confidence > 0.8


def test_alpha_follows_the_photo_not_the_model_size(segmenter: OnnxSegmenter) -> None:
    photo = make_photo(4, 512)
    wide = np.ascontiguousarray(photo.image[:300])  # 300 x 512, not square

    result = segmenter.segment(wide)

    assert result.alpha.shape == (300, 512)
    assert iou(result.alpha, photo.mask[:300]) >= 0.9


def test_a_blank_photo_has_no_product_and_no_confidence(segmenter: OnnxSegmenter) -> None:
    result = segmenter.segment(np.full((200, 160, 3), 240, np.uint8))

    assert result.alpha.shape == (200, 160)
    assert float(result.alpha.max()) == 0.0
    assert result.confidence == 0.0


def test_missing_file_is_refused_without_a_download(tmp_path: Path) -> None:
    with pytest.raises(SegmentationModelError, match="no model file"):
        OnnxSegmenter(tmp_path / "u2net.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "u2net.onnx", b"<html>not a model</html>")
    with pytest.raises(SegmentationModelError, match="not a loadable ONNX model"):
        OnnxSegmenter(path)


def test_a_model_that_does_not_take_an_rgb_image_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "grey.onnx", one_channel_model(SIDE))
    with pytest.raises(SegmentationModelError, match="not 1x3xSxS"):
        OnnxSegmenter(path, input_size=SIDE)


def test_an_input_size_the_model_does_not_take_is_refused(model_path: Path) -> None:
    with pytest.raises(SegmentationModelError, match="expects 128x128 input"):
        OnnxSegmenter(model_path, input_size=320)
