"""Deleting a finished generation: its files (and their PNG/JPEG renditions) leave storage, their
bytes stop counting against the plan, the record no longer polls or lists, and the credit moves
it caused stay; another user's is a 404, a queued or running one a 409 that deletes nothing. With
``KREV_OUTPUT_RETENTION_DAYS`` the janitor deletes old ones the same way."""

from __future__ import annotations

import io
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update

from krev.composition import build_janitor
from krev.kit.clock import utcnow
from krev.models import Generation
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account
from tests.generations.conftest import StartApi
from tests.generations.stack import Api
from tests.generations.test_access import assert_not_found, finished_job, key_with_scopes
from tests.images.conftest import BLUE_BOX, create_product
from tests.support.http_types import AnyResponse
from tests.support.pipelines import gate

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def delete(api: Api, account: Account, generation_id: str) -> AnyResponse:
    response: AnyResponse = api.client.delete(
        f"/api/v1/generations/{generation_id}", headers=account.headers
    )
    return response


def output_urls(api: Api, account: Account, generation_id: str) -> list[str]:
    urls: list[str] = api.generation(account, generation_id)["output"]["urls"]
    return urls


def served_bytes(api: Api, url: str) -> int:
    """The size of the image a signed URL serves, decoded to be sure it is one."""
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
    return len(response.content)


def served_bytes_of(api: Api, url: str) -> int:
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    return len(response.content)


def stored_files(api: Api, generation_id: str) -> list[str]:
    """What local storage still holds of a generation: outputs, renditions, anything."""
    root = Path(api.settings.data_dir) / "storage"
    return sorted(p.name for p in root.glob(f"users/*/generations/{generation_id}/*"))


def listed_ids(api: Api, account: Account) -> list[str]:
    response = api.client.get("/api/v1/generations", headers=account.headers)
    assert response.status_code == 200, response.text
    return [g["id"] for g in response.json()["data"]]


def assert_gone(api: Api, account: Account, generation_id: str, urls: list[str]) -> None:
    assert_not_found(
        api.client.get(f"/api/v1/generations/{generation_id}", headers=account.headers)
    )
    assert generation_id not in listed_ids(api, account)
    for url in urls:
        assert_not_found(api.client.get(url))
        assert_not_found(api.client.get(f"{url}&format=png"))
    assert stored_files(api, generation_id) == []


@BOTH_MODES
def test_deleting_a_generation_removes_its_files_and_frees_exactly_their_bytes(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    kept = finished_job(api, account)
    generation_id = api.submit(account, {"count": 2, "size": 48}).json()["data"]["generation_id"]
    urls = output_urls(api, account, generation_id)
    sizes = sum(served_bytes(api, url) for url in urls)
    kept_bytes = sum(served_bytes(api, url) for url in output_urls(api, account, kept))
    assert api.storage_used(account) == kept_bytes + sizes
    assert api.client.get(f"{urls[0]}&format=png").status_code == 200  # a rendition is kept
    assert any(name.endswith(".rendition.png") for name in stored_files(api, generation_id))
    balance = api.balance(account)
    moves = api.credit_moves(account, generation_id)

    response = delete(api, account, generation_id)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "data": {"id": generation_id, "deleted": True, "freed_bytes": sizes},
    }
    assert api.storage_used(account) == kept_bytes
    assert_gone(api, account, generation_id, urls)
    # The credit history is history: what the job cost stays, nothing is refunded.
    assert api.balance(account) == balance
    assert api.credit_moves(account, generation_id) == moves == [("reservation", -40)]
    # Deleting again finds nothing; the other generation was not touched.
    assert_not_found(delete(api, account, generation_id))
    assert api.storage_used(account) == kept_bytes
    assert all(served_bytes(api, url) for url in output_urls(api, account, kept))


