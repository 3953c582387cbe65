"""A voice-over over the music bed: the script cut into caption lines, each line's spoken clip
placed one after another (``timed_lines``, which the video shows as captions in sync), and the
mix (``mix_voice_over``) with the music ducked under the voice on smooth ramps.

Speech is brought to the same loudness as the bed (-16 LUFS, peaks under -1 dBFS) and the bed
drops 12 dB while a line is spoken: the words stay clear on a phone speaker, the music stays
heard between lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from krev.engines.studio.audio.dsp import fade
from krev.engines.studio.audio.loudness import (
    PEAK_CEILING_DBFS,
    db_to_gain,
    normalize,
    peak_dbfs,
)
from krev.engines.video import SAMPLE_RATE, Audio, Speech

__all__ = [
    "DUCK_DB",
    "TimedLine",
    "caption_lines",
    "mix_voice_over",
    "reading_seconds",
    "timed_lines",
]

DUCK_DB = -12.0  # the bed under a spoken line
DUCK_ATTACK_S = 0.25  # the bed starts down this long before the line, so the first word is clear
DUCK_RELEASE_S = 0.6  # and comes back up over this long after it
WORDS_PER_SECOND = 2.6  # a voice-over's pace (~155 words a minute): captions without a voice


@dataclass(frozen=True)
class TimedLine:
    """A caption line and when it is spoken: from ``start`` to ``end`` seconds."""

    text: str
    start: float
    end: float

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3)}


def caption_lines(script: str, max_chars: int = 42) -> list[str]:
    """The script as caption lines: one per sentence, a sentence longer than ``max_chars``
    broken between words into lines of about equal length (never mid-word)."""
    lines: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", script):
        words = sentence.split()
        if not words:
            continue
        text = " ".join(words)
        target = len(text) / max(1, math.ceil(len(text) / max_chars))
        line: list[str] = []
        for word in words:
            joined = " ".join(line)
            if line and (len(joined) + 1 + len(word) > max_chars or len(joined) >= target):
                lines.append(joined)
                line = []
            line.append(word)
        lines.append(" ".join(line))
    return lines


def reading_seconds(text: str) -> float:
    """How long a line takes to say at a voice-over's pace (for captions with no voice)."""
    return max(0.8, len(text.split()) / WORDS_PER_SECOND)


def timed_lines(
    lines: Sequence[str],
    speeches: Sequence[Speech | None],
    seconds: float,
    gap: float = 0.3,
    lead_in: float = 0.4,
) -> list[TimedLine]:
    """When each line is spoken: the first ``lead_in`` seconds in, each after the one before
    with ``gap`` seconds between, each as long as its clip (``speeches[i]``; None: no voice,
    the time it takes to read). Everything ends by ``seconds`` (the voice's window, e.g. up to
    the end card): when the lines do not fit, the gaps and the lead-in shrink first, then the
    lines that still do not fit are left out; a single line longer than the window is cut at
    its end. Returns the lines that are spoken, in order."""
    if len(speeches) != len(lines):
        raise ValueError("one speech (or None) per line")
    durations = [
        speech.samples.shape[0] / SAMPLE_RATE if speech is not None else reading_seconds(text)
        for text, speech in zip(lines, speeches, strict=True)
    ]
    if not lines or seconds <= 0:
        return []
    spoken = sum(durations)
    pauses = lead_in + gap * (len(lines) - 1)
    if spoken + pauses > seconds and pauses > 0:
        scale = max(0.0, (seconds - spoken) / pauses)  # squeeze the pauses to fit
        lead_in, gap = lead_in * max(scale, 0.25), gap * max(scale, 0.25)
    timed: list[TimedLine] = []
    at = lead_in
    for text, length in zip(lines, durations, strict=True):
        if at + length > seconds:
            if not timed:  # a first line longer than the window: cut, not dropped
                timed.append(TimedLine(text, min(at, seconds), seconds))
            break
        timed.append(TimedLine(text, at, at + length))
        at += length + gap
    return timed


def _duck_gain(n: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """The bed's gain: 1, down to ``DUCK_DB`` over each spoken span on raised-cosine ramps
    (down before the span starts, up after it ends); spans close together stay down."""
    low = db_to_gain(DUCK_DB)
    attack = int(DUCK_ATTACK_S * SAMPLE_RATE)
    release = int(DUCK_RELEASE_S * SAMPLE_RATE)
    gain = np.ones(n)
    for start, end in spans:
        shape = np.full(end - start + attack + release, low)
        down = 0.5 + 0.5 * np.cos(np.pi * np.arange(attack) / attack)  # 1 -> 0
        up = 0.5 - 0.5 * np.cos(np.pi * np.arange(release) / release)  # 0 -> 1
        shape[:attack] = low + (1 - low) * down
        shape[-release:] = low + (1 - low) * up
        first = start - attack
        lo, hi = max(0, first), min(n, first + shape.size)
        if hi > lo:
            gain[lo:hi] = np.minimum(gain[lo:hi], shape[lo - first : hi - first])
    return gain


def mix_voice_over(music: Audio, clips: list[tuple[float, Speech]], seconds: float) -> Audio:
    """``seconds`` of audio, (n, 2) float32 at 48 kHz: ``music`` (cut or padded with silence
    to that length) with each speech clip from its start time (seconds), each clip brought to
    -16 LUFS, the music ducked 12 dB under the clips, and the whole kept under -1 dBFS. A clip
    that runs past the end is cut there on a short fade."""
    n = round(seconds * SAMPLE_RATE)
    bed = np.zeros((n, 2))
    bed[: min(n, music.shape[0])] = music[:n]
    voice = np.zeros((n, 2))
    spans: list[tuple[int, int]] = []
    for start_s, speech in clips:
        start = max(0, round(start_s * SAMPLE_RATE))
        if start >= n or speech.samples.shape[0] == 0:
            continue
        clip = normalize(speech.samples).astype(np.float64)[: n - start]
        if start + speech.samples.shape[0] > n:
            fade(clip, clip.shape[0] - int(0.03 * SAMPLE_RATE), clip.shape[0], rising=False)
        voice[start : start + clip.shape[0]] += clip
        spans.append((start, start + clip.shape[0]))
    mix: np.ndarray = bed * _duck_gain(n, spans)[:, None] + voice
    over = peak_dbfs(mix.astype(np.float32)) - PEAK_CEILING_DBFS
    if over > 0:  # a word over a loud bar: the whole mix down a little, never clipped
        mix *= db_to_gain(-over)
    out: Audio = mix.astype(np.float32)
    return out
