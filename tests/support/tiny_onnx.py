"""Tiny ONNX segmentation models built in the test itself, shaped like rembg's U²-Net models
(input ``1x3xSxS`` ImageNet-normalised RGB, output ``1x1xSxS`` saliency), so the ONNX segmenter
runs a real onnxruntime session without any downloaded weights.

The graph undoes the normalisation, takes each pixel's chromaticity (RGB / (R+G+B), which a
soft shadow leaves unchanged), compares it with the mean chromaticity of the image's border and
squashes the distance with a sigmoid: a real, if simple, saliency model for colored products on
studio backgrounds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
_BORDER = 3  # pixels of each side averaged into the background's chromaticity


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(value, name)


def chroma_saliency_model(side: int = 64, *, threshold: float = 0.04, gain: float = 150.0) -> bytes:
    """The serialized model for ``side`` x ``side`` input."""
    i64 = np.int64
    initializers = [
        _const("std", STD),
        _const("mean", MEAN),
        _const("eps", np.array(1e-3, np.float32)),
        _const("quarter", np.array(0.25, np.float32)),
        _const("threshold", np.array(threshold, np.float32)),
        _const("gain", np.array(gain, np.float32)),
        _const("channel_axis", np.array([1], i64)),
        _const("zero", np.array([0], i64)),
        _const("b", np.array([_BORDER], i64)),
        _const("end", np.array([side], i64)),
        _const("end_minus_b", np.array([side - _BORDER], i64)),
        _const("axis_h", np.array([2], i64)),
        _const("axis_w", np.array([3], i64)),
    ]
    nodes = [
        helper.make_node("Mul", ["input", "std"], ["scaled"]),
        helper.make_node("Add", ["scaled", "mean"], ["rgb"]),
        helper.make_node("ReduceSum", ["rgb", "channel_axis"], ["total"], keepdims=1),
        helper.make_node("Add", ["total", "eps"], ["total_eps"]),
        helper.make_node("Div", ["rgb", "total_eps"], ["chroma"]),
        # Border bands: top, bottom (rows), left, right (columns).
        helper.make_node("Slice", ["chroma", "zero", "b", "axis_h"], ["top"]),
        helper.make_node("Slice", ["chroma", "end_minus_b", "end", "axis_h"], ["bottom"]),
        helper.make_node("Slice", ["chroma", "zero", "b", "axis_w"], ["left"]),
        helper.make_node("Slice", ["chroma", "end_minus_b", "end", "axis_w"], ["right"]),
    ]
    for band in ("top", "bottom", "left", "right"):
        nodes.append(
            helper.make_node("ReduceMean", [band], [f"{band}_mean"], axes=[2, 3], keepdims=1)
        )
    nodes += [
        helper.make_node("Sum", ["top_mean", "bottom_mean", "left_mean", "right_mean"], ["bsum"]),
        helper.make_node("Mul", ["bsum", "quarter"], ["background"]),
        helper.make_node("Sub", ["chroma", "background"], ["difference"]),
        helper.make_node("Mul", ["difference", "difference"], ["squared"]),
        helper.make_node("ReduceSum", ["squared", "channel_axis"], ["distance2"], keepdims=1),
        helper.make_node("Sqrt", ["distance2"], ["distance"]),
        helper.make_node("Sub", ["distance", "threshold"], ["margin"]),
        helper.make_node("Mul", ["margin", "gain"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["saliency"]),
    ]
    graph = helper.make_graph(
        nodes,
        "chroma_saliency",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("saliency", TensorProto.FLOAT, [1, 1, side, side])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="krev-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def one_channel_model(side: int = 64) -> bytes:
    """A valid ONNX model whose input is not an RGB image (1x1xSxS): the segmenter refuses it."""
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["input"], ["out"])],
        "grey",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, side, side])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, side, side])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def write_model(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
