"""Preset thumbnails: each preset rendered once per process by the composer itself, with no
product, small, and kept in memory. They are the same for every user and change only with the
engine's code, so there is nothing to store or count."""

from __future__ import annotations

import threading

from PIL import Image

from krev.engines.base import SceneComposer, SceneRequest
from krev.platform.imaging import encode_webp

THUMBNAIL_SIDE = 256
THUMBNAIL_QUALITY = 85

_cache: dict[tuple[str, str], bytes] = {}  # (engine name, preset id) -> WebP
_lock = threading.Lock()


def thumbnail(composer: SceneComposer, preset_id: str) -> bytes | None:
    """The preset's thumbnail as WebP; None when the composer has no such preset."""
    if preset_id not in {preset.id for preset in composer.presets()}:
        return None
    key = (composer.name, preset_id)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    # Rendered outside the lock: two first requests may both render, and one result is kept.
    rendered = composer.render(
        SceneRequest(prompt="", width=THUMBNAIL_SIDE, height=THUMBNAIL_SIDE, preset=preset_id)
    )
    data = encode_webp(Image.fromarray(rendered.rgb, "RGB"), quality=THUMBNAIL_QUALITY)
    with _lock:
        return _cache.setdefault(key, data)
