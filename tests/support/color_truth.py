"""The color truth the tuning photos share: which palette names a merchant would accept for a
product's body color."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.colors import MERCHANT_PALETTE, delta_e2000, hex_to_lab


def accepted_colors(rgb: npt.NDArray[np.float32]) -> frozenset[str]:
    """Palette names whose nearest shade is within a just-noticeable step of the nearest one:
    the names a merchant would accept for this body color (``rgb`` in [0, 1])."""
    pixel = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8).reshape(1, 1, 3)
    lab = np.asarray(cv2.cvtColor(pixel.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB), np.float32)
    lab = lab.reshape(3)
    distances = {
        name: float(delta_e2000(np.array([hex_to_lab(v) for v in shades], np.float32), lab).min())
        for name, shades in MERCHANT_PALETTE.items()
    }
    best = min(distances.values())
    return frozenset(name for name, d in distances.items() if d <= best + 4.0)
