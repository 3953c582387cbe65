"""The speech engines: the installed flite and espeak-ng programs (run for real, their WAV
decoded and checked for speech), a Piper voice (a tiny ONNX model with Piper's signature, fed
espeak-ng's phonemes as Piper feeds them) and an OpenAI-compatible speech API (a local fake
speaking the published protocol). All answer 48 kHz stereo float32 for the video's mix."""

from __future__ import annotations

import io
import os
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from krev.engines.openai_speech import OpenAISpeech
from krev.engines.piper_speech import PiperSpeech
from krev.engines.providers import (
    InvalidRequest,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)
from krev.engines.speech import (
    MAX_SPEECH_CHARS,
    SpeechUnavailable,
    decode_wav,
    speakable,
    speech_audio,
)
from krev.engines.speech_system import SystemSpeech, find_program
from krev.engines.video import SAMPLE_RATE, Speech
from tests.support import piper_voice
from tests.support.fake_speech import SECONDS_PER_CHAR, FakeSpeechAPI

SHORT = "Meet Aura."
LONG = (
    "Meet the new Aura serum. It brightens your skin in seven days, with plants from the Alps "
    "and nothing else. Shop now."
)


def require_program(name: str) -> None:
    """The speech tests run the real programs; `make test` installs them (setup-speech). Where
    one is missing they skip, saying so, except under CI, where a missing program fails."""
    if shutil.which(name):
        return
    message = f"{name} is not installed (make setup-speech installs flite and espeak-ng)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: never skipped)")
    pytest.skip(message)


def seconds(speech: Speech) -> float:
    return speech.samples.shape[0] / SAMPLE_RATE


def pitch_hz(mono: np.ndarray) -> float:
    """The median fundamental of the voiced 40 ms frames (autocorrelation, 60-400 Hz)."""
    frame = int(0.04 * SAMPLE_RATE)
    level = np.sqrt(np.mean(mono**2))
    found: list[float] = []
    for start in range(0, mono.size - frame, frame):
        chunk = mono[start : start + frame] - np.mean(mono[start : start + frame])
        if np.sqrt(np.mean(chunk**2)) < level:  # the louder frames: vowels
            continue
        correlation = np.correlate(chunk, chunk, mode="full")[frame - 1 :]
        low, high = SAMPLE_RATE // 400, SAMPLE_RATE // 60
        lag = low + int(np.argmax(correlation[low:high]))
        if correlation[lag] > 0.3 * correlation[0]:
            found.append(SAMPLE_RATE / lag)
    return float(np.median(found)) if found else 0.0


