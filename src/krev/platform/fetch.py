"""The one way Krev fetches a URL a user gave it: SSRF-safe, size-capped and time-boxed, plus
the decoder for the ``data:`` URLs the API accepts in the same fields.

    FetchError (a krev.errors.KrevError; each refusal is also the API error it answers as)
    ├── UrlNotAllowed (400 url_not_allowed)    scheme, credentials, unresolvable, blocked address
    ├── InvalidDataUrl (400 invalid_data_url)  a data: URL that is not base64 of a media type
    ├── FetchTooLarge (413 fetch_too_large)    over max_bytes, declared or streamed
    ├── FetchTimeout (400 fetch_timeout)       the whole fetch ran past its time budget
    └── FetchFailed (400 fetch_failed)         connection/TLS errors, non-2xx, redirect loops

A URL that could not be fetched is invalid input: the API's statuses are the reference's table,
which has no 422 (it means a reused Idempotency-Key), so those are 400s told apart by code.

How a fetch stays on the public internet: the host is resolved once, here; every answer is
checked (loopback, private, link-local and metadata, CGNAT, multicast, reserved, and IPv6 forms
that embed such an IPv4 address); then the request is sent to the checked address itself, so a
second DNS answer can never be used (DNS rebinding). Redirects are followed here, one hop at a
time, each hop checked the same way. Loopback is reachable only through ``allow_loopback`` or
``allowlist``, which exist for tests and stay empty in production. An allowlist entry names a
host or an address, alone (every port of it, as before ports could be named) or with a port
(``host:port``, ``[v6]:port``: that port only).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx

from krev.errors import BadRequest, KrevError, PayloadTooLarge

__all__ = [
    "FetchError",
    "FetchFailed",
    "FetchTimeout",
    "FetchTooLarge",
    "FetchedResource",
    "InvalidDataUrl",
    "Resolver",
    "SafeFetcher",
    "UrlNotAllowed",
    "decode_data_url",
    "parse_allowlist_entry",
    "system_resolver",
]

Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> addresses`` as strings; the addresses the fetcher checks and dials."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SUPPORTED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Listed explicitly rather than trusting ``ipaddress``'s is_private/is_global alone: those
# tables changed between Python patch releases, and a refusal must not depend on which one
# the server runs. The stdlib flags are checked as well, as a second net.
_BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. metadata 169.254.169.254 and .253
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast 255.255.255.255
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped; judged by the embedded address before this list
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


# --- errors --------------------------------------------------------------------------------


class FetchError(KrevError):
    """Why a user-supplied URL could not be used. ``message`` is safe to show the user: it
    never names an address the user did not send. The status and code are each subclass's."""


class UrlNotAllowed(FetchError, BadRequest):
    code = "url_not_allowed"


class InvalidDataUrl(FetchError, BadRequest):
    code = "invalid_data_url"


class FetchTooLarge(FetchError, PayloadTooLarge):
    code = "fetch_too_large"


class FetchTimeout(FetchError, BadRequest):
    code = "fetch_timeout"


class FetchFailed(FetchError, BadRequest):
    code = "fetch_failed"


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchedResource:
    """A fetched body. ``url`` is the final URL after redirects (with the host name, not the
    address dialled); ``content_type`` is the media type alone, lower-cased, without
    parameters, or None when the response declared none."""

    url: str
    content: bytes
    content_type: str | None
    status_code: int


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answers for ``host``, in its preference order, de-duplicated."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


# --- the fetcher ---------------------------------------------------------------------------


