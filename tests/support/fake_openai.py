"""A local stand-in for an OpenAI-compatible chat-completions API, on 127.0.0.1.

It speaks the published format (``POST /v1/chat/completions`` -> a ``chat.completion`` object,
errors as ``{"error": {"message", "type", "code"}}``), refuses requests without the expected
Bearer key (401; ``api_key=None`` is a local server that takes any, as Ollama does), without
messages, or without ``response_format: json_object`` unless the request offers ``tools`` (400),
decodes an image part when there is one (a vision request; a text-only request such as the
copywriter's has none), and answers what the test scripted:

    with FakeOpenAI(api_key="sk-test") as llm:
        llm.answer({"brandName": "Aura", ...})   # content = that object as JSON
        llm.answer({...}, finish_reason="length")  # an answer the model did not finish
        llm.fail(503)                            # an OpenAI-style error with that status
        llm.fail(429, retry_after=2)             # rate limited, with Retry-After
        llm.reply_text("not json")               # content that is not JSON
        llm.hold()                               # keep requests waiting until release()
        llm.requests                             # what it received, decoded

An agent's tool loop is scripted as a queue of answers, one per request, in order; once the
queue is empty the answer set above (``answer``, ``reply_text``, ``fail``) is given again:

    llm.queue_tool_calls(("list_products", {"limit": 3}), ("check_credits", "{not json"))
    llm.queue_text("Here are three concepts.")
    llm.queue_failure(500)
    llm.requests[1].messages                     # the tool results sent back (role "tool")
"""

from __future__ import annotations

import base64
import collections
import io
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image

from tests.support.local_http import LocalHTTPServer


