"""A local stand-in for an OpenAI-compatible Images API, on 127.0.0.1.

It speaks the published protocol: ``POST /v1/images/generations`` (JSON: model, prompt, n,
size) and ``POST /v1/images/edits`` (multipart: image, mask, model, prompt, n, size), answering
``{"created", "data": [{"b64_json"} | {"url"}]}`` and errors as
``{"error": {"message", "type", "param", "code"}}``. It refuses a missing or wrong Bearer key
(401), a size it does not render, an ``n`` out of range, and edits whose image or mask is not
a PNG of the requested size or whose mask has no alpha channel (400).

The images it makes are real PNGs of the size asked: a smooth pattern seeded by the prompt;
for an edit, the uploaded image's pixels are kept wherever the mask is opaque (alpha > 0) and
painted over where it is transparent, as an inpainting model does. Served as URLs, they are
fetched from this same server (``GET /files/<name>.png``).

Tests script what the next requests meet, in order, then it answers normally again:

    with FakeOpenAIImages(api_key="sk-test") as fake:
        fake.script(RateLimit(retry_after=1), Fail(500))   # the next two calls
        fake.always(Refuse())                             # every call from now on
        fake.deliver = "url"                              # answer with URLs instead of b64_json
        fake.requests                                     # what it received, decoded
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import io
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from tests.support.local_http import LocalHTTPServer

GPT_IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536")


# --- what a request may meet --------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """429 with ``Retry-After`` (seconds), OpenAI's rate-limit error body."""

    retry_after: float | None = 1


@dataclass(frozen=True)
class Fail:
    """An OpenAI-style error with this status (500, 503, 400, 404, ...)."""

    status: int = 500
    code: str | None = "server_error"
    message: str = "The server had an error while processing your request."


@dataclass(frozen=True)
class Refuse:
    """The safety system's refusal: 400, ``code`` as gpt-image (``moderation_blocked``) or
    DALL-E (``content_policy_violation``) models answer."""

    code: str | None = "moderation_blocked"


@dataclass(frozen=True)
class Hold:
    """Keep the request waiting (recorded) until ``release`` or the server stops, then answer
    normally: a slow provider, for timeouts."""


@dataclass(frozen=True)
class WrongSize:
    """A real PNG, but not the size asked (half of each side)."""


@dataclass(frozen=True)
class NotAnImage:
    """``b64_json`` (or the URL's body) that decodes to text, not an image."""


@dataclass(frozen=True)
class Truncated:
    """A PNG cut off halfway."""


@dataclass(frozen=True)
class ExpiredURL:
    """A URL that answers 404 when fetched (the provider's URL expired)."""


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Outcome = RateLimit | Fail | Refuse | Hold | WrongSize | NotAnImage | Truncated | ExpiredURL | Drop


# --- what it saw ----------------------------------------------------------------------------


@dataclass
class SeenImageRequest:
    endpoint: Literal["generations", "edits"]
    authorization: str | None
    fields: dict[str, Any]
    """The JSON body, or the multipart form's text fields."""
    image: npt.NDArray[np.uint8] | None = None
    """The edit's uploaded image, decoded to RGB."""
    image_format: str | None = None
    mask_alpha: npt.NDArray[np.uint8] | None = None
    """The edit's mask's alpha channel (0: paint here)."""
    mask_format: str | None = None
    mask_mode: str | None = None
    outcome: str = "ok"


@dataclass
class _Files:
    """PNG bytes served at ``/files/<name>.png`` (URL delivery)."""

    by_name: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- the server ---------------------------------------------------------------------------


