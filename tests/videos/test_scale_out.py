"""Videos in scale-out mode: PostgreSQL + Redis, the API running no job threads and a separate
`krev worker` rendering; and a worker killed mid-render, whose job another worker renders
again from the start, charged once, with no file of the dead attempt left behind."""

from __future__ import annotations

import time
from typing import Any

import pytest

from krev.generations.sweeper import sweep
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
from tests.videos.conftest import VIDEO_KEYS, decode_mp4, download_video

SCALE_OUT = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@SCALE_OUT
def test_a_worker_process_renders_the_video(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, video_sync_wait_seconds=300.0)
    account = make_account()
    start_process(api.settings, "worker", "--threads", "2")
    product = create_product(api.client, account, BLUE_BOX)
    start = api.balance(account)

    response = api.client.post(
        "/api/v1/videos",
        json={"prompt": "the box on marble", "product_id": product["id"], "duration": 4},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == VIDEO_KEYS and data["credits_used"] == 320
    video = decode_mp4(download_video(api.client, data["video_url"]), keep=lambda _i: False)
    assert video.frame_count == 96 and (video.width, video.height) == (1920, 1080)
    assert api.balance(account) == start - 320


@SCALE_OUT
def test_a_video_whose_worker_dies_mid_render_is_rendered_again_and_charged_once(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    start_workers: StartWorkers,  # noqa: F811
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, job_stale_after_seconds=1.0, job_max_attempts=2)
    account = make_account()
    worker = start_process(api.settings, "worker", "--threads", "1")
    product = create_product(api.client, account, BLUE_BOX)
    start = api.balance(account)

    accepted = api.client.post(
        "/api/v1/videos",
        json={"prompt": "the box on marble", "product_id": product["id"], "duration": 15},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert accepted.status_code == 202, accepted.text
    generation_id = accepted.json()["data"]["generation_id"]
    # Mid-render: frames are being encoded (progress past the preparation, short of the end).
    deadline = time.monotonic() + 300
    while not 10 <= api.generation(account, generation_id)["progress"] < 90:
        assert time.monotonic() < deadline, "the worker never started rendering"
        time.sleep(0.05)
    scratch = api.settings.data_dir / "scratch" / generation_id
    assert scratch.exists()  # the dead attempt's half-written MP4

    worker.kill()
    start_workers(api)
    report = sweep_until(api, lambda r: r.requeued == 1)

    assert report.failed == 0
    final = api.wait_until_finished(account, generation_id)
    assert final["status"] == "succeeded", final
    assert final["credits_used"] == 1200
    [url] = final["output"]["urls"]
    video = decode_mp4(download_video(api.client, url), keep=lambda _i: False)
    assert video.frame_count == 15 * 24
    assert api.balance(account) == start - 1200
    assert api.credit_moves(account, generation_id) == [("reservation", -1200)]
    assert not scratch.exists()
    # Only the finished attempt's MP4 and poster are stored.
    folder = f"users/*/generations/{generation_id}/*"
    stored = sorted(
        path.name
        for path in (api.settings.data_dir / "storage").glob(folder)
        if "~" not in path.name
    )
    assert len(stored) == 2 and stored[0].startswith("2-"), stored
    assert sweep(api.runtime).settled == 0
