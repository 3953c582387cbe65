"""The OCR engine issue 3 builds on runs offline: rapidocr-onnxruntime ships its models in the
wheel, and the headless OpenCV build stands in for the GUI one it asks for."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


def test_rapidocr_reads_a_rendered_brand_without_downloading_anything() -> None:
    from rapidocr_onnxruntime import RapidOCR

    label = np.full((140, 560, 3), 255, np.uint8)
    cv2.putText(label, "VYSIONARY", (24, 96), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (20, 20, 20), 5)

    result, _elapsed = RapidOCR()(label)

    texts = [text for _box, text, _score in (result or [])]
    assert "VYSIONARY" in texts


def test_only_the_headless_opencv_build_is_installed() -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    assert distribution("opencv-python-headless")
    with pytest.raises(PackageNotFoundError):
        distribution("opencv-python")
