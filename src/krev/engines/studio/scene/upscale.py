"""HD output: high-quality resampling plus a mild unsharp mask. The embedded upscaler behind
``krev.engines.base.Upscaler``; a model-based upscaler plugs in behind the same interface."""

from __future__ import annotations

import cv2
import numpy as np

from krev.engines.base import RGBImage

__all__ = ["StudioUpscaler"]


class StudioUpscaler:
    """Bicubic resampling to the requested long side, then an unsharp mask (amount 0.5,
    sigma 1 px of the output) to restore the crispness interpolation softens."""

    name = "studio-resample"

    def __init__(self, amount: float = 0.5, sigma: float = 1.0) -> None:
        self.amount = amount
        self.sigma = sigma

    def upscale(self, image: RGBImage, long_side: int) -> RGBImage:
        h, w = image.shape[:2]
        scale = long_side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        if size == (w, h):
            return image.copy()
        # Cubic is within a hair of Lanczos on upscales and about twice as fast at 4K.
        method = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        resized = np.asarray(cv2.resize(image, size, interpolation=method), np.uint8)
        if scale <= 1 or self.amount <= 0:
            return resized
        # The low-pass for the unsharp mask comes from the small image (blurred, then linearly
        # enlarged), which keeps 4K sharpening to one cheap resize instead of a 4K blur.
        blurred = cv2.resize(
            cv2.GaussianBlur(image, (0, 0), self.sigma * 0.6), size, interpolation=cv2.INTER_LINEAR
        )
        sharpened = np.asarray(
            cv2.addWeighted(resized, 1.0 + self.amount, blurred, -self.amount, 0.0), np.uint8
        )
        return np.ascontiguousarray(sharpened)
