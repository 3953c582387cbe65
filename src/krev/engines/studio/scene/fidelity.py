"""Did the product survive the composition? Compares the product's region in an output image
with the catalog cutout scaled to the same box: structure (SSIM of luminance) inside the
product's solid interior, times a color term (mean CIE Lab difference). 1.0 is identical.

Recommended threshold: ``FIDELITY_THRESHOLD`` = 0.6. The studio engine's own renders score
about 0.9-1.0 (scaling, a few percent of harmonisation gain, the JPEG-free pipeline); a product
that was warped (a label bent or shifted by a few percent of its size), recolored (a hue
rotation or a strong tint) or replaced scores well below 0.5.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import RGBAImage, RGBImage
from krev.engines.studio.scene.composite import trim_box

__all__ = ["FIDELITY_THRESHOLD", "product_fidelity"]

FIDELITY_THRESHOLD = 0.6

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

# Comparisons run at this long side: enough for labels, cheap for every render.
_WORK_SIDE = 192
# Mean Lab difference at which the color term halves.
_COLOR_HALF_DELTA_E = 10.0


def _blur(image: FloatArray) -> FloatArray:
    out: FloatArray = cv2.GaussianBlur(image, (0, 0), 1.5)
    return out


def _ssim_map(a: FloatArray, b: FloatArray) -> FloatArray:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _blur(a), _blur(b)
    var_a = _blur(a * a) - mu_a * mu_a
    var_b = _blur(b * b) - mu_b * mu_b
    cov = _blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    out: FloatArray = num / den
    return out


def _edges(luma: FloatArray) -> FloatArray:
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    out: FloatArray = cv2.GaussianBlur(cv2.magnitude(gx, gy), (0, 0), 1.0)
    return out


def product_fidelity(output: RGBImage, box: tuple[int, int, int, int], cutout: RGBAImage) -> float:
    """0..1: how faithfully ``output``'s region ``box`` (x, y, w, h) shows ``cutout``."""
    x, y, w, h = box
    height, width = output.shape[:2]
    if w < 2 or h < 2 or x < 0 or y < 0 or x + w > width or y + h > height:
        return 0.0
    tx, ty, tw, th = trim_box(cutout)
    reference = cutout[ty : ty + th, tx : tx + tw]
    scale = min(1.0, _WORK_SIDE / max(w, h))
    ww, wh = max(2, round(w * scale)), max(2, round(h * scale))
    region = cv2.resize(output[y : y + h, x : x + w], (ww, wh), interpolation=cv2.INTER_AREA)
    ref = cv2.resize(reference, (ww, wh), interpolation=cv2.INTER_AREA)
    out_f = region.astype(np.float32) / 255.0
    # The expected picture: the cutout's solid pixels laid over the output's own surroundings,
    # so the two differ only where the product itself changed (moved edges, bent labels, new
    # colors). Soft edge pixels are not judged: they legitimately mix with the new scene (and
    # the composer cleans the old backdrop's color out of them).
    solid = (ref[..., 3] >= 250).astype(np.float32)[..., None]
    expected = ref[..., :3].astype(np.float32) / 255.0 * solid + out_f * (1.0 - solid)
    inside = ref[..., 3] >= 250
    if inside.sum() < 4:
        return 0.0
    # Judge the silhouette too: a warped outline shows up just outside the old one.
    judged = cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    luma = np.array([0.299, 0.587, 0.114], np.float32)
    y_out, y_exp = out_f @ luma * 255.0, expected @ luma * 255.0
    ssim = _ssim_map(y_out, y_exp)
    # Weighted by the reference's local structure: labels, print and outlines carry the
    # product's identity; flat panels would otherwise dilute a bent label into a pass.
    mean = cv2.GaussianBlur(y_exp, (0, 0), 1.5)
    detail = cv2.GaussianBlur(y_exp * y_exp, (0, 0), 1.5) - mean * mean
    weight = np.sqrt(np.maximum(detail, 0.0)) + 2.0
    structure = float(np.clip((ssim * weight)[judged].sum() / weight[judged].sum(), 0.0, 1.0))
    # Where the edges are: correlation of gradient magnitudes. A label bent or shifted by a
    # few pixels moves its edges off the expected ones even when its average look survives.
    edges_out, edges_exp = _edges(y_out), _edges(y_exp)
    a, b = edges_out[judged], edges_exp[judged]
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    alignment = float(np.clip((a * b).sum() / denominator, 0.0, 1.0)) if denominator > 1e-3 else 1.0
    lab_out = cv2.cvtColor(out_f, cv2.COLOR_RGB2LAB)[inside]
    lab_ref = cv2.cvtColor(expected, cv2.COLOR_RGB2LAB)[inside]
    delta_e = float(np.linalg.norm(lab_out - lab_ref, axis=1).mean())
    color = 1.0 / (1.0 + (delta_e / _COLOR_HALF_DELTA_E) ** 2)
    return round(structure * alignment * color, 4)