class SafeFetcher:
    """Fetches user-supplied http(s) URLs without letting them reach private networks.

    ``max_bytes`` caps the body, ``timeout`` is the budget in seconds for the whole fetch (DNS,
    every redirect hop, the body), ``max_redirects`` the hops followed. ``allow_loopback`` and
    ``allowlist`` (see :func:`parse_allowlist_entry`: a host name whose answers, or an IP
    address that, skip the address check, on every port or on the one port named) are the
    only ways a blocked address is ever reached; they exist for tests against servers on
    127.0.0.1 and stay empty in production. ``resolver`` and ``transport`` are injectable so
    tests need neither DNS nor a network.

    Thread-safe: a fetch keeps its state on the stack, and one fetcher can serve many threads.
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout: float = 10.0,
        max_redirects: int = 3,
        allowed_schemes: Collection[str] = ("http", "https"),
        allow_loopback: bool = False,
        allowlist: Collection[str] = (),
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "Krev/1.0 (+fetcher)",
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        schemes = frozenset(scheme.lower() for scheme in allowed_schemes)
        if not schemes or not schemes <= _SUPPORTED_SCHEMES:
            raise ValueError("allowed_schemes must be a non-empty subset of http and https")
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.allowed_schemes = schemes
        self.allow_loopback = allow_loopback
        self._allowlist = frozenset(parse_allowlist_entry(entry) for entry in allowlist)
        self._resolver: Resolver = resolver or system_resolver
        self._user_agent = user_agent
        # No kept-alive connections: a pooled connection is keyed by the address dialled, so a
        # later request for another host on the same address could ride a TLS session that was
        # verified for the first host. Every request also says "Connection: close", which keeps
        # an injected transport from reusing connections either.
        self._transport = transport or httpx.HTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0)
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(self, url: str, *, deadline: float | None = None) -> FetchedResource:
        """GET ``url`` and return its body, or raise a :class:`FetchError`.

        The budget is ``timeout`` seconds from now, or ends at ``deadline`` (a
        ``time.monotonic()`` instant) for a caller whose budget began before this call, such
        as a fetch that waited for a thread.
        """
        budget = _Deadline(time.monotonic() + self.timeout if deadline is None else deadline)
        if budget.expired():
            raise _timeout(self.timeout)
        guard = _SocketGuard(budget)
        try:
            current = self._parse(url, redirected=False)
            for hop in range(self.max_redirects + 1):
                response = self._send(current, guard, redirected=hop > 0)
                try:
                    if response.status_code in _REDIRECT_STATUSES:
                        current = self._redirect_target(current, response)
                        continue
                    if not 200 <= response.status_code < 300:
                        raise FetchFailed(f"The URL returned HTTP {response.status_code}.")
                    content = self._read_body(response, guard)
                    return FetchedResource(
                        url=str(current),
                        content=content,
                        content_type=_media_type(response.headers.get("content-type")),
                        status_code=response.status_code,
                    )
                finally:
                    response.close()
                    guard.release()
            raise FetchFailed(f"The URL redirected more than {self.max_redirects} times.")
        finally:
            guard.stop()

    # --- one hop ---------------------------------------------------------------------------

    def _parse(self, url: str, *, redirected: bool) -> httpx.URL:
        what = "The URL redirects to a URL that" if redirected else "The URL"
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as error:
            raise UrlNotAllowed(f"{what} is not a valid URL.") from error
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise UrlNotAllowed(f"{what} is not a valid URL.")
        if parsed.scheme not in self.allowed_schemes:
            allowed = " or ".join(sorted(self.allowed_schemes))
            raise UrlNotAllowed(f"{what} does not use {allowed}.")
        if parsed.userinfo:
            raise UrlNotAllowed(f"{what} contains credentials.")
        if not parsed.raw_host:
            raise UrlNotAllowed(f"{what} has no host.")
        return parsed

    def _redirect_target(self, current: httpx.URL, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location")
        if not location:
            raise FetchFailed(f"The URL returned HTTP {response.status_code} without a Location.")
        try:
            target = current.join(location)
        except (httpx.InvalidURL, ValueError) as error:
            raise FetchFailed("The URL redirects to an invalid URL.") from error
        return self._parse(str(target), redirected=True)

    def _checked_addresses(
        self, url: httpx.URL, deadline: _Deadline, *, redirected: bool
    ) -> list[str]:
        """Every address ``url``'s host stands for, all of them allowed, or UrlNotAllowed."""
        unresolvable = (
            "The URL redirects to a host that could not be resolved."
            if redirected
            else "The URL's host could not be resolved."
        )
        host = url.raw_host.decode("ascii")
        literal = _parse_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            port = url.port or _DEFAULT_PORTS[url.scheme]
            answers = _call_within(lambda: self._resolver(host, port), deadline)
            if answers is None:
                raise _timeout(self.timeout)
            if isinstance(answers, OSError | UnicodeError | ValueError):
                # socket.gaierror is an OSError; an over-long label fails IDNA encoding.
                raise UrlNotAllowed(unresolvable) from answers
            if isinstance(answers, BaseException):
                raise answers
            addresses = []
            for answer in answers:
                address = _parse_address(answer)
                if address is None:
                    raise UrlNotAllowed(unresolvable)
                addresses.append(address)
        if not addresses:
            raise UrlNotAllowed(unresolvable)
        port = url.port or _DEFAULT_PORTS[url.scheme]
        if self._allows(host.lower(), port):
            return list(dict.fromkeys(str(address) for address in addresses))
        for address in addresses:
            # One bad answer refuses the host: which answer a client would pick is not ours
            # to predict, and an attacker controls the order.
            if not self._allows(str(address), port) and _is_blocked(
                address, allow_loopback=self.allow_loopback
            ):
                raise UrlNotAllowed(
                    "The URL redirects to an address that is not allowed."
                    if redirected
                    else "The URL points to an address that is not allowed."
                )
        return list(dict.fromkeys(str(address) for address in addresses))

    def _allows(self, host: str, port: int) -> bool:
        return (host, None) in self._allowlist or (host, port) in self._allowlist

    def _send(self, url: httpx.URL, guard: _SocketGuard, *, redirected: bool) -> httpx.Response:
        addresses = self._checked_addresses(url, guard.deadline, redirected=redirected)
        host = url.raw_host.decode("ascii")
        # Connect to the checked address, never the name: the request goes to a URL whose host
        # is the address, with the Host header and the TLS server name (SNI, and the name the
        # certificate is verified against: httpcore passes ``sni_hostname`` to
        # ``SSLContext.wrap_socket(server_hostname=...)``) kept as the user's host. Unlike a
        # custom network backend, this works through any httpx transport, so tests can inject
        # one and see exactly which address would have been dialled.
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self._user_agent,
            "Accept": "*/*",
            # The cap counts the bytes we keep; a compressed body could inflate past it in one
            # decoding step, and images gain nothing from transfer compression.
            "Accept-Encoding": "identity",
            "Connection": "close",
        }
        last_error: httpx.ConnectError | None = None
        for address in addresses:
            remaining = guard.deadline.remaining()
            if remaining <= 0:
                break
            request = httpx.Request(
                "GET",
                url.copy_with(host=address),
                headers=headers,
                extensions={
                    "timeout": httpx.Timeout(remaining).as_dict(),
                    "sni_hostname": host,
                    "trace": guard.trace,
                },
            )
            try:
                with _network_errors(guard, self.timeout):
                    response = self._transport.handle_request(request)
            except _ConnectFailed as failure:
                # Every address was checked; try the next, as a browser would.
                last_error = failure.error
                continue
            response.request = request
            if guard.out_of_time():
                response.close()
                raise _timeout(self.timeout)
            return response
        if last_error is None:
            raise _timeout(self.timeout)
        raise FetchFailed(_describe_connect_error(last_error)) from last_error

    def _read_body(self, response: httpx.Response, guard: _SocketGuard) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(self.max_bytes)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchFailed(f"The URL's response uses an unsupported encoding ({encoding}).")
        body = bytearray()
        with _network_errors(guard, self.timeout):
            # iter_bytes, not iter_raw: it also serves a response a transport has already read
            # (httpx.MockTransport's); any content coding but identity was refused above.
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise _too_large(self.max_bytes)
                if guard.out_of_time():
                    raise _timeout(self.timeout)
        # When the guard cut a body that ends at connection close, it reads as complete.
        if guard.out_of_time():
            raise _timeout(self.timeout)
        return bytes(body)


