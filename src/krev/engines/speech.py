"""What the speech engines share: the text they accept, the WAV they read back, and the
conversion of any voice's samples to the video's audio (48 kHz stereo float32).

The engines (``speech_system``, ``piper_speech``, ``openai_speech``) implement
``krev.engines.video.SpeechEngine``; each raises ``krev.engines.providers.ProviderError``s,
and ``SpeechUnavailable`` when what it needs is not installed on this machine (the pipeline
then shows captions without a voice).
"""

from __future__ import annotations

import io
import re
import wave

import numpy as np
import numpy.typing as npt

from krev.engines.providers import InvalidRequest, ProviderError
from krev.engines.studio.audio.dsp import fade, resample
from krev.engines.video import SAMPLE_RATE, Audio

__all__ = [
    "MAX_SPEECH_CHARS",
    "SpeechUnavailable",
    "decode_wav",
    "speakable",
    "speech_audio",
]

MAX_SPEECH_CHARS = 1000  # a video's voice-over line; far beyond any caption
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SILENCE_DB = -45.0  # below the clip's peak: what leading and trailing silence is
_MARGIN_S = 0.04


class SpeechUnavailable(ProviderError):
    """This machine cannot speak with the chosen engine: a program or a voice file is not
    installed. Not transient; the pipeline renders captions without a voice and says so."""

    code = "speech_unavailable"


def speakable(text: str) -> str:
    """``text`` as an engine may be given it: control characters out, white space runs as one
    space; ``InvalidRequest`` when nothing is left or it is longer than a voice-over line."""
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    if not cleaned:
        raise InvalidRequest("There is no text to speak.")
    if len(cleaned) > MAX_SPEECH_CHARS:
        raise InvalidRequest(
            f"A spoken line is at most {MAX_SPEECH_CHARS} characters ({len(cleaned)} given)."
        )
    return cleaned


def decode_wav(data: bytes) -> tuple[npt.NDArray[np.float64], int]:
    """A PCM WAV file's samples as mono floats in [-1, 1] and its sample rate;
    ``InvalidRequest`` for anything else. A header whose data size is wrong (a WAV written
    as a stream, sizes unknown) is read to the end of what is there."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels, width, rate = (
                reader.getnchannels(),
                reader.getsampwidth(),
                reader.getframerate(),
            )
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as error:
        raise InvalidRequest(f"The voice's audio is not a PCM WAV file ({error}).") from error
    if channels < 1 or rate < 1000 or width not in (1, 2, 3, 4):
        raise InvalidRequest("The voice's WAV file has no usable audio format.")
    frames = frames[: len(frames) - len(frames) % (channels * width)]
    raw = np.frombuffer(frames, dtype=np.uint8)
    if width == 1:  # 8-bit WAV is unsigned
        samples = (raw.astype(np.float64) - 128.0) / 128.0
    elif width == 3:  # 24-bit: widen each little-endian triple to an int32
        triples = raw.reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        samples = np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)
    else:
        kind = np.dtype(f"<i{width}")
        samples = raw.view(kind).astype(np.float64) / float(2 ** (8 * width - 1))
    return samples.reshape(-1, channels).mean(axis=1), rate


def speech_audio(mono: npt.NDArray[np.floating], rate: int) -> Audio:
    """A voice's samples at ``rate`` as the video's audio: the silence before the first word
    and after the last trimmed (so a caption starts with its word), 48 kHz, stereo, float32,
    peaks within [-1, 1]. Silence comes back empty."""
    samples = np.asarray(mono, dtype=np.float64).reshape(-1)
    samples = samples - float(np.mean(samples)) if samples.size else samples  # no DC offset
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak <= 1e-4:
        return np.zeros((0, 2), dtype=np.float32)
    loud = np.flatnonzero(np.abs(samples) > peak * 10 ** (_SILENCE_DB / 20))
    margin = int(_MARGIN_S * rate)
    samples = samples[max(0, loud[0] - margin) : loud[-1] + 1 + margin]
    out = resample(samples, rate, SAMPLE_RATE)
    edge = int(0.005 * SAMPLE_RATE)
    fade(out, 0, edge, rising=True)
    fade(out, out.shape[0] - edge, out.shape[0], rising=False)
    peak = float(np.max(np.abs(out)))
    if peak > 1.0:
        out /= peak
    return np.repeat(out[:, None], 2, axis=1).astype(np.float32)
