"""Small array helpers the segmenter's studio and busy-scene paths share."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "U8Array", "disk", "f32", "gradient_magnitude", "u8"]

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
U8Array = npt.NDArray[np.uint8]


def u8(array: object) -> U8Array:
    # OpenCV's stubs type every result loosely; the arrays really are uint8 here.
    return np.asarray(array, dtype=np.uint8)


def f32(array: object) -> FloatArray:
    return np.asarray(array, dtype=np.float32)


def disk(radius: int) -> U8Array:
    """An elliptical structuring element of ``radius`` (at least 1)."""
    size = 2 * max(1, radius) + 1
    return u8(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))


def gradient_magnitude(lab: FloatArray) -> FloatArray:
    """Sobel gradient magnitude over the three channels of a Lab image."""
    total = np.zeros(lab.shape[:2], np.float32)
    for channel in range(3):
        gx = cv2.Sobel(lab[..., channel], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(lab[..., channel], cv2.CV_32F, 0, 1, ksize=3)
        total += gx * gx + gy * gy
    return np.sqrt(total)
