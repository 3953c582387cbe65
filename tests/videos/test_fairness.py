"""Videos cannot hold the workers for everyone: they wait behind other jobs in the queue, and a
plan caps the jobs one user may have queued or running (429 too_many_jobs, nothing charged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Plan
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, balance, create_product, generated
from tests.videos.conftest import post_video

CAPPED = {
    **JOB_PLANS,
    "capped": Plan(
        name="Capped",
        monthly_credits=5000,
        storage_bytes=2 * 1024**3,
        rate_limit="100000/minute",
        max_active_jobs=2,
    ),
}
SET_ONLY = {"prompt": "slow pan across a marble surface", "duration": 4}


def _videos(client: TestClient, account: Account, status: str) -> list[Any]:
    response = client.get(
        "/api/v1/generations",
        params={"kind": "video", "status": status, "limit": 100},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def _cancel_all(client: TestClient, account: Account) -> None:
    for status in ("queued", "processing"):
        for record in _videos(client, account, status):
            client.post(f"/api/v1/generations/{record['id']}/cancel", headers=account.headers)


@pytest.mark.parametrize("settings", [{"embedded_workers": 1}], indirect=True)
def test_an_image_finishes_while_another_user_has_ten_videos_queued(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    heavy, light = make_account(credits=10_000), make_account()
    product = create_product(client, light, BLUE_BOX)
    try:
        for _ in range(10):
            accepted = post_video(client, heavy, SET_ONLY, Prefer="respond-async")
            assert accepted.status_code == 202, accepted.text
        # The one worker thread renders a video at a time; the image jumps the queue.
        generated(client, light, {"prompt": "on marble", "product_id": product["id"]})
        waiting = _videos(client, heavy, "queued")
        assert len(waiting) >= 8, [record["status"] for record in waiting]
    finally:
        _cancel_all(client, heavy)


# No worker: the jobs stay queued, so none finishes between the requests.
@pytest.mark.parametrize("settings", [{"plans": CAPPED, "embedded_workers": 0}], indirect=True)
def test_one_job_over_the_plans_cap_is_429_and_charges_nothing(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    user = make_account(plan="capped")
    try:
        for _ in range(2):
            accepted = post_video(client, user, SET_ONLY, Prefer="respond-async")
            assert accepted.status_code == 202, accepted.text
        before = balance(client, user)
        refused = post_video(client, user, SET_ONLY, Prefer="respond-async")
        assert refused.status_code == 429, refused.text
        payload = refused.json()
        assert payload["code"] == "too_many_jobs" and "2 jobs" in payload["error"]
        assert int(refused.headers["Retry-After"]) > 0
        assert balance(client, user) == before
        assert len(_videos(client, user, "queued")) + len(_videos(client, user, "processing")) == 2
    finally:
        _cancel_all(client, user)
