"""What the hosted FLUX providers (fal, Replicate) share: the sizes FLUX renders, a product
canvas as the PNG data URIs a fill model reads, and one HTTP call that turns the provider's
answer into the typed provider errors. ``retry_after`` serves the OpenAI-compatible engines
too.

FLUX renders sizes in multiples of 16 at about one megapixel; Replicate's FLUX models take an
aspect ratio rather than pixels. Both adapters declare the same table of sizes (Replicate's
aspect ratios at one megapixel), so the pipeline asks for one of them and gets exactly it back;
it centre-crops to the output size itself.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import math
import time
from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
from PIL import Image

from krev.engines.providers import (
    InvalidRequest,
    ProductCanvas,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)

__all__ = [
    "FLUX_ASPECT_RATIOS",
    "FLUX_SIZES",
    "HostedAPI",
    "canvas_data_uris",
    "decode_job",
    "encode_job",
    "extra_input",
    "retry_after",
]

# Replicate's FLUX aspect ratios at one megapixel (replicate/cog-flux); fal renders the same
# pixels when asked for them. 21:9 and 9:21 are left out: 1536 is above the 1440 pixels
# Replicate's fill model accepts, so it would answer a smaller image than asked.
FLUX_ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "3:4": (896, 1152),
    "4:3": (1152, 896),
    "9:16": (768, 1344),
}
FLUX_SIZES: tuple[tuple[int, int], ...] = tuple(FLUX_ASPECT_RATIOS.values())

_MAX_DETAIL = 200


def _png_data_uri(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False, compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def canvas_data_uris(canvas: ProductCanvas, width: int, height: int) -> tuple[str, str]:
    """The canvas and its mask as PNG data URIs of ``width`` x ``height``: the image, and a
    black-and-white mask that is white where the model paints (FLUX.1 Fill's convention,
    as ours: 1.0 where the provider paints)."""
    image = Image.fromarray(np.ascontiguousarray(canvas.image), "RGB")
    mask = Image.fromarray((np.clip(canvas.mask, 0.0, 1.0) >= 0.5).astype(np.uint8) * 255, "L")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    if mask.size != (width, height):
        mask = mask.resize((width, height), Image.Resampling.NEAREST)
    return _png_data_uri(image), _png_data_uri(mask)


def extra_input(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Extra model inputs from the settings; they may add inputs (a LoRA, steps, guidance) but
    never replace the ones this adapter sets from the request."""
    return dict(raw or {})


def encode_job(**fields: Any) -> str:
    """A provider job id that carries everything a poll or cancel needs, so a worker that
    restarts finds the job again from the id alone."""
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)


def decode_job(job_id: str, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        fields = json.loads(job_id)
    except ValueError:
        fields = None
    if not isinstance(fields, dict) or any(not fields.get(name) for name in required):
        raise InvalidRequest("The hosted job id is not one this provider issued.")
    return fields


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the provider asked to wait: OpenAI's ``retry-after-ms``, else ``Retry-After``
    as seconds or an HTTP date; None when there is none or it is not a finite, non-negative
    number of seconds."""
    milliseconds = _seconds(response.headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return _seconds(value)


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class HostedAPI:
    """One hosted provider's HTTP API: its name for messages, its credential, its timeout.

    ``transport`` lets embedders route requests; by default httpx's own, without environment
    proxies (the base URL is operator configuration and means exactly what it says)."""

    def __init__(
        self,
        name: str,
        authorization: str,
        secret: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._authorization = authorization
        self._secret = secret
        self.timeout = timeout
        self._transport = transport

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"HostedAPI({self.name!r})"

    def call(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """The provider's answer; transport failures become typed errors, HTTP statuses are
        the caller's to read (see ``refusal``)."""
        sent = {"Authorization": self._authorization, "Accept": "application/json"}
        sent.update(headers or {})
        allowed = self.timeout if timeout is None else timeout
        try:
            with httpx.Client(
                timeout=allowed, transport=self._transport, trust_env=False
            ) as client:
                return client.request(method, url, json=json_body, headers=sent)
        except httpx.TimeoutException as error:
            raise ProviderTimeout(f"{self.name} did not answer within {allowed:g} s.") from error
        except httpx.HTTPError as error:
            raise TemporarilyUnavailable(
                f"{self.name} could not be reached ({type(error).__name__})."
            ) from error

    def detail(self, response: httpx.Response, message: str | None) -> str:
        """``message`` from the provider's error body, trimmed, with the key cut out (some
        providers quote what they were sent)."""
        if not message:
            return ""
        text = " ".join(message.split()).replace(self._secret, "[redacted]")
        return ": " + text[:_MAX_DETAIL].rstrip(".")

    def refusal(self, response: httpx.Response, message: str | None) -> ProviderError:
        """The typed error for an HTTP answer that is not a success, by status; providers
        refine content refusals before calling this."""
        status = response.status_code
        said = self.detail(response, message)
        if status == 429:
            return RateLimited(
                f"{self.name} is rate limiting requests{said}.", retry_after=retry_after(response)
            )
        if status in (401, 403):
            return InvalidRequest(
                f"{self.name} refused this server's API key (HTTP {status}); the operator "
                "must set a valid one."
            )
        if status >= 500 or status == 408:
            return TemporarilyUnavailable(
                f"{self.name} is unavailable (HTTP {status}){said}.",
                retry_after=retry_after(response),
            )
        return InvalidRequest(f"{self.name} refused the request (HTTP {status}){said}.")
