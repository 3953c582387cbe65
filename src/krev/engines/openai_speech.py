"""A voice behind an OpenAI-compatible speech API (``KREV_SPEECH_ENGINE=openai``): OpenAI's
``POST {base}/audio/speech``, which local servers (Kokoro-FastAPI, LocalAI, openedai-speech)
speak as well. Krev asks for ``response_format: "wav"`` and reads the PCM WAV back itself."""

from __future__ import annotations

import httpx

from krev.engines.hosted import retry_after
from krev.engines.openai_errors import openai_error_detail
from krev.engines.providers import (
    ContentRefused,
    InvalidRequest,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)
from krev.engines.speech import decode_wav, speakable, speech_audio
from krev.engines.video import Speech

__all__ = ["OpenAISpeech"]

_MAX_AUDIO_BYTES = 50 * 1024 * 1024  # a spoken line is well under a megabyte


class OpenAISpeech:
    """``SpeechEngine`` (name ``openai``) over ``POST {base_url}/audio/speech``.

    ``transport`` lets tests and embedders route requests without a network; by default httpx's
    own, without environment proxies (the base URL is operator configuration)."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        voice: str = "alloy",
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.voice = voice
        self._api_key = api_key
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, transport=transport, trust_env=False)

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"OpenAISpeech(base_url={self.base_url!r}, model={self.model!r})"

    def close(self) -> None:
        self._client.close()

    def speak(self, text: str) -> Speech:
        body = {
            "model": self.model,
            "voice": self.voice,
            "input": speakable(text),
            "response_format": "wav",
        }
        headers = {"Accept": "audio/wav"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            with self._client.stream(
                "POST", f"{self.base_url}/audio/speech", json=body, headers=headers
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._error(response)
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > _MAX_AUDIO_BYTES:
                        raise InvalidRequest("The speech API answered more audio than a line.")
        except httpx.TimeoutException as error:
            raise ProviderTimeout(
                f"The speech API did not answer within {self.timeout:g} s."
            ) from error
        except httpx.HTTPError as error:
            raise TemporarilyUnavailable(
                f"The speech API could not be reached ({type(error).__name__})."
            ) from error
        samples, rate = decode_wav(bytes(data))
        audio = speech_audio(samples, rate)
        if audio.shape[0] == 0:
            raise InvalidRequest("The speech API answered silence for this line.")
        return Speech(audio, f"openai/{self.model}/{self.voice}")

    def _error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        detail = openai_error_detail(response, self._api_key)
        said = f"HTTP {status}" + (f": {detail}" if detail else "")
        wait = retry_after(response)
        if status == 429:
            return RateLimited(
                f"The speech API is rate limiting requests ({said}).", retry_after=wait
            )
        if status in (401, 403):
            return InvalidRequest(
                f"The speech API refused the server's API key (HTTP {status}); the operator "
                "must check KREV_LLM_API_KEY."
            )
        if status == 408:
            return ProviderTimeout(f"The speech API timed out ({said}).")
        if status == 409 or status >= 500:
            return TemporarilyUnavailable(
                f"The speech API is temporarily unavailable ({said}).", retry_after=wait
            )
        if "content_policy" in detail.lower() or "safety" in detail.lower():
            return ContentRefused(f"The speech API's safety system refused the line ({said}).")
        return InvalidRequest(f"The speech API refused the request ({said}).")
