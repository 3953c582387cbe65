"""Per-user rate limits from the plan: 429 with Retry-After and the IETF RateLimit headers,
one budget per user whatever key or dashboard session they use, nothing charged for a
refused request, and one shared budget across API instances that share Redis."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from krev.accounts import service as accounts
from krev.composition import build_runtime
from krev.platform.config import Plan, Settings
from krev.platform.ratelimit import RateLimiter, RateLimitState
from krev.platform.runtime import Runtime
from tests.conftest import Account, build_app
from tests.infra.test_ratelimit_batching import count_script_calls, drive_clock, unique_prefix
from tests.support.billing import (
    assert_ledger_matches_balance,
    generation_count,
    ledger_kinds,
    plans_with,
)
from tests.support.http_types import AnyResponse

TRICKLE = Plan(name="Trickle", monthly_credits=1000, storage_bytes=1024**3, rate_limit="3/minute")
POLICY = '"trickle";q=3;w=60'
RATELIMIT = re.compile(r'^"trickle";r=(\d+);t=(\d+)$')
CREDITS = "/api/v1/credits"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(plans=plans_with(trickle=TRICKLE))


def _remaining(response: AnyResponse) -> int:
    """``r=`` of the RateLimit header, after checking the header's shape."""
    assert response.headers.get_list("ratelimit-policy") == [POLICY]
    values = response.headers.get_list("ratelimit")
    assert len(values) == 1, values
    match = RATELIMIT.match(values[0])
    assert match, values[0]
    assert 0 <= int(match.group(2)) <= 60
    return int(match.group(1))


def _assert_refused(response: AnyResponse) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "rate_limited"
    assert body["error"]
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    assert _remaining(response) == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_request_over_the_plans_limit_gets_429_with_retry_after(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="trickle")

    allowed = [client.get(CREDITS, headers=account.headers) for _ in range(3)]
    refused = client.get(CREDITS, headers=account.headers)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [_remaining(r) for r in allowed] == [2, 1, 0]
    _assert_refused(refused)


