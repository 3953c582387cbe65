"""POST /api/v1/videos with KREV_VIDEO_ENGINE=diffusers: a tiny Wan model, loaded from its
directory by the worker, behind the real API. A text prompt is drawn by the model and its clip
(16 fps, a few frames, tiny) comes back as Krev's MP4: 1080 px on the short side, 24 fps,
exactly 24 x duration frames; a duration past what the model renders is refused before
anything is charged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import balance, generation
from tests.local_diffusion.conftest import require_torch
from tests.videos.conftest import SIZES, decode_mp4, download_video, generated_video, post_video

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def wan_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_torch()
    from tests.support import tiny_wan

    return tiny_wan.save_text_to_video_model(tmp_path_factory.mktemp("wan") / "t2v")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], wan_model: Path) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=1,
        sync_wait_seconds=120.0,
        video_sync_wait_seconds=300.0,
        video_engine="diffusers",
        video_model_dir=wan_model,
        video_model_steps=2,
        video_model_max_side=64,
    )


def test_a_text_prompt_is_drawn_by_the_local_video_model(
    client: TestClient, account: Account
) -> None:
    before = balance(client, account)
    data = generated_video(
        client, account, {"prompt": "a lighthouse at dusk, waves", "duration": 4}
    )
    assert data["credits_used"] == 320 and balance(client, account) == before - 320
    video = decode_mp4(download_video(client, data["video_url"]), keep=lambda i: i in (0, 95))
    assert (video.width, video.height) == SIZES["16:9"]
    assert video.frame_count == 96 and video.fps == 24
    assert video.frames[0].std() > 1  # the model's picture (faint, tiny), not a blank frame
    output = generation(client, account, data["generation_id"])["output"]
    assert output["engine"] == "diffusers" and output["workflow"] == "text_to_video"
    assert output["scene"]["model"]["source_frames"] > 1


def test_longer_than_the_model_renders_is_refused_and_free(
    client: TestClient, account: Account
) -> None:
    before = balance(client, account)
    response = post_video(client, account, {"prompt": "a lighthouse at dusk", "duration": 8})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "engine_cannot_render"
    assert balance(client, account) == before