@dataclass(frozen=True)
class SeenCompletion:
    body: dict[str, Any]
    authorization: str | None
    image_format: str | None  # what the image part decoded as: "JPEG", "PNG", "WEBP"
    image_size: tuple[int, int] | None  # None: a text-only request

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The ``tools`` the request offered: ``{"type": "function", "function": ...}`` each."""
        return list(self.body.get("tools") or [])


@dataclass(frozen=True)
class _Scripted:
    """One queued answer: an assistant message, or an error status."""

    message: dict[str, Any] | None
    finish_reason: str = "stop"
    status: int = 200
    hold: bool = False


class FakeOpenAI(LocalHTTPServer):
    def __init__(self, api_key: str | None = "sk-test-fake-key", host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.requests: list[SeenCompletion] = []
        self.rejected: list[tuple[int, str]] = []  # (status, reason) of refused requests
        self._script: collections.deque[_Scripted] = collections.deque()
        self._script_lock = threading.Lock()
        self._tool_call_ids = itertools.count(1)
        self._content: str = json.dumps({})
        self._status = 200
        self._retry_after: float | None = None
        self._finish_reason = "stop"
        self._held = threading.Event()
        self._held.set()
        self._arrived = threading.Event()
        super().__init__(_handler_for(self), host=host, name="fake-openai")

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def answer(self, obj: dict[str, Any], *, finish_reason: str = "stop") -> None:
        self._status, self._content = 200, json.dumps(obj)
        self._finish_reason = finish_reason

    def reply_text(self, content: str) -> None:
        self._status, self._content, self._finish_reason = 200, content, "stop"

    def fail(self, status: int, *, retry_after: float | None = None) -> None:
        self._status, self._retry_after = status, retry_after

    def queue_tool_calls(self, *calls: tuple[str, dict[str, Any] | str]) -> list[str]:
        """Queue an answer that calls tools, in order: ``(name, arguments)``, the arguments as an
        object (sent as its JSON) or as the exact string the model wrote (malformed JSON, say).
        Returns the ``tool_call_id``s, for finding the results sent back."""
        tool_calls: list[dict[str, Any]] = [
            {
                "id": f"call_{next(self._tool_call_ids)}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for name, arguments in calls
        ]
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        self._queue(_Scripted(message, finish_reason="tool_calls"))
        return [call["id"] for call in tool_calls]

    def queue_text(self, content: str, *, finish_reason: str = "stop") -> None:
        """Queue a plain text answer (an agent's final reply)."""
        self._queue(_Scripted({"role": "assistant", "content": content}, finish_reason))

    def queue_failure(self, status: int) -> None:
        """Queue an OpenAI-style error answer with that status."""
        self._queue(_Scripted(None, status=status))

    def queue_hold(self) -> None:
        """Queue a hold: the request that reaches it is recorded and waits until ``release``
        (``wait_for_request`` sees it arrive), then gets the next queued answer."""
        self._queue(_Scripted(None, hold=True))

    def _queue(self, answer: _Scripted) -> None:
        with self._script_lock:
            self._script.append(answer)

    def _next_scripted(self) -> _Scripted | None:
        with self._script_lock:
            return self._script.popleft() if self._script else None

    def hold(self) -> None:
        """Requests wait (after being recorded) until ``release`` or the server stops."""
        self._arrived.clear()
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    def wait_for_request(self, timeout: float = 120.0) -> bool:
        """Whether a request arrived while held (tests poll instead of sleeping blindly)."""
        return self._arrived.wait(timeout)

    def before_stop(self) -> None:
        self._held.set()


def _image_part(body: dict[str, Any]) -> tuple[str | None, tuple[int, int] | None]:
    """Decode the data-URL image part of the last user message; (None, None) when there is
    none, ValueError when one is not a base64 image."""
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        raise ValueError("messages must be a non-empty list")
    for message in body.get("messages", []):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = part["image_url"]["url"]
                header, _, payload = url.partition(",")
                if not header.startswith("data:image/") or not header.endswith(";base64"):
                    raise ValueError("image_url must be a base64 data URL")
                with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as image:
                    image.load()
                    return str(image.format), image.size
    return None, None


# What OpenAI says with each status (https://platform.openai.com/docs/guides/error-codes).
_OVERLOADED = ("The server is overloaded.", "server_error")
_COMPLAINTS: dict[int, tuple[str, str]] = {
    429: ("Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error"),
    503: _OVERLOADED,
}


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/v1/chat/completions":
                return self._error(404, f"Unknown path {self.path}", "invalid_request_error")
            authorization = self.headers.get("Authorization")
            if fake.api_key is not None and authorization != f"Bearer {fake.api_key}":
                return self._error(401, "Incorrect API key provided.", "invalid_api_key")
            try:
                body = json.loads(raw)
                image_format, size = _image_part(body)
            except (ValueError, KeyError, TypeError, OSError) as error:
                return self._error(400, f"Invalid request: {error}", "invalid_request_error")
            # The JSON answers (copy, vision) ask for a JSON object; an agent's tool loop does not.
            if not body.get("tools") and body.get("response_format") != {"type": "json_object"}:
                return self._error(400, "Expected response_format json_object.", "invalid_request")
            fake.requests.append(SeenCompletion(body, authorization, image_format, size))
            if not fake._held.is_set():
                fake._arrived.set()
                fake._held.wait()
            if fake._stopping.is_set():
                return None
            scripted = fake._next_scripted()
            if scripted is not None and scripted.hold:
                fake._held.clear()
                fake._arrived.set()
                fake._held.wait()
                if fake._stopping.is_set():
                    return None
                scripted = fake._next_scripted()
            status = scripted.status if scripted is not None else fake._status
            if status != 200:
                return self._error(status, *_COMPLAINTS.get(status, _OVERLOADED))
            message: dict[str, Any] = {"role": "assistant", "content": fake._content}
            finish_reason = fake._finish_reason
            if scripted is not None and scripted.message is not None:
                message, finish_reason = scripted.message, scripted.finish_reason
            self._json(
                200,
                {
                    "id": f"chatcmpl-{len(fake.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", ""),
                    "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                },
            )
            return None

        def _error(self, status: int, message: str, code: str) -> None:
            fake.rejected.append((status, message))
            headers = {}
            if status == 429 and fake._retry_after is not None:
                headers["Retry-After"] = f"{fake._retry_after:g}"
            self._json(
                status,
                {"error": {"message": message, "type": code, "param": None, "code": code}},
                headers,
            )

        def _json(
            self, status: int, obj: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
