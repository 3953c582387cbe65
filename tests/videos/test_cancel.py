"""A video stopped midway loses nothing and leaves nothing: cancelled while its frames are
being encoded, or failed at the end because it does not fit the plan's storage, it is refunded
in full and no file of it is left, neither in storage nor in the worker's scratch directory."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, runtime_of
from tests.images.conftest import BLUE_BOX, balance, create_product, generation
from tests.videos.conftest import post_video


def _files_of(client: TestClient, generation_id: str) -> list[str]:
    data_dir = runtime_of(client).settings.data_dir
    stored = data_dir.glob(f"storage/users/*/generations/{generation_id}/*")
    scratch = data_dir.glob(f"scratch/{generation_id}/*")
    return sorted(str(path) for path in [*stored, *scratch])


def _wait_for(client: TestClient, account: Account, generation_id: str, done: Any) -> Any:
    deadline = time.monotonic() + 300
    while True:
        record = generation(client, account, generation_id)
        if done(record):
            return record
        assert time.monotonic() < deadline, record
        time.sleep(0.02)


def test_a_video_cancelled_mid_render_is_refunded_and_leaves_no_file(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    before = balance(client, account)
    accepted = post_video(
        client,
        account,
        {"prompt": "the box on marble", "product_id": product["id"], "duration": 15},
        Prefer="respond-async",
    )
    assert accepted.status_code == 202, accepted.text
    generation_id = accepted.json()["data"]["generation_id"]
    assert balance(client, account) == before - 1200
    _wait_for(client, account, generation_id, lambda r: 10 <= r["progress"] < 90)
    assert _files_of(client, generation_id)  # the MP4 being written

    response = client.post(f"/api/v1/generations/{generation_id}/cancel", headers=account.headers)
    assert response.status_code == 200, response.text

    final = _wait_for(client, account, generation_id, lambda r: r["status"] == "cancelled")
    assert final["credits_used"] == 0 and final["output"] is None
    assert balance(client, account) == before
    _wait_for(client, account, generation_id, lambda _r: not _files_of(client, generation_id))


def test_a_video_over_the_storage_plan_fails_refunded_with_no_file(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    # The "tiny" plan holds a few hundred bytes: the video renders, then cannot be kept.
    user = make_account(plan="tiny", credits=500)
    response = post_video(client, user, {"prompt": "slow pan across a marble surface"})
    assert response.status_code == 413, response.text
    payload = response.json()
    assert payload["code"] == "storage_quota_exceeded"
    generation_id = payload["generation_id"]
    assert balance(client, user) == 500
    assert generation(client, user, generation_id)["status"] == "failed"
    assert _files_of(client, generation_id) == []
