"""Background removal with a saliency model in ONNX format, loaded from a local file only.

Fits the rembg / U²-Net family (u2net, u2netp, u2net_human_seg, silueta): input
``1x3xSxS`` float32, RGB scaled by its maximum then normalised with the ImageNet mean and std;
first output ``1x1xSxS`` saliency. The saliency is min-max normalised, resized to the photo and
used as the alpha. Nothing is ever downloaded: a missing or unusable file is an error that names
the problem.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from krev.engines.base import AlphaMask, RGBImage, SegmentationResult

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "OnnxSegmenter", "SegmentationModelError"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
_FLAT = 1e-6  # a saliency map with less range than this found nothing


class SegmentationModelError(Exception):
    """The configured model file is missing, not ONNX, or not shaped like a saliency model."""


class OnnxSegmenter:
    """``Segmenter`` over an onnxruntime CPU session; thread-safe (sessions allow concurrent
    ``run`` calls), so one instance serves every worker thread."""

    name = "onnx"

    def __init__(self, model_path: str | Path, *, input_size: int = 320) -> None:
        import onnxruntime as ort  # heavy import: only when this segmenter is configured

        path = Path(model_path)
        if not path.is_file():
            raise SegmentationModelError(f"no model file at {str(path)!r}")
        options = ort.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped failures
            raise SegmentationModelError(
                f"{str(path)!r} is not a loadable ONNX model: {str(error).strip()[:200]}"
            ) from error
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise SegmentationModelError(f"the model takes {len(inputs)} inputs, not one image")
        shape = list(inputs[0].shape)
        if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != 3):
            raise SegmentationModelError(f"the model's input is {shape}, not 1x3xSxS")
        for side in shape[2:]:
            if isinstance(side, int) and side != input_size:
                raise SegmentationModelError(
                    f"the model expects {shape[2]}x{shape[3]} input, but the input size setting "
                    f"is {input_size}"
                )
        if not self._session.get_outputs():
            raise SegmentationModelError("the model has no output")
        self._input_name = inputs[0].name
        self.input_size = input_size
        self.model_path = path

    def _tensor(self, image: RGBImage) -> npt.NDArray[np.float32]:
        side = self.input_size
        resized = Image.fromarray(np.ascontiguousarray(image), "RGB").resize(
            (side, side), Image.Resampling.LANCZOS
        )
        pixels = np.asarray(resized, np.float32)
        # rembg's preprocessing: scale by the brightest value, then the ImageNet statistics.
        pixels = pixels / max(float(pixels.max()), 1.0)
        normalised = (pixels - IMAGENET_MEAN) / IMAGENET_STD
        return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)

    def segment(self, image: RGBImage) -> SegmentationResult:
        height, width = image.shape[:2]
        outputs = self._session.run(None, {self._input_name: self._tensor(image)})
        saliency = np.asarray(outputs[0], np.float32)
        saliency = saliency.reshape(saliency.shape[-2:])  # 1x1xSxS (or 1xSxS) -> SxS
        low, high = float(saliency.min()), float(saliency.max())
        if not np.isfinite(low) or not np.isfinite(high) or high - low < _FLAT:
            empty = np.zeros((height, width), np.float32)
            return SegmentationResult(alpha=empty, confidence=0.0, method="onnx")
        normalised = (saliency - low) / (high - low)
        resized = cv2.resize(normalised, (width, height), interpolation=cv2.INTER_LINEAR)
        alpha: AlphaMask = np.clip(np.asarray(resized, np.float32), 0.0, 1.0).astype(np.float32)
        # Sure pixels (near 0 or 1) make a confident map; a grey haze does not.
        confidence = float(np.mean(np.abs(alpha * 2.0 - 1.0)))
        return SegmentationResult(alpha=alpha, confidence=confidence, method="onnx")
