"""Ads in scale-out mode: PostgreSQL + Redis, the API running no job threads and a separate
`krev worker` making the ads; and a worker killed mid-ad, whose job another worker finishes,
charged once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from krev.generations.sweeper import sweep
from tests.ads.conftest import SIZES, download
from tests.generations.conftest import (  # noqa: F401 (fixtures)
    StartApi,
    StartProcess,
    StartWorkers,
    job_settings,
    start_api,
    start_process,
    start_workers,
)
from tests.generations.test_worker_loss import sweep_until
from tests.images.conftest import BLUE_BOX, create_product
from tests.support.fake_openai_images import FakeOpenAIImages, Hold

SCALE_OUT = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
IMAGES_KEY = "sk-ads-scale-out-images-key"


@pytest.fixture
def images_api() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages(api_key=IMAGES_KEY) as fake:
        yield fake


@SCALE_OUT
def test_a_worker_process_makes_the_ads(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, sync_wait_seconds=120.0)
    account = make_account()
    start = api.balance(account)
    start_process(api.settings, "worker", "--threads", "2")
    product = create_product(api.client, account, BLUE_BOX)

    response = api.client.post(
        "/api/v1/ads",
        json={"brief": "Direct response", "product_ids": [product["id"]], "image_count": 2},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["credits_used"] == 80 and len(data["ad_copies"]) == 2
    for url in data["images"]:
        assert download(api.client, url).shape == (1350, 1080, 3)
    assert api.balance(account) == start - 80


@SCALE_OUT
def test_an_ad_whose_worker_dies_is_finished_by_another_worker_and_charged_once(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    start_workers: StartWorkers,  # noqa: F811
    make_account: Any,
    images_api: FakeOpenAIImages,
) -> None:
    # The scenes come from an OpenAI-compatible Images API that holds the first request: the
    # worker is mid-ad (its copy written, its scene asked for) when it is killed.
    api = start_api(
        embedded_workers=0,
        job_stale_after_seconds=1.0,
        job_max_attempts=2,
        image_engine="openai",
        openai_images_base_url=images_api.base_url,
        openai_images_api_key=IMAGES_KEY,
    )
    account = make_account()
    worker = start_process(api.settings, "worker", "--threads", "1")
    product = create_product(api.client, account, BLUE_BOX)
    start = api.balance(account)
    images_api.script(Hold())

    accepted = api.client.post(
        "/api/v1/ads",
        json={"brief": "Direct response", "product_ids": [product["id"]], "aspect_ratio": "9:16"},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert accepted.status_code == 202, accepted.text
    generation_id = accepted.json()["data"]["generation_id"]
    assert images_api.wait_for_request(), "the worker never asked for the scene"
    assert api.generation(account, generation_id)["status"] == "processing"

    worker.kill()
    images_api.release()
    start_workers(api)  # any worker on the queue may take it over
    report = sweep_until(api, lambda r: r.requeued == 1)

    assert report.failed == 0
    final = api.wait_until_finished(account, generation_id)
    assert final["status"] == "succeeded", final
    assert final["credits_used"] == 40
    assert final["output"]["engine"]["image"] == "openai"
    [url] = final["output"]["urls"]
    assert download(api.client, url).shape == (*reversed(SIZES["9:16"]), 3)
    assert api.balance(account) == start - 40
    assert api.credit_moves(account, generation_id) == [("reservation", -40)]
    assert len(images_api.requests) == 2  # the dead worker's scene, then the new one's
    assert sweep(api.runtime).settled == 0
