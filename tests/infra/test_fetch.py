"""The SSRF-safe fetcher against real HTTP(S) origins on loopback addresses.

Nothing here ever reaches a non-loopback address: private, metadata and public answers come
from a fake resolver, and every request goes through a transport that fails the test before
a socket is opened if the address it is asked to dial is not loopback.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TypedDict, Unpack
from urllib.parse import quote

import httpx
import pytest

from krev.platform import fetch as fetch_module
from krev.platform.fetch import (
    FetchedResource,
    FetchError,
    FetchFailed,
    FetchTimeout,
    FetchTooLarge,
    InvalidDataUrl,
    Resolver,
    SafeFetcher,
    UrlNotAllowed,
    decode_data_url,
    parse_allowlist_entry,
)
from tests.support.origin_server import OriginServer, self_signed_certificate

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MAX_BYTES = 1024 * 1024


class LoopbackOnlyTransport(httpx.BaseTransport):
    """Real HTTP, to loopback addresses only; records every request it is asked to send."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    @property
    def dialled(self) -> list[str]:
        return [request.url.host for request in self.requests]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # The fetcher always dials an address; a name, or a non-loopback address, fails here.
        assert ipaddress.ip_address(request.url.host).is_loopback, request.url
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class SpyTransport(httpx.BaseTransport):
    """No network at all: answers every request with a small PNG and remembers it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=PNG, headers={"Content-Type": "image/PNG; q=1"})


class FakeDns:
    """A resolver with fixed answers per host; a list of answer lists is served in turn."""

    def __init__(self, answers: dict[str, list[str] | list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.answers.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if answer and isinstance(answer[0], list):
            turns = [turn for turn in answer if isinstance(turn, list)]
            return turns[min(len(self.calls), len(turns)) - 1]
        return [item for item in answer if isinstance(item, str)]


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        server.put("/logo.png", PNG, "image/png")
        yield server


class FetcherOptions(TypedDict, total=False):
    """SafeFetcher's keyword arguments."""

    max_bytes: int
    timeout: float
    max_redirects: int
    allowed_schemes: Collection[str]
    allow_loopback: bool
    allowlist: Collection[str]
    resolver: Resolver | None
    transport: httpx.BaseTransport | None
    user_agent: str


def fetcher(**options: Unpack[FetcherOptions]) -> SafeFetcher:
    settings: FetcherOptions = {"max_bytes": MAX_BYTES, "timeout": 3.0, **options}
    if "transport" not in settings:  # built only when needed: loading CA certificates is slow
        settings["transport"] = LoopbackOnlyTransport()
    return SafeFetcher(**settings)


def redirect(origin: OriginServer, to: str, status: int = 302, host: str | None = None) -> str:
    return origin.url(f"/redirect?to={quote(to, safe='')}&status={status}", host=host)


# --- the public surface ---------------------------------------------------------------------


def test_public_surface_is_what_callers_use() -> None:
    assert fetch_module.__all__ == sorted(fetch_module.__all__)
    assert set(fetch_module.__all__) == {
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
    }


def test_each_error_has_its_own_code_and_a_4xx_status() -> None:
    errors = [UrlNotAllowed, InvalidDataUrl, FetchTooLarge, FetchTimeout, FetchFailed]
    assert all(issubclass(error, FetchError) for error in errors)
    assert len({error.code for error in errors}) == len(errors)
    assert all(400 <= error.status < 500 for error in errors)
    assert UrlNotAllowed("nope").message == "nope"


@pytest.mark.parametrize(
    "options",
    [
        {"max_bytes": 0},
        {"max_bytes": 10, "timeout": 0},
        {"max_bytes": 10, "max_redirects": -1},
        {"max_bytes": 10, "allowed_schemes": ("http", "ftp")},
        {"max_bytes": 10, "allowed_schemes": ()},
    ],
)
def test_constructor_refuses_nonsense_limits(options: FetcherOptions) -> None:
    with pytest.raises(ValueError):
        SafeFetcher(**options)


