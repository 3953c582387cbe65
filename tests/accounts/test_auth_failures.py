"""Failed authentications are counted per client address: past KREV_AUTH_FAILURE_RATE_LIMIT
they are answered 429 with Retry-After and the RateLimit headers, while a valid key from the
same address is still served. Behind trusted proxies the client is the right-most
X-Forwarded-For entry they vouch for; from any other peer X-Forwarded-For is ignored."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.client_address import client_address, parse_networks
from krev.platform.config import Settings
from tests.accounts.dashboard import CREDITS, LOGIN, assert_error, crc32_base62
from tests.conftest import Account, build_app
from tests.support.http_types import AnyResponse

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
BASE_URL = "http://127.0.0.1:8000"
LISTING = "/api/v1/generations"  # through FastAPI's solver, CREDITS called directly
POLICY = '"auth-failures";q=3;w=60'
RATELIMIT = re.compile(r'^"auth-failures";r=(\d+);t=(\d+)$')


def _unknown_key() -> str:
    body = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    return f"sk_live_{body}{crc32_base62(body)}"


# A missing key, a malformed header, a well-formed key nobody holds, a key with a typo.
FAILURES: list[dict[str, str]] = [
    {},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": f"Bearer {_unknown_key()}"},
    {"Authorization": "Bearer sk_live_nottherightshape"},
]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(auth_failure_rate_limit="3/minute", trusted_proxies=["10.0.0.0/8"])


def from_address(app: FastAPI, host: str) -> TestClient:
    """A client whose TCP peer is ``host`` (the ``client`` fixture runs the app's lifespan)."""
    return TestClient(app, base_url=BASE_URL, client=(host, 50000), raise_server_exceptions=False)


def _remaining(response: AnyResponse) -> int:
    assert response.headers["ratelimit-policy"] == POLICY
    match = RATELIMIT.match(response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    return int(match.group(1))


def _assert_throttled(response: AnyResponse) -> None:
    sentence = assert_error(response, 429, "rate_limited")
    assert "failed authentications" in sentence
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert _remaining(response) == 0


def _fail(client: TestClient, n: int, **headers: str) -> AnyResponse:
    """The n-th kind of failure, alternating between a directly called endpoint and a solved one."""
    path = CREDITS if n % 2 == 0 else LISTING
    response: AnyResponse = client.get(path, headers={**FAILURES[n % 4], **headers})
    return response


@BOTH_MODES
def test_failures_past_the_limit_are_429_and_a_valid_key_still_works(
    app: FastAPI, client: TestClient, account: Account
) -> None:
    guesser = from_address(app, "198.51.100.7")

    first = [_fail(guesser, n) for n in range(3)]
    over = [_fail(guesser, n) for n in range(3, 5)]

    for response in first:
        assert_error(response, 401)
    assert [_remaining(r) for r in first] == [2, 1, 0]
    for response in over:
        _assert_throttled(response)
    # A valid key is served from the same address, under its own plan's budget.
    valid = guesser.get(CREDITS, headers=account.headers)
    assert valid.status_code == 200, valid.text
    assert valid.headers["ratelimit-policy"].startswith('"pro"')
    # Another address has a budget of its own.
    assert_error(_fail(from_address(app, "198.51.100.8"), 0), 401)


@BOTH_MODES
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
    app: FastAPI, client: TestClient
) -> None:
    balancer = from_address(app, "10.1.2.3")

    for n in range(3):
        assert_error(_fail(balancer, n, **{"X-Forwarded-For": "203.0.113.5"}), 401)

    # What the client put left of the balancer's entry, and trusted hops right of it, are
    # not the client: still 203.0.113.5.
    for forwarded in ("203.0.113.5", "192.0.2.1, 203.0.113.5", "203.0.113.5, 10.9.9.9"):
        _assert_throttled(_fail(balancer, 0, **{"X-Forwarded-For": forwarded}))
    assert_error(_fail(balancer, 0, **{"X-Forwarded-For": "203.0.113.6"}), 401)
    assert_error(_fail(balancer, 0, **{"X-Forwarded-For": "203.0.113.5, 198.51.100.1"}), 401)


@BOTH_MODES
def test_forwarded_for_from_an_untrusted_peer_is_ignored(app: FastAPI, client: TestClient) -> None:
    peer = from_address(app, "198.51.100.9")

    for n in range(3):
        forwarded = f"203.0.113.{n + 1}"
        assert_error(_fail(peer, n, **{"X-Forwarded-For": forwarded}), 401)

    _assert_throttled(_fail(peer, 3, **{"X-Forwarded-For": "203.0.113.200"}))
    _assert_throttled(_fail(peer, 0))


def test_without_trusted_proxies_the_balancer_is_the_client(
    make_settings: Callable[..., Settings],
) -> None:
    runtime = build_runtime(make_settings(auth_failure_rate_limit="3/minute"))
    app = build_app(runtime)
    with TestClient(app, base_url=BASE_URL, client=("10.1.2.3", 50000)) as balancer:
        for n in range(3):
            headers = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            assert_error(_fail(balancer, n, **headers), 401)

        _assert_throttled(_fail(balancer, 0, **{"X-Forwarded-For": "203.0.113.9"}))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_api_instances_sharing_redis_share_an_addresses_failures(
    settings: Settings, app: FastAPI, client: TestClient
) -> None:
    other_app = build_app(build_runtime(settings))
    with TestClient(other_app, base_url=BASE_URL, client=("198.51.100.7", 50000)) as second:
        first = from_address(app, "198.51.100.7")
        statuses = [_fail(instance, n).status_code for n, instance in enumerate([first, second])]
        statuses.append(_fail(first, 2).status_code)

        _assert_throttled(_fail(second, 3))

    assert statuses == [401, 401, 401]


def test_the_dashboard_session_failures_count_too(app: FastAPI, client: TestClient) -> None:
    browser = from_address(app, "198.51.100.7")
    browser.cookies.set("krev_session", "expired-or-made-up")

    for _ in range(3):
        assert_error(browser.get("/api/v1/keys"), 401)

    _assert_throttled(browser.get("/api/v1/keys"))


def test_login_attempts_behind_a_trusted_proxy_are_counted_per_forwarded_client(
    make_settings: Callable[..., Settings], account: Account
) -> None:
    runtime = build_runtime(
        make_settings(login_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    )
    with TestClient(build_app(runtime), base_url=BASE_URL, client=("10.1.2.3", 50000)) as balancer:
        wrong = {"email": account.email, "password": "wrong password"}
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for _ in range(2):
            assert balancer.post(LOGIN, json=wrong, headers=attacker).status_code == 401
        assert balancer.post(LOGIN, json=wrong, headers=attacker).status_code == 429

        owner = balancer.post(
            LOGIN,
            json={"email": account.email, "password": account.password},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )

    assert owner.status_code == 200, owner.text


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("10.0.0.1", ["203.0.113.5:4711"], "203.0.113.5"),  # some balancers add the port
        ("10.0.0.1", ["[2001:db8::5]:4711"], "2001:db8::5"),
        ("10.0.0.1", ["192.0.2.1, 203.0.113.5", "10.0.0.7"], "203.0.113.5"),  # two lines
        ("10.0.0.1", ["10.0.0.8, 10.0.0.7"], "10.0.0.8"),  # all trusted: the origin
        ("10.0.0.1", ["203.0.113.5, unknown"], "10.0.0.1"),  # garbage: stop at the proxy
        ("10.0.0.1", [], "10.0.0.1"),
        ("::ffff:10.0.0.1", ["203.0.113.5"], "203.0.113.5"),  # a dual-stack socket
        ("198.51.100.1", ["203.0.113.5"], "198.51.100.1"),  # untrusted peer
        ("testclient", ["203.0.113.5"], "testclient"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    headers = [(b"x-forwarded-for", line.encode()) for line in forwarded]
    scope = {"type": "http", "client": (peer, 1234), "headers": headers}

    assert client_address(scope, parse_networks(["10.0.0.0/8"])) == expected
