"""Thumbnails of media for tool results: a small image a client can show, never the full one.

MCP clients cap what a tool may return, and a model reads an inlined image as many tokens, so
a result carries each image (or a video's poster) as its signed URL plus a WebP of at most
``THUMBNAIL_PX`` on its long side, a few kilobytes. Pillow only: this also runs in the stdio
process, which imports nothing of the server.
"""

from __future__ import annotations

import base64
import io

from mcp_types import ImageContent
from PIL import Image, UnidentifiedImageError

THUMBNAIL_PX = 256
THUMBNAIL_QUALITY = 75
MIME_TYPE = "image/webp"


def thumbnail(data: bytes) -> bytes | None:
    """A WebP of at most THUMBNAIL_PX a side; None for bytes that are not an image Pillow
    reads (a thumbnail is a courtesy: its absence is never an error)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at a smaller scale
            small = image.convert("RGBA" if _has_alpha(image) else "RGB")
            small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    buffer = io.BytesIO()
    small.save(buffer, format="WEBP", quality=THUMBNAIL_QUALITY, method=4)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def image_content(webp: bytes) -> ImageContent:
    return ImageContent(data=base64.b64encode(webp).decode("ascii"), mime_type=MIME_TYPE)