# --- fetching --------------------------------------------------------------------------------


def test_fetches_a_file_from_an_allowlisted_origin(origin: OriginServer) -> None:
    with fetcher(allowlist=["127.0.0.1"]) as safe:
        resource = safe.fetch(origin.url("/logo.png"))

    assert resource == FetchedResource(
        url=origin.url("/logo.png"), content=PNG, content_type="image/png", status_code=200
    )


# --- the allowlist: a host, or a host and one port -----------------------------------------


@pytest.fixture
def second_origin() -> Iterator[OriginServer]:
    """Another origin on 127.0.0.1, on a port of its own."""
    with OriginServer() as server:
        server.put("/logo.png", PNG, "image/png")
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "origin.example.com"])
def test_an_entry_with_a_port_allows_that_port_only(
    origin: OriginServer, second_origin: OriginServer, host: str
) -> None:
    dns = FakeDns({"origin.example.com": ["127.0.0.1"]})
    safe = fetcher(resolver=dns, allowlist=[f"{host}:{origin.port}"])

    assert safe.fetch(origin.url("/logo.png", host=host)).content == PNG
    with pytest.raises(UrlNotAllowed):
        safe.fetch(second_origin.url("/logo.png", host=host))

    assert second_origin.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "origin.example.com"])
def test_a_bare_entry_allows_every_port_of_its_host(
    origin: OriginServer, second_origin: OriginServer, host: str
) -> None:
    dns = FakeDns({"origin.example.com": ["127.0.0.1"]})
    safe = fetcher(resolver=dns, allowlist=[host])

    assert safe.fetch(origin.url("/logo.png", host=host)).content == PNG
    assert safe.fetch(second_origin.url("/logo.png", host=host)).content == PNG


def test_an_allowed_port_cannot_redirect_to_another_port(
    origin: OriginServer, second_origin: OriginServer
) -> None:
    start = redirect(origin, second_origin.url("/logo.png"))

    with pytest.raises(UrlNotAllowed, match="redirects"):
        fetcher(allowlist=[f"127.0.0.1:{origin.port}"]).fetch(start)

    assert second_origin.requests == []


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        ("images.example.com:80", "http://images.example.com/a.png", True),
        ("images.example.com:443", "https://images.example.com/a.png", True),
        ("images.example.com:443", "http://images.example.com/a.png", False),
        ("images.example.com:80", "http://images.example.com:8080/a.png", False),
        ("IMAGES.example.com:8080", "http://images.EXAMPLE.com:8080/a.png", True),
        ("10.0.0.7:80", "http://images.example.com/a.png", True),  # by the address answered
        ("10.0.0.7:80", "http://images.example.com:81/a.png", False),
        ("10.0.0.7", "http://images.example.com:81/a.png", True),
        ("[::ffff:10.0.0.7]:80", "http://[::ffff:a00:7]/a.png", True),
        ("::ffff:a00:7", "http://[::ffff:10.0.0.7]:9000/a.png", True),
    ],
)
def test_a_url_without_a_port_is_on_its_schemes_default_port(
    entry: str, url: str, allowed: bool
) -> None:
    # images.example.com answers a private address, which only the allowlist lets through.
    dns = FakeDns({"images.example.com": ["10.0.0.7"]})
    safe = fetcher(resolver=dns, transport=SpyTransport(), allowlist=[entry])

    if allowed:
        assert safe.fetch(url).content == PNG
    else:
        with pytest.raises(UrlNotAllowed):
            safe.fetch(url)


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("Images.Example.com", ("images.example.com", None)),
        ("images.example.com:8080", ("images.example.com", 8080)),
        ("127.0.0.1", ("127.0.0.1", None)),
        (" 127.0.0.1:80 ", ("127.0.0.1", 80)),
        ("::1", ("::1", None)),
        ("[::1]", ("::1", None)),
        ("[0:0::1]:8443", ("::1", 8443)),
    ],
)
def test_allowlist_entries(entry: str, parsed: tuple[str, int | None]) -> None:
    assert parse_allowlist_entry(entry) == parsed


