"""The studio video engine (CPU, no model weights) and the MP4 encoder: scenes rendered once
as layers, camera moves as warps of those layers, shots joined by transitions, copy on screen.
See ``engine.StudioVideoEngine`` and ``encode.encode_mp4``."""

from krev.engines.studio.video.encode import EncodedVideo, encode_mp4
from krev.engines.studio.video.engine import StudioVideoEngine, StudioVideoPlan
from krev.engines.studio.video.sizes import ASPECT_RATIOS, video_size

__all__ = [
    "ASPECT_RATIOS",
    "EncodedVideo",
    "StudioVideoEngine",
    "StudioVideoPlan",
    "encode_mp4",
    "video_size",
]
