"""Signal pieces the music, the mix and the speech engines share: FFT sizes NumPy transforms
quickly, band-limited resampling, raised-cosine fades."""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

__all__ = ["fade", "fft_size", "resample"]


@functools.lru_cache(maxsize=64)
def fft_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: pocketfft transforms these about twice as fast as the
    next power of two, which can be a third longer."""
    best = 1 << max(0, math.ceil(math.log2(max(1, n))))
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35
            while size < n:
                size *= 2
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


def resample(samples: npt.NDArray[np.floating], rate: int, target: int) -> npt.NDArray[np.float64]:
    """``samples`` (n,) or (n, channels) at ``rate`` Hz, at ``target`` Hz: the spectrum cut or
    zero-extended at the new Nyquist frequency (an ideal low pass, so no aliasing and no
    imaging), over zero padding so the end does not wrap onto the start."""
    data = np.asarray(samples, dtype=np.float64)
    if rate == target or data.shape[0] == 0:
        return data.copy()
    n = data.shape[0]
    out_n = round(n * target / rate)
    pad = max(64, rate // 20)  # 50 ms of silence either side of the wrap
    size = fft_size(n + pad)
    out_size = round(size * target / rate)
    spectrum = np.fft.rfft(data, size, axis=0)
    bins = out_size // 2 + 1
    if bins <= spectrum.shape[0]:
        spectrum = spectrum[:bins]
    else:
        shape = (bins - spectrum.shape[0], *spectrum.shape[1:])
        spectrum = np.concatenate([spectrum, np.zeros(shape, dtype=spectrum.dtype)])
    return np.fft.irfft(spectrum, out_size, axis=0)[:out_n] * (out_size / size)


def fade(audio: npt.NDArray[np.floating], start: int, end: int, *, rising: bool) -> None:
    """A raised-cosine fade in place over samples ``start`` to ``end`` (rows of ``audio``):
    from silence to full when ``rising``, else from full to silence at ``end - 1``."""
    start, end = max(0, start), min(audio.shape[0], end)
    if end <= start:
        return
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(end - start) / max(1, end - start - 1))
    ramp = ramp if rising else ramp[::-1]
    audio[start:end] *= ramp.reshape((-1,) + (1,) * (audio.ndim - 1))
