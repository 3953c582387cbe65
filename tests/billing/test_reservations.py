"""Reserving credits when a job is accepted, refusing with 402 when they do not cover it,
and refunding a cancelled job once; the ledger and the balance always agree.

No workers run here, so accepted jobs stay queued and their reservations stay visible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.billing import (
    assert_ledger_matches_balance,
    balance_of,
    generation_count,
    ledger_kinds,
)

ASYNC = {"Prefer": "respond-async"}


def _submit(
    client: TestClient, account: Account, cost: int, headers: dict[str, str] | None = None
) -> Any:
    return client.post(
        "/api/v1/test-jobs",
        json={"cost": cost},
        headers={**account.headers, **(ASYNC if headers is None else headers)},
    )


def _balance(client: TestClient, account: Account) -> int:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["credits"]["current"])


def _history(client: TestClient, account: Account, **params: Any) -> Any:
    response = client.get("/api/v1/credits/history", headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_accepted_job_reserves_its_cost_at_once(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=500)

    response = _submit(client, account, 120)

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["status"] == "queued"
    assert _balance(client, account) == 380
    latest = _history(client, account)["data"][0]
    assert latest["kind"] == "reservation"
    assert latest["delta"] == -120
    assert latest["balance_after"] == 380
    assert latest["generation_id"] == data["generation_id"]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 380


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("prefer", [ASYNC, {}], ids=["async", "sync"])
def test_a_job_the_balance_does_not_cover_is_refused_and_leaves_no_trace(
    client: TestClient,
    runtime: Runtime,
    make_account: Callable[..., Account],
    prefer: dict[str, str],
) -> None:
    account = make_account(plan="pro", credits=39)
    kinds_before = ledger_kinds(runtime, account.user_id)

    response = _submit(client, account, 40, headers=prefer)

    assert response.status_code == 402
    body = response.json()
    assert set(body) == {"success", "error", "code"}
    assert body["success"] is False
    assert body["code"] == "insufficient_credits"
    assert "40" in body["error"]
    assert _balance(client, account) == 39
    assert generation_count(runtime, account.user_id) == 0
    assert ledger_kinds(runtime, account.user_id) == kinds_before
    assert assert_ledger_matches_balance(runtime, account.user_id) == 39


def test_the_last_credits_pay_for_one_last_job_and_then_402(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=80)

    statuses = [_submit(client, account, 40).status_code for _ in range(3)]

    assert statuses == [202, 202, 402]
    assert _balance(client, account) == 0
    assert generation_count(runtime, account.user_id) == 2
    assert assert_ledger_matches_balance(runtime, account.user_id) == 0


def test_cancelling_a_queued_job_refunds_it_exactly_once(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=100)
    generation_id = _submit(client, account, 60).json()["data"]["generation_id"]
    assert _balance(client, account) == 40

    cancelled = client.post(f"/api/v1/generations/{generation_id}/cancel", headers=account.headers)
    again = client.post(f"/api/v1/generations/{generation_id}/cancel", headers=account.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert again.status_code == 409
    assert _balance(client, account) == 100
    entries = _history(client, account)["data"]
    refunds = [e for e in entries if e["generation_id"] == generation_id]
    assert [(e["kind"], e["delta"]) for e in refunds] == [("refund", 60), ("reservation", -60)]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 100


def test_history_is_newest_first_and_pages_with_a_cursor(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=1000)
    ids = [_submit(client, account, 10 * (n + 1)).json()["data"]["generation_id"] for n in range(4)]
    client.post(f"/api/v1/generations/{ids[1]}/cancel", headers=account.headers)

    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = _history(client, account, **params)
        assert page["meta"]["count"] == len(page["data"]) <= 2
        pages.append(page["data"])
        cursor = page["meta"]["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "the cursor never ends"

    entries = [entry for page in pages for entry in page]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    moves = [(e["kind"], e["delta"], e["generation_id"]) for e in entries]
    # Newest first: the refund of the cancelled job, the four reservations, then setup.
    assert moves[:5] == [
        ("refund", 20, ids[1]),
        ("reservation", -40, ids[3]),
        ("reservation", -30, ids[2]),
        ("reservation", -20, ids[1]),
        ("reservation", -10, ids[0]),
    ]
    assert [e["kind"] for e in entries[5:]] == ["adjustment", "monthly_reset"]
    assert entries[0]["balance_after"] == balance_of(runtime, account.user_id) == 920
    for entry in entries:
        assert set(entry) == {
            "id",
            "kind",
            "delta",
            "balance_after",
            "generation_id",
            "generation_kind",
            "note",
            "created_at",
            "source",
            "api_key_id",
        }
    # What each job's moves were for stays with them, so usage by kind outlives the jobs.
    assert {e["generation_kind"] for e in entries[:5]} == {"test_render"}
    assert [e["generation_kind"] for e in entries[5:]] == [None, None]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 920


def test_history_shows_only_your_own_credit_movements(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    spender = make_account(plan="pro", credits=500)
    other = make_account(plan="pro", credits=500)
    _submit(client, spender, 50)

    entries = _history(client, other)["data"]

    assert [e["kind"] for e in entries] == ["adjustment", "monthly_reset"]


def test_history_rejects_a_malformed_cursor_with_400(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account()

    response = client.get(
        "/api/v1/credits/history", headers=account.headers, params={"cursor": "yesterday"}
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
