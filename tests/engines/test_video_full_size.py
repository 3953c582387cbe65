"""One video at its real size (1080p, 4 s) from plan to MP4 and back: what the pipeline does,
checked on the decoded file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from krev.engines.studio.scene import FIDELITY_THRESHOLD, product_fidelity
from krev.engines.studio.video import StudioVideoEngine, encode_mp4, video_size
from krev.engines.video import FPS, SAMPLE_RATE, VideoCopy, VideoRequest
from tests.support.videos import cutout, probe


def test_a_1080p_product_film_decodes_as_planned(tmp_path: Path) -> None:
    width, height = video_size("16:9")
    product = cutout(3, 640)
    request = VideoRequest(
        workflow="reference_to_video",
        prompt="serum bottle on marble, soft window light",
        width=width,
        height=height,
        duration=4,
        products=[product],
        copy=VideoCopy(hook="Glow all day", cta="Shop now", brand="AURA"),
        seed=11,
    )
    plan = StudioVideoEngine().plan(request)
    music = np.zeros((SAMPLE_RATE * 5, 2), np.float32)
    music[:, 0] = music[:, 1] = 0.2 * np.sin(
        np.arange(SAMPLE_RATE * 5) / SAMPLE_RATE * 2 * np.pi * 220
    )
    result = encode_mp4(
        plan.frames(),
        tmp_path / "film.mp4",
        width=width,
        height=height,
        fps=request.fps,
        frame_count=request.frame_count,
        audio=music,
    )
    video = probe(result.path)
    assert (video.codec, video.pix_fmt, video.width, video.height) == (
        "h264",
        "yuv420p",
        1920,
        1080,
    )
    assert video.fps == FPS
    assert len(video.frames) == 96
    assert abs(video.duration - 4.0) <= 1 / FPS
    assert video.audio_codec == "aac"
    assert video.audio_duration is not None and abs(video.audio_duration - 4.0) <= 1 / FPS
    # After compression the product is still the product, where the plan says.
    for index in (12, 48, 84):
        box = plan.product_boxes(index)[0]
        assert product_fidelity(video.frames[index], box, product.rgba) >= FIDELITY_THRESHOLD