class FakeOpenAIImages(LocalHTTPServer):
    def __init__(
        self,
        api_key: str | None = "sk-test-fake-images-key",
        host: str = "127.0.0.1",
        sizes: tuple[str, ...] = GPT_IMAGE_SIZES,
        max_n: int = 10,
    ) -> None:
        self.api_key = api_key
        self.sizes = sizes
        self.max_n = max_n
        self.deliver: Literal["b64_json", "url"] = "b64_json"
        self.requests: list[SeenImageRequest] = []
        self.rejected: list[tuple[int, str]] = []  # (status, message) of malformed requests
        self.fetched: list[str] = []  # paths of GET /files/... requests
        self._lock = threading.Lock()
        self._script: deque[Outcome] = deque()
        self._always: Outcome | None = None
        self._files = _Files()
        self._released = threading.Event()
        self._arrived = threading.Event()
        super().__init__(_handler_for(self), host=host, name="fake-openai-images")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *outcomes: Outcome) -> None:
        """What the next requests meet, one each, in order."""
        with self._lock:
            if any(isinstance(outcome, Hold) for outcome in outcomes):
                self._arrived.clear()
                self._released.clear()
            self._script.extend(outcomes)

    def always(self, outcome: Outcome | None) -> None:
        """What every request meets once the script is used up (None: success)."""
        with self._lock:
            if isinstance(outcome, Hold):
                self._arrived.clear()
                self._released.clear()
            self._always = outcome

    def release(self) -> None:
        """Let held requests answer."""
        self._released.set()

    def wait_for_request(self, timeout: float = 120.0) -> bool:
        """Whether a held request arrived (tests poll rather than sleep blindly)."""
        return self._arrived.wait(timeout)

    def before_stop(self) -> None:
        self._released.set()

    def _next_outcome(self) -> Outcome | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
            return self._always

    def _serve_file(self, png: bytes) -> str:
        with self._files.lock:
            name = f"img-{len(self._files.by_name)}-{hashlib.sha1(png).hexdigest()[:12]}"
            self._files.by_name[name] = png
        return f"http://{self.host}:{self.port}/files/{name}.png"


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


# --- images it makes ----------------------------------------------------------------------


