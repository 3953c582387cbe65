"""The music bed a video plays under its shots: the prompt's mood picks tempo, key and
arrangement; the bed is deterministic per seed, as loud as short videos play (-16 LUFS, peaks
under -1 dBFS), free of aliasing and clicks, and fades out over the end card."""

from __future__ import annotations

import json

import numpy as np
import pytest

from krev.engines.studio.audio.loudness import integrated_loudness, peak_dbfs
from krev.engines.studio.audio.music import MOODS, MusicMood, mood_from_prompt, music_bed
from krev.engines.video import SAMPLE_RATE


def onsets_per_second(audio: np.ndarray) -> float:
    """Note and drum attacks a second: peaks of the spectral flux above ~230 Hz (the bass's
    window leakage is no attack) standing at least three times above its median (a held pad's
    shimmer is not an attack either)."""
    mono = audio.astype(np.float64).mean(axis=1)
    frame, hop = 2048, 480
    frames = np.lib.stride_tricks.sliding_window_view(mono, frame)[::hop] * np.hanning(frame)
    magnitude = np.abs(np.fft.rfft(frames, axis=1))[:, 10:]
    flux = np.maximum(0.0, np.diff(magnitude, axis=0)).sum(axis=1)
    middle = flux[1:-1]
    peaks = (middle > flux[:-2]) & (middle >= flux[2:]) & (middle > 3 * np.median(flux))
    return float(peaks.sum() / (mono.size / SAMPLE_RATE))


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


@pytest.mark.parametrize(
    ("prompt", "name", "mode"),
    [
        ("Calm luxury perfume on white marble", "calm", "major"),
        ("A serene spa morning", "calm", "major"),
        ("BOLD summer sale on running shoes!", "energetic", "major"),
        ("sport drink, energetic gym shots", "energetic", "major"),
        ("playful toys for kids", "playful", "major"),
        ("a dramatic night reveal of the watch", "dramatic", "minor"),
        ("a bottle of water on a table", "neutral", "major"),
        ("", "neutral", "major"),
    ],
)
def test_the_prompt_s_mood_words_choose_the_music(prompt: str, name: str, mode: str) -> None:
    mood = mood_from_prompt(prompt)

    assert (mood.name, mood.mode) == (name, mode)
    assert json.loads(json.dumps(mood.as_dict()))["name"] == name


def test_calm_is_slower_darker_and_softer_than_energetic() -> None:
    calm = mood_from_prompt("calm luxury serum")
    energetic = mood_from_prompt("bold sport sale")
    neutral = mood_from_prompt("a mug")

    assert calm.tempo_bpm < neutral.tempo_bpm < energetic.tempo_bpm
    assert calm.brightness < neutral.brightness < energetic.brightness
    assert calm.energy < neutral.energy < energetic.energy
    assert calm.words == ("calm", "luxury")


def test_mixed_moods_blend_their_tempo() -> None:
    luxury_night = mood_from_prompt("luxury at night")
    dramatic_night = mood_from_prompt("dramatic night")

    assert luxury_night.mode == "minor"  # a tie goes to the dramatic arrangement
    assert MOODS["calm"].tempo_bpm < luxury_night.tempo_bpm < dramatic_night.tempo_bpm


def test_a_bed_is_the_length_asked_as_stereo_float32() -> None:
    bed = music_bed(MOODS["neutral"], 7.5, seed=3)

    assert bed.shape == (round(7.5 * SAMPLE_RATE), 2)
    assert bed.dtype == np.float32
    assert not np.array_equal(bed[:, 0], bed[:, 1]), "a stereo bed"
    assert np.corrcoef(bed[:, 0], bed[:, 1])[0, 1] > 0.3, "yet whole when summed to mono"
    with pytest.raises(ValueError, match="more than 0 seconds"):
        music_bed(MOODS["neutral"], 0, seed=3)


def test_the_same_seed_gives_the_same_samples_and_another_seed_other_music() -> None:
    mood = mood_from_prompt("playful candy")

    first = music_bed(mood, 6.0, seed=11, fade_out_from=4.0)
    again = music_bed(mood, 6.0, seed=11, fade_out_from=4.0)
    other = music_bed(mood, 6.0, seed=12, fade_out_from=4.0)

    assert np.array_equal(first, again)
    assert not np.allclose(first, other, atol=1e-3)


@pytest.mark.parametrize("name", list(MOODS))
@pytest.mark.parametrize("seed", [0, 7])
def test_every_bed_is_at_streaming_loudness_with_headroom(name: str, seed: int) -> None:
    bed = music_bed(MOODS[name], 10.0, seed=seed)

    assert integrated_loudness(bed) == pytest.approx(-16.0, abs=1.0)
    assert peak_dbfs(bed) <= -1.0
    assert np.all(np.isfinite(bed))


@pytest.mark.parametrize("name", list(MOODS))
def test_a_bed_has_no_aliasing_and_no_clicks(name: str) -> None:
    bed = music_bed(MOODS[name], 8.0, seed=5).astype(np.float64)
    mono = bed.mean(axis=1)

    power = np.abs(np.fft.rfft(mono)) ** 2
    frequency = np.fft.rfftfreq(mono.size, 1 / SAMPLE_RATE)
    # Oscillators hold no partial above 18 kHz; only the hi-hat's noise reaches up there.
    limit = 1e-2 if MOODS[name].energy >= 0.45 else 1e-8
    assert power[frequency > 19_000].sum() / power.sum() < limit
    # A click is a jump far above the signal's own steepest moments.
    jumps = np.abs(np.diff(mono, n=2))
    assert jumps.max() < 5 * np.percentile(jumps, 99.9)


def test_energetic_music_has_more_attacks_a_second_than_calm_music() -> None:
    calm = mood_from_prompt("calm luxury spa")
    energetic = mood_from_prompt("bold energetic sport sale")

    calm_rate = np.mean([onsets_per_second(music_bed(calm, 12.0, seed)) for seed in (1, 2, 3)])
    fast_rate = np.mean([onsets_per_second(music_bed(energetic, 12.0, seed)) for seed in (1, 2, 3)])

    assert fast_rate > 2 * calm_rate
    assert fast_rate > 3.0, "energetic beds move at least on the eighth notes"


def test_the_bed_fades_to_silence_from_the_end_card() -> None:
    mood = mood_from_prompt("a bottle of water")
    bed = music_bed(mood, 10.0, seed=2, fade_out_from=7.0)
    unfaded = music_bed(mood, 10.0, seed=2)

    def at(second: float) -> np.ndarray:
        start = int(second * SAMPLE_RATE)
        return bed[start : start + SAMPLE_RATE // 2]

    assert rms(at(6.0)) > 0.05
    levels = [rms(at(second)) for second in (7.0, 7.75, 8.5, 9.5)]
    assert levels == sorted(levels, reverse=True), "the fade only goes down"
    assert levels[-1] < 0.1 * rms(at(6.0))
    assert float(np.max(np.abs(bed[-240:]))) < 1e-3, "silence at the last sample"
    assert rms(unfaded[-SAMPLE_RATE:]) > 0.05, "without an end card, no long fade"
    assert float(np.max(np.abs(unfaded[-1]))) < 1e-3, "but no click at the cut"


def test_a_mood_records_as_json() -> None:
    mood = MusicMood("calm", 72.04, "D", "major", 0.3, 0.2, ("calm",))

    assert json.loads(json.dumps(mood.as_dict())) == {
        "name": "calm",
        "tempo_bpm": 72.0,
        "key": "D",
        "mode": "major",
        "brightness": 0.3,
        "energy": 0.2,
        "words": ["calm"],
    }
