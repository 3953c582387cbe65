"""Credits settled by real jobs run by the embedded worker: a failed or crashed job gives
its credits back, a job that used fewer gives back the rest, and stored outputs count
against the plan's storage (a job that does not fit fails and is refunded)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Plan, Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.billing import assert_ledger_matches_balance, plans_with

TINY = Plan(name="Tiny", monthly_credits=500, storage_bytes=16, rate_limit="1000/minute")


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(embedded_workers=1, plans=plans_with(tiny=TINY))


def _run_job(client: TestClient, account: Account, cost: int, **params: Any) -> Any:
    """Submit and wait for the outcome (the synchronous answer)."""
    return client.post(
        "/api/v1/test-jobs", json={"cost": cost, "params": params}, headers=account.headers
    )


def _credits(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _movements(client: TestClient, account: Account, generation_id: str) -> list[Any]:
    entries = client.get("/api/v1/credits/history", headers=account.headers).json()["data"]
    return [(e["kind"], e["delta"]) for e in entries if e["generation_id"] == generation_id]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("failure", ["fail", "crash"])
def test_a_failed_job_gives_its_credits_back(
    client: TestClient,
    runtime: Runtime,
    make_account: Callable[..., Account],
    failure: str,
) -> None:
    account = make_account(plan="pro", credits=300)

    response = _run_job(client, account, 120, **{failure: True})

    assert response.status_code == 500, response.text
    body = response.json()
    assert body["success"] is False
    assert body["status"] == "failed"
    assert _credits(client, account)["credits"]["current"] == 300
    assert _movements(client, account, body["generation_id"]) == [
        ("refund", 120),
        ("reservation", -120),
    ]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 300


def test_a_job_that_used_fewer_credits_gives_back_the_rest(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=300)

    response = _run_job(client, account, 120, credits_used=50)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["credits_used"] == 50
    assert _credits(client, account)["credits"]["current"] == 250
    assert _movements(client, account, data["generation_id"]) == [
        ("partial_refund", 70),
        ("reservation", -120),
    ]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 250


def test_a_succeeded_job_keeps_its_cost_and_its_outputs_count_as_storage(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=300)

    response = _run_job(client, account, 40, count=2)

    assert response.status_code == 200, response.text
    images = response.json()["data"]["images"]
    stored = sum(len(client.get(url).content) for url in images)
    assert len(images) == 2
    assert stored > 0
    data = _credits(client, account)
    assert data["credits"]["current"] == 260
    assert data["storage"]["used_bytes"] == stored
    assert re.fullmatch(r"\d+(\.\d)? (B|KB)", data["storage"]["used_formatted"])
    assert assert_ledger_matches_balance(runtime, account.user_id) == 260


def test_outputs_that_do_not_fit_the_plans_storage_fail_the_job_and_refund_it(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="tiny")

    response = _run_job(client, account, 40)

    assert response.status_code == 413, response.text
    body = response.json()
    assert body["code"] == "storage_quota_exceeded"
    assert body["status"] == "failed"
    data = _credits(client, account)
    assert data["credits"]["current"] == 500
    assert data["storage"]["used_bytes"] == 0
    assert assert_ledger_matches_balance(runtime, account.user_id) == 500
