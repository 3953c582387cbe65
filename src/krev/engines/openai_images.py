"""An ``ImageGenerator`` over an OpenAI-compatible Images API (OpenAI itself, Azure-style
gateways, self-hosted servers that speak the same protocol).

A text-only prompt is ``POST {base}/images/generations`` (JSON); a product scene is
``POST {base}/images/edits`` (multipart): the canvas with the products placed on it as
``image``, and as ``mask`` a PNG whose fully transparent pixels (alpha 0) mark where the model
paints, as the published edits endpoint defines it. Images come back as ``b64_json`` (the
bytes are handed on undecoded: the pipeline checks they are a whole image of the size asked)
or as a ``url`` (copied by the pipeline through the SSRF-safe fetcher, since such URLs
expire).

The provider's answers become the typed provider errors: 429 is rate limited (with its
``Retry-After``), 5xx and dropped connections are temporarily unavailable, a call past its
time is a timeout, a prompt the safety system refused is content refused, and any other 4xx
is an invalid request. Messages are for the user; the API key never appears in one.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import httpx
import numpy as np
from PIL import Image

from krev.engines.hosted import retry_after
from krev.engines.openai_errors import openai_error_code, openai_error_detail
from krev.engines.providers import (
    ContentRefused,
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    InvalidRequest,
    ProductCanvas,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)

__all__ = ["GPT_IMAGE_SIZES", "OpenAIImageGenerator", "canvas_pngs"]

GPT_IMAGE_SIZES: tuple[tuple[int, int], ...] = ((1024, 1024), (1536, 1024), (1024, 1536))
"""The sizes gpt-image models render: square, landscape 3:2, portrait 2:3."""

# Error codes OpenAI's safety system answers with: gpt-image models say
# "moderation_blocked", DALL-E models "content_policy_violation".
_REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
# Older answers carry no code, only this sentence ("...rejected as a result of our safety
# system", "...rejected by the safety system").
_REFUSAL_PHRASE = "safety system"


def canvas_pngs(canvas: ProductCanvas) -> tuple[bytes, bytes]:
    """The edits endpoint's ``image`` and ``mask``: the canvas as an RGB PNG, and an RGBA PNG
    of the same size, transparent (alpha 0) where the canvas mask says paint (>= 0.5) and
    opaque over the products."""
    picture = Image.fromarray(np.ascontiguousarray(canvas.image), "RGB")
    keep = np.where(canvas.mask >= 0.5, 0, 255).astype(np.uint8)
    height, width = keep.shape
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 3] = keep
    mask = Image.fromarray(rgba, "RGBA")
    return _png(picture), _png(mask)


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)  # speed over size: it is uploaded once
    return buffer.getvalue()


class OpenAIImageGenerator:
    """``ImageGenerator`` (id ``openai``) over ``{base_url}/images/generations`` and
    ``{base_url}/images/edits``.

    ``max_n`` is how many images one call may ask for (gpt-image models and most gateways take
    several; DALL-E 3 takes one); a request for more is split into several calls.
    ``transport`` lets embedders route requests without a network; by default httpx's own
    transport is used, without environment proxies (the base URL is operator configuration
    and means exactly what it says).
    """

    id = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str = "gpt-image-1",
        timeout: float = 120.0,
        sizes: tuple[tuple[int, int], ...] = GPT_IMAGE_SIZES,
        max_n: int = 1,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_n < 1:
            raise ValueError("max_n must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.sizes = sizes
        self.max_n = max_n
        # One client for the provider's life: it is thread-safe, keeps connections alive, and
        # building one (its TLS context) costs more than a fast provider's answer.
        self._client = httpx.Client(timeout=timeout, transport=transport, trust_env=False)
        self.capabilities = ImageCapabilities(
            text_only=True, product_scenes=True, max_count=max_n, sizes=sizes
        )

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"OpenAIImageGenerator(base_url={self.base_url!r}, model={self.model!r})"

    def generate(self, request: ImageGenerationRequest) -> list[GeneratedImage]:
        if request.count < 1:
            return []
        uploads = canvas_pngs(request.canvas) if request.canvas is not None else None
        images: list[GeneratedImage] = []
        while len(images) < request.count:
            n = min(self.max_n, request.count - len(images))
            images.extend(self._call(self._client, request, n, uploads))
        return images

    def close(self) -> None:
        self._client.close()

    def _call(
        self,
        client: httpx.Client,
        request: ImageGenerationRequest,
        n: int,
        uploads: tuple[bytes, bytes] | None,
    ) -> list[GeneratedImage]:
        size = f"{request.width}x{request.height}"
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            if uploads is None:
                response = client.post(
                    f"{self.base_url}/images/generations",
                    json={"model": self.model, "prompt": request.prompt, "n": n, "size": size},
                    headers=headers,
                )
            else:
                image, mask = uploads
                response = client.post(
                    f"{self.base_url}/images/edits",
                    data={"model": self.model, "prompt": request.prompt, "n": str(n), "size": size},
                    files={
                        "image": ("canvas.png", image, "image/png"),
                        "mask": ("mask.png", mask, "image/png"),
                    },
                    headers=headers,
                )
        except httpx.TimeoutException as error:
            raise ProviderTimeout(
                f"The image provider did not answer within {self.timeout:g} s."
            ) from error
        except httpx.HTTPError as error:
            raise TemporarilyUnavailable(
                f"The image provider could not be reached ({type(error).__name__})."
            ) from error
        if response.status_code != 200:
            raise self._error(response)
        return _images(response, n)

    def _error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        code = openai_error_code(response)
        detail = openai_error_detail(response, self._api_key)
        said = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429:
            return RateLimited(
                f"The image provider is rate limiting requests ({said}).",
                retry_after=retry_after(response),
            )
        if code in _REFUSAL_CODES or (status == 400 and _REFUSAL_PHRASE in detail.lower()):
            return ContentRefused(
                "The image provider's safety system refused this request; "
                "change the prompt or the product image and try again."
            )
        if status in (401, 403):
            return InvalidRequest(
                f"The image provider refused the server's API key (HTTP {status}); "
                "the operator must check KREV_OPENAI_IMAGES_API_KEY."
            )
        if status == 408:
            return ProviderTimeout(f"The image provider timed out ({said}).")
        if status == 409 or status >= 500:
            return TemporarilyUnavailable(
                f"The image provider is temporarily unavailable ({said}).",
                retry_after=retry_after(response),
            )
        return InvalidRequest(f"The image provider refused the request ({said}).")


def _images(response: httpx.Response, n: int) -> list[GeneratedImage]:
    """The ``data`` list of an images response: each item's ``b64_json`` bytes or ``url``."""
    try:
        body: Any = response.json()
        items = body["data"]
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidRequest(
            "The image provider's answer is not an Images API response."
        ) from error
    if not isinstance(items, list) or len(items) < n:
        count = len(items) if isinstance(items, list) else 0
        raise InvalidRequest(f"The image provider returned {count} images where {n} were asked.")
    images: list[GeneratedImage] = []
    for item in items[:n]:
        encoded = item.get("b64_json") if isinstance(item, dict) else None
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(encoded, str) and encoded:
            try:
                images.append(GeneratedImage(data=base64.b64decode(encoded, validate=True)))
            except (binascii.Error, ValueError) as error:
                raise InvalidRequest(
                    "The image provider returned an image that is not valid base64."
                ) from error
        elif isinstance(url, str) and url.startswith(("http://", "https://")):
            images.append(GeneratedImage(url=url))
        else:
            raise InvalidRequest("The image provider returned an item with no image.")
    return images