def test_an_images_and_an_ads_files_go_with_them_their_png_renditions_too(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(sync_wait_seconds=120.0)
    account = make_account()
    product = create_product(api.client, account, BLUE_BOX)
    product_bytes = api.storage_used(account)
    image = api.client.post(
        "/api/v1/images", json={"prompt": "pastel gradient"}, headers=account.headers
    )
    assert image.status_code == 200, image.text
    ad = api.client.post(
        "/api/v1/ads",
        json={"brief": "An ad for this storage box", "product_ids": [product["id"]]},
        headers=account.headers,
    )
    assert ad.status_code == 200, ad.text
    made = {"image": image.json()["data"], "ad": ad.json()["data"]}
    sizes = {kind: sum(served_bytes(api, u) for u in data["images"]) for kind, data in made.items()}
    assert api.storage_used(account) == product_bytes + sizes["image"] + sizes["ad"]
    # Ads Manager takes no WebP: the ad's PNG is made and kept beside it.
    png = api.client.get(f"{made['ad']['images'][0]}&format=png")
    assert png.headers["content-type"] == "image/png"
    assert any(
        name.endswith(".rendition.png") for name in stored_files(api, made["ad"]["generation_id"])
    )

    for kind in ("image", "ad"):
        generation_id = made[kind]["generation_id"]
        response = delete(api, account, generation_id)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["freed_bytes"] == sizes[kind]
        assert_gone(api, account, generation_id, made[kind]["images"])
    # The product made them, and keeps its own files and their bytes.
    assert api.storage_used(account) == product_bytes
    assert served_bytes(api, product["segmented_image_url"]) > 0


def test_another_users_generation_cannot_be_deleted(start_api: StartApi, make_account: Any) -> None:
    api = start_api()
    owner, stranger = make_account(), make_account()
    generation_id = finished_job(api, owner)
    used = api.storage_used(owner)

    assert_not_found(delete(api, stranger, generation_id))
    # A key of the owner's without the scope of the job's kind reads it as forbidden.
    credits_only = key_with_scopes(api, owner, ["credits"])
    forbidden = api.client.delete(f"/api/v1/generations/{generation_id}", headers=credits_only)
    assert forbidden.status_code == 403, forbidden.text

    assert api.storage_used(owner) == used
    assert all(served_bytes(api, url) for url in output_urls(api, owner, generation_id))


def test_a_products_analysis_job_deleted_after_it_was_cancelled_leaves_the_product_failed(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(embedded_workers=0)  # the analysis stays queued until cancelled
    account = make_account()
    upload = api.client.post(
        PRODUCTS,
        json={"image_url": data_url(photo_bytes(BLUE_BOX))},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert upload.status_code == 202, upload.text
    product_id, generation_id = upload.json()["data"]["id"], upload.json()["data"]["generation_id"]
    original_bytes = api.storage_used(account)
    assert api.cancel(account, generation_id).status_code == 200

    response = delete(api, account, generation_id)

    # The analysis stored nothing of its own: the photo is the product's, and stays.
    assert response.status_code == 200, response.text
    assert response.json()["data"]["freed_bytes"] == 0
    assert api.storage_used(account) == original_bytes > 0
    product = api.client.get(PRODUCTS, params={"id": product_id}, headers=account.headers)
    assert product.json()["data"]["status"] == "failed", "not analyzing forever"
    assert served_bytes_of(api, product.json()["data"]["image_url"]) == original_bytes


@BOTH_MODES
def test_a_queued_or_running_generation_is_a_409_and_nothing_is_deleted(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(embedded_workers=1)
    account = make_account()
    held = gate()
    running = api.submit_async(account, {"gate": held.name})
    queued = api.submit_async(account)  # the one worker is held by the first
    assert held.reached.wait(30)

    try:
        for generation_id, status in ((running, "processing"), (queued, "queued")):
            response = delete(api, account, generation_id)
            assert response.status_code == 409, response.text
            body = response.json()
            assert (body["success"], body["code"]) == (False, "conflict")
            assert f"still {status}" in body["error"]
            assert f"/api/v1/generations/{generation_id}/cancel" in body["error"]
    finally:
        held.open()

    # Both run to the end with their outputs stored and counted; then they can be deleted.
    urls = []
    for generation_id in (running, queued):
        assert api.wait_until_finished(account, generation_id)["status"] == "succeeded"
        urls.extend(output_urls(api, account, generation_id))
    assert api.storage_used(account) == sum(served_bytes(api, url) for url in urls)
    for generation_id in (running, queued):
        assert delete(api, account, generation_id).status_code == 200
    assert api.storage_used(account) == 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_deletions_at_once_delete_once_and_free_the_bytes_once(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    kept = finished_job(api, account)
    generation_id = finished_job(api, account)
    kept_bytes = sum(served_bytes(api, url) for url in output_urls(api, account, kept))
    answers: list[int] = []
    start = threading.Barrier(4)

    def delete_now() -> None:
        start.wait()
        answers.append(delete(api, account, generation_id).status_code)

    threads = [threading.Thread(target=delete_now) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 404, 404, 404]
    assert api.storage_used(account) == kept_bytes


@BOTH_MODES
def test_retention_deletes_generations_finished_longer_ago_and_keeps_the_rest(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(output_retention_days=30)
    account = make_account()
    old, recent = finished_job(api, account), finished_job(api, account)
    old_urls = output_urls(api, account, old)
    recent_bytes = sum(served_bytes(api, url) for url in output_urls(api, account, recent))
    with api.runtime.db.transaction() as session:  # the old one finished 31 days ago
        session.execute(
            update(Generation)
            .where(Generation.id == uuid.UUID(old))
            .values(completed_at=utcnow() - timedelta(days=31))
        )
    moves = api.credit_moves(account, old)

    swept = build_janitor(api.runtime).sweep()

    assert swept["output_retention"] == 1
    assert_gone(api, account, old, old_urls)
    assert api.storage_used(account) == recent_bytes
    assert api.credit_moves(account, old) == moves
    assert all(served_bytes(api, url) for url in output_urls(api, account, recent))
    assert build_janitor(api.runtime).sweep()["output_retention"] == 0
