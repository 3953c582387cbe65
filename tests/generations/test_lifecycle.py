"""A job's life as a client sees it: submitted over HTTP, run by the API's worker threads through
the real queue (Huey on SQLite, or on Redis with PostgreSQL), answered synchronously or with 202,
polled, downloaded, charged or refunded. Worker processes are in test_worker_loss."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from tests.generations.conftest import StartApi
from tests.generations.stack import BASE_URL, Api

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SLOW = {"steps": 12, "step_seconds": 0.1}


def download_webp(api: Api, url: str) -> tuple[Image.Image, int]:
    """GET a signed output URL with no credentials, as a browser would; the image and its size."""
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    return image.convert("RGB"), len(response.content)


def assert_colour(image: Image.Image, expected: tuple[int, int, int]) -> None:
    pixel = image.getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    # WebP is lossy; a solid colour comes back within a few levels.
    assert all(abs(got - want) <= 8 for got, want in zip(pixel, expected, strict=True)), pixel


@BOTH_MODES
def test_a_job_that_succeeds_answers_with_images_that_download(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="pro")
    start = api.balance(account)
    assert api.storage_used(account) == 0

    response = api.submit(account, {"count": 2, "size": 48, "color": [20, 160, 220]}, cost=80)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["image_count"] == 2
    assert data["credits_used"] == 80
    assert len(data["images"]) == 2
    for url in data["images"]:
        image, _ = download_webp(api, url)
        assert image.size == (48, 48)

    generation_id = data["generation_id"]
    view = api.generation(account, generation_id)
    assert view["id"] == generation_id
    assert view["kind"] == "test_render"
    assert view["status"] == "succeeded"
    assert view["progress"] == 100
    assert view["error"] is None
    assert view["credits_used"] == 80
    assert UTC_Z.fullmatch(view["created_at"])
    assert UTC_Z.fullmatch(view["completed_at"])
    assert view["completed_at"] >= view["created_at"]
    urls = view["output"]["urls"]
    assert len(urls) == 2
    stored = 0
    for url in urls:
        assert url.startswith(f"{BASE_URL}/storage/")
        image, size = download_webp(api, url)
        assert image.size == (48, 48)
        assert_colour(image, (20, 160, 220))
        stored += size

    assert api.storage_used(account) == stored
    assert api.balance(account) == start - 80
    assert api.credit_moves(account, generation_id) == [("reservation", -80)]


def test_a_job_that_uses_fewer_credits_refunds_the_difference(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    start = api.balance(account)

    response = api.submit(account, {"credits_used": 30}, cost=80)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["credits_used"] == 30
    generation_id = response.json()["data"]["generation_id"]
    assert api.generation(account, generation_id)["credits_used"] == 30
    assert api.balance(account) == start - 30
    assert api.credit_moves(account, generation_id) == [
        ("reservation", -80),
        ("partial_refund", 50),
    ]


@BOTH_MODES
def test_a_job_that_fails_answers_500_and_refunds_every_credit(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    start = api.balance(account)

    response = api.submit(account, {"fail": True}, cost=120)

    assert response.status_code == 500, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "generation_failed"
    assert body["error"] == "The test pipeline was asked to fail."
    generation_id = body["generation_id"]
    view = api.generation(account, generation_id)
    assert view["status"] == "failed"
    assert view["error"] == "The test pipeline was asked to fail."
    assert view["error_code"] == "test_failure"
    assert view["output"] is None
    assert view["credits_used"] == 0
    assert UTC_Z.fullmatch(view["completed_at"])
    assert api.balance(account) == start
    assert api.credit_moves(account, generation_id) == [("reservation", -120), ("refund", 120)]
    assert api.storage_used(account) == 0


@BOTH_MODES
def test_a_job_that_crashes_fails_without_leaking_internals(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    start = api.balance(account)

    response = api.submit(account, {"crash": True})

    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "generation_failed"
    assert "refunded" in body["error"]
    poll = api.client.get(f"/api/v1/generations/{body['generation_id']}", headers=account.headers)
    assert "secret internal detail" not in poll.text
    assert poll.json()["data"]["status"] == "failed"
    assert api.balance(account) == start
    assert api.credit_moves(account, body["generation_id"]) == [
        ("reservation", -40),
        ("refund", 40),
    ]


def assert_moves_forward(views: list[dict[str, Any]]) -> None:
    order = {"queued": 0, "processing": 1, "succeeded": 2}
    ranks = [order[v["status"]] for v in views]
    assert ranks == sorted(ranks), [v["status"] for v in views]
    progress = [v["progress"] for v in views]
    assert progress == sorted(progress), progress


@BOTH_MODES
def test_respond_async_answers_202_at_once_and_polling_follows_the_job(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()

    response = api.submit(account, {**SLOW, "size": 32}, respond_async=True)

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"generation_id", "status", "poll_url"}
    assert data["status"] in ("queued", "processing")
    generation_id = data["generation_id"]
    assert data["poll_url"] == f"{BASE_URL}/api/v1/generations/{generation_id}"
    assert response.headers["location"] == data["poll_url"]
    assert response.headers["preference-applied"] == "respond-async"

    polled = api.client.get(data["poll_url"], headers=account.headers)
    assert polled.status_code == 200
    assert polled.json()["data"]["id"] == generation_id

    views = api.wait_until(
        account, generation_id, lambda v: v["status"] not in ("queued", "processing")
    )
    assert views[-1]["status"] == "succeeded", views[-1]
    assert_moves_forward(views)
    assert any(v["status"] == "processing" and 0 < v["progress"] < 100 for v in views), [
        (v["status"], v["progress"]) for v in views
    ]
    for view in views:
        if view["status"] == "queued":
            assert view["queue_position"] >= 1
        else:
            assert view["queue_position"] is None
        if view["status"] != "succeeded":
            assert view["output"] is None
            assert view["completed_at"] is None
    assert views[-1]["progress"] == 100
    download_webp(api, views[-1]["output"]["urls"][0])


def test_a_job_slower_than_the_wait_window_answers_202(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(sync_wait_seconds=0.5)
    account = make_account()

    response = api.submit(account, SLOW)

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["status"] in ("queued", "processing")
    assert response.headers["location"] == data["poll_url"]
    assert "preference-applied" not in response.headers
    final = api.wait_until_finished(account, data["generation_id"])
    assert final["status"] == "succeeded"


def test_a_job_whose_outputs_exceed_the_storage_plan_fails_and_keeps_nothing(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="tiny")
    start = api.balance(account)
    fits = api.submit(account, {"size": 16})
    assert fits.status_code == 200, fits.text
    used = api.storage_used(account)
    assert 0 < used <= 400

    # A 1024-pixel square is about 2 KB as WebP, far more than the plan has left.
    response = api.submit(account, {"size": 1024})

    assert response.status_code == 413, response.text
    body = response.json()
    assert body["code"] == "storage_quota_exceeded"
    assert "storage" in body["error"].lower()
    view = api.generation(account, body["generation_id"])
    assert view["status"] == "failed"
    assert view["error_code"] == "storage_quota_exceeded"
    assert api.storage_used(account) == used
    assert api.balance(account) == start - 40
    outputs = api.settings.data_dir / "storage" / "users" / str(account.user_id)
    assert len(list(outputs.rglob("*.webp"))) == 1
