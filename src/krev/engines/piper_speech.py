"""A Piper voice (``KREV_SPEECH_ENGINE=piper``): a VITS model exported to ONNX with its JSON
config (``voice.onnx`` and ``voice.onnx.json``, as rhasspy/piper publishes them), run with
onnxruntime from a local path; nothing is downloaded.

Piper's protocol, as its Python runner speaks it (``piper/voice.py``): the text is cut into
sentences and clauses and each clause phonemized by espeak-ng in IPA (Krev runs the
``espeak-ng`` program, ``-q -x --ipa``, as a separate process: espeak-ng is GPL and is never
linked); a clause's punctuation is kept as a phoneme, the phonemes are Unicode-decomposed
(NFD) to single code points and mapped through the config's ``phoneme_id_map``, each followed
by the pad ``_``, between the sentence's ``^`` and ``$``. The model takes ``input`` (int64
[1, n]), ``input_lengths`` (int64 [1]), ``scales`` (float32 [noise, length, noise_w]) and, for
a voice of several speakers, ``sid`` (int64 [1]); it answers float audio [1, 1, samples] at the
config's sample rate. Sentences are synthesized one at a time and joined.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from krev.engines.providers import InvalidRequest, ProviderTimeout
from krev.engines.speech import SpeechUnavailable, speakable, speech_audio
from krev.engines.video import Speech

__all__ = ["PiperSpeech", "PiperVoiceConfig"]

BOS, EOS, PAD = "^", "$", "_"
_CLAUSE = re.compile(r"(?<=[.,;:!?])\s+")
_SENTENCE_ENDS = ".!?"
_CLAUSE_ENDS = ",;:"


class PiperVoiceConfig:
    """What Krev reads of a Piper voice's ``.onnx.json``."""

    def __init__(self, config: dict[str, Any]) -> None:
        try:
            self.sample_rate = int(config["audio"]["sample_rate"])
            self.phoneme_id_map: dict[str, list[int]] = {
                str(key): [int(i) for i in ids] for key, ids in config["phoneme_id_map"].items()
            }
            self.num_speakers = int(config.get("num_speakers", 1))
            self.phoneme_type = str(config.get("phoneme_type", "espeak"))
            self.espeak_voice = str(config.get("espeak", {}).get("voice", "en-us"))
            inference = config.get("inference", {})
            self.noise_scale = float(inference.get("noise_scale", 0.667))
            self.length_scale = float(inference.get("length_scale", 1.0))
            self.noise_w = float(inference.get("noise_w", 0.8))
            self.speaker_id_map: dict[str, int] = {
                str(k): int(v) for k, v in config.get("speaker_id_map", {}).items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidRequest(
                f"The Piper voice's config is not one Piper writes ({error})."
            ) from error
        if self.phoneme_type not in ("espeak", "text"):
            raise InvalidRequest(
                f"The Piper voice's phoneme type {self.phoneme_type!r} is not supported "
                "(espeak or text)."
            )
        for symbol in (BOS, EOS, PAD):
            if symbol not in self.phoneme_id_map:
                raise InvalidRequest(f"The Piper voice's phoneme_id_map has no {symbol!r}.")


class PiperSpeech:
    """``SpeechEngine`` (name ``piper``) over a local Piper voice.

    ``model_path``: the ``.onnx`` file; ``config_path``: its config (default: the model's path
    with ``.json`` added); ``speaker``: a speaker's id or name in a voice of several (default:
    the first); ``espeak_program``: the espeak-ng binary (default: found on PATH when first
    needed). Loads the model at once: build one per process."""

    name = "piper"

    def __init__(
        self,
        model_path: str | Path,
        config_path: str | Path | None = None,
        *,
        speaker: int | str | None = None,
        espeak_program: str | None = None,
        threads: int = 1,
        timeout: float = 60.0,
    ) -> None:
        import onnxruntime  # a dependency through rapidocr-onnxruntime; loaded only here

        model = Path(model_path)
        config_file = Path(config_path) if config_path else Path(f"{model}.json")
        for path, what in ((model, "model"), (config_file, "config")):
            if not path.is_file():
                raise SpeechUnavailable(f"The Piper voice's {what} file {str(path)!r} is missing.")
        try:
            raw = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidRequest(f"The Piper voice's config is not JSON ({error}).") from error
        self.config = PiperVoiceConfig(raw if isinstance(raw, dict) else {})
        self.speaker_id = self._speaker_id(speaker)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors for bad files
            raise InvalidRequest(f"The Piper voice's model cannot be loaded ({error}).") from error
        self._inputs = {item.name for item in self._session.get_inputs()}
        missing = {"input", "input_lengths", "scales"} - self._inputs
        if missing:
            raise InvalidRequest(
                f"The Piper voice's model lacks the inputs {', '.join(sorted(missing))}."
            )
        self.voice_name = model.name.removesuffix(".onnx")
        self.espeak_program = espeak_program
        self.timeout = timeout
        self._lock = threading.Lock()  # one inference at a time per session: bounded memory

    def __repr__(self) -> str:
        return f"PiperSpeech(voice={self.voice_name!r}, speaker={self.speaker_id!r})"

    def _speaker_id(self, speaker: int | str | None) -> int | None:
        if self.config.num_speakers <= 1:
            return None
        if speaker is None:
            return 0
        if isinstance(speaker, str) and not speaker.isdigit():
            if speaker not in self.config.speaker_id_map:
                raise InvalidRequest(f"The Piper voice has no speaker {speaker!r}.")
            return self.config.speaker_id_map[speaker]
        number = int(speaker)
        if not 0 <= number < self.config.num_speakers:
            raise InvalidRequest(
                f"The Piper voice has speakers 0-{self.config.num_speakers - 1} ({number} given)."
            )
        return number

    # --- text to phoneme ids -----------------------------------------------------------------

    def phonemize(self, text: str) -> list[list[str]]:
        """The text's phonemes, one list of single code points per sentence."""
        sentences: list[list[str]] = []
        current: list[str] = []
        for clause in _CLAUSE.split(speakable(text)):
            end = clause[-1] if clause[-1] in _SENTENCE_ENDS + _CLAUSE_ENDS else ""
            spoken = self._clause_phonemes(clause)
            if current and spoken and current[-1] != " ":
                current.append(" ")
            current += list(unicodedata.normalize("NFD", spoken))
            if end:
                current.append(end)
            if end and end in _CLAUSE_ENDS:
                current.append(" ")
            elif end:  # the sentence ends: Piper synthesizes each sentence on its own
                sentences.append(current)
                current = []
        if current:
            sentences.append(current)
        return [sentence for sentence in sentences if any(p.strip() for p in sentence)]

    def _clause_phonemes(self, clause: str) -> str:
        if self.config.phoneme_type == "text":
            return clause.rstrip(_SENTENCE_ENDS + _CLAUSE_ENDS).lower()
        binary = self.espeak_program or shutil.which("espeak-ng")
        if not binary:
            raise SpeechUnavailable(
                "Piper voices are phonemized by espeak-ng, which is not installed; install the "
                "Debian package espeak-ng (make setup-speech)."
            )
        command = [binary, "-q", "-x", "--ipa", "-b", "1", "-v", self.config.espeak_voice]
        try:
            result = subprocess.run(  # noqa: S603 - an argument list, no shell; text on stdin
                [*command, "--stdin"],
                input=clause.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            )
        except subprocess.TimeoutExpired as error:
            raise ProviderTimeout("espeak-ng did not phonemize the line in time.") from error
        except OSError as error:
            raise SpeechUnavailable(
                f"espeak-ng could not be started ({error.strerror})."
            ) from error
        if result.returncode != 0:
            said = " ".join(result.stderr.decode("utf-8", "replace").split())[:200]
            raise InvalidRequest(f"espeak-ng could not phonemize the line: {said}")
        # espeak-ng prints a line per clause it finds (an abbreviation's dot makes one)
        return " ".join(result.stdout.decode("utf-8", "replace").split())

    def phoneme_ids(self, phonemes: list[str]) -> list[int]:
        """A sentence's phonemes as the model's input: ``^``, each known phoneme followed by
        the pad, ``$``. Phonemes the voice does not know are left out, as Piper does."""
        id_map = self.config.phoneme_id_map
        ids = list(id_map[BOS])
        for phoneme in phonemes:
            if phoneme in id_map:
                ids += id_map[phoneme]
                ids += id_map[PAD]
        ids += id_map[EOS]
        return ids

    # --- synthesis ---------------------------------------------------------------------------

    def synthesize_ids(self, ids: list[int]) -> np.ndarray:
        """One sentence's audio (float, mono, at the config's sample rate)."""
        inputs: dict[str, np.ndarray] = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array(
                [self.config.noise_scale, self.config.length_scale, self.config.noise_w],
                dtype=np.float32,
            ),
        }
        if self.speaker_id is not None and "sid" in self._inputs:
            inputs["sid"] = np.array([self.speaker_id], dtype=np.int64)
        with self._lock:
            try:
                output = self._session.run(None, inputs)[0]
            except Exception as error:  # onnxruntime's own error types
                raise InvalidRequest(f"The Piper voice failed to synthesize ({error}).") from error
        return np.asarray(output, dtype=np.float64).reshape(-1)

    def speak(self, text: str) -> Speech:
        pieces = [
            self.synthesize_ids(self.phoneme_ids(sentence)) for sentence in self.phonemize(text)
        ]
        if not pieces:
            raise InvalidRequest("The line has nothing the Piper voice can say.")
        audio = speech_audio(np.concatenate(pieces), self.config.sample_rate)
        if audio.shape[0] == 0:
            raise InvalidRequest("The Piper voice spoke nothing audible for this line.")
        speaker = "" if self.speaker_id is None else f"#{self.speaker_id}"
        return Speech(audio, f"piper/{self.voice_name}{speaker}")
