"""The normaliser: any model's clip made Krev's MP4, read back with PyAV. Frames say their own
index (``tests.support.clips``), so retiming is checked frame by frame; sounds are tones whose
pitch says whose they are."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from krev.engines.studio.video.encode import encode_mp4
from krev.engines.studio.video.normalize import MAX_SOURCE_SIDE, normalize_video
from krev.engines.video import SAMPLE_RATE
from tests.support.clips import (
    dominant_frequency,
    encode_clip,
    index_frame,
    read_index,
    tone,
)
from tests.support.videos import probe

WIDTH, HEIGHT = 320, 180


def counting_clip(
    frames: int,
    *,
    fps: int = 24,
    width: int = WIDTH,
    height: int = HEIGHT,
    audio: np.ndarray | None = None,
    audio_rate: int = 48_000,
    container_format: str = "mp4",
) -> bytes:
    return encode_clip(
        (index_frame(index, width, height) for index in range(frames)),
        width=width,
        height=height,
        fps=fps,
        audio=audio,
        audio_rate=audio_rate,
        container_format=container_format,
    )


def test_a_clip_becomes_exactly_the_frames_size_rate_and_format_asked(tmp_path: Path) -> None:
    # 4 s at 30 fps, twice the output's size: made 3 s at 24 fps.
    source = counting_clip(120, fps=30, width=640, height=360)
    done: list[int] = []
    result = normalize_video(
        source,
        tmp_path / "out.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=72,
        on_frame=done.append,
    )

    video = probe(tmp_path / "out.mp4")
    assert (video.codec, video.pix_fmt) == ("h264", "yuv420p")
    assert (video.width, video.height, video.fps) == (WIDTH, HEIGHT, Fraction(24))
    assert len(video.frames) == 72 == result.video.frames
    assert video.audio_codec is None and result.audio == "none"
    assert video.boxes.index("moov") < video.boxes.index("mdat"), "faststart"
    assert done == list(range(1, 73))
    assert result.source_size == (640, 360)
    assert result.held_frames == 0
    # Each output frame shows the source frame nearest its time: 30 -> 24 fps drops one in five.
    shown = [read_index(frame) for frame in video.frames]
    for index, source_index in enumerate(shown):
        assert abs(Fraction(source_index, 30) - Fraction(index, 24)) <= Fraction(1, 60)
    assert shown == sorted(shown)
    assert len(set(shown)) == 72
    assert result.source_frames < 120, "decoding stopped once the output was full"


def test_a_slower_clip_repeats_frames_in_time(tmp_path: Path) -> None:
    source = counting_clip(30, fps=12)  # 2.5 s at 12 fps
    normalize_video(source, tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=60)
    shown = [read_index(frame) for frame in probe(tmp_path / "out.mp4").frames]
    assert shown == [index // 2 for index in range(60)]


def test_a_clip_shorter_than_asked_holds_its_last_frame(tmp_path: Path) -> None:
    source = counting_clip(72)  # 3 s
    result = normalize_video(
        source, tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=120
    )
    video = probe(tmp_path / "out.mp4")
    assert len(video.frames) == 120
    shown = [read_index(frame) for frame in video.frames]
    assert shown[:72] == list(range(72))
    assert shown[72:] == [71] * 48
    assert result.held_frames == 48
    last = video.frames[71].astype(int)
    assert max(np.abs(frame.astype(int) - last).mean() for frame in video.frames[72:]) < 1.0


def test_a_clip_longer_than_asked_is_cut(tmp_path: Path) -> None:
    source = counting_clip(240)  # 10 s
    result = normalize_video(
        source, tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=96
    )
    shown = [read_index(frame) for frame in probe(tmp_path / "out.mp4").frames]
    assert shown == list(range(96))
    assert result.source_frames <= 98


def test_a_wide_clip_made_vertical_keeps_its_centre(tmp_path: Path) -> None:
    # 16:9 with a green band exactly as wide as its 9:16 middle, red either side.
    width, height = 640, 360
    middle = round(height * 9 / 16)  # 202 pixels
    left = (width - middle) // 2
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = (210, 30, 30)
    frame[:, left : left + middle] = (30, 170, 60)
    frame[:, left + middle // 2 - 4 : left + middle // 2 + 4] = (250, 250, 250)  # centre line
    source = encode_clip([frame] * 24, width=width, height=height)

    result = normalize_video(source, tmp_path / "out.mp4", width=180, height=320, frame_count=24)

    picture = probe(tmp_path / "out.mp4").frames[12].astype(int)
    assert picture.shape == (320, 180, 3)
    inner = picture[:, 4:-4].reshape(-1, 3)
    reds = ((inner[:, 0] > 150) & (inner[:, 1] < 80)).mean()
    assert reds < 0.001, "nothing from either side survives"
    greens = picture[:, 6:80].reshape(-1, 3).mean(axis=0)
    assert np.abs(greens - (30, 170, 60)).max() < 12
    white_columns = np.flatnonzero(picture[160, :, 0] > 200)
    assert abs(white_columns.mean() - 90) <= 2, "the centre line stays in the middle"
    assert np.abs(result.first_frame.astype(int) - picture).mean() < 3


def test_the_clips_own_sound_is_kept_resampled_to_48_khz_stereo(tmp_path: Path) -> None:
    source = counting_clip(96, audio=tone(4, 440.0, rate=44_100, channels=1), audio_rate=44_100)
    result = normalize_video(
        source,
        tmp_path / "out.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=72,
        keep_source_audio=True,
        audio=tone(3, 880.0),  # a music bed, not wanted while the clip has a sound
    )
    video = probe(tmp_path / "out.mp4", keep_frames=False)
    assert result.audio == "source" and result.video.has_audio
    assert (video.audio_codec, video.audio_rate, video.audio_channels) == ("aac", SAMPLE_RATE, 2)
    assert video.audio is not None
    assert abs(video.audio.shape[0] / SAMPLE_RATE - 3.0) < 0.05, "cut to the video's length"
    assert abs(dominant_frequency(video.audio, SAMPLE_RATE) - 440.0) < 3
    assert np.abs(video.audio[:, 0] - video.audio[:, 1]).max() < 1e-3, "mono made stereo"


def test_a_given_sound_replaces_the_clips_own(tmp_path: Path) -> None:
    source = counting_clip(72, audio=tone(3, 440.0))
    result = normalize_video(
        source,
        tmp_path / "out.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=72,
        audio=tone(3, 880.0),
    )
    video = probe(tmp_path / "out.mp4", keep_frames=False)
    assert result.audio == "given"
    assert video.audio is not None
    assert abs(dominant_frequency(video.audio, SAMPLE_RATE) - 880.0) < 3


def test_a_silent_clip_takes_the_given_sound_or_none(tmp_path: Path) -> None:
    source = counting_clip(48)
    given = normalize_video(
        source,
        tmp_path / "given.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=48,
        keep_source_audio=True,
        audio=tone(2, 660.0),
    )
    assert given.audio == "given"
    assert probe(tmp_path / "given.mp4", keep_frames=False).audio_codec == "aac"

    with_sound = counting_clip(48, audio=tone(2, 440.0))
    none = normalize_video(
        with_sound, tmp_path / "none.mp4", width=WIDTH, height=HEIGHT, frame_count=48
    )
    assert none.audio == "none" and not none.video.has_audio
    assert probe(tmp_path / "none.mp4", keep_frames=False).audio_codec is None


def test_a_clip_longer_sound_shorter_is_padded_with_silence(tmp_path: Path) -> None:
    source = counting_clip(96, audio=tone(1, 440.0))
    normalize_video(
        source,
        tmp_path / "out.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=96,
        keep_source_audio=True,
    )
    audio = probe(tmp_path / "out.mp4", keep_frames=False).audio
    assert audio is not None
    assert abs(audio.shape[0] / SAMPLE_RATE - 4.0) < 0.05
    assert np.abs(audio[int(1.5 * SAMPLE_RATE) :]).max() < 0.01


def test_a_webm_clip_and_a_file_on_disk_are_read(tmp_path: Path) -> None:
    webm = tmp_path / "clip.webm"
    webm.write_bytes(counting_clip(24, container_format="webm", audio=tone(1, 440.0)))
    result = normalize_video(
        webm,
        tmp_path / "out.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=24,
        keep_source_audio=True,
        sample_frames=[5, 23],
    )
    assert result.audio == "source"
    assert sorted(result.samples) == [5, 23]
    assert [read_index(result.samples[5]), read_index(result.samples[23])] == [5, 23]
    assert read_index(result.first_frame) == 0
    video = probe(tmp_path / "out.mp4")
    assert len(video.frames) == 24
    assert np.abs(video.frames[5].astype(int) - result.samples[5]).mean() < 3


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a video at all, just some words" * 10,
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 500,  # an MP4's header over garbage
    ],
    ids=["empty", "text", "noise", "png", "broken-mp4"],
)
def test_what_is_not_a_video_is_refused_and_leaves_no_file(tmp_path: Path, data: bytes) -> None:
    target = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="clip"):
        normalize_video(data, target, width=WIDTH, height=HEIGHT, frame_count=24)
    assert not target.exists()


def test_a_clip_cut_short_in_transfer_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    # Index at the end (how a plain muxer writes): half a file has none.
    whole = counting_clip(48)
    with pytest.raises(ValueError, match="clip"):
        normalize_video(
            whole[: len(whole) // 2], target, width=WIDTH, height=HEIGHT, frame_count=48
        )
    assert not target.exists()
    # Index first (faststart): the frames that arrived decode, and the index says more were due.
    encode_mp4(
        (index_frame(index, WIDTH, HEIGHT) for index in range(48)),
        tmp_path / "faststart.mp4",
        width=WIDTH,
        height=HEIGHT,
        frame_count=48,
    )
    faststart = (tmp_path / "faststart.mp4").read_bytes()
    cut = faststart[: len(faststart) * 6 // 10]
    with pytest.raises(ValueError, match="truncated"):
        normalize_video(cut, target, width=WIDTH, height=HEIGHT, frame_count=48)
    assert not target.exists()
    whole_clip = normalize_video(faststart, target, width=WIDTH, height=HEIGHT, frame_count=48)
    assert whole_clip.source_frames == 48


def test_a_sound_file_without_pictures_is_refused(tmp_path: Path) -> None:
    import io

    import av

    buffer = io.BytesIO()
    samples = np.ascontiguousarray(tone(1, 440.0).T)
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        for start in range(0, samples.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + 1024]),
                format="fltp",
                layout="stereo",
            )
            frame.sample_rate, frame.pts = SAMPLE_RATE, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ValueError, match="no video stream"):
        normalize_video(
            buffer.getvalue(), tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=24
        )


def test_a_clip_larger_than_4k_is_refused(tmp_path: Path) -> None:
    wide = counting_clip(2, width=MAX_SOURCE_SIDE + 64, height=64)
    with pytest.raises(ValueError, match=str(MAX_SOURCE_SIDE)):
        normalize_video(wide, tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=24)


def test_a_path_that_is_not_a_file_and_bad_sample_indices_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a file"):
        normalize_video(tmp_path, tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, frame_count=24)
    with pytest.raises(ValueError, match="sample frames"):
        normalize_video(
            counting_clip(24),
            tmp_path / "out.mp4",
            width=WIDTH,
            height=HEIGHT,
            frame_count=24,
            sample_frames=[24],
        )
