"""A real uvicorn server in a background thread on 127.0.0.1, for tests that need real
sockets: many concurrent clients, several app instances side by side, or clients other than
TestClient.

    with LiveServer.for_runtime(runtime) as server:
        httpx.get(f"{server.url}/api/v1/credits", headers=...)

The socket is bound before the server starts (port 0, the OS picks a free one), so parallel
test workers never race for a port; a test that needs the address before the app exists (to
make it the server's public URL) binds one with ``bound_socket()`` and hands it over. The
app's lifespan runs as in production: startup on ``start()``, shutdown (embedded workers
stopped, runtime closed) on ``stop()``.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from krev.platform.runtime import Runtime

# How long start() waits for uvicorn to report it is serving before giving up. A guard
# against a hung test, not a performance expectation: startup normally takes milliseconds.
STARTUP_GRACE_SECONDS = 60.0


class LiveServer:
    def __init__(
        self, app: ASGIApp, *, host: str = "127.0.0.1", sock: socket.socket | None = None
    ) -> None:
        """``sock``: a socket already bound (``bound_socket``), for a test whose settings must
        know the server's address before the app is built (its public base URL)."""
        self.app = app
        self.host = host
        self._bound = sock
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime, sock: socket.socket | None = None) -> LiveServer:
        """A server for the test app (the real app plus the test-only routes) over ``runtime``."""
        from tests.conftest import build_app

        return cls(build_app(runtime), sock=sock)

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the server is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        sock = self._bound or bound_socket(self.host)
        self._bound = None  # closed by stop()
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            # Many clients at once is the point of a live server; keep them all waiting.
            backlog=1024,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        self._server = server

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # surfaced by start() / stop()
                self._error = error

        self._thread = threading.Thread(target=serve, name=f"live-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_GRACE_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the live server did not start: {self._error!r}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._server = None
        self._thread = None
        error, self._error = self._error, None
        if error is not None and not isinstance(error, SystemExit | KeyboardInterrupt):
            raise RuntimeError("the live server failed") from error

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to a free port (the OS picks it), for ``LiveServer(sock=…)``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock
