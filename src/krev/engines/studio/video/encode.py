"""MP4 encoding with PyAV: H.264 (libx264, ``superfast``, CRF 23) in yuv420p and, when there is
a sound track, AAC at 48 kHz, written with ``+faststart`` so a browser starts playing before
the whole file has arrived.

Frames are streamed: each is converted and handed to the encoder as it comes, so a clip never
sits whole in memory. They are drawn on a thread of their own a few frames ahead, so drawing
overlaps x264's own threads (frame threads: faster than slice threads). The conversion to 4:2:0
is OpenCV's (BT.601, video range, the same numbers swscale gives but several times faster) and
the stream is tagged as such, so players do not guess. The sound is cut or padded with silence
to the video's exact length and encoded alongside the frames, which keeps the two interleaved
in the file.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from krev.engines.base import RGBImage
from krev.engines.video import FPS, SAMPLE_RATE, Audio

__all__ = ["CRF", "PRESET", "EncodedVideo", "encode_mp4", "fit_audio"]

CRF = 23
PRESET = "superfast"
_AUDIO_BITRATE = 128_000
# What FFmpeg's AAC encoder takes per frame.
_AAC_FRAME = 1024
# Frames drawn ahead of the encoder.
_AHEAD = 3


@dataclass(frozen=True)
class EncodedVideo:
    path: Path
    frames: int
    duration_seconds: float
    size_bytes: int
    has_audio: bool


def fit_audio(samples: Audio, frame_count: int, fps: int) -> Audio:
    """``samples`` (n, 2) cut or padded with silence to ``frame_count`` frames' length."""
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"audio must be (n, 2) stereo samples, not {samples.shape}")
    length = round(frame_count * SAMPLE_RATE / fps)
    out = np.zeros((length, 2), np.float32)
    kept = min(length, samples.shape[0])
    out[:kept] = np.clip(samples[:kept], -1.0, 1.0)
    return out


class _Ahead:
    """Up to ``limit`` items of an iterator, drawn on a thread ahead of the consumer.

    The iterator is only ever touched by that thread; ``close`` stops it between items and
    waits for it, so nothing is still drawing once the encoder returns."""

    _END = object()

    def __init__(self, items: Iterable[RGBImage], limit: int, wanted: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=limit)
        self._stop = threading.Event()
        self._wanted = wanted
        self._thread = threading.Thread(
            target=self._run, args=(iter(items),), name="video-frames", daemon=True
        )
        self._thread.start()

    def _run(self, items: Iterator[RGBImage]) -> None:
        try:
            for count, item in enumerate(items, start=1):
                if not self._put(item) or count >= self._wanted:
                    break
        except BaseException as error:  # handed to the consumer, raised there
            self._put(error)
            return
        self._put(self._END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[RGBImage]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _AudioTrack:
    """The sound, encoded in step with the frames: up to each frame's end time."""

    def __init__(self, container: av.container.OutputContainer, samples: Audio) -> None:
        self.stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        self.stream.bit_rate = _AUDIO_BITRATE
        self.container = container
        # Planar float, as the AAC encoder takes it: (2, n).
        self.planar = np.ascontiguousarray(samples.T)
        self.sent = 0

    def feed_until(self, sample: int) -> None:
        # Whole AAC frames only, until the end, where the rest goes as one short frame.
        total = self.planar.shape[1]
        end = total if sample >= total else sample - sample % _AAC_FRAME
        while self.sent < end:
            stop = min(end, self.sent + _AAC_FRAME)
            frame = av.AudioFrame.from_ndarray(
                self.planar[:, self.sent : stop], format="fltp", layout="stereo"
            )
            frame.sample_rate = SAMPLE_RATE
            frame.pts = self.sent
            frame.time_base = Fraction(1, SAMPLE_RATE)
            self.container.mux(self.stream.encode(frame))
            self.sent = stop

    def finish(self) -> None:
        self.feed_until(self.planar.shape[1])
        self.container.mux(self.stream.encode(None))


def encode_mp4(
    frames: Iterable[RGBImage],
    path: str | os.PathLike[str],
    *,
    width: int,
    height: int,
    fps: int = FPS,
    frame_count: int,
    audio: Audio | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> EncodedVideo:
    """Encode exactly ``frame_count`` frames of ``frames`` (each (height, width, 3) uint8 RGB)
    to an MP4 at ``path``, with ``audio`` ((n, 2) float32 at 48 kHz, fitted to the video's
    length) as AAC, or no sound stream when it is None.

    ``on_frame(done)`` is called after each frame with the number encoded so far. Raises
    ValueError, leaving no file, when the frames run out early or one has the wrong shape;
    frames beyond ``frame_count`` are not read."""
    if width % 2 or height % 2 or width < 16 or height < 16:
        raise ValueError(f"yuv420p needs even sizes of at least 16 pixels, not {width}x{height}")
    if frame_count < 1 or fps < 1:
        raise ValueError("a video needs at least one frame and a positive frame rate")
    target = Path(path)
    ahead: _Ahead | None = None
    container = av.open(str(target), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        stream = container.add_stream(
            "libx264", rate=fps, options={"crf": str(CRF), "preset": PRESET}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        context = stream.codec_context
        context.time_base = Fraction(1, fps)
        context.thread_type = "FRAME"
        # What cv2's RGB -> I420 produces: BT.601 coefficients in video range.
        context.colorspace = av.video.reformatter.Colorspace.ITU601
        context.color_range = av.video.reformatter.ColorRange.MPEG
        track = (
            _AudioTrack(container, fit_audio(audio, frame_count, fps))
            if audio is not None
            else None
        )
        done = 0
        ahead = _Ahead(frames, _AHEAD, frame_count)
        for rgb in ahead:
            if rgb.shape != (height, width, 3) or rgb.dtype != np.uint8:
                raise ValueError(
                    f"frame {done} is {rgb.shape} {rgb.dtype}, not ({height}, {width}, 3) uint8"
                )
            yuv = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), np.uint8)
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = done
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
            done += 1
            if track is not None:
                track.feed_until(done * SAMPLE_RATE // fps)
            if on_frame is not None:
                on_frame(done)
            if done == frame_count:
                break
        if done < frame_count:
            raise ValueError(f"the frames ran out after {done} of {frame_count}")
        container.mux(stream.encode(None))
        if track is not None:
            track.finish()
    except BaseException:
        if ahead is not None:
            ahead.close()
        container.close()
        target.unlink(missing_ok=True)
        raise
    ahead.close()
    container.close()
    return EncodedVideo(
        path=target,
        frames=frame_count,
        duration_seconds=frame_count / fps,
        size_bytes=target.stat().st_size,
        has_audio=audio is not None,
    )
