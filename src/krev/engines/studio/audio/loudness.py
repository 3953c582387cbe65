"""Loudness as ITU-R BS.1770-4 measures it (integrated, K-weighted, gated, in LUFS), and the
gain that brings audio to a target loudness without its peaks passing a ceiling.

The K-weighting filters are applied in the frequency domain (their exact response at each FFT
bin), which for a whole clip costs one FFT per channel instead of a per-sample IIR loop in
Python; the circular wrap-around is avoided by zero padding."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from krev.engines.studio.audio.dsp import fft_size
from krev.engines.video import SAMPLE_RATE, Audio

__all__ = [
    "PEAK_CEILING_DBFS",
    "TARGET_LUFS",
    "db_to_gain",
    "integrated_loudness",
    "normalize",
    "peak_dbfs",
]

TARGET_LUFS = -16.0  # what social platforms play short videos at; speech and beds both aim here
PEAK_CEILING_DBFS = -1.0  # headroom for the AAC encoder's inter-sample peaks

# BS.1770-4's two biquads at 48 kHz: a high shelf (the head's effect) and a high pass (RLB).
_SHELF_B = (1.53512485958697, -2.69169618940638, 1.19839281085285)
_SHELF_A = (1.0, -1.69065929318241, 0.73248077421585)
_HIGHPASS_B = (1.0, -2.0, 1.0)
_HIGHPASS_A = (1.0, -1.99004745483398, 0.99007225036621)
_BLOCK_S = 0.4
_STEP_S = 0.1
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
SILENCE_LUFS = -120.0


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def peak_dbfs(audio: Audio) -> float:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else SILENCE_LUFS


def _response(b: tuple[float, ...], a: tuple[float, ...], z: npt.NDArray[np.complex128]) -> Any:
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


@functools.lru_cache(maxsize=8)
def _k_response(size: int) -> npt.NDArray[np.complex128]:
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(size))  # z^-1 at each bin
    return np.asarray(_response(_SHELF_B, _SHELF_A, z) * _response(_HIGHPASS_B, _HIGHPASS_A, z))[
        :, None
    ]


def _k_weighted(audio: Audio) -> npt.NDArray[np.float64]:
    n = audio.shape[0]
    # The filters' impulse responses die out within a second (the high pass's pole is the
    # slowest, ~0.995): that much zero padding keeps the tail from wrapping onto the start.
    size = fft_size(n + SAMPLE_RATE)
    spectrum = np.fft.rfft(audio.astype(np.float64), n=size, axis=0)
    return np.fft.irfft(spectrum * _k_response(size), n=size, axis=0)[:n]


def integrated_loudness(audio: Audio, sample_rate: int = SAMPLE_RATE) -> float:
    """Integrated loudness in LUFS of (n, channels) audio at 48 kHz; ``SILENCE_LUFS`` for
    silence or a clip shorter than one 400 ms block."""
    if sample_rate != SAMPLE_RATE:
        raise ValueError("loudness is measured at 48 kHz")
    if audio.ndim == 1:
        audio = audio[:, None]
    block, step = int(_BLOCK_S * SAMPLE_RATE), int(_STEP_S * SAMPLE_RATE)
    if audio.shape[0] < block:
        return SILENCE_LUFS
    weighted = _k_weighted(audio)
    # Mean square of each 400 ms block (75 % overlap), summed over channels (L, R weigh 1).
    power = np.cumsum(np.concatenate([np.zeros(1), np.sum(weighted * weighted, axis=1)]))
    starts = np.arange(0, audio.shape[0] - block + 1, step)
    blocks = (power[starts + block] - power[starts]) / block
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(blocks)
    kept = blocks[loudness > _ABSOLUTE_GATE]
    if kept.size == 0:
        return SILENCE_LUFS
    relative = -0.691 + 10.0 * math.log10(float(np.mean(kept))) + _RELATIVE_GATE
    kept = blocks[loudness > max(relative, _ABSOLUTE_GATE)]
    return -0.691 + 10.0 * math.log10(float(np.mean(kept)))


def normalize(
    audio: Audio, target_lufs: float = TARGET_LUFS, ceiling_dbfs: float = PEAK_CEILING_DBFS
) -> Audio:
    """``audio`` brought to ``target_lufs``, or less where that would push a peak over
    ``ceiling_dbfs`` (a quieter clip rather than a clipped or squashed one). Silence stays."""
    loudness = integrated_loudness(audio)
    if loudness <= SILENCE_LUFS:
        return audio.astype(np.float32)
    gain_db = min(target_lufs - loudness, ceiling_dbfs - peak_dbfs(audio))
    return (audio * db_to_gain(gain_db)).astype(np.float32)