@pytest.mark.parametrize(
    "entry",
    ["", ":80", "host:", "host:0", "host:65536", "host:http", "host:٨٠", "a:b:c", "[::1", "[x]:80"],
)
def test_malformed_allowlist_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_allowlist_entry(entry)
    with pytest.raises(ValueError):
        SafeFetcher(max_bytes=MAX_BYTES, allowlist=[entry])


def test_dials_the_checked_address_keeping_host_header_and_tls_name() -> None:
    dns = FakeDns({"images.example.com": ["93.184.216.34"]})
    spy = SpyTransport()

    resource = fetcher(resolver=dns, transport=spy).fetch("https://images.example.com/a.png?v=2")

    assert dns.calls == [("images.example.com", 443)]
    [request] = spy.requests
    assert str(request.url) == "https://93.184.216.34/a.png?v=2"
    assert request.headers["Host"] == "images.example.com"
    assert request.extensions["sni_hostname"] == "images.example.com"
    assert request.headers["Accept-Encoding"] == "identity"
    assert resource.url == "https://images.example.com/a.png?v=2"
    assert resource.content_type == "image/png"


def test_a_non_default_port_stays_in_the_host_header() -> None:
    dns = FakeDns({"cdn.example.com": ["2606:4700::1111"]})
    spy = SpyTransport()

    fetcher(resolver=dns, transport=spy).fetch("http://cdn.example.com:8080/x")

    assert dns.calls == [("cdn.example.com", 8080)]
    assert str(spy.requests[0].url) == "http://[2606:4700::1111]:8080/x"
    assert spy.requests[0].headers["Host"] == "cdn.example.com:8080"


# --- addresses that are refused before any connection ---------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.5"],
        ["172.16.3.4"],
        ["192.168.1.10"],
        ["127.0.0.1"],
        ["127.8.9.10"],
        ["0.0.0.0"],
        ["0.1.2.3"],
        ["169.254.169.254"],
        ["169.254.169.253"],
        ["169.254.10.10"],
        ["100.64.0.1"],
        ["224.0.0.251"],
        ["240.0.0.1"],
        ["255.255.255.255"],
        ["198.18.0.1"],
        ["::1"],
        ["::"],
        ["fe80::1"],
        ["fd00:ec2::254"],
        ["ff02::1"],
        ["::ffff:127.0.0.1"],
        ["::ffff:169.254.169.254"],
        ["::ffff:10.0.0.5"],
        ["64:ff9b::7f00:1"],
        ["64:ff9b::a00:1"],
        ["64:ff9b:1::1"],
        ["2002:a00:1::1"],
        ["::7f00:1"],
        ["93.184.216.34", "10.0.0.5"],
        ["2606:4700::1111", "::ffff:192.168.0.1"],
    ],
    ids=lambda answers: "+".join(answers),
)
def test_refuses_hosts_that_resolve_to_internal_addresses(answers: list[str]) -> None:
    dns = FakeDns({"images.example.com": answers})
    spy = SpyTransport()

    with pytest.raises(UrlNotAllowed) as refused:
        fetcher(resolver=dns, transport=spy).fetch("http://images.example.com/a.png")

    assert spy.requests == []
    assert refused.value.code == "url_not_allowed"
    assert not any(answer in refused.value.message for answer in answers)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://0.0.0.0:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
    ],
)
def test_refuses_internal_address_literals_without_asking_dns(url: str) -> None:
    dns = FakeDns({})
    spy = SpyTransport()

    with pytest.raises(UrlNotAllowed):
        fetcher(resolver=dns, transport=spy).fetch(url)

    assert dns.calls == []
    assert spy.requests == []


def test_public_address_literals_are_fetched() -> None:
    spy = SpyTransport()

    fetcher(resolver=FakeDns({}), transport=spy).fetch("http://93.184.216.34/a.png")

    assert [request.url.host for request in spy.requests] == ["93.184.216.34"]


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.1", "localhost"])
def test_numeric_and_local_host_forms_are_judged_by_what_they_resolve_to(
    origin: OriginServer, host: str
) -> None:
    # The system resolver reads these forms locally (inet_aton, /etc/hosts): no network.
    url = origin.url("/logo.png", host=host)

    with pytest.raises(UrlNotAllowed):
        fetcher().fetch(url)
    assert origin.requests == []

    # They do mean loopback: the test-only switch lets the very same URL through.
    if host == "localhost":
        return  # may resolve to ::1 first, where the origin does not listen
    assert fetcher(allow_loopback=True).fetch(url).content == PNG


def test_a_dotted_octal_address_is_not_a_url(origin: OriginServer) -> None:
    with pytest.raises(UrlNotAllowed):
        fetcher(allow_loopback=True).fetch(origin.url("/logo.png", host="0177.0.0.1"))

    assert origin.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://images.example.com/a.png",
        "file:///etc/passwd",
        "gopher://images.example.com:70/_GET",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "//images.example.com/a.png",
        "/a.png",
        "",
        "http:///a.png",
        "http://images.example.com:99999/",
    ],
)
def test_refuses_urls_that_are_not_http_or_https(url: str) -> None:
    dns = FakeDns({"images.example.com": ["93.184.216.34"]})
    spy = SpyTransport()

    with pytest.raises(UrlNotAllowed):
        fetcher(resolver=dns, transport=spy).fetch(url)

    assert dns.calls == []
    assert spy.requests == []


def test_allowed_schemes_can_be_narrowed_to_https() -> None:
    spy = SpyTransport()
    safe = fetcher(resolver=FakeDns({"a.example": ["93.184.216.34"]}), transport=spy)
    safe_https = fetcher(
        resolver=FakeDns({"a.example": ["93.184.216.34"]}),
        transport=spy,
        allowed_schemes=("https",),
    )

    safe.fetch("http://a.example/")
    with pytest.raises(UrlNotAllowed, match="https"):
        safe_https.fetch("http://a.example/")
    assert len(spy.requests) == 1


@pytest.mark.parametrize(
    "url", ["http://user:secret@images.example.com/a.png", "https://token@images.example.com/"]
)
def test_refuses_credentials_in_the_url(url: str) -> None:
    dns = FakeDns({"images.example.com": ["93.184.216.34"]})

    with pytest.raises(UrlNotAllowed, match="credentials"):
        fetcher(resolver=dns, transport=SpyTransport()).fetch(url)

    assert dns.calls == []


@pytest.mark.parametrize("answers", [None, [], ["not-an-address"]])
def test_refuses_hosts_that_do_not_resolve(answers: list[str] | None) -> None:
    dns = FakeDns({} if answers is None else {"images.example.com": answers})
    spy = SpyTransport()

    with pytest.raises(UrlNotAllowed, match="could not be resolved"):
        fetcher(resolver=dns, transport=spy).fetch("http://images.example.com/")

    assert spy.requests == []


# --- DNS rebinding ---------------------------------------------------------------------------


@pytest.fixture
def rebinding_pair() -> Iterator[tuple[OriginServer, OriginServer]]:
    """A "public" origin on 127.0.0.2 and an "internal" one on 127.0.0.1, on the same port."""
    try:
        public = OriginServer("127.0.0.2").start()
    except OSError as error:  # 127.0.0.2 is routed to lo on Linux, not everywhere
        pytest.skip(f"cannot listen on 127.0.0.2: {error}")
    try:
        internal = OriginServer("127.0.0.1", public.port).start()
    except OSError as error:
        public.stop()
        pytest.skip(f"port {public.port} is taken on 127.0.0.1: {error}")
    public.put("/logo.png", PNG, "image/png")
    internal.put("/logo.png", b"internal secret", "image/png")
    try:
        yield public, internal
    finally:
        public.stop()
        internal.stop()


def test_dns_rebinding_cannot_swap_the_address_after_the_check(
    rebinding_pair: tuple[OriginServer, OriginServer],
) -> None:
    public, internal = rebinding_pair
    # First answer: an allowed address (127.0.0.2 stands in for a public one). Any later
    # lookup would say 127.0.0.1, where the "internal" service listens.
    dns = FakeDns({"rebind.example.com": [["127.0.0.2"], ["127.0.0.1"]]})
    transport = LoopbackOnlyTransport()

    resource = fetcher(resolver=dns, transport=transport, allowlist=["127.0.0.2"]).fetch(
        public.url("/logo.png", host="rebind.example.com")
    )

    assert resource.content == PNG
    assert len(dns.calls) == 1
    assert transport.dialled == ["127.0.0.2"]
    assert public.requests[0].host == f"rebind.example.com:{public.port}"
    assert internal.requests == []


def test_each_redirect_hop_is_resolved_and_checked_again(
    rebinding_pair: tuple[OriginServer, OriginServer],
) -> None:
    public, internal = rebinding_pair
    dns = FakeDns({"rebind.example.com": [["127.0.0.2"], ["127.0.0.1"]]})
    target = public.url("/logo.png", host="rebind.example.com")
    start = redirect(public, target, host="rebind.example.com")

    with pytest.raises(UrlNotAllowed, match="redirects"):
        fetcher(resolver=dns, allowlist=["127.0.0.2"]).fetch(start)

    assert len(dns.calls) == 2
    assert len(public.requests) == 1
    assert internal.requests == []


# --- redirects -------------------------------------------------------------------------------


def test_follows_redirects_and_reports_the_final_url(origin: OriginServer) -> None:
    start = redirect(origin, redirect(origin, "/logo.png", status=301), status=307)

    resource = fetcher(allowlist=["127.0.0.1"]).fetch(start)

    assert resource.content == PNG
    assert resource.url == origin.url("/logo.png")
    assert len(origin.requests) == 3


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://internal.example.com/admin",
        "http://[::ffff:10.0.0.1]/",
        "ftp://images.example.com/a.png",
        "file:///etc/passwd",
        "http://user:pw@images.example.com/",
        "http://unknown.example.com/",
    ],
)
def test_refuses_redirects_to_what_it_would_refuse_directly(
    origin: OriginServer, target: str
) -> None:
    dns = FakeDns({"internal.example.com": ["10.0.0.5"]})
    transport = LoopbackOnlyTransport()

    with pytest.raises(UrlNotAllowed, match="redirects"):
        fetcher(resolver=dns, transport=transport, allowlist=["127.0.0.1"]).fetch(
            redirect(origin, target)
        )

    assert len(transport.requests) == 1
    assert len(origin.requests) == 1


def test_an_allowlisted_host_cannot_redirect_to_a_loopback_address(origin: OriginServer) -> None:
    dns = FakeDns({"origin.example.com": ["127.0.0.1"]})
    start = redirect(origin, origin.url("/logo.png"), host="origin.example.com")

    with pytest.raises(UrlNotAllowed):
        fetcher(resolver=dns, allowlist=["origin.example.com"]).fetch(start)

    assert origin.paths == [start.split(str(origin.port), 1)[1]]


def test_a_redirect_loop_ends_as_too_many_redirects(origin: OriginServer) -> None:
    with pytest.raises(FetchFailed, match="more than 3"):
        fetcher(allowlist=["127.0.0.1"]).fetch(origin.url("/loop"))

    assert origin.paths == ["/loop"] * 4


