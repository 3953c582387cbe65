"""Style thumbnails: each ad style's layout rendered once per process by the creative engine,
small, with specimen copy and a simply drawn product on a studio backdrop, and kept in memory.
They are the same for every user and change only with the engine's code, so there is nothing to
store or count (as the image presets' thumbnails, krev.images.presets)."""

from __future__ import annotations

import threading

from PIL import Image

from krev.engines.studio.ads import style_thumbnail
from krev.engines.studio.ads.styles import AdStyle
from krev.platform.imaging import encode_webp

THUMBNAIL_SIDE = 256
THUMBNAIL_QUALITY = 85

_cache: dict[str, bytes] = {}  # style id -> WebP
_lock = threading.Lock()


def thumbnail(style: AdStyle) -> bytes:
    """The style's thumbnail as WebP."""
    cached = _cache.get(style.id)
    if cached is not None:
        return cached
    # Rendered outside the lock: two first requests may both render, and one result is kept.
    rgb = style_thumbnail(style, side=THUMBNAIL_SIDE)
    data = encode_webp(Image.fromarray(rgb, "RGB"), quality=THUMBNAIL_QUALITY)
    with _lock:
        return _cache.setdefault(style.id, data)