def assert_is_speech(speech: Speech, text: str) -> None:
    """Audible, as long as speaking the words takes, with a voice's pitch and its pauses."""
    audio = speech.samples
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert np.array_equal(audio[:, 0], audio[:, 1])
    mono = audio[:, 0].astype(np.float64)
    assert float(np.max(np.abs(mono))) <= 1.0
    assert np.sqrt(np.mean(mono**2)) > 0.02, "not silence"
    words = len(text.split())
    assert 0.9 <= words / seconds(speech) <= 6.0, "a speaking pace, 1-6 words a second"
    assert 70 <= pitch_hz(mono) <= 350, "a human voice's pitch"
    power = np.abs(np.fft.rfft(mono)) ** 2
    frequency = np.fft.rfftfreq(mono.size, 1 / SAMPLE_RATE)
    assert power[(frequency > 80) & (frequency < 5000)].sum() > 0.8 * power.sum()
    envelope = np.sqrt(np.mean(mono[: mono.size // 480 * 480].reshape(-1, 480) ** 2, axis=1))
    assert np.percentile(envelope, 10) < 0.25 * np.percentile(envelope, 90), "syllables, pauses"


# --- the shared pieces -----------------------------------------------------------------------


def test_text_is_cleaned_before_any_engine_sees_it() -> None:
    assert speakable("  Shop\tnow\x00!\n") == "Shop now !"
    with pytest.raises(InvalidRequest, match="no text"):
        speakable(" \x07 ")
    with pytest.raises(InvalidRequest, match=f"at most {MAX_SPEECH_CHARS}"):
        speakable("a" * (MAX_SPEECH_CHARS + 1))


def wav_bytes(samples: np.ndarray, rate: int, width: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    scale = 2 ** (8 * width - 1) - 1
    ints = np.round(np.repeat(samples[:, None], channels, axis=1) * scale).astype(np.int64)
    if width == 1:
        raw = (ints + 128).astype(np.uint8).tobytes()
    else:
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints.reshape(-1))
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(raw)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_pcm_wavs_of_every_width_decode(width: int) -> None:
    tone = 0.5 * np.sin(2 * np.pi * 300 * np.arange(800) / 8000)

    samples, rate = decode_wav(wav_bytes(tone, 8000, width, channels=2))

    assert rate == 8000
    assert np.allclose(samples, tone, atol=1.5 / 2 ** (8 * width - 1) + 1e-6)


def test_what_is_not_a_wav_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="not a PCM WAV"):
        decode_wav(b"ID3 an mp3 file")


def test_a_voice_becomes_48_khz_stereo_with_its_silences_trimmed_and_its_pitch_kept() -> None:
    rate = 16_000
    t = np.arange(rate) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    clip = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate // 2)])

    audio = speech_audio(clip, rate)

    assert audio.dtype == np.float32 and audio.shape[1] == 2
    assert audio.shape[0] / SAMPLE_RATE == pytest.approx(1.0 + 2 * 0.04, abs=0.01)
    spectrum = np.abs(np.fft.rfft(audio[:, 0]))
    assert np.fft.rfftfreq(audio.shape[0], 1 / SAMPLE_RATE)[np.argmax(spectrum)] == (
        pytest.approx(220, abs=2)
    )
    assert speech_audio(np.zeros(rate), rate).shape == (0, 2)


# --- system: flite and espeak-ng ---------------------------------------------------------------


@pytest.mark.parametrize(("program", "voice"), [("flite", "flite/slt"), ("espeak-ng", None)])
def test_the_installed_program_speaks_longer_lines_for_longer_text(
    program: str, voice: str | None
) -> None:
    require_program(program)
    engine = SystemSpeech(program)

    short, long = engine.speak(SHORT), engine.speak(LONG)

    assert_is_speech(short, SHORT)
    assert_is_speech(long, LONG)
    assert seconds(long) > 4 * seconds(short)
    assert short.voice == (voice or "espeak-ng/en-us")


def test_flite_is_preferred_and_espeak_ng_stands_in_for_it(tmp_path: Path) -> None:
    require_program("flite")
    require_program("espeak-ng")
    only_espeak = tmp_path / "bin"
    only_espeak.mkdir()
    (only_espeak / "espeak-ng").symlink_to(shutil.which("espeak-ng") or "")

    assert SystemSpeech().speak(SHORT).voice == "flite/slt"
    assert SystemSpeech(path=str(only_espeak)).speak(SHORT).voice == "espeak-ng/en-us"
    assert find_program(path=str(only_espeak)) == ("espeak-ng", str(only_espeak / "espeak-ng"))


def test_without_a_program_the_engine_says_it_is_unavailable(tmp_path: Path) -> None:
    engine = SystemSpeech(path=str(tmp_path))

    assert not engine.available()
    reason = engine.unavailable_reason()
    assert reason is not None and "flite or espeak-ng" in reason and "make setup-speech" in reason
    with pytest.raises(SpeechUnavailable, match="install the Debian package flite"):
        engine.speak(SHORT)
    assert not SpeechUnavailable.transient


@pytest.mark.parametrize("program", ["flite", "espeak-ng"])
def test_text_reaches_the_program_as_words_never_as_a_shell_or_options(
    program: str, tmp_path: Path
) -> None:
    require_program(program)
    marker = tmp_path / "pwned"
    text = f'-voice kal $(touch {marker}); `touch {marker}` "quoted" & done'

    speech = SystemSpeech(program).speak(text)

    assert not marker.exists()
    assert seconds(speech) > 2.0, "every word spoken, the option-like first one included"


def test_a_voice_the_program_lacks_is_refused_not_replaced() -> None:
    require_program("flite")
    require_program("espeak-ng")
    with pytest.raises(InvalidRequest, match=r"flite has no voice 'nobody'; it has .*slt"):
        SystemSpeech("flite", "nobody").speak(SHORT)
    with pytest.raises(InvalidRequest, match="espeak-ng failed"):
        SystemSpeech("espeak-ng", "nobody").speak(SHORT)
    assert SystemSpeech("flite", "awb").speak(SHORT).voice == "flite/awb"


def test_a_program_that_hangs_times_out(tmp_path: Path) -> None:
    slow = tmp_path / "flite"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)

    with pytest.raises(ProviderTimeout, match="did not finish speaking"):
        SystemSpeech("flite", "/voices/x.flitevox", timeout=0.5, path=str(tmp_path)).speak(SHORT)


# --- piper -------------------------------------------------------------------------------------


@pytest.fixture
def voice_path(tmp_path: Path) -> Path:
    return piper_voice.write_voice(tmp_path)


def expected_seconds(engine: PiperSpeech, text: str, length_scale: float = 1.0) -> float:
    ids = sum(len(engine.phoneme_ids(sentence)) for sentence in engine.phonemize(text))
    return int(ids * piper_voice.HOP * length_scale) / piper_voice.RATE


def test_piper_phonemes_come_from_espeak_ng_with_piper_s_punctuation(voice_path: Path) -> None:
    require_program("espeak-ng")
    engine = PiperSpeech(voice_path)

    sentences = engine.phonemize("Hello world, this is a test. Is it?")

    assert ["".join(sentence) for sentence in sentences] == [
        "həlˈoʊ wˈɜːld, ðɪs ɪz ɐ tˈɛst.",  # noqa: RUF001 - IPA, as espeak-ng writes it
        "ɪz ˈɪt?",  # noqa: RUF001
    ]
    assert all(len(phoneme) == 1 for sentence in sentences for phoneme in sentence)


def test_piper_ids_are_padded_between_bos_and_eos(voice_path: Path) -> None:
    engine = PiperSpeech(voice_path)
    ids = piper_voice.phoneme_id_map()

    assert engine.phoneme_ids(["h", "ə", "≈", "."]) == [
        *ids["^"],
        *ids["h"],
        *ids["_"],
        *ids["ə"],
        *ids["_"],
        *ids["."],  # "≈" is not in the voice's map: left out, as Piper does
        *ids["_"],
        *ids["$"],
    ]


def test_a_piper_voice_speaks_one_sentence_at_a_time_at_its_length(voice_path: Path) -> None:
    require_program("espeak-ng")
    engine = PiperSpeech(voice_path)

    short, long = engine.speak(SHORT), engine.speak(LONG)

    assert short.voice == "piper/voice"
    assert seconds(short) == pytest.approx(expected_seconds(engine, SHORT), abs=0.002)
    assert seconds(long) == pytest.approx(expected_seconds(engine, LONG), abs=0.002)
    assert seconds(long) > 5 * seconds(short)
    assert pitch_hz(short.samples[:, 0].astype(np.float64)) == pytest.approx(220, rel=0.03)


def test_a_piper_voice_uses_its_config_s_length_scale_and_speaker(tmp_path: Path) -> None:
    require_program("espeak-ng")
    path = piper_voice.write_voice(tmp_path, speakers=3, length_scale=2.0)

    first = PiperSpeech(path).speak(SHORT)
    second = PiperSpeech(path, speaker="speaker_1").speak(SHORT)

    engine = PiperSpeech(path)
    assert seconds(first) == pytest.approx(expected_seconds(engine, SHORT, 2.0), abs=0.002)
    assert (first.voice, second.voice) == ("piper/voice#0", "piper/voice#1")
    assert pitch_hz(first.samples[:, 0].astype(np.float64)) == pytest.approx(220, rel=0.03)
    assert pitch_hz(second.samples[:, 0].astype(np.float64)) == pytest.approx(330, rel=0.03)
    with pytest.raises(InvalidRequest, match="speakers 0-2"):
        PiperSpeech(path, speaker=5)


def test_a_piper_voice_that_is_not_there_or_not_piper_s_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpeechUnavailable, match=r"model file .* is missing"):
        PiperSpeech(tmp_path / "none.onnx")
    path = piper_voice.write_voice(tmp_path)
    Path(f"{path}.json").write_text('{"audio": {"sample_rate": 22050}}')
    with pytest.raises(InvalidRequest, match="config is not one Piper writes"):
        PiperSpeech(path)
    Path(f"{path}.json").write_text("not json")
    with pytest.raises(InvalidRequest, match="not JSON"):
        PiperSpeech(path)


