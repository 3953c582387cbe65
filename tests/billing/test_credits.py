"""GET /api/v1/credits: the reference's exact shape and formatting, plans from
configuration, and the monthly reset a user sees when their period ends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.kit.clock import next_month_start
from krev.platform.config import Plan, Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.billing import (
    assert_ledger_matches_balance,
    ledger_kinds,
    plans_with,
    set_user_columns,
)

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
AGENCY = Plan(
    name="Agency Plus",
    monthly_credits=1_234_567,
    storage_bytes=5 * 1024**3 + 512 * 1024**2,
    rate_limit="1000/minute",
)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The default plans plus one configured here, as KREV_PLANS would add it."""
    return make_settings(plans=plans_with(agency=AGENCY))


def _credits(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


def _expected_resets_at(before: datetime, after: datetime) -> set[str]:
    """The first of next month (UTC); either side of a month boundary crossed mid-test."""
    return {next_month_start(m).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (before, after)}


def test_credits_match_the_reference_example(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    before = datetime.now(UTC)
    account = make_account(plan="pro", credits=1840)
    set_user_columns(runtime, account.user_id, storage_used_bytes=524_288_000)

    response = client.get("/api/v1/credits", headers=account.headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    data = body["data"]
    resets_at = data.pop("resets_at")
    assert data == {
        "plan": "pro",
        "plan_name": "Pro",
        "credits": {
            "current": 1840,
            "limit": 2500,
            "current_formatted": "1,840",
            "limit_formatted": "2,500",
        },
        "storage": {
            "used_bytes": 524_288_000,
            "limit_bytes": 2_147_483_648,
            "used_formatted": "500 MB",
            "limit_formatted": "2 GB",
        },
    }
    assert RFC3339_Z.match(resets_at)
    assert resets_at in _expected_resets_at(before, datetime.now(UTC))


@pytest.mark.parametrize(
    ("used_bytes", "formatted"),
    [(0, "0 B"), (1536, "1.5 KB"), (1024**2, "1 MB"), (3 * 1024**3 // 2, "1.5 GB")],
)
def test_storage_usage_is_formatted_in_binary_units(
    client: TestClient,
    runtime: Runtime,
    make_account: Callable[..., Account],
    used_bytes: int,
    formatted: str,
) -> None:
    account = make_account(plan="free")
    set_user_columns(runtime, account.user_id, storage_used_bytes=used_bytes)

    storage = _credits(client, account)["storage"]

    assert storage["used_bytes"] == used_bytes
    assert storage["used_formatted"] == formatted
    assert storage["limit_formatted"] == "500 MB"


def test_a_configured_plan_is_what_credits_report(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="agency")

    data = _credits(client, account)

    assert data["plan"] == "agency"
    assert data["plan_name"] == "Agency Plus"
    assert data["credits"] == {
        "current": 1_234_567,
        "limit": 1_234_567,
        "current_formatted": "1,234,567",
        "limit_formatted": "1,234,567",
    }
    assert data["storage"]["limit_bytes"] == 5 * 1024**3 + 512 * 1024**2
    assert data["storage"]["limit_formatted"] == "5.5 GB"


def test_a_new_user_starts_with_the_plans_monthly_credits_on_the_ledger(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="starter")

    assert _credits(client, account)["credits"]["current"] == 1000
    assert ledger_kinds(runtime, account.user_id) == ["monthly_reset"]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 1000


def test_credits_need_the_credits_scope(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(scopes=["images"])

    response = client.get("/api/v1/credits", headers=account.headers)

    assert response.status_code == 403
    assert response.json()["success"] is False
    assert response.json()["code"] == "insufficient_scope"


# --- the monthly reset ---------------------------------------------------------------

LAST_YEAR = datetime(2020, 1, 15, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_ended_period_tops_the_balance_up_to_the_monthly_credits(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=300)
    set_user_columns(runtime, account.user_id, credits_resets_at=LAST_YEAR)
    before = datetime.now(UTC)

    data = _credits(client, account)

    assert data["credits"]["current"] == 2500
    assert data["credits"]["current_formatted"] == "2,500"
    assert data["resets_at"] in _expected_resets_at(before, datetime.now(UTC))
    assert ledger_kinds(runtime, account.user_id)[-1] == "monthly_reset"
    history = client.get("/api/v1/credits/history", headers=account.headers).json()["data"]
    assert history[0]["kind"] == "monthly_reset"
    assert history[0]["delta"] == 2200
    assert history[0]["balance_after"] == 2500
    assert assert_ledger_matches_balance(runtime, account.user_id) == 2500
    # The next period is open: asking again changes nothing.
    assert _credits(client, account) == data
    assert ledger_kinds(runtime, account.user_id).count("monthly_reset") == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_reset_never_takes_credits_away(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=4000)
    set_user_columns(runtime, account.user_id, credits_resets_at=LAST_YEAR)
    kinds_before = ledger_kinds(runtime, account.user_id)
    before = datetime.now(UTC)

    data = _credits(client, account)

    assert data["credits"]["current"] == 4000
    assert data["resets_at"] in _expected_resets_at(before, datetime.now(UTC))
    assert ledger_kinds(runtime, account.user_id) == kinds_before
    assert assert_ledger_matches_balance(runtime, account.user_id) == 4000


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_job_after_the_period_ended_is_paid_from_the_new_period(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    """A user whose month rolled over is not refused with 402 just because they had not
    looked at /credits yet."""
    account = make_account(plan="free", credits=0)
    set_user_columns(runtime, account.user_id, credits_resets_at=LAST_YEAR)

    response = client.post(
        "/api/v1/test-jobs",
        json={"cost": 40},
        headers={**account.headers, "Prefer": "respond-async"},
    )

    assert response.status_code == 202, response.text
    data = _credits(client, account)
    assert data["credits"]["current"] == 160
    assert data["resets_at"] > "2020-02-01T00:00:00Z"
    assert ledger_kinds(runtime, account.user_id)[-2:] == ["monthly_reset", "reservation"]
    assert assert_ledger_matches_balance(runtime, account.user_id) == 160


def test_a_period_ending_in_the_future_is_left_alone(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="pro", credits=100)
    later = datetime.now(UTC) + timedelta(days=3)
    set_user_columns(runtime, account.user_id, credits_resets_at=later)

    data = _credits(client, account)

    assert data["credits"]["current"] == 100
    assert data["resets_at"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
