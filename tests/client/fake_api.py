"""A scripted stand-in for the Krev API on 127.0.0.1, for what a real server does only by
accident: a 429 with Retry-After, a 503, a connection dropped, a job that fails.

    with FakeApi(error(429, "rate_limited", {"Retry-After": "1"}), ok(credits)) as api:
        Krev(api_key=KEY, base_url=api.url).credits.get()
        api.requests      # what it received, in order

Each request takes the next answer; the last one answers every request after it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_http import LocalHTTPServer

KEY = "sk_live_" + "k" * 38


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang_up: bool = False
    """Close the connection without a word."""


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def ok(data: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, {"success": True, "data": data}, headers)


def error(
    http_status: int, code: str, headers: dict[str, str] | None = None, **extra: Any
) -> Answer:
    """The API's error envelope; ``extra`` adds fields (a failed job's ``generation_id``)."""
    body = {"success": False, "error": f"A {code} refusal.", "code": code, **extra}
    return Answer(http_status, body, headers or {})


def generation(status: str, generation_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A generation as GET /api/v1/generations/{id} shows it."""
    return {
        "id": generation_id or str(uuid.uuid4()),
        "kind": "image",
        "status": status,
        "progress": 100 if status == "succeeded" else 10,
        "output": {"urls": ["http://127.0.0.1/storage/a.webp"]} if status == "succeeded" else None,
        "error": None,
        "error_code": None,
        "credits_used": 40,
        "queue_position": None,
        "created_at": "2026-01-01T00:00:00Z",
        "started_at": None,
        "completed_at": None,
        "source": "api",
        "api_key_id": None,
        "prompt": None,
        **fields,
    }


class FakeApi(LocalHTTPServer):
    def __init__(self, *answers: Answer) -> None:
        super().__init__(_handler_for(self), name="fake-krev-api")
        self.answers = list(answers)
        self.requests: list[Received] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_answer(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            answer = api.next_answer(received)
            time.sleep(answer.delay)
            if answer.hang_up:
                self.close_connection = True
                return
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815

    return Handler