def test_piper_without_espeak_ng_is_unavailable(voice_path: Path, tmp_path: Path) -> None:
    engine = PiperSpeech(voice_path, espeak_program=str(tmp_path / "espeak-ng"))

    with pytest.raises(SpeechUnavailable, match="espeak-ng could not be started"):
        engine.speak(SHORT)


# --- openai ------------------------------------------------------------------------------------

KEY = "sk-test-speech-key"


@pytest.fixture
def api() -> Iterator[FakeSpeechAPI]:
    with FakeSpeechAPI(api_key=KEY) as server:
        yield server


def test_the_speech_api_is_asked_for_wav_and_its_answer_resampled(api: FakeSpeechAPI) -> None:
    engine = OpenAISpeech(api.base_url, "gpt-4o-mini-tts", "nova", api_key=KEY)

    speech = engine.speak(SHORT)

    assert api.requests == [
        {"model": "gpt-4o-mini-tts", "voice": "nova", "input": SHORT, "response_format": "wav"}
    ]
    assert speech.voice == "openai/gpt-4o-mini-tts/nova"
    assert seconds(speech) == pytest.approx(0.3 + SECONDS_PER_CHAR * len(SHORT), abs=0.1)
    assert speech.samples.dtype == np.float32 and speech.samples.shape[1] == 2
    assert seconds(engine.speak(LONG)) > 5 * seconds(speech)


