"""The cutout a user downloads: the photo's colors with the segmenter's alpha, its soft edge
decontaminated of the backdrop's color (issue 12).

A semi-transparent edge pixel of the photo is a blend of product and backdrop; kept as it is,
a cutout taken off a saturated sweep carries a fringe of that sweep onto any new background.
The usual matting remedy ("color decontamination") gives edge pixels the product's own color:
here the color of the nearest opaque product pixels, spread outward by normalized convolution
(a Gaussian average over opaque pixels only), wider where the narrow one finds none.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import AlphaMask, RGBImage

__all__ = ["cutout_rgba"]

_OPAQUE = 0.98  # alpha from which a pixel is the product's own color
_SCALES = (2.0, 8.0)  # px: the spread of the opaque colors, narrow first


def _spread(
    colors: npt.NDArray[np.float32], weight: npt.NDArray[np.float32], sigma: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    total = np.asarray(cv2.GaussianBlur(colors * weight[..., None], (0, 0), sigma), np.float32)
    mass = np.asarray(cv2.GaussianBlur(weight, (0, 0), sigma), np.float32)
    return (total / np.maximum(mass, 1e-6)[..., None]).astype(np.float32), mass


def cutout_rgba(rgb: RGBImage, alpha: AlphaMask) -> npt.NDArray[np.uint8]:
    """``rgb`` with ``alpha`` as an RGBA uint8 image, its partly transparent pixels (and the
    transparent ones next to them) given the color of the opaque product next to them."""
    coverage = np.clip(alpha, 0.0, 1.0).astype(np.float32)
    out = np.dstack([rgb, np.round(coverage * 255.0).astype(np.uint8)])
    soft = (coverage > 0.0) & (coverage < _OPAQUE)
    opaque = coverage >= _OPAQUE
    if not soft.any() or not opaque.any():
        return out
    # Only the box around the soft edge (plus the widest spread) needs the work.
    pad = int(3 * _SCALES[-1]) + 1
    rows, cols = np.flatnonzero(soft.any(axis=1)), np.flatnonzero(soft.any(axis=0))
    y0, y1 = max(0, rows[0] - pad), min(rgb.shape[0], rows[-1] + pad + 1)
    x0, x1 = max(0, cols[0] - pad), min(rgb.shape[1], cols[-1] + pad + 1)
    colors = rgb[y0:y1, x0:x1].astype(np.float32)
    weight = opaque[y0:y1, x0:x1].astype(np.float32)
    estimate, mass = _spread(colors, weight, _SCALES[0])
    for sigma in _SCALES[1:]:
        wider, wider_mass = _spread(colors, weight, sigma)
        thin = mass < 0.02
        estimate[thin] = wider[thin]
        mass = np.where(thin, wider_mass, mass)
    # The transparent pixels next to the edge too: invisible themselves, but WebP's half-size
    # chroma would blend their backdrop color back into the edge.
    edge = ~opaque[y0:y1, x0:x1] & (mass > 1e-4)
    region = out[y0:y1, x0:x1, :3]
    region[edge] = np.clip(np.round(estimate[edge]), 0, 255).astype(np.uint8)
    return out
