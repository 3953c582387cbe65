"""The MP4 encoder: what comes back when the file is decoded (frames, rate, size, format, sound),
streaming, and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from krev.engines.studio.video import encode_mp4, video_size
from krev.engines.video import SAMPLE_RATE
from tests.support.videos import probe

WIDTH, HEIGHT = 320, 180


def moving_frames(count: int | None = None) -> Iterator[np.ndarray]:
    """A bar sweeping across a gradient, endless unless ``count``."""
    index = 0
    ramp = np.linspace(30, 220, WIDTH, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    while count is None or index < count:
        frame = base.copy()
        x = (index * 7) % WIDTH
        frame[:, x : x + 20] = (200, 40, 30)
        yield frame
        index += 1


def tone(seconds: float, frequency: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    wave = (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.stack([wave, wave], axis=1)


def test_decodes_to_the_frames_rate_size_and_format_asked(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    result = encode_mp4(
        moving_frames(), path, width=WIDTH, height=HEIGHT, fps=24, frame_count=96, audio=None
    )
    video = probe(path)
    assert (video.codec, video.pix_fmt) == ("h264", "yuv420p")
    assert (video.width, video.height) == (WIDTH, HEIGHT)
    assert video.fps == 24
    assert len(video.frames) == 96 == result.frames
    assert abs(video.duration - 4.0) <= 1 / 24
    assert video.audio_codec is None
    assert result.has_audio is False
    assert result.duration_seconds == 4.0
    assert result.size_bytes == path.stat().st_size > 0
    # +faststart: the index comes before the media, so playback starts before the download ends.
    assert video.boxes.index("moov") < video.boxes.index("mdat")
    # The pictures survive: the bar is where it was drawn, in its color.
    frame = video.frames[10]
    x = 70
    assert np.abs(frame[90, x + 10].astype(int) - (200, 40, 30)).max() < 20
    assert np.abs(frame[90, 10].astype(int) - frame[90, 300].astype(int)).sum() > 200


def test_colors_come_back_as_drawn(tmp_path: Path) -> None:
    colors = [(128, 128, 128), (230, 40, 40), (30, 160, 60), (20, 40, 200), (250, 250, 250)]
    frames = []
    for color in colors:
        frame = np.empty((HEIGHT, WIDTH, 3), np.uint8)
        frame[...] = color
        frames += [frame] * 5
    path = tmp_path / "colors.mp4"
    encode_mp4(iter(frames), path, width=WIDTH, height=HEIGHT, frame_count=len(frames))
    video = probe(path)
    for index, color in enumerate(colors):
        middle = video.frames[index * 5 + 2][60:120, 100:220].reshape(-1, 3).mean(axis=0)
        assert np.abs(middle - color).max() < 5, (color, middle)


def test_sound_is_cut_to_the_video_length(tmp_path: Path) -> None:
    path = tmp_path / "long-sound.mp4"
    result = encode_mp4(
        moving_frames(), path, width=WIDTH, height=HEIGHT, frame_count=120, audio=tone(7.5)
    )
    video = probe(path, keep_frames=False)
    assert result.has_audio
    assert (video.audio_codec, video.audio_rate, video.audio_channels) == ("aac", SAMPLE_RATE, 2)
    assert video.audio_duration is not None
    assert abs(video.audio_duration - 5.0) <= 1 / 24
    assert abs(video.duration - 5.0) <= 1 / 24
    assert video.audio is not None
    # AAC codes whole frames of 1024 samples (the last one padded).
    assert abs(len(video.audio) - 5 * SAMPLE_RATE) <= 1024
    assert len(video.frames) == 120


def test_short_sound_is_padded_with_silence(tmp_path: Path) -> None:
    path = tmp_path / "short-sound.mp4"
    encode_mp4(moving_frames(), path, width=WIDTH, height=HEIGHT, frame_count=96, audio=tone(1.0))
    video = probe(path, keep_frames=False)
    assert video.audio is not None
    assert video.audio_duration is not None
    assert abs(video.audio_duration - 4.0) <= 1 / 24
    assert abs(len(video.audio) - 4 * SAMPLE_RATE) <= 1024
    rms = lambda part: float(np.sqrt(np.mean(np.square(part))))  # noqa: E731
    assert rms(video.audio[4_000 : SAMPLE_RATE - 4_000]) > 0.1
    assert rms(video.audio[2 * SAMPLE_RATE :]) < 1e-3


def test_reads_no_more_frames_than_asked_and_reports_progress(tmp_path: Path) -> None:
    drawn: list[int] = []

    def counted() -> Iterator[np.ndarray]:
        for index, frame in enumerate(moving_frames()):
            drawn.append(index)
            yield frame

    seen: list[int] = []
    path = tmp_path / "progress.mp4"
    encode_mp4(counted(), path, width=WIDTH, height=HEIGHT, frame_count=48, on_frame=seen.append)
    assert seen == list(range(1, 49))
    assert len(drawn) == 48
    assert len(probe(path, keep_frames=False).frames) == 48


def test_too_few_frames_raise_and_leave_no_file(tmp_path: Path) -> None:
    path = tmp_path / "short.mp4"
    with pytest.raises(ValueError, match="ran out after 30 of 48"):
        encode_mp4(moving_frames(30), path, width=WIDTH, height=HEIGHT, frame_count=48)
    assert not path.exists()


def test_a_failing_frame_source_stops_the_encode(tmp_path: Path) -> None:
    def broken() -> Iterator[np.ndarray]:
        yield from moving_frames(10)
        raise RuntimeError("the scene could not be drawn")

    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="could not be drawn"):
        encode_mp4(broken(), path, width=WIDTH, height=HEIGHT, frame_count=48)
    assert not path.exists()


def test_refuses_odd_sizes_and_wrong_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        encode_mp4(moving_frames(), tmp_path / "odd.mp4", width=321, height=180, frame_count=4)
    wrong = (np.zeros((100, 100, 3), np.uint8) for _ in range(4))
    with pytest.raises(ValueError, match="frame 0"):
        encode_mp4(wrong, tmp_path / "wrong.mp4", width=WIDTH, height=HEIGHT, frame_count=4)
    assert not (tmp_path / "wrong.mp4").exists()


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("16:9", (1920, 1080)),
        ("9:16", (1080, 1920)),
        ("1:1", (1080, 1080)),
        ("4:3", (1440, 1080)),
        ("3:4", (1080, 1440)),
    ],
)
def test_video_sizes_are_1080_on_the_short_side(ratio: str, size: tuple[int, int]) -> None:
    assert video_size(ratio) == size


def test_unknown_aspect_ratio_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown aspect ratio"):
        video_size("2:1")
