"""Helpers for the video engine tests: product cutouts from the shared rendered photos, and an
MP4 read back with PyAV (what a player would see: streams, frames, sound)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import ProductCutout, RGBImage
from tests.support.product_photos import make_photo


def cutout(index: int = 3, size: int = 256) -> ProductCutout:
    """A product photo's cutout with its true mask (soft by 0.7 px), as the catalog holds it."""
    photo = make_photo(index, size)
    alpha = cv2.GaussianBlur(photo.mask.astype(np.float32), (0, 0), 0.7)
    rgba = np.dstack([photo.image, np.round(alpha * 255).astype(np.uint8)])
    return ProductCutout(rgba=rgba, name=photo.product, product_type=photo.product)


def photo(index: int = 6, size: int = 256) -> RGBImage:
    """A studio product photo (the product on its own background)."""
    image: RGBImage = make_photo(index, size).image
    return image


@dataclass(frozen=True)
class Probe:
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: Fraction
    frames: list[RGBImage]
    duration: float
    """The container's duration, seconds."""
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    audio: npt.NDArray[np.float32] | None
    """Decoded sound, (n, channels)."""
    audio_duration: float | None
    boxes: list[str]
    """The file's top-level MP4 boxes, in order."""


def _top_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    names, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        names.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return names


def probe(path: Path, keep_frames: bool = True) -> Probe:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        context = video.codec_context
        duration = float(container.duration or 0) / av.time_base
        audio_stream = container.streams.audio[0] if container.streams.audio else None
        audio_codec = audio_stream.codec_context.name if audio_stream else None
        audio_rate = audio_stream.rate if audio_stream else None
        audio_channels = audio_stream.channels if audio_stream else None
        audio_duration = None
        if audio_stream is not None and audio_stream.duration is not None:
            audio_duration = float(audio_stream.duration * (audio_stream.time_base or 0))
        frames: list[RGBImage] = [
            np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)
            if keep_frames
            else np.zeros(0, np.uint8)
            for frame in container.decode(video=0)
        ]
        probed = (context.name, context.pix_fmt, context.width, context.height, video.average_rate)
    audio = None
    if audio_stream is not None:
        with av.open(str(path)) as container:
            chunks = [f.to_ndarray() for f in container.decode(audio=0)]
        audio = np.concatenate(chunks, axis=1).T.astype(np.float32)
    return Probe(
        codec=probed[0],
        pix_fmt=str(probed[1]),
        width=probed[2],
        height=probed[3],
        fps=Fraction(probed[4] or 0),
        frames=frames,
        duration=duration,
        audio_codec=audio_codec,
        audio_rate=audio_rate,
        audio_channels=audio_channels,
        audio=audio,
        audio_duration=audio_duration,
        boxes=_top_boxes(path),
    )
