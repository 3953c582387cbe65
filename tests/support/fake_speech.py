"""A local stand-in for an OpenAI-compatible speech API, on 127.0.0.1.

It speaks the published format (``POST /v1/audio/speech`` with ``model``, ``voice``, ``input``
and ``response_format`` -> the audio file's bytes; errors as ``{"error": {"message", "type",
"code"}}``), refuses requests without the expected Bearer key (401) or without those fields
(400), and answers a 16-bit PCM WAV at 24 kHz, as OpenAI's ``wav`` format is, whose length
grows with the input (``SECONDS_PER_CHAR``): a tone gliding across the line, so the audio is
not silence. A test may script a failure instead:

    with FakeSpeechAPI(api_key="sk-test") as api:
        api.fail(503)               # an OpenAI-style error with that status
        api.reply(b"not a wav")     # a 200 whose body is not audio
        api.streamed()              # a WAV whose header gives no sizes (written as a stream)
        api.requests                # the JSON bodies it received
"""

from __future__ import annotations

import io
import json
import struct
import wave
from http.server import BaseHTTPRequestHandler
from typing import Any

import numpy as np

from tests.support.local_http import LocalHTTPServer

RATE = 24_000
SECONDS_PER_CHAR = 0.06


def spoken_wav(text: str, *, streamed: bool = False) -> bytes:
    seconds = 0.3 + SECONDS_PER_CHAR * len(text)
    t = np.arange(int(seconds * RATE)) / RATE
    hz = 180 + 60 * np.sin(2 * np.pi * 3 * t)  # a voice-like glide
    tone = 0.4 * np.sin(2 * np.pi * np.cumsum(hz) / RATE) * np.minimum(1, t / 0.02)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((tone * 32767).astype("<i2").tobytes())
    data = bytearray(buffer.getvalue())
    if streamed:  # sizes unknown when the header was written: 0xFFFFFFFF, as streamers write
        data[4:8] = struct.pack("<I", 0xFFFFFFFF)
        data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


class FakeSpeechAPI(LocalHTTPServer):
    def __init__(self, api_key: str = "sk-test-fake-key") -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self._status = 200
        self._body: bytes | None = None
        self._streamed = False
        super().__init__(_handler_for(self), name="fake-speech")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def fail(self, status: int) -> None:
        self._status = status

    def reply(self, body: bytes) -> None:
        self._status, self._body = 200, body

    def streamed(self) -> None:
        self._streamed = True


_COMPLAINTS: dict[int, tuple[str, str]] = {
    429: ("Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error"),
    503: ("The server is overloaded.", "server_error"),
}


def _handler_for(fake: FakeSpeechAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/audio/speech":
                return self._error(404, f"Unknown path {self.path}", "invalid_request_error")
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                return self._error(401, "Incorrect API key provided.", "invalid_api_key")
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(400, "Invalid JSON.", "invalid_request_error")
            text = body.get("input") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text or not body.get("model"):
                return self._error(400, "input and model are required.", "invalid_request_error")
            if body.get("voice") not in ("alloy", "nova", "verse"):
                return self._error(400, f"Unknown voice {body.get('voice')!r}.", "invalid_value")
            if body.get("response_format") != "wav":
                return self._error(400, "This test server answers wav only.", "invalid_value")
            fake.requests.append(body)
            if fake._status != 200:
                message, code = _COMPLAINTS.get(fake._status, ("Bad request.", "invalid_request"))
                return self._error(fake._status, message, code)
            data = (
                fake._body if fake._body is not None else spoken_wav(text, streamed=fake._streamed)
            )
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None

        def _error(self, status: int, message: str, code: str) -> None:
            data = json.dumps(
                {"error": {"message": message, "type": code, "param": None, "code": code}}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