def test_the_default_plans_limit_is_announced_on_every_response(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro")

    response = client.get(CREDITS, headers=account.headers)

    assert response.headers["ratelimit-policy"] == '"pro";q=120;w=60'
    assert re.match(r'^"pro";r=119;t=\d+$', response.headers["ratelimit"])


def test_a_users_keys_share_one_budget_and_the_dashboard_has_its_own(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="trickle")
    other_user = make_account(plan="trickle")
    login = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert login.status_code == 200, login.text
    dashboard = {"X-CSRF-Token": login.json()["data"]["csrf_token"]}

    created = client.post("/api/v1/keys", json={"name": "second"}, headers=dashboard)
    second_key = {"Authorization": f"Bearer {created.json()['data']['key']}"}
    first = client.get(CREDITS, headers=account.headers)
    second = client.get(CREDITS, headers=second_key)
    third = client.get(CREDITS, headers=account.headers)
    refused_key = client.get(CREDITS, headers=second_key)
    # The dashboard's calls count in a window of their own (KREV_DASHBOARD_RATE_LIMIT): a page
    # left open neither spends the keys' budget nor is refused once the keys have spent it.
    still_dashboard = client.get("/api/v1/keys")
    client.cookies.clear()
    unaffected = client.get(CREDITS, headers=other_user.headers)

    assert [created.status_code, first.status_code, second.status_code] == [201, 200, 200]
    assert [_remaining(r) for r in (first, second, third)] == [2, 1, 0]
    _assert_refused(refused_key)
    assert still_dashboard.status_code == 200
    assert unaffected.status_code == 200
    assert _remaining(unaffected) == 2


def test_a_second_key_made_directly_shares_the_budget(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="trickle")
    with runtime.db.transaction() as session:
        _, second = accounts.create_key(
            session, runtime.settings, account.user_id, "second", ["credits", "images"]
        )
    keys = [account.headers, {"Authorization": f"Bearer {second}"}]

    statuses = [client.get(CREDITS, headers=keys[n % 2]).status_code for n in range(4)]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_rate_limited_job_costs_nothing(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="trickle", credits=500)
    job = {"Prefer": "respond-async", **account.headers}
    accepted = client.post("/api/v1/test-jobs", json={"cost": 40}, headers=job)
    client.get(CREDITS, headers=account.headers)
    client.get(CREDITS, headers=account.headers)
    kinds_before = ledger_kinds(runtime, account.user_id)

    refused = client.post("/api/v1/test-jobs", json={"cost": 40}, headers=job)

    assert accepted.status_code == 202
    _assert_refused(refused)
    assert assert_ledger_matches_balance(runtime, account.user_id) == 460
    assert ledger_kinds(runtime, account.user_id) == kinds_before
    assert generation_count(runtime, account.user_id) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_api_instances_sharing_redis_share_each_users_budget(
    settings: Settings, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    """The scale-out promise: N API processes behind a load balancer enforce one limit."""
    assert settings.redis_url
    account = make_account(plan="trickle")
    second_runtime = build_runtime(settings)
    with (
        TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as first,
        TestClient(build_app(second_runtime), base_url="http://127.0.0.1:8000") as second,
    ):
        statuses = [
            instance.get(CREDITS, headers=account.headers).status_code
            for instance in (first, second, first, second)
        ]
        remaining_elsewhere = _remaining(second.get(CREDITS, headers=account.headers))

    assert statuses == [200, 200, 200, 429]
    assert remaining_elsewhere == 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_deployments_with_their_own_queue_name_on_one_redis_keep_their_own_budgets(
    settings: Settings, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="trickle")
    other = build_runtime(settings.model_copy(update={"queue_name": f"{settings.queue_name}-b"}))
    try:
        with (
            TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as first,
            TestClient(build_app(other), base_url="http://127.0.0.1:8000") as second,
        ):
            ours = [first.get(CREDITS, headers=account.headers).status_code for _ in range(4)]
            theirs = second.get(CREDITS, headers=account.headers)
    finally:
        other.limiter.reset()
        other.close()

    assert ours == [200, 200, 200, 429]
    assert theirs.status_code == 200
    assert _remaining(theirs) == 2


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_requests_of_one_user_get_exactly_the_plans_limit(
    app: FastAPI, client: TestClient, make_account: Callable[..., Account]
) -> None:
    """Requests in flight together share Redis calls, and still exactly 3 get through."""
    account = make_account(plan="trickle")
    # The key's first use writes its last_used_at in a thread; later requests do not.
    first = client.get(CREDITS, headers=account.headers)
    calls = count_script_calls(app.state.runtime.limiter)

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as c:
            return list(
                await asyncio.gather(*(c.get(CREDITS, headers=account.headers) for _ in range(8)))
            )

    responses = asyncio.run(burst())

    assert _remaining(first) == 2
    assert sorted(r.status_code for r in responses) == [200] * 2 + [429] * 6
    assert sorted(_remaining(r) for r in responses if r.status_code == 200) == [0, 1]
    for refused in (r for r in responses if r.status_code == 429):
        _assert_refused(refused)
    assert calls.calls <= 2  # one batch, give or take a request that fell into the next turn


# --- the limiter itself, on each storage ---------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    else:
        yield request.getfixturevalue("redis_url")


def test_the_limiter_counts_and_refuses_on_each_storage(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri)
    limiter.check()
    who = uuid.uuid4().hex

    states = [limiter.hit("2/minute", "user", who, policy="p") for _ in range(3)]

    assert [s.allowed for s in states] == [True, True, False]
    assert [s.remaining for s in states] == [1, 0, 0]
    assert all(s.limit == 2 and s.window == 60 for s in states)
    refused = states[-1].headers()
    assert refused["RateLimit-Policy"] == '"p";q=2;w=60'
    assert re.match(r'^"p";r=0;t=\d+$', refused["RateLimit"])
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Retry-After" not in states[0].headers()
    # Someone else's budget is untouched.
    assert limiter.hit("2/minute", "user", uuid.uuid4().hex).remaining == 1


def test_limiters_on_one_redis_share_budgets_and_in_memory_ones_do_not(redis_url: str) -> None:
    who = uuid.uuid4().hex
    shared = [RateLimiter(redis_url), RateLimiter(redis_url)]
    separate = [RateLimiter("memory://"), RateLimiter("memory://")]

    shared_states = [shared[n % 2].hit("2/minute", "user", who) for n in range(3)]
    separate_states = [separate[n % 2].hit("2/minute", "user", who) for n in range(3)]

    assert [s.allowed for s in shared_states] == [True, True, False]
    assert [s.allowed for s in separate_states] == [True, True, True]


def test_a_counted_hit_leaves_the_window_exactly_one_window_later(
    storage_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter(storage_uri, prefix=unique_prefix())
    clock = drive_clock(monkeypatch)
    start, who = clock.now, uuid.uuid4().hex

    def hit_at(seconds: float) -> RateLimitState:
        clock.now = start + seconds
        return limiter.hit("2/minute", "user", who)

    first, second = hit_at(0), hit_at(10)
    just_before_the_edge = hit_at(59.75)
    at_the_edge, right_after_it = hit_at(60), hit_at(60)
    when_the_second_leaves = hit_at(70)

    def seen(state: RateLimitState) -> tuple[bool, int, int]:
        return state.allowed, state.remaining, state.reset_after

    assert [seen(first), seen(second)] == [(True, 1, 60), (True, 0, 50)]
    assert seen(just_before_the_edge) == (False, 0, 1)
    assert just_before_the_edge.headers()["Retry-After"] == "1"
    # At 60 s the first hit has left: one request fits, and the window is full again.
    assert [seen(at_the_edge), seen(right_after_it)] == [(True, 0, 10), (False, 0, 10)]
    assert seen(when_the_second_leaves) == (True, 0, 50)
    limiter.reset()


def test_a_budget_is_named_by_its_policy_rule_and_identifiers(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri, prefix=unique_prefix())
    address = f"2001:db8::{uuid.uuid4().int % 65536:x}"

    spent = limiter.hit("1/minute", "address", address, "x", policy="a")
    elsewhere = [
        limiter.hit("1/minute", "address", address, "x", policy="b"),
        limiter.hit("2/minute", "address", address, "x", policy="a"),
        # The same characters cut differently are other identifiers, ':' or not.
        limiter.hit("1/minute", "address", f"{address}:x", policy="a"),
        limiter.hit("1/minute", "address", address.replace(":", "%3A"), "x", policy="a"),
    ]
    again = limiter.hit("1/minute", "address", address, "x", policy="a")

    assert spent.allowed
    assert [(s.allowed, s.remaining) for s in elsewhere] == [(True, 0), (True, 1)] + [(True, 0)] * 2
    assert again.allowed is False
    limiter.reset()


def test_hits_from_many_threads_at_once_count_exactly_the_limit(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri, prefix=unique_prefix())
    who = uuid.uuid4().hex
    start = threading.Barrier(8)
    answers: list[list[RateLimitState]] = []

    def requests() -> None:
        start.wait()
        answers.append([limiter.hit("100/minute", "user", who) for _ in range(30)])

    threads = [threading.Thread(target=requests) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    allowed = [state for states in answers for state in states if state.allowed]
    assert len(answers) == 8
    assert sorted(state.remaining for state in allowed) == list(range(100))
    limiter.reset()


def test_the_memory_limiter_forgets_budgets_idle_for_a_whole_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limiter = RateLimiter("memory://")
    assert limiter._memory is not None
    clock = drive_clock(monkeypatch)
    start = clock.now
    for n in range(100):
        limiter.hit("5/second", "user", str(n))
    limiter.hit("3/hour", "login", "someone")
    clock.now = start + 0.5
    limiter.hit("5/second", "user", "late")
    held_before = limiter._memory.budgets()

    clock.now = start + 1
    again = limiter.hit("5/second", "user", "0")

    assert held_before == 102
    # Left: the budget hit half a second ago, the one hit again, and the hour's.
    assert limiter._memory.budgets() == 3
    assert again.remaining == 4  # its earlier hit has left the window
