"""Videos from a hosted video model (Seedance on fal, its local fake): the model starts from the
studio still of the product (the catalog's own pixels), the job waits on the hosted queue
without holding a worker, the clip is copied and normalised to Krev's MP4, the product's
fidelity holds on the first frame; and what the model cannot render is refused before
anything is charged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, balance, create_product, cutout_color, share_near
from tests.support.fake_fal import FakeFal
from tests.videos.conftest import SIZES, decode_mp4, download_video, generated_video, post_video

FAL_KEY = "fal-video-models-key-0123"


@pytest.fixture
def fal() -> Iterator[FakeFal]:
    with FakeFal(api_key=FAL_KEY) as fake:
        yield fake


@pytest.fixture
def settings(request: pytest.FixtureRequest, fal: FakeFal, make_settings: Any) -> Any:
    from tests.generations.stack import JOB_PLANS

    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(
        **overrides,
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        video_sync_wait_seconds=300.0,
        fetch_allowlist=["127.0.0.1"],
        video_engine="fal",
        fal_api_key=FAL_KEY,
        fal_base_url=fal.base_url,
        fal_video_durations=[5, 10],
    )


def test_a_product_video_from_a_hosted_model_starts_from_the_studio_still(
    client: TestClient, account: Account, fal: FakeFal
) -> None:
    product = create_product(client, account, BLUE_BOX)
    color = cutout_color(client, product)
    before = balance(client, account)
    data = generated_video(
        client,
        account,
        {"prompt": "the box on marble, slow push in", "product_id": product["id"]},
    )
    assert data["credits_used"] == 400 and balance(client, account) == before - 400

    [job] = fal.jobs.values()
    assert job.first_frame is not None  # the studio still the model was given
    assert share_near(job.first_frame, color) > 0.01
    assert job.inputs["prompt"] == "the box on marble, slow push in"

    video = decode_mp4(download_video(client, data["video_url"]), keep=lambda i: i in (0, 119))
    assert (video.width, video.height) == SIZES["16:9"] and video.frame_count == 120
    assert video.fps == 24 and video.codec == "h264"
    assert video.audio_codec == "aac"  # the music bed: the model made no sound of its own
    assert share_near(video.frames[0], color) > 0.01

    record = client.get(f"/api/v1/generations/{data['generation_id']}", headers=account.headers)
    output = record.json()["data"]["output"]
    assert output["engine"] == "fal" and output["workflow"] == "reference_to_video"
    assert output["copy"] is None  # the model draws the whole picture: no words of Krev's
    assert output["scene"]["model"]["first_frame"] == "studio_still"
    assert len(output["fidelity"]) == 1 and output["audio"]["used"] == "music"


def test_what_the_model_cannot_render_is_refused_before_anything_is_charged(
    client: TestClient, account: Account, fal: FakeFal
) -> None:
    before = balance(client, account)
    response = post_video(
        client, account, {"prompt": "a lighthouse at dusk, waves", "duration": 15}
    )
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["code"] == "engine_cannot_render" and "10 seconds" in payload["error"]
    assert balance(client, account) == before
    assert fal.jobs == {}


def test_a_text_prompt_is_drawn_by_the_model(
    client: TestClient, account: Account, fal: FakeFal
) -> None:
    data = generated_video(
        client, account, {"prompt": "a lighthouse at dusk, waves", "aspect_ratio": "9:16"}
    )
    [job] = fal.jobs.values()
    assert job.first_frame is None  # text-to-video: nothing to start from
    video = decode_mp4(download_video(client, data["video_url"]), keep=lambda _i: False)
    assert (video.width, video.height) == SIZES["9:16"] and video.frame_count == 120
    assert np.isfinite(video.duration)


@pytest.mark.parametrize("settings", [{"video_fidelity_floor": 0.9999}], indirect=True)
def test_a_fidelity_floor_fails_a_clip_that_moves_the_product_and_refunds_it(
    client: TestClient, account: Account
) -> None:
    # The model re-draws every frame; with a floor as strict as this, the product measured at
    # its first-frame box on the sampled frames falls below it, and the video is refused.
    product = create_product(client, account, BLUE_BOX)
    before = balance(client, account)
    response = post_video(
        client, account, {"prompt": "the box on marble", "product_id": product["id"]}
    )
    assert response.status_code == 500, response.text
    payload = response.json()
    assert "drifted" in payload["error"] and "refunded" in payload["error"]
    assert balance(client, account) == before
    record = client.get(
        f"/api/v1/generations/{payload['generation_id']}", headers=account.headers
    ).json()["data"]
    assert record["status"] == "failed" and record["error_code"] == "product_drifted"
