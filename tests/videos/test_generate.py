"""POST /api/v1/videos end to end with the studio engine: the reference's four fields, a real
MP4 decoded back (H.264, yuv420p, 24 fps, exactly 24 x duration frames, 1080 px on the short
side, AAC when there is audio, moov first), the product on screen with its own colors, 80
credits a second, the poster, and the generation record of each workflow."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Account
from tests.images.conftest import (
    BLUE_BOX,
    ORANGE_JAR,
    balance,
    create_product,
    cutout_color,
    generation,
    share_near,
)
from tests.support.origin_server import OriginServer
from tests.videos.conftest import (
    SIZES,
    decode_mp4,
    download_poster,
    download_video,
    generated_video,
    post_video,
)


def _checked_mp4(client: TestClient, data: dict[str, Any], aspect_ratio: str, seconds: int) -> Any:
    video = decode_mp4(download_video(client, data["video_url"]), keep=lambda i: i % 24 == 12)
    assert (video.width, video.height) == SIZES[aspect_ratio]
    assert video.codec == "h264" and video.pixel_format == "yuv420p"
    assert video.fps == 24
    assert video.frame_count == 24 * seconds
    assert abs(video.duration - seconds) <= 1 / 24 + 1e-6
    assert video.faststart
    return video


def test_a_product_video_in_a_scene(client: TestClient, account: Account) -> None:
    product = create_product(client, account, BLUE_BOX)
    color = cutout_color(client, product)
    before = balance(client, account)
    data = generated_video(
        client,
        account,
        {"prompt": "the box on marble, soft light", "product_id": product["id"], "duration": 4},
    )
    assert data["duration"] == 4 and data["credits_used"] == 320
    assert balance(client, account) == before - 320

    video = _checked_mp4(client, data, "16:9", 4)
    # Music by default: an AAC track as long as the video, not silent.
    assert video.audio_codec == "aac"
    assert abs(video.audio_seconds - 4) < 0.1
    assert video.audio_peak > 0.05
    # The product is on screen, in its own colors, every second; and the camera moves.
    for frame in video.frames:
        assert share_near(frame, color) > 0.01
    assert np.abs(video.frames[0].astype(int) - video.frames[-1].astype(int)).mean() > 2

    record = generation(client, account, data["generation_id"])
    assert record["kind"] == "video" and record["status"] == "succeeded"
    assert record["credits_used"] == 320 and record["progress"] == 100
    output = record["output"]
    assert (
        output["urls"] == [output["urls"][0]]
        and output["urls"][0].split("?")[0] == (data["video_url"].split("?")[0])
    )
    assert output["workflow"] == "reference_to_video" and output["engine"] == "studio"
    assert output["audio"]["requested"] == "auto" and output["audio"]["used"] == "music"
    assert (output["duration"], output["fps"]) == (4, 24)
    assert (output["width"], output["height"]) == (1920, 1080)
    assert output["product_ids"] == [product["id"]]
    assert len(output["fidelity"]) == 1 and output["fidelity"][0] > 0.9
    poster = download_poster(client, output["poster_url"])
    assert poster.shape == (1080, 1920, 3)
    assert share_near(poster, color) > 0.01


def test_ugc_at_9_16_without_audio_lists_the_people_it_does_not_film(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, ORANGE_JAR)
    data = generated_video(
        client,
        account,
        {
            "prompt": "UGC unboxing: a woman opens the jar and loves it",
            "product_id": product["id"],
            "aspect_ratio": "9:16",
            "duration": 4,
            "audio_mode": "off",
        },
    )
    video = _checked_mp4(client, data, "9:16", 4)
    assert video.audio_codec is None  # off: no audio stream at all
    output = generation(client, account, data["generation_id"])["output"]
    assert output["workflow"] == "ugc"
    assert output["audio"] == {
        "requested": "off",
        "used": "off",
        "voice": None,
        "music": None,
        "note": None,
    }
    assert "woman" in output["scene"]["ignored"]


def test_a_source_image_is_animated_and_the_preset_ignored(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    photo = np.zeros((600, 800, 3), np.uint8)
    photo[...] = (230, 225, 215)
    photo[150:450, 300:500] = (200, 40, 40)  # a red object on a light backdrop
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    with OriginServer() as origin:
        url = origin.put("/photo.png", buffer.getvalue(), "image/png")
        data = generated_video(
            client,
            account,
            {
                "prompt": "slow push in",
                "source_image": url,
                "product_id": product["id"],
                "preset_id": "studio_white",
                "aspect_ratio": "1:1",
                "duration": 4,
                "audio_mode": "native",
            },
        )
    video = _checked_mp4(client, data, "1:1", 4)
    red = np.array([200.0, 40.0, 40.0])
    assert all(share_near(frame, red, 50) > 0.03 for frame in video.frames)
    output = generation(client, account, data["generation_id"])["output"]
    assert output["workflow"] == "image_to_video"
    assert output["ignored"] == ["preset_id"]
    assert output["recorded_product_id"] == product["id"] and output["product_ids"] == []
    # The studio engine has no audio of its own: native is rendered as auto, and said so.
    assert output["audio"]["requested"] == "native" and output["audio"]["used"] == "music"
    assert "native" in output["audio"]["note"]


def test_a_set_from_the_text_alone_and_progress_while_it_renders(
    client: TestClient, account: Account
) -> None:
    accepted = post_video(
        client,
        account,
        {"prompt": "slow pan across a marble surface, warm light", "duration": 4},
        Prefer="respond-async",
    )
    assert accepted.status_code == 202, accepted.text
    poll_url = accepted.json()["data"]["poll_url"]
    seen: list[int] = []
    deadline = time.monotonic() + 300
    while True:
        record = client.get(poll_url, headers=account.headers).json()["data"]
        seen.append(record["progress"])
        if record["status"] not in ("queued", "processing"):
            break
        assert time.monotonic() < deadline, "the video never finished"
        time.sleep(0.02)
    assert record["status"] == "succeeded", record
    assert record["output"]["workflow"] == "text_to_video"
    # Progress rose through the frames, never backwards.
    assert seen == sorted(seen) and seen[-1] == 100
    assert any(5 < value < 97 for value in seen), seen
