"""The scaffolding every local stand-in server shares: a threaded HTTP server on a loopback
address, started in a daemon thread, stopped and joined on exit.

    class FakeThing(LocalHTTPServer):
        def __init__(self) -> None:
            super().__init__(_handler_for(self), name="fake-thing")

    with FakeThing() as thing: ...
"""

from __future__ import annotations

import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a stopped server can start again on its port at once

    def server_bind(self) -> None:
        # HTTPServer's own server_bind asks reverse DNS for a name nobody here reads, which
        # can stall for seconds on an address /etc/hosts does not list (127.0.0.2).
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-response is part of what these servers are for


class LocalHTTPServer:
    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "local-http",
    ) -> None:
        self.host = host
        self.name = name
        self._stopping = threading.Event()  # handlers that wait watch it to give up
        self._server = QuietHTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def before_stop(self) -> None:
        """Release whatever handlers may be waiting on (subclasses)."""

    def stop(self) -> None:
        self._stopping.set()
        self.before_stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
