"""A scripted HTTP(S) origin on a loopback address, for tests of code that fetches URLs users
give us: it serves files, redirects, errors, stalls, trickles and floods on request.

    with OriginServer() as origin:
        origin.put("/logo.png", PNG, "image/png")
        fetcher.fetch(origin.url("/logo.png"))
        origin.paths  # what it was asked for, in order

Routes besides the files put there:
    /redirect?to=URL[&status=302]   a redirect to URL
    /loop                           a redirect to itself
    /status/CODE                    an empty response with that status
    /sleep?seconds=S                headers only after S seconds
    /hold                           nothing until the test calls release_held(), then a 503
    /drip-headers?interval=S        a status line, then one header byte every S seconds
    /drip-body?interval=S           headers (no length), then one body byte every S seconds
    /endless                        headers (no length), then bytes until the client leaves
    /declared?length=N              headers declaring N bytes, then no body
    /gzip                           a gzip-encoded body
    /echo                           the Host header it received, as text
"""

from __future__ import annotations

import datetime
import gzip
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.local_http import LocalHTTPServer

# A cap so a client that never hangs up cannot keep /endless writing forever.
ENDLESS_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class SeenRequest:
    path: str
    host: str | None


class OriginServer(LocalHTTPServer):
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.tls = tls
        self.requests: list[SeenRequest] = []
        self._files: dict[str, tuple[bytes, str]] = {}
        self._held = threading.Condition()
        self.holding = 0  # requests to /hold waiting now
        self._released = threading.Event()
        super().__init__(_handler_for(self), host=host, port=port, name="origin")
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def put(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> str:
        self._files[path] = (body, content_type)
        return self.url(path)

    def wait_held(self, count: int, timeout: float = 60.0) -> bool:
        """Whether ``count`` requests to /hold are waiting (False if not within ``timeout``,
        which only a failing test ever reaches)."""
        with self._held:
            return self._held.wait_for(lambda: self.holding >= count, timeout)

    def release_held(self) -> None:
        self._released.set()

    def before_stop(self) -> None:
        self.release_held()

    def _hold(self) -> None:
        with self._held:
            self.holding += 1
            self._held.notify_all()
        try:
            self._released.wait()
        finally:
            with self._held:
                self.holding -= 1
                self._held.notify_all()


def _handler_for(origin: OriginServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            origin.requests.append(SeenRequest(self.path, self.headers.get("Host")))
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if parts.path in origin._files:
                body, content_type = origin._files[parts.path]
                self._respond(200, body, content_type)
            elif parts.path == "/redirect":
                self.send_response(int(query.get("status", "302")))
                self.send_header("Location", query["to"])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts.path.startswith("/status/"):
                self._respond(int(parts.path.removeprefix("/status/")), b"", "text/plain")
            elif parts.path == "/sleep":
                origin._stopping.wait(float(query["seconds"]))
                self._respond(200, b"late", "text/plain")
            elif parts.path == "/hold":
                origin._hold()
                self._respond(503, b"released", "text/plain")
            elif parts.path == "/drip-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                self._drip(float(query["interval"]))
            elif parts.path == "/drip-body":
                self._headers_without_length("application/octet-stream")
                self._drip(float(query["interval"]))
            elif parts.path == "/endless":
                self._headers_without_length("application/octet-stream")
                chunk = b"\0" * 65536
                for _ in range(ENDLESS_LIMIT // len(chunk)):
                    if origin._stopping.is_set():
                        break
                    self.wfile.write(chunk)
            elif parts.path == "/declared":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", query["length"])
                self.end_headers()
            elif parts.path == "/gzip":
                body = gzip.compress(b"x" * 1000)
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif parts.path == "/echo":
                self._respond(200, (self.headers.get("Host") or "").encode(), "text/plain")
            else:
                self._respond(404, b"not found", "text/plain")

        def _respond(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _headers_without_length(self, content_type: str) -> None:
            # HTTP/1.0-style: the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()

        def _drip(self, interval: float) -> None:
            while not origin._stopping.wait(interval):
                self.wfile.write(b"a")
                self.wfile.flush()

    return Handler


def self_signed_certificate(hostname: str) -> tuple[bytes, bytes]:
    """``(certificate_pem, key_pem)`` naming ``hostname`` alone (no IP address)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
