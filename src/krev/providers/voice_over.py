"""A video's voice-over lines spoken by the configured speech engine or, when it fails, its
fallback: the one call the video pipeline makes for speech.

``KREV_SPEECH_ENGINE`` speaks every line first; on a ``ProviderError`` (a program or a voice
file not installed, an API down or refusing) ``KREV_SPEECH_FALLBACK`` speaks them all again,
so one video never mixes two voices. When nobody can speak, the outcome says so
(``voice == "unavailable"`` and why) and the video carries its captions without a voice: a
voice-over is never a reason to fail a video. Failed calls are not retried here; a speech
engine answers within seconds or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from krev.engines.providers import ProviderError
from krev.engines.video import Speech
from krev.platform.config import Settings
from krev.providers import registry

__all__ = ["UNAVAILABLE", "VoiceOutcome", "speak_lines"]

UNAVAILABLE = "unavailable"

log = structlog.get_logger("krev.providers.voice_over")


@dataclass(frozen=True)
class VoiceOutcome:
    speeches: list[Speech | None]
    """One per line, in order; all None when no engine could speak."""
    voice: str
    """Who spoke (``flite/slt``, ``piper/en_US-lessac-medium``, ``openai/tts-1/alloy``), or
    ``unavailable``."""
    engine: str | None = None
    """The speech engine that spoke them; None when none could."""
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(engine, why, in words a user may read) for each engine that was asked and failed."""

    def as_dict(self) -> dict[str, object]:
        """For the generation's ``output.audio``."""
        said: dict[str, object] = {"voice": self.voice, "speech_engine": self.engine}
        if self.failures:
            said["fallback_from"] = self.failures[0][0]
            said["reason"] = self.failures[-1][1]
        return said


def speak_lines(settings: Settings, lines: Sequence[str]) -> VoiceOutcome:
    """Every line spoken by one speech engine (the configured one, else its fallback), or an
    ``unavailable`` outcome saying why; never raises a ``ProviderError``."""
    if not lines:
        return VoiceOutcome([], UNAVAILABLE)
    failures: list[tuple[str, str]] = []
    for engine_id in registry.chain(settings, "speech"):
        try:
            engine = registry.provider(settings, "speech", engine_id)
            speeches: list[Speech | None] = [engine.speak(line) for line in lines]
        except ProviderError as error:
            log.warning("speech_failed", engine=engine_id, code=error.code, error=error.message)
            failures.append((engine_id, error.message))
            continue
        voices = {speech.voice for speech in speeches if speech is not None}
        return VoiceOutcome(speeches, ", ".join(sorted(voices)), engine_id, failures)
    return VoiceOutcome([None] * len(lines), UNAVAILABLE, None, failures)
