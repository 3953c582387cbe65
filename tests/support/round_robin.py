"""A round-robin HTTP proxy on 127.0.0.1, standing in for a load balancer in front of several
API processes: each request goes to the next upstream in turn, whatever came before, so a
client whose requests must all reach one process fails through it.

    with RoundRobin([first.url, second.url]) as proxy:
        ...  # point the client at proxy.url
        proxy.served  # the upstream of each request, in order
"""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler

import httpx

from tests.support.local_http import LocalHTTPServer

# Hop-by-hop headers a proxy does not pass on (RFC 9110 section 7.6.1), and the length it sets.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


class RoundRobin(LocalHTTPServer):
    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self.served: list[str] = []
        self._turn = itertools.cycle(upstreams)
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(30.0, read=300.0), trust_env=False)
        super().__init__(_handler_for(self), name="round-robin")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def next_upstream(self) -> str:
        with self._lock:
            upstream = next(self._turn)
            self.served.append(upstream)
            return upstream

    def before_stop(self) -> None:
        self._client.close()


def _handler_for(proxy: RoundRobin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream = proxy.next_upstream()
            answer = proxy._client.request(
                self.command, upstream + self.path, headers=headers, content=body
            )
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in HOP_BY_HOP | {"content-length", "content-encoding"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def do_GET(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

    return Handler
