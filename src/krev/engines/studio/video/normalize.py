"""Any model's clip made Krev's MP4: ``width`` x ``height``, ``fps``, exactly ``frame_count``
frames, H.264/AAC with faststart (``encode.encode_mp4``), whatever size, rate and length the
model rendered.

The clip is decoded with PyAV a frame at a time and each frame is encoded as it comes, so no
clip is ever whole in memory. Each output frame shows the source frame nearest its time, so a
faster source drops frames and a slower one repeats them; a clip shorter than asked holds its
last frame, a longer one is cut. Frames are scaled to cover the output and centre-cropped, so a
16:9 clip made 9:16 keeps its middle. The sound is the source's own (resampled to 48 kHz
stereo) when asked for and present, else the one given (a music bed), else none.

Only MP4/MOV and Matroska/WebM files are opened, and with their demuxer named rather than
guessed: FFmpeg's other formats (playlists, concat lists, image sequences) can make it open
further files or URLs on its own.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Literal

import av
import av.container
import av.error
import av.stream
import cv2
import numpy as np

from krev.engines.base import RGBImage
from krev.engines.studio.video.encode import EncodedVideo, encode_mp4
from krev.engines.video import FPS, SAMPLE_RATE, Audio

__all__ = ["MAX_SOURCE_SIDE", "NormalizedVideo", "normalize_video"]

# A model's clip is at most 4K; a larger one claimed by a small file is a decompression bomb.
MAX_SOURCE_SIDE = 4096

Source = str | os.PathLike[str] | bytes

_EDIT_LIST_SLACK = 2


@dataclass(frozen=True)
class NormalizedVideo:
    video: EncodedVideo
    first_frame: RGBImage
    """Output frame 0, as encoded (before compression): the pipeline compares it with the
    first frame it sent and may use it as the poster."""
    samples: dict[int, RGBImage] = field(default_factory=dict)
    """The output frames at the indices asked for (``sample_frames``)."""
    audio: Literal["source", "given", "none"] = "none"
    """Whose sound the video carries."""
    source_size: tuple[int, int] = (0, 0)
    """The clip's (width, height) as the model rendered it."""
    source_frames: int = 0
    """Source frames decoded (up to the last one the output needed)."""
    held_frames: int = 0
    """Output frames past the clip's end, holding its last frame (the clip was shorter)."""


def _demuxer(head: bytes) -> str:
    """FFmpeg's demuxer for a file starting with ``head``; ValueError for anything else."""
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"  # ISO base media: MP4, MOV
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # EBML: Matroska, WebM
    raise ValueError("the clip is not an MP4, MOV or WebM video")


def _reader(source: Source) -> BinaryIO:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    path = Path(os.fspath(source))
    if not path.is_file():
        raise ValueError(f"the clip {path.name!r} is not a file")
    return path.open("rb")


def _open(source: Source) -> tuple[BinaryIO, av.container.InputContainer]:
    reader = _reader(source)
    try:
        head = reader.read(12)
        reader.seek(0)
        container = av.open(reader, mode="r", format=_demuxer(head))
    except av.error.FFmpegError as error:
        reader.close()
        raise ValueError(f"the clip cannot be read as a video ({error.strerror})") from error
    except BaseException:
        reader.close()
        raise
    return reader, container


def _video_stream(container: av.container.InputContainer) -> av.VideoStream:
    for stream in container.streams.video:
        # An audio file's cover picture is a one-frame "video" stream; it is not a clip.
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise ValueError("the file has no video stream")


def _cover(rgb: RGBImage, width: int, height: int) -> RGBImage:
    """``rgb`` scaled to cover ``width`` x ``height`` and centre-cropped to it."""
    source_height, source_width = rgb.shape[:2]
    if source_width * height > width * source_height:  # wider than the output
        crop_width, crop_height = max(1, round(source_height * width / height)), source_height
    else:
        crop_width, crop_height = source_width, max(1, round(source_width * height / width))
    x, y = (source_width - crop_width) // 2, (source_height - crop_height) // 2
    crop = rgb[y : y + crop_height, x : x + crop_width]
    if (crop_width, crop_height) == (width, height):
        return np.ascontiguousarray(crop)
    shrinking = crop_width > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(crop, (width, height), interpolation=interpolation), np.uint8)


def _source_audio(source: Source, frame_count: int, fps: int) -> Audio | None:
    """The source's sound as (n, 2) float32 at 48 kHz, up to the output's length; None when it
    has none, or none that decodes (the video is still good)."""
    needed = round(frame_count * SAMPLE_RATE / fps)
    reader, container = _open(source)
    try:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        got = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
                    got += chunks[-1].shape[1]
                if got >= needed:
                    break
            else:
                chunks += [out.to_ndarray() for out in resampler.resample(None)]
        except av.error.FFmpegError:
            return None
        if not chunks:
            return None
        planar = np.concatenate(chunks, axis=1)[:, :needed]
        samples: Audio = np.ascontiguousarray(planar.T, dtype=np.float32)
        return samples if samples.shape[0] else None
    finally:
        container.close()
        reader.close()


