"""GET /api/v1/credits/usage: credits used per UTC day by kind, with the part chat runs used,
read from the ledger alone (a deleted generation's credits stay counted).

The first tests run no workers, so accepted jobs stay queued and hold their reservations; the
last runs real jobs (an ad, a chat run's render) on embedded workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.chat.conftest import run_to_end
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import ORANGE_JAR, create_product
from tests.support.billing import backdate_ledger

USAGE = "/api/v1/credits/usage"
ASYNC = {"Prefer": "respond-async"}
NOTHING = {"images": 0, "videos": 0, "ads": 0, "total": 0}


@pytest.fixture
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    """No workers unless a test asks for some (``indirect`` parameters)."""
    return make_settings(plans=JOB_PLANS, **getattr(request, "param", {}))


def usage(client: TestClient, account: Account, **params: Any) -> Any:
    response = client.get(USAGE, headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def accepted(client: TestClient, account: Account, path: str, body: dict[str, Any]) -> str:
    response = client.post(path, json=body, headers={**account.headers, **ASYNC})
    assert response.status_code == 202, response.text
    generation_id: str = response.json()["data"]["generation_id"]
    return generation_id


def day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def of(data: dict[str, Any], date: str) -> dict[str, Any]:
    (found,) = [d for d in data["daily"] if d["date"] == date]
    return found


def used(images: int = 0, videos: int = 0, ads: int = 0) -> dict[str, int]:
    return {"images": images, "videos": videos, "ads": ads, "total": images + videos + ads}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_usage_counts_each_kind_on_the_day_its_job_was_accepted_net_of_refunds(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(credits=2500)
    fresh = usage(client, account)
    assert fresh["days"] == 30 and (fresh["start"], fresh["end"]) == (day(29), day(0))
    assert [d["date"] for d in fresh["daily"]] == [day(n) for n in range(29, -1, -1)]
    assert all(d == {"date": d["date"], **NOTHING, "via_chat": NOTHING} for d in fresh["daily"])

    # Today: a standard image (40) and an HD one (80), a 4-second video (320).
    accepted(client, account, "/api/v1/images", {"prompt": "pastel gradient"})
    accepted(client, account, "/api/v1/images", {"prompt": "concrete, dramatic", "hd": True})
    accepted(client, account, "/api/v1/videos", {"prompt": "a studio backdrop", "duration": 4})
    # A kind the view does not chart (the test suite's own) is not counted.
    accepted(client, account, "/api/v1/test-jobs", {"cost": 25})
    # Three days ago: a standard image.
    earlier = accepted(client, account, "/api/v1/images", {"prompt": "marble"})
    backdate_ledger(runtime, earlier, 3)
    # Yesterday's job cancelled today: refunded on another day, it counts nothing on either.
    cancelled = accepted(client, account, "/api/v1/images", {"prompt": "soft light"})
    backdate_ledger(runtime, cancelled, 1, kind="reservation")
    response = client.post(f"/api/v1/generations/{cancelled}/cancel", headers=account.headers)
    assert response.status_code == 200, response.text
    # Forty days ago: outside the window.
    old = accepted(client, account, "/api/v1/videos", {"prompt": "a wooden table", "duration": 4})
    backdate_ledger(runtime, old, 40)

    data = usage(client, account)

    assert of(data, day(0)) == {"date": day(0), **used(120, 320), "via_chat": NOTHING}
    assert of(data, day(1)) == {"date": day(1), **NOTHING, "via_chat": NOTHING}
    assert of(data, day(3)) == {"date": day(3), **used(40), "via_chat": NOTHING}
    assert data["total"] == used(160, 320) and data["via_chat"] == NOTHING
    assert sum(d["total"] for d in data["daily"]) == 480
    # A shorter window, and one long enough to reach the old video.
    week = usage(client, account, days=2)
    assert [d["date"] for d in week["daily"]] == [day(1), day(0)]
    assert week["total"] == used(120, 320)
    assert usage(client, account, days=90)["total"] == used(160, 640)


def test_usage_is_your_own_and_its_window_is_checked(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account, other = make_account(), make_account()
    accepted(client, account, "/api/v1/images", {"prompt": "marble"})

    assert usage(client, account)["total"] == used(40)
    assert usage(client, other)["total"] == NOTHING
    for days in ("0", "91", "a week"):
        refused = client.get(USAGE, headers=account.headers, params={"days": days})
        assert refused.status_code == 400, refused.text
        assert refused.json()["success"] is False
    no_scope = make_account(scopes=["images"])
    refused = client.get(USAGE, headers=no_scope.headers)
    assert refused.status_code == 403 and "credits" in refused.json()["error"]
    assert client.get(USAGE).status_code == 401


@pytest.mark.parametrize(
    "settings",
    [{"embedded_workers": 2, "sync_wait_seconds": 120.0, "chat_poll_seconds": 0.2}],
    indirect=True,
)
def test_chat_renders_count_as_via_chat_and_deleted_media_stay_counted(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, ORANGE_JAR)
    ad = client.post(
        "/api/v1/ads",
        json={"brief": "Summer sale on this jar", "product_ids": [product["id"]]},
        headers=account.headers,
    )
    assert ad.status_code == 200, ad.text
    ad_cost = ad.json()["data"]["credits_used"]
    run = run_to_end(
        client,
        account,
        {
            "message": "Write one ad concept for this jar and render it as a square image",
            "product_ids": [product["id"]],
        },
    )
    assert run["status"] == "succeeded", run
    assert run["credits_used"] > 0

    # The ad is deleted: its file goes, the credits it used stay spent.
    ad_id = ad.json()["data"]["generation_id"]
    deleted = client.delete(f"/api/v1/generations/{ad_id}", headers=account.headers)
    assert deleted.status_code == 200, deleted.text
    today = of(usage(client, account), day(0))

    assert today["via_chat"] == used(images=run["credits_used"])
    assert today["ads"] == ad_cost and today["images"] == run["credits_used"]
    assert today["total"] == ad_cost + run["credits_used"]
