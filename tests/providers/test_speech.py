"""The speech capability: ``KREV_SPEECH_ENGINE`` picks who speaks a video's voice-over
(``system`` by default), a failing engine hands the lines to its fallback, and when nobody can
speak the video keeps its captions and records the voice as unavailable, never failing. The
server refuses to start with a speech engine whose settings are missing, but never because
flite or espeak-ng is not installed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from krev.providers.voice_over import UNAVAILABLE, speak_lines
from tests.engines.test_speech import require_program
from tests.support import piper_voice
from tests.support.fake_speech import FakeSpeechAPI

KEY = "sk-test-speech-provider"
LINES = ["Meet Aura.", "Bright skin in seven days."]


@pytest.fixture
def api() -> Iterator[FakeSpeechAPI]:
    with FakeSpeechAPI(api_key=KEY) as server:
        yield server


@pytest.fixture
def openai_settings(
    make_settings: Callable[..., Settings], api: FakeSpeechAPI
) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "speech_engine": "openai",
            "llm_base_url": api.base_url,
            "llm_api_key": KEY,
            "llm_speech_model": "tts-1",
        }
        return make_settings(**(values | overrides))

    return factory


@pytest.fixture
def no_programs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine without flite or espeak-ng (nothing on PATH)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_the_system_voice_speaks_by_default(make_settings: Callable[..., Settings]) -> None:
    require_program("flite")
    settings = make_settings()

    outcome = speak_lines(settings, LINES)

    assert (outcome.engine, outcome.voice, outcome.failures) == ("system", "flite/slt", [])
    assert all(speech is not None and speech.samples.shape[0] > 0 for speech in outcome.speeches)
    assert outcome.as_dict() == {"voice": "flite/slt", "speech_engine": "system"}
    assert registry.notices(settings) == []


def test_the_system_program_and_voice_are_settings(make_settings: Callable[..., Settings]) -> None:
    require_program("espeak-ng")

    outcome = speak_lines(
        make_settings(speech_system_program="espeak-ng", speech_system_voice="en-gb"), LINES
    )

    assert outcome.voice == "espeak-ng/en-gb"
    with pytest.raises(ConfigurationError, match="KREV_SPEECH_SYSTEM_PROGRAM must be flite"):
        registry.check(make_settings(speech_system_program="say"))


@pytest.mark.usefixtures("no_programs")
def test_without_flite_or_espeak_ng_videos_keep_captions_and_the_server_starts(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()

    registry.check(settings)  # no root needed to start: nothing refused
    outcome = speak_lines(settings, LINES)

    assert outcome.voice == UNAVAILABLE and outcome.engine is None
    assert outcome.speeches == [None, None]
    said = json.loads(json.dumps(outcome.as_dict()))
    assert said["voice"] == "unavailable" and "make setup-speech" in said["reason"]
    assert any("captions only" in notice for notice in registry.notices(settings))


def test_the_openai_voice_speaks_every_line(
    openai_settings: Callable[..., Settings], api: FakeSpeechAPI
) -> None:
    outcome = speak_lines(openai_settings(llm_speech_voice="verse"), LINES)

    assert (outcome.engine, outcome.voice) == ("openai", "openai/tts-1/verse")
    assert [request["input"] for request in api.requests] == LINES


def test_a_failing_engine_hands_every_line_to_the_fallback_and_says_why(
    openai_settings: Callable[..., Settings], api: FakeSpeechAPI
) -> None:
    require_program("flite")
    api.fail(503)

    outcome = speak_lines(openai_settings(speech_fallback="system"), LINES)

    assert (outcome.engine, outcome.voice) == ("system", "flite/slt")
    assert outcome.as_dict()["fallback_from"] == "openai"
    assert "temporarily unavailable" in str(outcome.as_dict()["reason"])
    assert len(api.requests) == 1, "the first failed line stops the engine; no retry"


def test_when_nobody_can_speak_the_voice_is_unavailable_never_an_error(
    openai_settings: Callable[..., Settings], api: FakeSpeechAPI
) -> None:
    api.fail(500)

    outcome = speak_lines(openai_settings(), LINES)

    assert outcome.voice == UNAVAILABLE
    assert [engine for engine, _ in outcome.failures] == ["openai"]
    assert "HTTP 500" in outcome.failures[0][1]
    assert outcome.speeches == [None, None]


def test_a_piper_voice_from_its_path(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    require_program("espeak-ng")
    path = piper_voice.write_voice(tmp_path, speakers=2)

    outcome = speak_lines(
        make_settings(speech_engine="piper", piper_voice_path=path, piper_speaker="speaker_1"),
        LINES,
    )

    assert (outcome.engine, outcome.voice) == ("piper", "piper/voice#1")


def test_the_server_refuses_a_speech_engine_it_cannot_use(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_PIPER_VOICE_PATH is required"):
        registry.check(make_settings(speech_engine="piper"))
    with pytest.raises(ConfigurationError, match="is not a file"):
        registry.check(make_settings(speech_engine="piper", piper_voice_path=tmp_path / "x"))
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"onnx")
    with pytest.raises(ConfigurationError, match=r"config .*voice.onnx.json.* is missing"):
        registry.check(make_settings(speech_engine="piper", piper_voice_path=model))
    with pytest.raises(ConfigurationError, match="KREV_SPEECH_ENGINE=openai: KREV_LLM_BASE_URL"):
        registry.check(make_settings(speech_engine="openai", llm_speech_model="tts-1"))
    with pytest.raises(ConfigurationError, match="KREV_LLM_SPEECH_MODEL is required"):
        registry.check(make_settings(speech_engine="openai", llm_base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ConfigurationError, match="KREV_SPEECH_FALLBACK=openai"):
        registry.check(make_settings(speech_fallback="openai"))
    with pytest.raises(ConfigurationError, match="not one of the speech engines"):
        registry.check(make_settings(speech_engine="say"))
    assert [spec.id for spec in registry.specs("speech")] == ["openai", "piper", "system"]


def test_piper_without_espeak_ng_is_said_when_the_server_starts(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = piper_voice.write_voice(tmp_path)
    settings = make_settings(speech_engine="piper", piper_voice_path=path)
    registry.check(settings)
    assert shutil.which("espeak-ng") is None or registry.notices(settings) == []

    monkeypatch.setenv("PATH", str(tmp_path))

    assert any("espeak-ng" in notice for notice in registry.notices(settings))
