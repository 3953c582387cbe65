"""A tiny ONNX model with a Piper voice's signature, and its config, written for a test.

The model takes Piper's inputs (``input`` int64 [1, n], ``input_lengths`` int64 [1], ``scales``
float32 [3], and ``sid`` int64 [1] when it has several speakers) and answers a sine
[1, 1, samples] of ``HOP * n * length_scale`` samples at ``RATE``: its length grows with the
phoneme ids, as a real voice's does, and its pitch is ``BASE_HZ`` plus ``SPEAKER_STEP_HZ``
per speaker id, so a test can hear which speaker spoke. Built with the ``onnx`` package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RATE = 22_050
HOP = 256  # samples per phoneme id, as VITS's decoder upsamples
BASE_HZ = 220.0
SPEAKER_STEP_HZ = 110.0

# A small map in Piper's shape: the padding symbols, a space, punctuation and the IPA symbols
# espeak-ng writes for plain English (NFD code points).
SYMBOLS = ["_", "^", "$", " ", "!", "'", "(", ")", ",", "-", ".", ":", ";", "?"]
SYMBOLS += list("abcdefghijklmnopqrstuvwxyz")
SYMBOLS += list(
    "æçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɝɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʲˈˌːˑ˞βθχᵻⱱ"
)
SYMBOLS += ["\u0303", "\u0329", "\u032a", "\u0361"]


def phoneme_id_map() -> dict[str, list[int]]:
    return {symbol: [index] for index, symbol in enumerate(dict.fromkeys(SYMBOLS))}


def _const(name: str, value: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def model(speakers: int = 1) -> onnx.ModelProto:
    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    nodes = [
        _const("hop", np.array(float(HOP), dtype=np.float32)),
        _const("zero", np.array(0.0, dtype=np.float32)),
        _const("one", np.array(1.0, dtype=np.float32)),
        _const("index1", np.array([1], dtype=np.int64)),
        _const("two_pi_over_rate", np.array(2 * np.pi / RATE, dtype=np.float32)),
        _const("base_hz", np.array(BASE_HZ, dtype=np.float32)),
        _const("amplitude", np.array(0.5, dtype=np.float32)),
        _const("axes", np.array([0, 1], dtype=np.int64)),
        # samples = floor(n * HOP * length_scale), n from the lengths input
        helper.make_node("Cast", ["input_lengths"], ["n"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["scales", "index1"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["n", "hop"], ["n_hop"]),
        helper.make_node("Mul", ["n_hop", "length_scale"], ["samples_1"]),
        helper.make_node("Floor", ["samples_1"], ["samples_floor"]),
        helper.make_node("Squeeze", ["samples_floor"], ["samples"]),
        helper.make_node("Range", ["zero", "samples", "one"], ["t"]),
    ]
    if speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
        nodes += [
            _const("step_hz", np.array(SPEAKER_STEP_HZ, dtype=np.float32)),
            helper.make_node("Cast", ["sid"], ["sid_float"], to=TensorProto.FLOAT),
            helper.make_node("Squeeze", ["sid_float"], ["sid_scalar"]),
            helper.make_node("Mul", ["sid_scalar", "step_hz"], ["sid_hz"]),
            helper.make_node("Add", ["base_hz", "sid_hz"], ["hz"]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["base_hz"], ["hz"]))
    nodes += [
        helper.make_node("Mul", ["hz", "two_pi_over_rate"], ["omega"]),
        helper.make_node("Mul", ["t", "omega"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amplitude"], ["scaled"]),
        helper.make_node("Unsqueeze", ["scaled", "axes"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_piper",
        inputs,
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"])],
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    built.ir_version = 8  # what onnxruntime 1.16 and later read
    onnx.checker.check_model(built)
    return built


def write_voice(directory: Path, speakers: int = 1, length_scale: float = 1.0) -> Path:
    """``voice.onnx`` and ``voice.onnx.json`` in ``directory``; the model's path."""
    path = directory / "voice.onnx"
    onnx.save(model(speakers), str(path))
    config = {
        "audio": {"sample_rate": RATE, "quality": "x_low"},
        "espeak": {"voice": "en-us"},
        "inference": {"noise_scale": 0.667, "length_scale": length_scale, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": phoneme_id_map(),
        "num_symbols": len(phoneme_id_map()),
        "num_speakers": speakers,
        "speaker_id_map": {f"speaker_{i}": i for i in range(speakers)} if speakers > 1 else {},
    }
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
