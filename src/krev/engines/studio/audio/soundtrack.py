"""A video's whole audio in one call: the music bed for the prompt's mood, faded out over the
end card, with the voice-over lines (spoken, or captions alone when there is no voice) placed
before the end card and the music ducked under them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from krev.engines.studio.audio.mix import TimedLine, mix_voice_over, timed_lines
from krev.engines.studio.audio.music import MusicMood, mood_from_prompt, music_bed
from krev.engines.video import Audio, Speech

__all__ = ["Soundtrack", "soundtrack"]


@dataclass(frozen=True)
class Soundtrack:
    audio: Audio
    """(round(seconds * 48000), 2) float32: what the encoder muxes."""
    mood: MusicMood
    captions: list[TimedLine]
    """The lines shown, each while it is spoken (or read, without a voice)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "music": self.mood.as_dict(),
            "captions": [line.as_dict() for line in self.captions],
        }


def soundtrack(
    prompt: str,
    seconds: float,
    seed: int,
    *,
    lines: Sequence[str] = (),
    speeches: Sequence[Speech | None] = (),
    end_card_from: float | None = None,
    mood: MusicMood | None = None,
) -> Soundtrack:
    """``seconds`` of audio for a video: music in ``mood`` (default: the prompt's), fading
    out from ``end_card_from``; ``lines`` spoken (``speeches[i]``, None: no voice) one after
    another, all before the end card; the captions' times."""
    chosen = mood or mood_from_prompt(prompt)
    music = music_bed(chosen, seconds, seed, fade_out_from=end_card_from)
    window = end_card_from if end_card_from is not None else seconds
    captions = timed_lines(list(lines), list(speeches) or [None] * len(lines), window)
    clips = [
        (line.start, speech)
        for line, speech in zip(captions, speeches, strict=False)
        if speech is not None
    ]
    audio = mix_voice_over(music, clips, seconds) if clips else music
    return Soundtrack(audio, chosen, captions)