def test_max_redirects_zero_follows_none(origin: OriginServer) -> None:
    with pytest.raises(FetchFailed, match="more than 0"):
        fetcher(allowlist=["127.0.0.1"], max_redirects=0).fetch(redirect(origin, "/logo.png"))

    assert len(origin.requests) == 1


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 403])
def test_a_non_2xx_status_fails_naming_the_status(origin: OriginServer, status: int) -> None:
    with pytest.raises(FetchFailed, match=str(status)):
        fetcher(allowlist=["127.0.0.1"]).fetch(origin.url(f"/status/{status}"))


def test_a_refused_connection_fails_without_naming_the_address() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    dns = FakeDns({"images.example.com": ["127.0.0.1"]})

    with pytest.raises(FetchFailed) as failed:
        fetcher(resolver=dns, allow_loopback=True).fetch(
            f"http://images.example.com:{closed_port}/"
        )

    assert "127.0.0.1" not in failed.value.message


def test_tries_the_next_checked_address_when_one_refuses(origin: OriginServer) -> None:
    dns = FakeDns({"images.example.com": ["127.0.0.3", "127.0.0.1"]})
    transport = LoopbackOnlyTransport()

    resource = fetcher(resolver=dns, transport=transport, allow_loopback=True).fetch(
        origin.url("/logo.png", host="images.example.com")
    )

    assert resource.content == PNG
    assert transport.dialled == ["127.0.0.3", "127.0.0.1"]


def test_a_compressed_response_is_refused(origin: OriginServer) -> None:
    with pytest.raises(FetchFailed, match="encoding"):
        fetcher(allowlist=["127.0.0.1"]).fetch(origin.url("/gzip"))


# --- byte caps -------------------------------------------------------------------------------


def test_a_body_of_exactly_max_bytes_is_fetched(origin: OriginServer) -> None:
    safe = fetcher(allowlist=["127.0.0.1"], max_bytes=len(PNG))

    assert safe.fetch(origin.url("/logo.png")).content == PNG


def test_a_declared_length_over_the_cap_is_refused_before_reading(origin: OriginServer) -> None:
    with pytest.raises(FetchTooLarge):
        fetcher(allowlist=["127.0.0.1"], max_bytes=len(PNG) - 1).fetch(origin.url("/logo.png"))

    started = time.monotonic()
    with pytest.raises(FetchTooLarge) as refused:
        fetcher(allowlist=["127.0.0.1"]).fetch(origin.url(f"/declared?length={10**12}"))
    assert time.monotonic() - started < 1
    assert refused.value.code == "fetch_too_large"


def test_an_undeclared_body_is_cut_off_at_the_cap(origin: OriginServer) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTooLarge):
        fetcher(allowlist=["127.0.0.1"], max_bytes=200_000).fetch(origin.url("/endless"))
    assert time.monotonic() - started < 1


# --- time budget -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/sleep?seconds=5", "/drip-headers?interval=0.05", "/drip-body?interval=0.05"]
)
def test_the_whole_fetch_fits_its_time_budget(origin: OriginServer, path: str) -> None:
    # A trickle resets httpcore's per-read timeout every 50 ms; only the fetch's own deadline
    # ends it.
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as timed_out:
        fetcher(allowlist=["127.0.0.1"], timeout=0.4).fetch(origin.url(path))

    assert time.monotonic() - started < 1.2
    assert timed_out.value.code == "fetch_timeout"


