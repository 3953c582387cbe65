"""Credits under concurrent requests, through a real uvicorn server: the balance never
goes below zero, exactly as many jobs are accepted as the credits pay for, the ledger
agrees with the balance, and a refund lands once however many times it is attempted."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from krev.billing.service import refund_credits
from krev.models import Cause, LedgerEntry
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.billing import (
    assert_ledger_matches_balance,
    generation_count,
    ledger_kinds,
    plans_with,
    set_user_columns,
    unlimited_plan,
)
from tests.support.live_server import LiveServer

JOB_COST = 40
CONCURRENT_REQUESTS = 50
AFFORDABLE_JOBS = 10


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(plans=plans_with(load=unlimited_plan()))


def _post_jobs_at_once(url: str, headers: dict[str, str], count: int) -> list[httpx.Response]:
    """``count`` job POSTs from as many threads, each on its own connection, released
    together by a barrier."""
    barrier = threading.Barrier(count)
    job_headers = {**headers, "Prefer": "respond-async"}
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    # Generous: a guard against a hung server, not an expectation about speed.
    with httpx.Client(base_url=url, limits=limits, timeout=120) as http:

        def post(_: int) -> httpx.Response:
            barrier.wait()
            return http.post("/api/v1/test-jobs", json={"cost": JOB_COST}, headers=job_headers)

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(post, range(count)))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("remainder", [0, JOB_COST - 1])
def test_concurrent_jobs_never_overdraw(
    runtime: Runtime,
    make_account: Callable[..., Account],
    live_server: LiveServer,
    remainder: int,
) -> None:
    account = make_account(plan="load", credits=AFFORDABLE_JOBS * JOB_COST + remainder)

    responses = _post_jobs_at_once(live_server.url, account.headers, CONCURRENT_REQUESTS)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {202: AFFORDABLE_JOBS, 402: CONCURRENT_REQUESTS - AFFORDABLE_JOBS}, [
        r.text for r in responses if r.status_code not in (202, 402)
    ]
    for response in responses:
        body = response.json()
        if response.status_code == 402:
            assert body["success"] is False
            assert body["code"] == "insufficient_credits"
        else:
            assert body["data"]["status"] == "queued"
    assert assert_ledger_matches_balance(runtime, account.user_id) == remainder
    assert generation_count(runtime, account.user_id) == AFFORDABLE_JOBS
    credits = httpx.get(f"{live_server.url}/api/v1/credits", headers=account.headers)
    assert credits.json()["data"]["credits"]["current"] == remainder


def _wait_until_a_transaction_waits_for_a_lock(runtime: Runtime, thread: threading.Thread) -> None:
    """On PostgreSQL, until another backend is blocked on a row lock (or ``thread`` ended)."""
    if runtime.db.is_sqlite:
        return  # its writers queue on BEGIN IMMEDIATE, which nothing outside can observe
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while thread.is_alive():
        with runtime.db.engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        time.sleep(0.01)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_refund_lands_once_when_two_transactions_race(
    runtime: Runtime, client: TestClient, make_account: Callable[..., Account]
) -> None:
    """The second refund starts before the first commits, so it cannot see it; the unique
    (generation, kind) in the ledger, not a read, is what stops it."""
    account = make_account(plan="load", credits=JOB_COST)
    accepted = client.post(
        "/api/v1/test-jobs",
        json={"cost": JOB_COST},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert accepted.status_code == 202, accepted.text
    generation_id = uuid.UUID(accepted.json()["data"]["generation_id"])
    results: dict[str, bool] = {}
    cause = Cause.system()  # the refunds' cause plays no part in which one wins

    def refund(name: str) -> None:
        with runtime.db.transaction() as session:
            results[name] = refund_credits(
                session,
                account.user_id,
                JOB_COST,
                generation_id,
                cause=cause,
                generation_kind="test_render",
            )

    with runtime.db.transaction() as first:
        results["first"] = refund_credits(
            first,
            account.user_id,
            JOB_COST,
            generation_id,
            cause=cause,
            generation_kind="test_render",
        )
        second = threading.Thread(target=refund, args=("second",))
        second.start()
        _wait_until_a_transaction_waits_for_a_lock(runtime, second)
    second.join()

    assert results == {"first": True, "second": False}
    assert assert_ledger_matches_balance(runtime, account.user_id) == JOB_COST
    with runtime.db.transaction(write=False) as session:
        refunds = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.generation_id == generation_id, LedgerEntry.kind == "refund")
        )
    assert refunds == 1
    credits = client.get("/api/v1/credits", headers=account.headers).json()["data"]["credits"]
    assert credits["current"] == JOB_COST


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_concurrent_reads_after_the_period_ended_reset_it_once(
    runtime: Runtime, make_account: Callable[..., Account], live_server: LiveServer
) -> None:
    account = make_account(plan="load", credits=100)
    set_user_columns(runtime, account.user_id, credits_resets_at=datetime(2020, 1, 1, tzinfo=UTC))
    count = 20
    barrier = threading.Barrier(count)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)

    with httpx.Client(base_url=live_server.url, limits=limits, timeout=120) as http:

        def read(_: int) -> httpx.Response:
            barrier.wait()
            return http.get("/api/v1/credits", headers=account.headers)

        with ThreadPoolExecutor(max_workers=count) as pool:
            responses = list(pool.map(read, range(count)))

    assert [r.status_code for r in responses] == [200] * count, [r.text for r in responses]
    assert {r.json()["data"]["credits"]["current"] for r in responses} == {2500}
    assert len({r.json()["data"]["resets_at"] for r in responses}) == 1
    assert ledger_kinds(runtime, account.user_id).count("monthly_reset") == 2
    assert assert_ledger_matches_balance(runtime, account.user_id) == 2500