def test_a_wav_streamed_without_sizes_is_read_to_its_end(api: FakeSpeechAPI) -> None:
    api.streamed()

    speech = OpenAISpeech(api.base_url, "tts-1", api_key=KEY).speak(LONG)

    assert seconds(speech) == pytest.approx(0.3 + SECONDS_PER_CHAR * len(LONG), abs=0.1)


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (503, TemporarilyUnavailable, "temporarily unavailable"),
        (500, TemporarilyUnavailable, "HTTP 500"),
        (429, RateLimited, "rate limiting"),
        (400, InvalidRequest, "refused the request"),
    ],
)
def test_speech_api_errors_are_the_provider_errors(
    api: FakeSpeechAPI, status: int, error: type[Exception], words: str
) -> None:
    api.fail(status)

    with pytest.raises(error, match=words):
        OpenAISpeech(api.base_url, "tts-1", api_key=KEY).speak(SHORT)


def test_a_wrong_key_names_the_setting_never_the_key(api: FakeSpeechAPI) -> None:
    with pytest.raises(InvalidRequest, match="KREV_LLM_API_KEY") as refused:
        OpenAISpeech(api.base_url, "tts-1", api_key="sk-wrong-key").speak(SHORT)

    assert "sk-wrong-key" not in str(refused.value)
    assert "sk-wrong-key" not in repr(OpenAISpeech(api.base_url, "tts-1", api_key="sk-wrong-key"))


def test_an_answer_that_is_not_audio_is_refused(api: FakeSpeechAPI) -> None:
    api.reply(b'{"audio": "elsewhere"}')

    with pytest.raises(InvalidRequest, match="not a PCM WAV"):
        OpenAISpeech(api.base_url, "tts-1", api_key=KEY).speak(SHORT)


def test_a_speech_api_nobody_answers_at_is_unavailable() -> None:
    with FakeSpeechAPI() as closed:
        url = closed.base_url

    with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
        OpenAISpeech(url, "tts-1", timeout=5).speak(SHORT)