def test_a_slow_resolver_counts_against_the_budget() -> None:
    release = threading.Event()

    def stalled_dns(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["93.184.216.34"]

    started = time.monotonic()
    try:
        with pytest.raises(FetchTimeout):
            fetcher(resolver=stalled_dns, transport=SpyTransport(), timeout=0.3).fetch(
                "http://images.example.com/"
            )
    finally:
        release.set()
    assert time.monotonic() - started < 1


# --- TLS -------------------------------------------------------------------------------------


def tls_origin(tmp_path: Path, certificate_name: str) -> tuple[OriginServer, ssl.SSLContext]:
    """An HTTPS origin on 127.0.0.1 whose certificate names ``certificate_name`` only, and a
    client context that trusts that certificate."""
    pytest.importorskip("cryptography")
    certificate, key = self_signed_certificate(certificate_name)
    (tmp_path / "cert.pem").write_bytes(certificate)
    (tmp_path / "key.pem").write_bytes(key)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    return OriginServer(tls=server_context), client_context


def test_tls_is_verified_for_the_host_name_while_dialling_the_address(tmp_path: Path) -> None:
    server, client_context = tls_origin(tmp_path, "images.example.com")
    dns = FakeDns({"images.example.com": ["127.0.0.1"]})
    transport = LoopbackOnlyTransport(httpx.HTTPTransport(verify=client_context))

    with server:
        server.put("/logo.png", PNG, "image/png")
        resource = fetcher(
            resolver=dns, transport=transport, allowlist=["images.example.com"]
        ).fetch(server.url("/logo.png", host="images.example.com"))

    # The certificate names no address, so this succeeds only if it was checked by name.
    assert resource.content == PNG
    assert transport.dialled == ["127.0.0.1"]
    assert server.requests[0].host == f"images.example.com:{server.port}"


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    server, client_context = tls_origin(tmp_path, "other.example.com")
    dns = FakeDns({"images.example.com": ["127.0.0.1"]})
    transport = LoopbackOnlyTransport(httpx.HTTPTransport(verify=client_context))

    with server, pytest.raises(FetchFailed, match="certificate"):
        fetcher(resolver=dns, transport=transport, allowlist=["images.example.com"]).fetch(
            server.url("/logo.png", host="images.example.com")
        )

    assert server.requests == []


# --- data: URLs ------------------------------------------------------------------------------


def data_url(content: bytes, header: str = "data:image/png;base64,") -> str:
    return header + base64.b64encode(content).decode()


@pytest.mark.parametrize(
    "header",
    ["data:image/png;base64,", "DATA:Image/PNG;BASE64,", "data:image/png;name=logo.png;base64,"],
)
def test_decodes_base64_data_urls(header: str) -> None:
    assert decode_data_url(data_url(PNG, header), MAX_BYTES) == (PNG, "image/png")


def test_a_data_url_of_exactly_max_bytes_is_decoded() -> None:
    for size in (len(PNG) - 2, len(PNG) - 1, len(PNG)):
        assert decode_data_url(data_url(PNG[:size]), size)[0] == PNG[:size]


@pytest.mark.parametrize(
    "url",
    [
        "https://images.example.com/a.png",
        "data:image/png,rawbytes",
        "data:;base64,iVBORw0KGgo=",
        "data:image/png;base64",
        "data:image;base64,iVBORw0KGgo=",
        "data:image/png;base64,iVBORw0KGgo",  # padding missing
        "data:image/png;base64,iVBO*w0KGgo=",  # outside the alphabet
        "data:image/png;base64,iVBO Rw0KGgo=",  # whitespace
        "data:image/png;base64,iVBORw0K\nGgo=",
        "data:image/png;base64,iVBORw0K-_go=",  # url-safe alphabet
        "data:image/png;base64,iVBORw0KGgo%3D",  # percent-encoded
        "data:image/png;base64,é===",
        "data:image/png;base64,",
    ],
)
def test_refuses_malformed_data_urls(url: str) -> None:
    with pytest.raises(InvalidDataUrl) as refused:
        decode_data_url(url, MAX_BYTES)

    assert refused.value.code == "invalid_data_url"


def test_an_oversized_data_url_is_refused_before_decoding() -> None:
    with pytest.raises(FetchTooLarge):
        decode_data_url(data_url(PNG), len(PNG) - 1)
    # Judged by length alone: not even valid base64 is looked at.
    with pytest.raises(FetchTooLarge):
        decode_data_url("data:image/png;base64," + "*" * 4_000_000, MAX_BYTES)
