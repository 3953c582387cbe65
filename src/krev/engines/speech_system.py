"""The embedded voice (``KREV_SPEECH_ENGINE=system``): Debian's ``flite`` or ``espeak-ng``,
run as a separate program for each line.

espeak-ng is GPL (flite BSD-style): Krev imports or links neither, it starts the installed
binary with an argument list (no shell) and the text on its standard input, and reads back the
WAV file the program writes into a private temporary directory. Neither is a Python dependency: on a
machine without them the engine says it is unavailable (``SpeechUnavailable``) and videos get
captions without a voice; ``make setup-speech`` installs them.

flite is preferred when both are there: its ``slt`` voice (16 kHz, a clear US English woman's
voice) sounds less robotic than espeak-ng's formant synthesis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from krev.engines.providers import InvalidRequest, ProviderTimeout
from krev.engines.speech import SpeechUnavailable, decode_wav, speakable, speech_audio
from krev.engines.video import Speech

__all__ = ["PROGRAMS", "SystemSpeech", "find_program"]

# The programs, in order of preference, each with its default voice and Debian package.
PROGRAMS: dict[str, tuple[str, str]] = {
    "flite": ("slt", "flite"),
    "espeak-ng": ("en-us", "espeak-ng"),
}
_MAX_STDERR = 200


def find_program(program: str | None = None, path: str | None = None) -> tuple[str, str] | None:
    """(name, absolute path) of ``program`` (``flite`` or ``espeak-ng``), or of the first of
    them installed when None; None when it is not on ``path`` (default: PATH)."""
    names = [program] if program else list(PROGRAMS)
    for name in names:
        if name not in PROGRAMS:
            raise ValueError(f"unknown speech program {name!r}; one of {', '.join(PROGRAMS)}")
        found = shutil.which(name, path=path)
        if found:
            return name, found
    return None


class SystemSpeech:
    """``SpeechEngine`` (name ``system``) over an installed ``flite`` or ``espeak-ng``.

    ``program``: which one (None: flite, else espeak-ng); ``voice``: the program's voice name
    (None: ``slt`` for flite, ``en-us`` for espeak-ng); ``path``: where to look for the
    programs (default: PATH), looked up at each call so installing one needs no restart."""

    name = "system"

    def __init__(
        self,
        program: str | None = None,
        voice: str | None = None,
        *,
        timeout: float = 60.0,
        path: str | None = None,
    ) -> None:
        if program is not None and program not in PROGRAMS:
            raise ValueError(f"unknown speech program {program!r}; one of {', '.join(PROGRAMS)}")
        self.program = program
        self.voice = voice
        self.timeout = timeout
        self.path = path
        self._voices_seen: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"SystemSpeech(program={self.program!r}, voice={self.voice!r})"

    def available(self) -> bool:
        return find_program(self.program, self.path) is not None

    def unavailable_reason(self) -> str | None:
        """Why this machine cannot speak (a sentence naming the package), or None."""
        if self.available():
            return None
        wanted = [self.program] if self.program else list(PROGRAMS)
        packages = " or ".join(PROGRAMS[name][1] for name in wanted)
        return (
            f"No speech program is installed ({' or '.join(wanted)}); install the Debian "
            f"package {packages} (make setup-speech) for a spoken voice-over."
        )

    def speak(self, text: str) -> Speech:
        line = speakable(text)
        found = find_program(self.program, self.path)
        if found is None:
            raise SpeechUnavailable(self.unavailable_reason() or "No speech program.")
        name, binary = found
        voice = self.voice or PROGRAMS[name][0]
        if name == "flite":
            self._check_flite_voice(binary, voice)
        with tempfile.TemporaryDirectory(prefix="krev-speech-") as directory:
            out = Path(directory) / "speech.wav"
            if name == "flite":
                # flite has no stdin switch; /dev/stdin is a file it can open
                command = [binary, "-voice", voice, "-f", "/dev/stdin", "-o", str(out)]
            else:
                command = [binary, "-v", voice, "-b", "1", "-w", str(out), "--stdin"]
            self._run(name, command, line)
            try:
                data = out.read_bytes()
            except FileNotFoundError:
                raise InvalidRequest(f"{name} wrote no audio for this line.") from None
        samples, rate = decode_wav(data)
        audio = speech_audio(samples, rate)
        if audio.shape[0] == 0:
            raise InvalidRequest(f"{name} spoke nothing audible for this line.")
        return Speech(audio, f"{name}/{voice}")

    def _check_flite_voice(self, binary: str, voice: str) -> None:
        # flite speaks an unknown voice name in its default 8 kHz voice without a word; a
        # voice that is not built in (nor a .flitevox file) is refused instead.
        if "/" in voice or voice.endswith(".flitevox") or (binary, voice) in self._voices_seen:
            return
        listing = self._run("flite", [binary, "-lv"], "")
        voices = listing.removeprefix("Voices available:").split()
        if voice not in voices:
            raise InvalidRequest(
                f"flite has no voice {voice!r}; it has {', '.join(voices) or 'none'}."
            )
        self._voices_seen.add((binary, voice))

    def _run(self, name: str, command: list[str], text: str) -> str:
        """Run the program; its standard output."""
        # A locale-free environment: the programs read UTF-8 text (espeak-ng's -b 1) and need
        # nothing else of the server's environment.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        try:
            result = subprocess.run(  # noqa: S603 - an argument list, no shell; text on stdin
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired as error:
            raise ProviderTimeout(
                f"{name} did not finish speaking within {self.timeout:g} s."
            ) from error
        except OSError as error:
            raise SpeechUnavailable(f"{name} could not be started ({error.strerror}).") from error
        if result.returncode != 0:
            said = " ".join(result.stderr.decode("utf-8", "replace").split())[:_MAX_STDERR]
            raise InvalidRequest(
                f"{name} failed (exit status {result.returncode})" + (f": {said}" if said else ".")
            )
        return result.stdout.decode("utf-8", "replace")