def pattern(prompt: str, width: int, height: int, index: int) -> npt.NDArray[np.uint8]:
    """A smooth colored pattern, the same for the same prompt and index."""
    digest = hashlib.sha256(f"{index}:{prompt}".encode()).digest()
    base = np.array(list(digest[:3]), dtype=np.float32)
    other = np.array(list(digest[3:6]), dtype=np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (xs / max(width - 1, 1) + ys / max(height - 1, 1)) / 2
    wave = (np.sin(xs / (17 + digest[6] % 23)) * np.cos(ys / (19 + digest[7] % 29)) + 1) / 2
    mix = (0.8 * t + 0.2 * wave)[..., None]
    return (base * (1 - mix) + other * mix).clip(0, 255).astype(np.uint8)


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _decode(data: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:
        raise BadRequest(f"Invalid image file for '{what}': {error}", what) from error
    return image


# --- multipart (the email parser reads multipart/form-data as MIME) ----------------------------


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise BadRequest("Expected a multipart/form-data body.")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields[name] = data.decode()
    return fields, files


# --- the handler ----------------------------------------------------------------------------


def _handler_for(fake: FakeOpenAIImages) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            fake.fetched.append(self.path)
            name = self.path.removeprefix("/files/").removesuffix(".png")
            with fake._files.lock:
                png = fake._files.by_name.get(name)
            if not self.path.startswith("/files/") or png is None:
                return self._error(404, "Not found.", "not_found")
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            endpoint: Literal["generations", "edits"]
            if self.path == "/v1/images/generations":
                endpoint = "generations"
            elif self.path == "/v1/images/edits":
                endpoint = "edits"
            else:
                return self._reject(404, f"Unknown path {self.path}", "not_found")
            authorization = self.headers.get("Authorization")
            if fake.api_key is not None and authorization != f"Bearer {fake.api_key}":
                return self._reject(
                    401, "Incorrect API key provided: sk-...redacted.", "invalid_api_key"
                )
            try:
                seen = self._parse(endpoint, raw, authorization)
                width, height, n = self._validate(seen)
            except BadRequest as error:
                return self._reject(400, error.message, "invalid_request_error", error.param)
            fake.requests.append(seen)
            outcome = fake._next_outcome()
            seen.outcome = type(outcome).__name__ if outcome is not None else "ok"
            if isinstance(outcome, Hold):
                fake._arrived.set()
                fake._released.wait()
                if fake._stopping.is_set():
                    return None
                outcome = None
            if isinstance(outcome, Drop):
                self.close_connection = True
                self.connection.close()
                return None
            if isinstance(outcome, RateLimit):
                headers = {}
                if outcome.retry_after is not None:
                    headers["Retry-After"] = f"{outcome.retry_after:g}"
                return self._error(
                    429,
                    "Rate limit reached for images per minute. Please try again later.",
                    "rate_limit_exceeded",
                    headers=headers,
                )
            if isinstance(outcome, Fail):
                return self._error(outcome.status, outcome.message, outcome.code)
            if isinstance(outcome, Refuse):
                return self._error(
                    400,
                    "Your request was rejected by the safety system. safety_violations=[sexual].",
                    outcome.code,
                )
            items = [self._item(seen, width, height, index, outcome) for index in range(n)]
            self._json(200, {"created": int(time.time()), "data": items})
            return None

        def _parse(self, endpoint: str, raw: bytes, authorization: str | None) -> SeenImageRequest:
            if endpoint == "generations":
                try:
                    body = json.loads(raw)
                except ValueError as error:
                    raise BadRequest(f"We could not parse the JSON body: {error}") from error
                if not isinstance(body, dict):
                    raise BadRequest("The body must be a JSON object.")
                return SeenImageRequest("generations", authorization, body)
            fields, files = _multipart(self.headers.get("Content-Type", ""), raw)
            seen = SeenImageRequest("edits", authorization, dict(fields))
            if "image" not in files:
                raise BadRequest("Missing required parameter: 'image'.", "image")
            image = _decode(files["image"], "image")
            seen.image_format = image.format
            seen.image = np.asarray(image.convert("RGB"), dtype=np.uint8)
            if "mask" in files:
                mask = _decode(files["mask"], "mask")
                seen.mask_format, seen.mask_mode = mask.format, mask.mode
                if mask.mode not in ("RGBA", "LA", "PA"):
                    raise BadRequest("Invalid mask image: the mask must have an alpha channel.")
                if mask.size != image.size:
                    raise BadRequest(
                        "Invalid mask image: the mask must have the same dimensions as the image.",
                        "mask",
                    )
                seen.mask_alpha = np.asarray(mask.getchannel("A"), dtype=np.uint8)
            return seen

        def _validate(self, seen: SeenImageRequest) -> tuple[int, int, int]:
            fields = seen.fields
            prompt = fields.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                raise BadRequest("Missing required parameter: 'prompt'.", "prompt")
            if not isinstance(fields.get("model"), str):
                raise BadRequest("Missing required parameter: 'model'.", "model")
            size = fields.get("size", "1024x1024")
            if size not in fake.sizes:
                raise BadRequest(
                    f"Invalid value: '{size}'. Supported values are: "
                    + ", ".join(f"'{s}'" for s in fake.sizes),
                    "size",
                )
            try:
                n = int(fields.get("n", 1))
            except (TypeError, ValueError) as error:
                raise BadRequest("Invalid type for 'n': expected an integer.", "n") from error
            if not 1 <= n <= fake.max_n:
                raise BadRequest(f"Invalid 'n': must be between 1 and {fake.max_n}.", "n")
            width, height = (int(side) for side in size.split("x"))
            if seen.image_format is not None:
                if seen.image_format != "PNG" or seen.mask_format not in (None, "PNG"):
                    raise BadRequest("Invalid image file: expected PNG.", "image")
                assert seen.image is not None
                if seen.image.shape[:2] != (height, width):
                    raise BadRequest(
                        f"The image is {seen.image.shape[1]}x{seen.image.shape[0]}, "
                        f"not the requested {size}.",
                        "image",
                    )
            return width, height, n

        def _item(
            self,
            seen: SeenImageRequest,
            width: int,
            height: int,
            index: int,
            outcome: Outcome | None,
        ) -> dict[str, str]:
            pixels = pattern(str(seen.fields["prompt"]), width, height, index)
            if seen.image is not None:
                keep = (
                    seen.mask_alpha > 0
                    if seen.mask_alpha is not None
                    else np.zeros((height, width), bool)
                )
                pixels = np.where(keep[..., None], seen.image, pixels).astype(np.uint8)
            if isinstance(outcome, WrongSize):
                pixels = pattern(str(seen.fields["prompt"]), width // 2, height // 2, index)
            png = encode_png(pixels)
            if isinstance(outcome, NotAnImage):
                png = b"<html><body>Image generation finished.</body></html>"
            elif isinstance(outcome, Truncated):
                png = png[: len(png) // 2]
            deliver = str(seen.fields.get("response_format") or fake.deliver)
            if isinstance(outcome, ExpiredURL):
                return {"url": f"http://{fake.host}:{fake.port}/files/expired-{index}.png"}
            if deliver == "url":
                return {"url": fake._serve_file(png)}
            return {"b64_json": base64.b64encode(png).decode()}

        def _reject(
            self, status: int, message: str, code: str | None, param: str | None = None
        ) -> None:
            """A request the real API would refuse as malformed (recorded for assertions)."""
            fake.rejected.append((status, message))
            self._error(status, message, code, param)

        def _error(
            self,
            status: int,
            message: str,
            code: str | None,
            param: str | None = None,
            headers: dict[str, str] | None = None,
        ) -> None:
            kind = "invalid_request_error" if status < 500 else "server_error"
            body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
            self._json(status, body, headers)

        def _json(
            self, status: int, obj: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
