"""The voice-over mix: lines placed one after another from their spoken lengths (the captions'
times), speech at streaming loudness, the music ducked under it on smooth ramps, nothing
clipped; and the whole soundtrack of a video in one call."""

from __future__ import annotations

import numpy as np
import pytest

from krev.engines.studio.audio.loudness import integrated_loudness, peak_dbfs
from krev.engines.studio.audio.mix import (
    caption_lines,
    mix_voice_over,
    reading_seconds,
    timed_lines,
)
from krev.engines.studio.audio.music import mood_from_prompt, music_bed
from krev.engines.studio.audio.soundtrack import soundtrack
from krev.engines.video import SAMPLE_RATE, Speech


def voice(seconds: float, hz: float = 180.0, level: float = 0.3) -> Speech:
    """A stand-in voice: a tone with syllable-like bursts (4 a second)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    syllables = np.clip(np.sin(2 * np.pi * 4 * t) + 0.3, 0, 1)
    mono = level * np.sin(2 * np.pi * hz * t) * syllables
    return Speech(np.repeat(mono[:, None], 2, axis=1).astype(np.float32), "test/tone")


def window_rms(audio: np.ndarray, start: float, end: float) -> float:
    part = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)].astype(np.float64)
    return float(np.sqrt(np.mean(part**2)))


# --- caption lines and their times --------------------------------------------------------


def test_a_script_becomes_caption_lines_never_cut_mid_word() -> None:
    script = (
        "Meet the new Aura serum. It brightens your skin in seven days, with nothing but "
        "plants and water from the Alps!\nShop now."
    )

    lines = caption_lines(script, max_chars=32)

    assert lines[0] == "Meet the new Aura serum."
    assert lines[-1] == "Shop now."
    assert all(len(line) <= 32 for line in lines)
    assert " ".join(lines).split() == script.split()


def test_lines_follow_each_other_at_their_spoken_lengths() -> None:
    lines = ["First line.", "Second, longer line.", "Third."]
    speeches = [voice(1.0), voice(2.0), voice(0.5)]

    timed = timed_lines(lines, speeches, seconds=10.0, gap=0.3, lead_in=0.4)

    assert [line.text for line in timed] == lines
    assert [(line.start, line.end) for line in timed] == [
        (0.4, 1.4),
        (pytest.approx(1.7), pytest.approx(3.7)),
        (pytest.approx(4.0), pytest.approx(4.5)),
    ]
    assert timed[0].as_dict() == {"text": "First line.", "start": 0.4, "end": 1.4}


def test_without_a_voice_captions_last_as_long_as_reading_them() -> None:
    timed = timed_lines(["Four words right here.", "Go."], [None, None], seconds=10.0)

    assert timed[0].end - timed[0].start == pytest.approx(reading_seconds("a b c d"))
    assert timed[1].end - timed[1].start == pytest.approx(0.8), "a floor for a short line"


def test_lines_that_do_not_fit_squeeze_their_pauses_then_drop_out() -> None:
    lines = ["one", "two", "three"]

    squeezed = timed_lines(lines, [voice(2.0)] * 3, seconds=6.3, gap=0.3, lead_in=0.4)
    dropped = timed_lines(lines, [voice(2.0)] * 3, seconds=5.0)
    cut = timed_lines(lines, [voice(7.0), voice(1.0), voice(1.0)], seconds=5.0)

    assert [line.text for line in squeezed] == lines
    assert squeezed[-1].end <= 6.3
    assert [line.text for line in dropped] == ["one", "two"]
    assert dropped[-1].end <= 5.0
    assert [(line.text, line.end) for line in cut] == [("one", 5.0)]
    with pytest.raises(ValueError, match="one speech"):
        timed_lines(lines, [None], seconds=5.0)


# --- the mix ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bed() -> np.ndarray:
    return music_bed(mood_from_prompt("a bottle of water"), 10.0, seed=4)


def test_the_music_ducks_under_speech_on_smooth_ramps(bed: np.ndarray) -> None:
    clips = [(3.0, voice(2.0))]
    mix = mix_voice_over(bed, clips, 10.0)
    voice_alone = mix_voice_over(np.zeros_like(bed), clips, 10.0)
    music_heard = mix.astype(np.float64) - voice_alone

    under = window_rms(music_heard, 3.2, 4.8) / window_rms(bed, 3.2, 4.8)
    before = window_rms(music_heard, 0.5, 2.5) / window_rms(bed, 0.5, 2.5)
    after = window_rms(music_heard, 6.0, 9.0) / window_rms(bed, 6.0, 9.0)
    assert under == pytest.approx(10 ** (-12 / 20), rel=0.05)
    assert before == pytest.approx(1.0, rel=0.01)
    assert after == pytest.approx(1.0, rel=0.01)
    # the bed's gain never steps: from one 10 ms window to the next it moves less than 1.5 dB
    gains = [
        window_rms(music_heard, s, s + 0.01) / max(window_rms(bed, s, s + 0.01), 1e-9)
        for s in np.arange(2.5, 4.0, 0.01)
    ]
    assert np.max(np.abs(np.diff(20 * np.log10(gains)))) < 1.5


def test_speech_is_brought_to_streaming_loudness_and_placed_where_asked(bed: np.ndarray) -> None:
    quiet, loud = voice(1.5, level=0.02), voice(1.5, hz=240, level=0.9)

    alone = mix_voice_over(np.zeros_like(bed), [(1.0, quiet), (5.0, loud)], 10.0)

    first, second = (
        alone[int(1.0 * SAMPLE_RATE) : int(2.5 * SAMPLE_RATE)],
        alone[int(5.0 * SAMPLE_RATE) : int(6.5 * SAMPLE_RATE)],
    )
    assert integrated_loudness(first) == pytest.approx(-16.0, abs=1.0)
    assert integrated_loudness(second) == pytest.approx(-16.0, abs=1.0)
    assert window_rms(alone, 0.0, 0.99) == 0.0 and window_rms(alone, 2.51, 4.99) == 0.0


def test_the_mix_never_clips(bed: np.ndarray) -> None:
    loud_bed = (bed / np.max(np.abs(bed)) * 0.99).astype(np.float32)

    mix = mix_voice_over(loud_bed, [(2.0, voice(3.0, level=1.0)), (2.5, voice(2.0))], 10.0)

    assert peak_dbfs(mix) <= -1.0 + 1e-6
    assert mix.shape == (10 * SAMPLE_RATE, 2) and mix.dtype == np.float32


def test_a_clip_past_the_end_is_cut_on_a_fade_and_music_is_fit_to_length(
    bed: np.ndarray,
) -> None:
    mix = mix_voice_over(bed[: 4 * SAMPLE_RATE], [(3.0, voice(3.0))], 5.0)

    assert mix.shape == (5 * SAMPLE_RATE, 2)
    assert float(np.max(np.abs(mix[-1]))) < 1e-3
    assert window_rms(mix, 3.2, 4.9) > 0.01


# --- the whole soundtrack ------------------------------------------------------------------


def test_a_soundtrack_speaks_before_the_end_card_and_fades_over_it() -> None:
    lines = ["Meet Aura.", "Bright skin in seven days.", "Shop now."]
    speeches: list[Speech | None] = [voice(1.0), voice(2.0), voice(1.0)]

    track = soundtrack(
        "calm luxury serum", 12.0, 3, lines=lines, speeches=speeches, end_card_from=9.0
    )

    assert track.audio.shape == (12 * SAMPLE_RATE, 2)
    assert track.mood.name == "calm"
    assert [line.text for line in track.captions] == lines
    assert track.captions[-1].end <= 9.0
    assert window_rms(track.audio, 11.5, 12.0) < 0.2 * window_rms(track.audio, 7.0, 7.5)
    assert peak_dbfs(track.audio) <= -1.0 + 1e-6
    assert track.as_dict()["music"] == track.mood.as_dict()


def test_a_soundtrack_without_a_voice_is_the_bed_with_captions_timed_for_reading() -> None:
    lines = ["Meet Aura.", "Shop now."]

    track = soundtrack("a mug", 8.0, 1, lines=lines, end_card_from=6.0)

    mood = mood_from_prompt("a mug")
    assert np.array_equal(track.audio, music_bed(mood, 8.0, 1, fade_out_from=6.0))
    assert [line.text for line in track.captions] == lines
    assert track.captions[1].end - track.captions[1].start == pytest.approx(0.8)