# --- data: URLs ----------------------------------------------------------------------------

_DATA_URL = re.compile(
    r"data:(?P<type>[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)(?P<params>(?:;[^;,]*)*);base64,",
    re.IGNORECASE,
)


def decode_data_url(url: str, max_bytes: int) -> tuple[bytes, str]:
    """``(content, media_type)`` from ``data:<type>/<subtype>[;param=value...];base64,<data>``.

    Strict: standard base64 alphabet, padding required, no whitespace. The size is checked
    from the encoded length before anything is decoded.
    """
    match = _DATA_URL.match(url)
    if match is None:
        raise InvalidDataUrl("A data URL must look like data:<type>/<subtype>;base64,<data>.")
    payload = url[match.end() :]
    # max_bytes of content take at most this many base64 characters.
    if len(payload) > 4 * -(-max_bytes // 3):
        raise _too_large(max_bytes)
    if len(payload) % 4:
        raise InvalidDataUrl("The data URL's base64 is malformed.")
    padding = min(len(payload) - len(payload.rstrip("=")), 2)  # more is refused below
    if len(payload) // 4 * 3 - padding > max_bytes:
        raise _too_large(max_bytes)
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidDataUrl("The data URL's base64 is malformed.") from error
    if not content:
        raise InvalidDataUrl("The data URL is empty.")
    return content, match["type"].lower()


# --- helpers -------------------------------------------------------------------------------


def _is_blocked(address: IPAddress, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return True
        if address.ipv4_mapped is not None:
            # Only another way to write the IPv4 address: a dual-stack socket dials exactly
            # that address, so it alone decides (loopback included, when allowed).
            return _is_blocked(address.ipv4_mapped, allow_loopback=allow_loopback)
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # NAT64, 6to4, Teredo and IPv4-compatible forms reach the embedded address
            # through a gateway, never our own loopback: a blocked one refuses the address,
            # an allowed one still leaves the IPv6 address itself to be judged.
            if _is_blocked(embedded, allow_loopback=False):
                return True
            if address in _NAT64:
                return False
    if allow_loopback and address.is_loopback:
        return False
    if any(address in network for network in _BLOCKED_NETWORKS):
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_allowlist_entry(entry: str) -> tuple[str, int | None]:
    """``(host, port)`` of an allowlist entry, the port None when it names none (every port).

    ``host`` (a name or an IPv4 address), ``host:port``, an IPv6 address bare or bracketed,
    ``[v6]:port``. Names are compared lower-cased, addresses in their canonical form. Raises
    ValueError for anything else, a port outside 1-65535 included.
    """
    text = entry.strip().lower()
    port: int | None = None
    if text.startswith("["):
        address_text, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"allowlist entry {entry!r}: expected [IPv6 address]:port")
        host, port_text = address_text, rest[1:] if rest else None
        if _parse_address(host) is None:
            raise ValueError(f"allowlist entry {entry!r}: {host!r} is not an IPv6 address")
    elif _parse_address(text) is not None:  # IPv4, or a bare IPv6 address (no port)
        host, port_text = text, None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" in text:
        raise ValueError(
            f"allowlist entry {entry!r}: write an IPv6 address with a port as [v6]:port"
        )
    else:
        host, port_text = text, None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise ValueError(f"allowlist entry {entry!r}: the port must be 1-65535")
        port = int(port_text)
    if not host:
        raise ValueError(f"allowlist entry {entry!r} names no host")
    address = _parse_address(host)
    return (str(address) if address is not None else host), port


def _media_type(header: str | None) -> str | None:
    if header is None:
        return None
    media_type = header.split(";", 1)[0].strip().lower()
    return media_type or None


def _too_large(max_bytes: int) -> FetchTooLarge:
    return FetchTooLarge(f"The URL's content is larger than {max_bytes} bytes.")


def _timeout(seconds: float) -> FetchTimeout:
    return FetchTimeout(f"Fetching the URL took longer than {seconds:g} s.")


def _describe_connect_error(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "The URL's TLS certificate could not be verified."
        cause = cause.__cause__ or cause.__context__
    return "Could not connect to the URL's host."


class _ConnectFailed(Exception):
    def __init__(self, error: httpx.ConnectError) -> None:
        self.error = error


@contextmanager
def _network_errors(guard: _SocketGuard, seconds: float) -> Iterator[None]:
    """httpx's errors as FetchErrors; a refused connection as _ConnectFailed for the caller
    to try the next address. Messages are ours: httpx's may name the address dialled."""
    try:
        yield
    except httpx.ConnectError as error:
        if guard.out_of_time():
            raise _timeout(seconds) from error
        raise _ConnectFailed(error) from error
    except httpx.TimeoutException as error:
        raise _timeout(seconds) from error
    except httpx.HTTPError as error:
        if guard.out_of_time():
            raise _timeout(seconds) from error
        raise FetchFailed("The URL's host sent a broken response.") from error


class _Deadline:
    def __init__(self, at: float) -> None:
        self.at = at  # a time.monotonic() instant

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


def _call_within(
    call: Callable[[], list[str]], deadline: _Deadline
) -> list[str] | BaseException | None:
    """``call()``'s result or exception, or None when it outlives the deadline.

    getaddrinfo takes no timeout, so it runs on a daemon thread that is abandoned (and ends
    when the system resolver gives up) if the budget runs out first.
    """
    outcome: list[list[str] | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # handed to the caller, which decides what it means
            outcome.append(error)

    thread = threading.Thread(target=run, name="krev-fetch-resolve", daemon=True)
    thread.start()
    thread.join(max(deadline.remaining(), 0))
    return outcome[0] if outcome else None


class _SocketGuard:
    """Shuts the current connection down when the fetch's budget runs out.

    httpcore applies its read timeout to each socket read, so a server that trickles a byte
    every so often (headers or body) would otherwise hold a fetch for as long as it likes.
    The socket comes from httpcore's ``trace`` extension when a connection opens; the guard
    keeps its own duplicate of it, so shutting it down from the timer thread neither touches
    the TLS object in use by the reading thread nor risks a recycled file descriptor. With a
    transport that opens no sockets (tests) the guard has nothing to do and the deadline is
    still checked between body chunks.
    """

    def __init__(self, deadline: _Deadline) -> None:
        self.deadline = deadline
        self.fired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._stopped = False
        self._timer = threading.Timer(max(deadline.remaining(), 0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def out_of_time(self) -> bool:
        return self.fired or self.deadline.expired()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        raw = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(raw, socket.socket):
            return
        try:
            duplicate = raw.dup()
        except OSError:
            return  # out of descriptors: this hop keeps only httpcore's per-read timeouts
        with self._lock:
            previous, self._socket = self._socket, duplicate
            if self.fired:
                _shut(duplicate)
        if previous is not None:
            previous.close()

    def release(self) -> None:
        """Forget the hop's connection (its response is closed)."""
        with self._lock:
            current, self._socket = self._socket, None
        if current is not None:
            current.close()

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._stopped = True
        self.release()

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.fired = True
            if self._socket is not None:
                _shut(self._socket)


def _shut(sock: socket.socket) -> None:
    # OSError: the peer or httpcore closed the connection first, which is as good.
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
