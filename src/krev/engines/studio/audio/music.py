"""A music bed for a video, synthesized from the prompt's mood: a chord progression played by a
warm pad, a bass line, a soft plucked arpeggio and, when the mood has energy, light drums.

Every voice is band-limited (the pad reads a wavetable holding only harmonics below the
Nyquist frequency of its note; plucks and bass are summed partials, each under it), every note
starts and ends on an envelope (no clicks), and a short synthetic room joins them. The same
mood, length and seed give the same samples; another seed picks another progression, pattern
and voicing. The bed is brought to about -16 LUFS with peaks under -1 dBFS, then faded out from
``fade_out_from`` (the end card) to its last sample.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from krev.engines.studio.audio.dsp import fade, fft_size
from krev.engines.studio.audio.loudness import normalize
from krev.engines.video import SAMPLE_RATE, Audio

__all__ = ["MOODS", "MusicMood", "mood_from_prompt", "music_bed"]

Mode = Literal["major", "minor"]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MusicMood:
    """What the bed plays: recorded in the generation's output as ``as_dict()``."""

    name: str  # calm, energetic, playful, dramatic, neutral: the arrangement
    tempo_bpm: float
    key: str  # the tonic's pitch name, e.g. "D"
    mode: Mode
    brightness: float  # 0-1: the timbres' upper harmonics, the pad's register
    energy: float  # 0-1: how busy the bass, the arpeggio and the drums are
    words: tuple[str, ...] = ()  # the prompt's words that chose it

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "tempo_bpm": round(self.tempo_bpm, 1),
            "key": self.key,
            "mode": self.mode,
            "brightness": round(self.brightness, 2),
            "energy": round(self.energy, 2),
            "words": list(self.words),
        }

    @property
    def tonic(self) -> int:
        """The tonic's pitch class (C = 0)."""
        return _PITCH_NAMES.index(self.key)


_PITCH_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

MOODS: dict[str, MusicMood] = {
    "neutral": MusicMood("neutral", 104.0, "G", "major", 0.6, 0.55),
    "calm": MusicMood("calm", 72.0, "D", "major", 0.3, 0.2),
    "energetic": MusicMood("energetic", 126.0, "A", "major", 0.85, 0.9),
    "playful": MusicMood("playful", 116.0, "F", "major", 0.75, 0.6),
    "dramatic": MusicMood("dramatic", 84.0, "C", "minor", 0.35, 0.5),
}

# Words (a trailing * takes any ending) that call for each mood. A tie goes to the earlier mood.
_MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "dramatic": (
        "dramatic", "drama", "night*", "dark*", "cinematic", "myster*", "noir", "epic",
        "moody", "shadow*", "midnight", "intense", "suspense*", "storm*", "gothic", "evening",
        "smok*",
    ),
    "energetic": (
        "energ*", "bold*", "sale", "sales", "sport*", "fitness", "gym", "workout*", "run",
        "running", "runner*", "fast", "power*", "dynamic", "hype", "launch*", "deal", "deals",
        "discount*", "offer*", "speed*", "action", "extreme", "strong", "dance", "rush",
        "urgent", "flash", "athlet*", "training", "adrenaline",
    ),
    "playful": (
        "playful", "play", "fun", "funny", "kid", "kids", "toy", "toys", "cute", "happy",
        "joy*", "silly", "bounc*", "cheer*", "colorful", "colourful", "candy", "sweet*",
        "party", "summer*", "sunny", "whimsical", "quirky", "pet", "pets", "puppy", "confetti",
    ),
    "calm": (
        "calm*", "luxur*", "seren*", "relax*", "spa", "elegan*", "gentle", "gently", "soft",
        "softly", "peace*", "tranquil*", "minimal*", "zen", "sooth*", "cozy", "cosy", "quiet*",
        "slow*", "dream*", "sleep*", "meditat*", "premium", "refined", "silk*", "wellness",
    ),
}  # fmt: skip


def _matches(word: str, patterns: Iterable[str]) -> bool:
    return any(
        word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern
        for pattern in patterns
    )


