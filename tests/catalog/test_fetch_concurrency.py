"""Fetching users' image URLs: a user's slow origins hold none of the threads other requests
need, and one user has at most ``fetch_max_per_user`` fetches in flight (across API processes
with Redis), beyond which the API answers 429 fetch_concurrency and stores nothing.

Proved by construction: an origin holds each fetch open until the test lets go, and each
question is asked while they are held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.catalog.conftest import PRODUCTS, list_products, storage_root, storage_used
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.support.held_fetches import BUDGET, CAP, hold_fetches
from tests.support.origin_server import OriginServer

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        plans=JOB_PLANS, fetch_allowlist=["127.0.0.1"], fetch_timeout_seconds=BUDGET
    )


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        yield server


def shrink_default_executor(client: TestClient, threads: int) -> None:
    """The event loop's default executor with ``threads`` threads, whatever the machine's
    core count, so that "every thread it has" is a number the test can reach."""

    async def replace() -> None:
        executor = ThreadPoolExecutor(threads, thread_name_prefix="default-executor")
        asyncio.get_running_loop().set_default_executor(executor)

    assert client.portal is not None
    client.portal.call(replace)


def assert_refused_for_concurrency(response: Any) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["success"] is False and body["code"] == "fetch_concurrency"
    assert str(CAP) in body["error"]
    assert int(response.headers["Retry-After"]) >= 1


def assert_nothing_stored(client: TestClient, account: Account) -> None:
    assert list_products(client, account)["meta"]["count"] == 0
    assert storage_used(client, account) == 0
    root = storage_root(client)
    assert not list((root / "users" / str(account.user_id)).rglob("*")), "nothing stored"


@BOTH_MODES
def test_a_user_at_the_fetch_cap_stalls_no_one_else_and_gets_429_for_more(
    client: TestClient, make_account: Callable[..., Account], origin: OriginServer
) -> None:
    # As many threads as one user may have fetches: before fetches had threads of their own,
    # these held every one of them.
    shrink_default_executor(client, CAP)
    slow, other = make_account(), make_account()
    held = hold_fetches(client, slow, origin, CAP)

    # Another user's POST /images needs the default executor (engine, scene, status).
    created = held.answer(
        lambda: client.post(
            "/api/v1/images",
            json={"prompt": "a wooden table in soft light"},
            headers={**other.headers, "Prefer": "respond-async"},
        )
    )
    assert created.status_code == 202, created.text
    assert held.answers == [], "no held fetch has ended"

    # The same user's next fetch is refused at once, and never reaches the origin.
    refused = held.answer(
        lambda: client.post(
            PRODUCTS, json={"image_url": origin.url("/hold?upload=extra")}, headers=slow.headers
        )
    )
    assert_refused_for_concurrency(refused)
    assert held.answers == [] and origin.holding == CAP
    assert "/hold?upload=extra" not in origin.paths
    assert_nothing_stored(client, slow)

    # Let go: the held uploads fail on the origin's 503, and their slots are free again.
    assert [a.json()["code"] for a in held.finish()] == ["fetch_failed"] * CAP
    again = client.post(
        PRODUCTS, json={"image_url": origin.url("/status/404")}, headers=slow.headers
    )
    assert again.status_code == 400 and again.json()["code"] == "fetch_failed", again.text
    assert_nothing_stored(client, slow)


@BOTH_MODES
def test_the_cap_is_per_user(
    client: TestClient, make_account: Callable[..., Account], origin: OriginServer
) -> None:
    slow, other = make_account(), make_account()
    held = hold_fetches(client, slow, origin, CAP)
    origin.put("/missing.png", b"not an image", "image/png")

    answer = held.answer(
        lambda: client.post(
            PRODUCTS, json={"image_url": origin.url("/missing.png")}, headers=other.headers
        )
    )

    # Fetched (and refused for what it holds), not refused for concurrency.
    assert answer.status_code == 415, answer.text
    assert "/missing.png" in origin.paths
    held.finish()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_with_redis_the_cap_holds_across_api_processes(
    settings: Settings,
    runtime: Runtime,
    client: TestClient,
    make_account: Callable[..., Account],
    origin: OriginServer,
) -> None:
    # A second API process: its own runtime (pool, slots, caches) on the same database and
    # Redis, sharing nothing in memory with the first.
    second_runtime = build_runtime(settings)
    try:
        with TestClient(build_app(second_runtime), base_url="http://127.0.0.1:8000") as second:
            slow = make_account()
            held = hold_fetches(client, slow, origin, CAP)

            refused = held.answer(
                lambda: second.post(
                    PRODUCTS, json={"image_url": origin.url("/hold?x=1")}, headers=slow.headers
                )
            )

            assert_refused_for_concurrency(refused)
            assert "/hold?x=1" not in origin.paths
            held.finish()
            assert_nothing_stored(second, slow)
    finally:
        second_runtime.close()
