"""A local stand-in for Meta's Graph API events endpoint, speaking its published protocol, for
tests and benchmarks of conversion delivery. It never reaches the network.

    with FakeGraph(tokens={"1234567890": "EAAB..."}) as graph:
        settings.meta_graph_url = graph.url
        ...
        graph.batches            # what it received, in order (pixel, token, events, test code)
        graph.batch_sizes()      # how many events each request carried (Meta takes 1 to 1000)
        graph.problems           # every way a payload broke Meta's rules (should stay empty)

``POST /{version}/{pixel_id}/events`` with a JSON body (or a form with ``data`` as a JSON
string) ``{"data": [...], "access_token": ..., "test_event_code"?: ...}`` answers
``{"events_received": N, "messages": [], "fbtrace_id": ...}`` when the payload is what Meta
accepts: a known pixel and its token, 1 to 1000 events, each with the required fields, hashed
customer information as lowercase SHA-256 hex and the raw identifiers unhashed. Otherwise it
answers like Meta: HTTP 400 ``{"error": {"message", "type", "code", "fbtrace_id"}}``.

On demand it fails: ``answer_next`` scripts the next answers (429 with Retry-After, 500, Meta's
error JSON, a hang), ``fail_always`` keeps failing, ``close_connections`` hangs up without a
word. ``stop()`` and ``start()`` (same port) take it down and bring it back.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from tests.support.local_http import QuietHTTPServer

HASHED = ("em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country", "external_id")
UNHASHED = ("client_ip_address", "client_user_agent", "fbc", "fbp")
REQUIRED = ("event_name", "event_time", "user_data", "action_source")
ACTION_SOURCES = {
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
}
_SHA256 = re.compile(r"^[a-f0-9]{64}$")
_PATH = re.compile(r"^/(v\d+\.\d+)/(\d+)/events$")


@dataclass(frozen=True)
class Batch:
    version: str
    pixel_id: str
    access_token: str | None
    events: list[dict[str, Any]]
    test_event_code: str | None
    status: int  # what the fake answered
    received_at: float  # time.monotonic()


@dataclass
class Answer:
    status: int = 200
    error: dict[str, Any] | None = None  # Meta's error object; None: the normal success body
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    close: bool = False  # hang up without answering


def meta_error(
    message: str, code: int = 100, kind: str = "OAuthException", **extra: Any
) -> dict[str, Any]:
    return {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "F" + uuid.uuid4().hex[:10],
        **extra,
    }


class FakeGraph:
    def __init__(self, tokens: dict[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.tokens: dict[str, str] = dict(tokens or {})
        self.batches: list[Batch] = []
        self.problems: list[str] = []
        self._script: deque[Answer] = deque()
        self._always: Answer | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- control ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def answer_next(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def fail_always(self, answer: Answer | None) -> None:
        """Answer every request this way until called with None."""
        with self._lock:
            self._always = answer

    def events(self, status: int = 200) -> list[dict[str, Any]]:
        """Every event it accepted (or answered ``status`` to), in order."""
        return [event for batch in self.batches if batch.status == status for event in batch.events]

    def batch_sizes(self) -> list[int]:
        """How many events each request carried, in order, whatever the fake answered."""
        return [len(batch.events) for batch in self.batches]

    def start(self) -> FakeGraph:
        self._stopping.clear()
        self._server = QuietHTTPServer((self.host, self.port), _handler_for(self))
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-graph-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port: clients get connection refused until ``start()`` again."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the protocol ---------------------------------------------------------------------

    def _next_answer(self) -> Answer | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
            return self._always

    def check(
        self, pixel_id: str, body: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The events, and Meta's error object when the payload breaks its rules."""
        token = body.get("access_token")
        if pixel_id not in self.tokens or token != self.tokens[pixel_id]:
            return [], meta_error("Invalid OAuth access token - Cannot parse access token", 190)
        data = body.get("data")
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, list) or not data:
            return [], meta_error("(#100) The parameter data is required")
        if len(data) > 1000:
            return data, meta_error("(#100) Too many events in one request: at most 1000")
        problems = [p for i, event in enumerate(data) for p in _event_problems(i, event)]
        if problems:
            self.problems.extend(problems)
            return data, meta_error(f"(#100) {problems[0]}", error_user_msg=problems[0])
        return data, None


def _event_problems(index: int, event: Any) -> list[str]:
    where = f"data[{index}]"
    if not isinstance(event, dict):
        return [f"{where} is not an object"]
    problems = [f"{where}.{name} is required" for name in REQUIRED if name not in event]
    event_time = event.get("event_time")
    if not isinstance(event_time, int) or event_time > time.time() + 600:
        problems.append(f"{where}.event_time must be Unix seconds, not in the future")
    elif event_time < time.time() - 7 * 86400:
        problems.append(f"{where}.event_time is more than 7 days old")
    if event.get("action_source") not in ACTION_SOURCES:
        problems.append(f"{where}.action_source is invalid")
    user_data = event.get("user_data")
    if not isinstance(user_data, dict):
        return [*problems, f"{where}.user_data must be an object"]
    if event.get("action_source") == "website":
        if not event.get("event_source_url"):
            problems.append(f"{where}.event_source_url is required for website events")
        if not user_data.get("client_user_agent"):
            problems.append(f"{where}.user_data.client_user_agent is required for website events")
    for key, value in user_data.items():
        values = value if isinstance(value, list) else [value]
        if key in HASHED and not all(isinstance(v, str) and _SHA256.match(v) for v in values):
            problems.append(f"{where}.user_data.{key} must be SHA-256 hashed (lowercase hex)")
        if key in UNHASHED and any(isinstance(v, str) and _SHA256.match(v) for v in values):
            problems.append(f"{where}.user_data.{key} must not be hashed")
    return problems


def _handler_for(graph: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body waits for the
        # client's delayed ACK (~40 ms) on a keep-alive connection, a stall Meta's servers
        # do not add.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            match = _PATH.match(self.path.split("?", 1)[0])
            if match is None:
                self._json(404, {"error": meta_error("Unknown path components", 2500)})
                return
            version, pixel_id = match.groups()
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                if content_type == "application/json":
                    body = json.loads(raw)
                else:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            except ValueError:
                self._json(400, {"error": meta_error("(#100) The body is not JSON")})
                return
            answer = graph._next_answer()
            if answer is not None and answer.close:
                self.close_connection = True
                self.connection.close()
                return
            if answer is not None and answer.hang_seconds:
                graph._stopping.wait(answer.hang_seconds)
            events, problem = graph.check(pixel_id, body)
            error: dict[str, Any] | None
            if answer is not None and answer.status != 200:
                status, error = (
                    answer.status,
                    answer.error
                    or meta_error(
                        "An unexpected error has occurred. Please retry your request later.",
                        2,
                        is_transient=True,
                    ),
                )
            elif problem is not None:
                status, error = 400, problem
            else:
                status, error = 200, None
            code = body.get("test_event_code")
            graph.batches.append(
                Batch(
                    version,
                    pixel_id,
                    body.get("access_token"),
                    events if isinstance(events, list) else [],
                    code if isinstance(code, str) else None,
                    status,
                    time.monotonic(),
                )
            )
            headers = answer.headers if answer is not None else {}
            if error is not None:
                self._json(status, {"error": error}, headers)
                return
            self._json(
                200,
                {
                    "events_received": len(events),
                    "messages": [],
                    "fbtrace_id": "A" + uuid.uuid4().hex[:10],
                },
            )

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
