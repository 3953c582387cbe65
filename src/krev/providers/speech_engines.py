"""The speech capability's providers (``KREV_SPEECH_ENGINE``): ``system`` (flite or espeak-ng,
the default), ``piper`` (a local Piper ONNX voice) and ``openai`` (an OpenAI-compatible speech
API with the LLM settings and ``KREV_LLM_SPEECH_MODEL``/``KREV_LLM_SPEECH_VOICE``).

A ``system`` engine whose programs are not installed never stops the server from starting
(``make run`` needs no root): it is said once in the log, and videos get captions without a
voice."""

from __future__ import annotations

import shutil
from typing import Any

from krev.platform.config import Settings
from krev.providers.llm import llm_missing
from krev.providers.registry import ProviderSpec, register

SPEECH_TIMEOUT_SECONDS = 60.0  # one line, spoken by a local program or model
_PROGRAMS = ("flite", "espeak-ng")


def _system_missing(settings: Settings) -> list[str]:
    program = settings.speech_system_program
    if program and program not in _PROGRAMS:
        return [f"KREV_SPEECH_SYSTEM_PROGRAM must be flite or espeak-ng ({program!r} given)."]
    return []


def _system_engine(settings: Settings) -> Any:
    from krev.engines.speech_system import SystemSpeech

    return SystemSpeech(
        settings.speech_system_program or None,
        settings.speech_system_voice or None,
        timeout=SPEECH_TIMEOUT_SECONDS,
    )


def _system_notices(settings: Settings) -> list[str]:
    if _system_missing(settings):
        return []
    reason = _system_engine(settings).unavailable_reason()
    if reason is None:
        return []
    return [f"KREV_SPEECH_ENGINE=system: {reason} Until then videos carry captions only."]


def _piper_missing(settings: Settings) -> list[str]:
    path = settings.piper_voice_path
    if path is None or not str(path).strip():
        return ["KREV_PIPER_VOICE_PATH is required (a local Piper voice .onnx file)."]
    if not path.is_file():
        return [f"KREV_PIPER_VOICE_PATH {str(path)!r} is not a file."]
    config = path.with_name(path.name + ".json")
    if not config.is_file():
        return [f"The Piper voice's config {str(config)!r} is missing (the .onnx.json beside it)."]
    return []


def _piper_engine(settings: Settings) -> Any:
    from krev.engines.piper_speech import PiperSpeech

    assert settings.piper_voice_path is not None  # _piper_missing refused the start
    speaker = settings.piper_speaker or None
    return PiperSpeech(settings.piper_voice_path, speaker=speaker, timeout=SPEECH_TIMEOUT_SECONDS)


def _piper_notices(_settings: Settings) -> list[str]:
    if shutil.which("espeak-ng"):
        return []
    return [
        "KREV_SPEECH_ENGINE=piper: espeak-ng, which phonemizes for Piper, is not installed "
        "(the Debian package espeak-ng; make setup-speech). Until then videos carry captions "
        "only."
    ]


def _openai_missing(settings: Settings) -> list[str]:
    return llm_missing(
        settings,
        settings.llm_speech_model,
        "KREV_LLM_SPEECH_MODEL is required (the speech model at LLM_BASE_URL/audio/speech, "
        "e.g. gpt-4o-mini-tts).",
    )


def _openai_engine(settings: Settings) -> Any:
    from krev.engines.openai_speech import OpenAISpeech

    # _openai_missing refused the start without these
    assert settings.llm_base_url is not None
    assert settings.llm_speech_model is not None
    key = settings.llm_api_key
    return OpenAISpeech(
        settings.llm_base_url,
        settings.llm_speech_model,
        settings.llm_speech_voice,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.llm_timeout_seconds,
    )


register(
    ProviderSpec(
        "speech",
        "system",
        _system_engine,
        missing=_system_missing,
        notices=_system_notices,
        description="The installed flite or espeak-ng program (run as a separate process, "
        "never linked); without either, captions only.",
    )
)
register(
    ProviderSpec(
        "speech",
        "piper",
        _piper_engine,
        missing=_piper_missing,
        notices=_piper_notices,
        description="A local Piper ONNX voice (KREV_PIPER_VOICE_PATH), phonemized by espeak-ng.",
    )
)
register(
    ProviderSpec(
        "speech",
        "openai",
        _openai_engine,
        missing=_openai_missing,
        description="An OpenAI-compatible speech API (KREV_LLM_BASE_URL/audio/speech, "
        "KREV_LLM_SPEECH_MODEL, KREV_LLM_SPEECH_VOICE).",
    )
)