def mood_from_prompt(prompt: str) -> MusicMood:
    """The mood the prompt's words call for: the mood most of its words name sets the
    arrangement, key and mode; tempo, brightness and energy blend over every mood named
    (a "luxury night" is slower than a "dramatic night"). No mood word: neutral upbeat."""
    found: dict[str, list[str]] = {name: [] for name in _MOOD_WORDS}
    for word in re.findall(r"[a-z]+", prompt.lower()):
        for name, patterns in _MOOD_WORDS.items():
            if _matches(word, patterns):
                found[name].append(word)
    counts = {name: len(words) for name, words in found.items() if words}
    if not counts:
        return MOODS["neutral"]
    best = max(counts, key=lambda name: counts[name])  # dict order breaks ties
    total = sum(counts.values())

    def blend(attribute: str) -> float:
        return sum(float(getattr(MOODS[name], attribute)) * n for name, n in counts.items()) / total

    chosen = MOODS[best]
    words = tuple(dict.fromkeys(word for name in counts for word in found[name]))
    return MusicMood(
        chosen.name,
        blend("tempo_bpm"),
        chosen.key,
        chosen.mode,
        blend("brightness"),
        blend("energy"),
        words,
    )


# --- harmony ---------------------------------------------------------------------------------

_CHORDS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "sus2": (0, 2, 7),
    "add9": (0, 4, 7, 14),
}
Chord = tuple[int, str]  # root in semitones above the tonic, quality

_PROGRESSIONS: dict[str, tuple[tuple[Chord, ...], ...]] = {
    "major": (
        ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")),
        ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj")),
        ((9, "min"), (5, "maj"), (0, "maj"), (7, "maj")),
        ((0, "maj"), (5, "maj"), (9, "min"), (7, "maj")),
    ),
    "minor": (
        ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")),
        ((0, "min"), (5, "min"), (8, "maj"), (7, "maj")),
        ((0, "min"), (10, "maj"), (8, "maj"), (10, "maj")),
        ((0, "min"), (8, "maj"), (5, "min"), (7, "maj")),
    ),
    # calm beds colour the same progressions with sevenths and open fifths
    "calm": (
        ((0, "maj7"), (5, "maj7"), (0, "maj7"), (5, "maj7")),
        ((0, "maj7"), (9, "min7"), (5, "maj7"), (7, "sus2")),
        ((5, "maj7"), (0, "add9"), (9, "min7"), (7, "sus2")),
        ((0, "add9"), (4, "min7"), (5, "maj7"), (5, "maj7")),
    ),
}
_HOME: dict[str, Chord] = {"major": (0, "maj"), "minor": (0, "min"), "calm": (0, "maj7")}


def _voicing(tonic: int, chord: Chord, low: int) -> list[int]:
    """The chord's tones as MIDI notes in the octave from ``low``: a fixed window moves each
    voice by a few semitones from chord to chord (smooth voice leading)."""
    root, quality = chord
    notes = sorted({low + (tonic + root + step - low) % 12 for step in _CHORDS[quality]})
    return notes


def _hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69.0) / 12.0))


# --- oscillators -----------------------------------------------------------------------------

_TABLE = 2048


@functools.lru_cache(maxsize=256)
def _pad_table(midi: int, brightness: float) -> Floats:
    """One period of a warm saw-like wave with only the harmonics below ~18 kHz at this note,
    rolled off by ``brightness``; one sample repeated at the end for interpolation."""
    hz = _hz(midi)
    harmonics = np.arange(1, max(2, min(24, int(18_000 / hz))) + 1)
    amplitude = harmonics**-1.2 * np.exp(-(harmonics - 1) * (0.55 - 0.4 * brightness))
    phase = np.arange(_TABLE + 1) / _TABLE
    table = np.sin(2 * np.pi * np.outer(phase, harmonics)) @ amplitude
    return np.asarray(table / np.max(np.abs(table)), dtype=np.float64)


def _wavetable(table: Floats, hz: float, n: int, phase: float) -> Floats:
    position = np.arange(n, dtype=np.float64)
    position *= hz / SAMPLE_RATE * _TABLE
    position += phase * _TABLE
    np.fmod(position, _TABLE, out=position)
    index = position.astype(np.int32)
    position -= index  # now the fraction between two table entries
    low = table[index]
    out = table[index + 1]
    out -= low
    out *= position
    out += low
    return out