@dataclass
class _Retimer:
    """Source frames in, output frames out: each output frame is the source frame nearest its
    time (a tie goes to the earlier one, the frame on screen at that moment), the last one held
    past the clip's end."""

    stream: av.VideoStream
    width: int
    height: int
    fps: int
    frame_count: int
    wanted: frozenset[int]
    kept: dict[int, RGBImage] = field(default_factory=dict)
    decoded: int = 0
    held: int = 0

    def _time(self, frame: av.VideoFrame) -> Fraction | None:
        time_base = frame.time_base or self.stream.time_base
        if frame.pts is None or time_base is None:
            return None
        return Fraction(frame.pts) * Fraction(time_base)

    def _rate(self) -> Fraction:
        rate = self.stream.average_rate or self.stream.guessed_rate
        return Fraction(rate) if rate else Fraction(self.fps)

    def _picture(self, frame: av.VideoFrame) -> RGBImage:
        if max(frame.width, frame.height) > MAX_SOURCE_SIDE:
            raise ValueError(
                f"the clip is {frame.width}x{frame.height}; at most {MAX_SOURCE_SIDE} pixels "
                "a side are read"
            )
        rgb = np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)
        return _cover(rgb, self.width, self.height)

    def frames(self, container: av.container.InputContainer) -> Generator[RGBImage]:
        emitted = 0
        previous: av.VideoFrame | None = None
        previous_time = Fraction(0)
        picture: RGBImage | None = None
        start: Fraction | None = None

        def out(index: int) -> Fraction:
            return Fraction(index, self.fps)

        def emit(image: RGBImage) -> RGBImage:
            if emitted in self.wanted:
                self.kept[emitted] = image
            return image

        try:
            for frame in container.decode(self.stream):
                self.decoded += 1
                time = self._time(frame)
                if time is None:
                    time = (self.decoded - 1) / self._rate()
                if start is None:
                    start = time
                time -= start
                if previous is None:
                    previous, previous_time = frame, time
                    continue
                if time <= previous_time:
                    continue  # a repeated timestamp shows nothing new
                # ``previous`` is the nearest for every output time up to the midpoint.
                while emitted < self.frame_count and 2 * out(emitted) <= previous_time + time:
                    if picture is None:
                        picture = self._picture(previous)
                    yield emit(picture)
                    emitted += 1
                previous, previous_time, picture = frame, time, None
                if emitted >= self.frame_count:
                    return
        except av.error.FFmpegError as error:
            raise ValueError(f"the clip cannot be decoded ({error.strerror})") from error
        if previous is None:
            raise ValueError("the clip has no frame that decodes")
        # An MP4's index counts its frames: far fewer decoded means the file was cut short in
        # transfer (a few may go to an edit list).
        promised = self.stream.frames
        if promised and self.decoded + _EDIT_LIST_SLACK < promised:
            raise ValueError(
                f"the clip is truncated: {self.decoded} of its {promised} frames decode"
            )
        end = previous_time + 1 / self._rate()
        last = self._picture(previous) if picture is None else picture
        while emitted < self.frame_count:
            if out(emitted) >= end:
                self.held += 1
            yield emit(last)
            emitted += 1


def normalize_video(
    source: Source,
    dst: str | os.PathLike[str],
    *,
    width: int,
    height: int,
    fps: int = FPS,
    frame_count: int,
    audio: Audio | None = None,
    keep_source_audio: bool = False,
    sample_frames: Sequence[int] = (),
    on_frame: Callable[[int], None] | None = None,
) -> NormalizedVideo:
    """Make the clip at ``source`` (a file path or the file's bytes) Krev's MP4 at ``dst``.

    ``audio`` ((n, 2) float32 at 48 kHz) is the sound when the source's own is not kept
    (``keep_source_audio``) or it has none; None: no sound stream. ``sample_frames`` are the
    output indices whose frames come back in ``samples`` (for the fidelity check).
    ``on_frame(done)`` is called after each encoded frame.

    Raises ValueError, leaving no file, for a file that is not an MP4/MOV/WebM video, has no
    video stream, is larger than ``MAX_SOURCE_SIDE`` or does not decode. The input's size in
    bytes is the caller's to cap."""
    if frame_count < 1 or fps < 1:
        raise ValueError("a video needs at least one frame and a positive frame rate")
    wanted = frozenset(sample_frames)
    if any(not 0 <= index < frame_count for index in wanted):
        raise ValueError(f"sample frames must be within 0 … {frame_count - 1}")
    reader, container = _open(source)
    try:
        stream = _video_stream(container)
        context = stream.codec_context
        if max(context.width, context.height) > MAX_SOURCE_SIDE:
            raise ValueError(
                f"the clip is {context.width}x{context.height}; at most {MAX_SOURCE_SIDE} "
                "pixels a side are read"
            )
        stream.thread_type = "AUTO"
        sound: Audio | None = None
        whose: Literal["source", "given", "none"] = "none"
        if keep_source_audio and container.streams.audio:
            sound = _source_audio(source, frame_count, fps)
            whose = "source" if sound is not None else whose
        if sound is None and audio is not None:
            sound, whose = audio, "given"
        retimer = _Retimer(stream, width, height, fps, frame_count, wanted | {0})
        frames = retimer.frames(container)
        try:
            encoded = encode_mp4(
                frames,
                dst,
                width=width,
                height=height,
                fps=fps,
                frame_count=frame_count,
                audio=sound,
                on_frame=on_frame,
            )
        finally:
            frames.close()
        source_size = (context.width, context.height)
    finally:
        container.close()
        reader.close()
    kept = retimer.kept
    return NormalizedVideo(
        video=encoded,
        first_frame=kept[0],
        samples={index: kept[index] for index in sorted(wanted)},
        audio=whose,
        source_size=source_size,
        source_frames=retimer.decoded,
        held_frames=retimer.held,
    )
