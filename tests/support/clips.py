"""Small real video files, written with PyAV in memory: for the normaliser's tests and for what
the hosted video fakes answer.

Frames can say their own index (``index_frame`` / ``read_index``: eight black-or-white stripes,
one per bit, broad enough to survive compression and scaling), and sound can be a tone whose
pitch is read back (``dominant_frequency``)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from fractions import Fraction

import av
import cv2
import numpy as np

from krev.engines.base import RGBImage

BITS = 8


def index_frame(index: int, width: int, height: int) -> RGBImage:
    """Stripe ``b`` (left to right) is white when bit ``b`` of ``index`` is set; the bottom
    quarter is a colour that changes with the index."""
    frame = np.zeros((height, width, 3), np.uint8)
    for bit in range(BITS):
        left, right = bit * width // BITS, (bit + 1) * width // BITS
        frame[: height * 3 // 4, left:right] = 235 if index >> bit & 1 else 20
    frame[height * 3 // 4 :] = (40, 90 + (index * 7) % 120, 160)
    return frame


def read_index(frame: RGBImage) -> int:
    height, width = frame.shape[:2]
    value = 0
    for bit in range(BITS):
        x = (2 * bit + 1) * width // (2 * BITS)
        if frame[height * 3 // 8, x].mean() > 128:
            value |= 1 << bit
    return value


def cover(image: RGBImage, width: int, height: int) -> RGBImage:
    """``image`` scaled to cover ``width`` x ``height`` and centre-cropped (what a model does
    with a first frame of another ratio)."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    y = (resized.shape[0] - height) // 2
    x = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y : y + height, x : x + width])


def tone(seconds: float, frequency: float, *, rate: int = 48_000, channels: int = 2) -> np.ndarray:
    """(n, channels) float32 samples of a sine at ``frequency``."""
    t = np.arange(round(seconds * rate), dtype=np.float64) / rate
    wave = (0.4 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency of the first channel of (n, channels) samples."""
    mono = samples[:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[int(np.argmax(spectrum))])


def encode_clip(
    frames: Iterable[RGBImage],
    *,
    width: int,
    height: int,
    fps: int | Fraction = 24,
    container_format: str = "mp4",
    audio: np.ndarray | None = None,
    audio_rate: int = 48_000,
) -> bytes:
    """The frames (each (height, width, 3) uint8) as an H.264 MP4 (or, with
    ``container_format="webm"``, VP9), with ``audio`` ((n, channels) float32 at ``audio_rate``,
    1 or 2 channels) as AAC (Opus in WebM)."""
    buffer = io.BytesIO()
    webm = container_format == "webm"
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream("libvpx-vp9" if webm else "libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if not webm:
            stream.options = {"preset": "ultrafast", "crf": "18"}
        sound = None
        if audio is not None:
            layout = "mono" if audio.shape[1] == 1 else "stereo"
            sound = container.add_stream("libopus" if webm else "aac", rate=audio_rate)
            sound.layout = layout
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1) / Fraction(fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None and audio is not None:
            planar = np.ascontiguousarray(audio.T.astype(np.float32))
            step = sound.codec_context.frame_size or 1024
            for start in range(0, planar.shape[1], step):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planar[:, start : start + step]),
                    format="fltp",
                    layout=sound.layout.name,
                )
                chunk.sample_rate = audio_rate
                chunk.pts = start
                chunk.time_base = Fraction(1, audio_rate)
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return buffer.getvalue()


def seedance_clip(
    width: int,
    height: int,
    seconds: int,
    *,
    first_frame: RGBImage | None = None,
    seed: int = 0,
    audio: bool = False,
) -> bytes:
    """What the video fakes answer: 24 fps for ``seconds``, starting on ``first_frame``
    (covered to the size) and panning slowly, or a gradient with a bar sweeping across it."""
    if first_frame is not None:
        base = cover(first_frame, width, height)
    else:
        rng = np.random.default_rng(seed)
        top, bottom = rng.integers(30, 220, 3), rng.integers(30, 220, 3)
        ramp = np.linspace(0.0, 1.0, height)[:, None, None]
        base = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1).astype(np.uint8)

    def frames() -> Iterable[RGBImage]:
        for index in range(24 * seconds):
            frame = np.roll(base, index * 2, axis=1) if first_frame is not None else base.copy()
            if first_frame is None:
                x = (index * 5) % width
                frame[:, x : x + 16] = (230, 60, 40)
            yield frame

    sound = tone(seconds, 330.0) if audio else None
    return encode_clip(frames(), width=width, height=height, audio=sound)