def _partials(
    hz: float, n: int, amplitudes: Iterable[float], decay: float, damping: float
) -> Floats:
    """A sum of harmonic partials, each decaying the faster the higher it is (a plucked or
    struck string): sin(k x) by the Chebyshev recurrence, exp(-d_k t) by repeated products,
    so each partial costs a few multiply-adds per sample. Partials above 18 kHz are left out."""
    t = np.arange(n) / SAMPLE_RATE
    x = 2 * np.pi * hz * t
    sin1, cos2 = np.sin(x), 2 * np.cos(x)
    env = np.exp(-decay * t)
    step = np.exp(-damping * decay * t)
    out = np.zeros(n)
    previous, current = np.zeros(n), sin1
    for k, amplitude in enumerate(amplitudes, start=1):
        if k * hz > 18_000:
            break
        if amplitude:
            out += amplitude * current * env
        previous, current = current, cos2 * current - previous
        env *= step
    return out


def _envelope(n: int, attack: float, release: float) -> Floats:
    """Raised-cosine attack and release over ``n`` samples (seconds each, shortened to fit)."""
    env = np.ones(n)
    a = min(n // 2, max(1, int(attack * SAMPLE_RATE)))
    r = min(n - a, max(1, int(release * SAMPLE_RATE)))
    env[:a] = 0.5 - 0.5 * np.cos(np.pi * np.arange(a) / a)
    env[n - r :] *= 0.5 + 0.5 * np.cos(np.pi * (np.arange(r) + 1) / r)
    return env


def _pan(mono: Floats, pan: float) -> Floats:
    """Constant-power pan, -1 (left) to 1 (right)."""
    angle = (pan + 1) * np.pi / 4
    return np.stack([mono * math.cos(angle), mono * math.sin(angle)], axis=1)


def _add(track: Floats, start: int, part: Floats) -> None:
    if start >= track.shape[0]:
        return
    end = min(track.shape[0], start + part.shape[0])
    track[start:end] += part[: end - start]


# --- arrangement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    beat: float  # seconds per beat
    bars: int
    swing: float  # fraction of an eighth the off-beat eighths are late

    def eighth(self, bar: int, index: int) -> float:
        """Seconds at which eighth ``index`` (0-7) of ``bar`` falls."""
        late = self.swing * self.beat / 2 if index % 2 else 0.0
        return (bar * 4 + index / 2) * self.beat + late


def _pad(track: Floats, mood: MusicMood, chords: list[Chord], grid: _Grid) -> None:
    low = 55 if mood.brightness >= 0.5 else 50  # brighter moods voice the pad higher
    bar = 4 * grid.beat
    overlap = min(0.6, bar * 0.3)
    level = 0.12 - 0.03 * mood.energy
    n = int((bar + overlap) * SAMPLE_RATE)
    env = _envelope(n, min(0.8, bar * 0.25), overlap) * level
    notes: dict[tuple[int, int], Floats] = {}  # a chord that comes back is not drawn again
    for index, chord in enumerate(chords):
        for voice, midi in enumerate(_voicing(mood.tonic, chord, low)):
            note = notes.get((voice, midi))
            if note is None:
                table = _pad_table(midi, round(mood.brightness, 2))
                hz = _hz(midi)
                # two oscillators detuned by a few cents, one a side: a slow chorus, a wide pad
                left = _wavetable(table, hz * 2 ** (-6 / 1200), n, 0.13 * voice)
                right = _wavetable(table, hz * 2 ** (6 / 1200), n, 0.41 * voice)
                # each side hears a little of the other: wide, yet whole when summed to mono
                note = (
                    np.stack([left + 0.5 * right, right + 0.5 * left], axis=1)
                    * (env / 1.5)[:, None]
                )
                notes[(voice, midi)] = note
            _add(track, int(index * bar * SAMPLE_RATE), note)


def _bass(track: Floats, mood: MusicMood, chords: list[Chord], grid: _Grid, style: str) -> None:
    if mood.energy < 0.35:
        hits = [(0.0, 4.0)]  # (beat, beats long): a held root each bar
    elif style == "playful":
        hits = [(b / 2, 0.45) for b in range(8)]  # bouncing eighths, the octave on the offs
    elif mood.energy < 0.7:
        hits = [(0.0, 1.5), (1.5, 0.5), (2.0, 1.5), (3.5, 0.5)]
    else:
        hits = [(b / 2, 0.4) for b in range(8)]  # driving eighths
    notes: dict[tuple[int, float], Floats] = {}
    for index, chord in enumerate(chords):
        root = 36 + (mood.tonic + chord[0]) % 12
        for number, (beat, length) in enumerate(hits):
            midi = root + 12 if style == "playful" and number % 2 else root
            note = notes.get((midi, length))
            if note is None:
                seconds = length * grid.beat
                n = int(seconds * SAMPLE_RATE)
                tone = _partials(_hz(midi), n, (1.0, 0.35, 0.12), 1.2 / seconds, 0.8)
                tone *= _envelope(n, 0.008, min(0.05, seconds / 3)) * 0.32
                note = notes[(midi, length)] = _pan(tone, 0.0)
            _add(track, int(grid.eighth(index, int(beat * 2)) * SAMPLE_RATE), note)


def _arpeggio(
    track: Floats,
    mood: MusicMood,
    chords: list[Chord],
    grid: _Grid,
    style: str,
    rng: np.random.Generator,
) -> None:
    per_bar = 4 if mood.energy < 0.35 else 8  # quarter notes when calm, else eighths
    pattern_kind = rng.integers(3)
    length = 1.6 if mood.energy < 0.35 else (0.35 if style == "playful" else 0.7)
    decay = 2.5 if style == "calm" else (9.0 if style == "playful" else 5.0)
    bright = 0.4 + 0.6 * mood.brightness
    amplitudes = [bright**k / k for k in range(1, 9)]
    if style == "playful":
        amplitudes = [1.0, 0.0, 0.0, 0.35 * bright, 0.0, 0.0, 0.0, 0.0]  # marimba-ish
    level = 0.12 if mood.energy < 0.35 else 0.09
    base = 67 if mood.brightness >= 0.5 else 62
    n = int(length * SAMPLE_RATE)
    envelope = _envelope(n, 0.004, 0.05) * level
    notes: dict[int, Floats] = {}  # each pitch drawn once, then played at its velocity
    for index, chord in enumerate(chords):
        tones = _voicing(mood.tonic, chord, base)
        tones += [note + 12 for note in tones]
        if pattern_kind == 0:
            order = list(range(len(tones)))
        elif pattern_kind == 1:
            order = list(range(len(tones))) + list(range(len(tones) - 2, 0, -1))
        else:
            order = list(rng.permutation(len(tones)))
        for step in range(per_bar):
            midi = tones[order[step % len(order)]]
            note = notes.get(midi)
            if note is None:
                note = notes[midi] = _partials(_hz(midi), n, amplitudes, decay, 0.7) * envelope
            velocity = 0.8 + 0.2 * rng.random()
            start = int(grid.eighth(index, step * (8 // per_bar)) * SAMPLE_RATE)
            _add(track, start, _pan(note * velocity, 0.35 if step % 2 else -0.35))


def _drum_sounds(rng: np.random.Generator) -> dict[str, Floats]:
    def seconds(value: float) -> Floats:
        return np.arange(int(value * SAMPLE_RATE)) / SAMPLE_RATE

    t = seconds(0.35)
    sweep = 48.0 + 100.0 * np.exp(-t / 0.035)  # the kick's pitch falls from ~150 Hz to ~50
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / SAMPLE_RATE) * np.exp(-t / 0.16)
    t = seconds(0.07)
    noise = rng.standard_normal(t.size + 2)
    hat = np.diff(noise, n=2)[: t.size] * np.exp(-t / 0.018) / 4  # twice differenced: hiss
    t = seconds(0.22)
    noise = rng.standard_normal(t.size + 1)
    body = np.convolve(np.diff(noise)[: t.size], np.ones(3) / 3, mode="same")  # a band
    clap = body * np.exp(-t / 0.06) / 2 + 0.4 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.04)
    return {
        name: sound * _envelope(sound.size, 0.001, 0.01)
        for name, sound in (("kick", kick), ("hat", hat), ("clap", clap))
    }


def _drums(track: Floats, mood: MusicMood, grid: _Grid, rng: np.random.Generator) -> None:
    if mood.energy < 0.45:
        return
    sounds = _drum_sounds(rng)
    driving = mood.energy >= 0.75
    kicks = (0, 2, 4, 6) if driving else (0, 4)
    claps = (2, 6) if driving else ()
    hats = (1, 3, 5, 7) if driving or mood.mode == "major" else ()
    level = 0.25 + 0.2 * mood.energy
    for bar in range(grid.bars):
        for eighths, name, pan, gain in (
            (kicks, "kick", 0.0, 1.0),
            (claps, "clap", 0.0, 0.45),
            (hats, "hat", 0.25, 0.35),
        ):
            for eighth in eighths:
                start = int(grid.eighth(bar, eighth) * SAMPLE_RATE)
                _add(track, start, _pan(sounds[name] * gain * level, pan))


@functools.lru_cache(maxsize=8)
def _room_response(size: int, seconds: float) -> npt.NDArray[np.complex128]:
    """The spectrum (FFT of ``size``) of a small room's response, one per side: decaying,
    smoothed noise, -60 dB after ``seconds``. The same room for every bed, so a worker
    computes it once per length."""
    rng = np.random.default_rng(0x500A)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    # Highs die sooner than lows, as in a furnished room: a dull tail under a short bright one.
    dull = np.exp(-np.arange(24) / 4.0)
    dull /= dull.sum()
    response = np.stack(
        [
            np.convolve(rng.standard_normal(t.size), dull, mode="same") * np.exp(-6.9 * t / seconds)
            + 0.5 * rng.standard_normal(t.size) * np.exp(-6.9 * 3 * t / seconds)
            for _ in (0, 1)
        ],
        axis=1,
    )
    response[: int(0.012 * SAMPLE_RATE)] = 0.0  # pre-delay: the dry note is heard first
    response /= np.sqrt(np.sum(response**2, axis=0, keepdims=True))
    return np.fft.rfft(response, size, axis=0)


def _room(track: Floats, seconds: float, send: float) -> Floats:
    """``track`` with the room mixed ``send`` under it, by one FFT convolution."""
    size = fft_size(track.shape[0] + int(seconds * SAMPLE_RATE))
    spectrum = np.fft.rfft(track, size, axis=0)
    spectrum += send * spectrum * _room_response(size, seconds)
    return np.fft.irfft(spectrum, size, axis=0)[: track.shape[0]]


def music_bed(
    mood: MusicMood, seconds: float, seed: int, fade_out_from: float | None = None
) -> Audio:
    """``seconds`` of music in ``mood`` as (n, 2) float32 at 48 kHz, n = round(seconds *
    48000): about -16 LUFS, peaks at most -1 dBFS, the same samples for the same seed. From
    ``fade_out_from`` (seconds) it fades to silence at the last sample, and the chord under the
    fade is the home chord; without it only the last 20 ms fade (no click at the cut)."""
    if not seconds > 0 or not math.isfinite(seconds):
        raise ValueError("a music bed lasts more than 0 seconds")
    n = round(seconds * SAMPLE_RATE)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0xBED])
    style = mood.name
    beat = 60.0 / mood.tempo_bpm
    bars = math.ceil(seconds / (4 * beat)) + 1
    grid = _Grid(beat, bars, swing=0.22 if style == "playful" else 0.0)
    family = "calm" if style == "calm" else mood.mode
    progression = _PROGRESSIONS[family][int(rng.integers(len(_PROGRESSIONS[family])))]
    chords = [progression[bar % len(progression)] for bar in range(bars)]
    if fade_out_from is not None and 0 <= fade_out_from < seconds:
        home = int(fade_out_from // (4 * beat))
        chords[home:] = [_HOME[family]] * (bars - home)

    track = np.zeros((n, 2))
    _pad(track, mood, chords, grid)
    _bass(track, mood, chords, grid, style)
    _arpeggio(track, mood, chords, grid, style, rng)
    # the room's decay: long under calm beds, short under busy ones
    bed = _room(track, round(1.6 - 0.8 * mood.energy, 1), 0.3 - 0.1 * mood.energy)
    _drums(bed, mood, grid, rng)  # dry: a room would smear the hats into a hiss

    fade(bed, 0, int(0.01 * SAMPLE_RATE), rising=True)
    bed = normalize(bed.astype(np.float32)).astype(np.float64)
    if fade_out_from is not None and fade_out_from < seconds:
        fade(bed, round(fade_out_from * SAMPLE_RATE), n, rising=False)
    else:
        fade(bed, n - int(0.02 * SAMPLE_RATE), n, rising=False)
    return bed.astype(np.float32)
