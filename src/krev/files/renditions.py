"""PNG and JPEG renditions of stored images, for the tools that take no WebP (Meta's Ads Manager
among them): ``?format=png`` or ``?format=jpeg`` on any image's signed URL (``?format=webp``
too, for a PNG or JPEG one).

A rendition is made from the stored original on its first request and kept beside it under
``<key>.rendition.<format>`` (in the bucket, with S3), so it is converted once. It is a cache
of the original, not an object of its own: it is not counted against the plan's storage (it can
always be made again), and it goes when the original does (``delete_objects``). Two first
requests at once may both convert; either storage's writes are atomic (a file renamed into
place, an S3 PUT), so one whole object is kept.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from krev.errors import BadRequest
from krev.platform.storage import Storage

__all__ = [
    "FORMATS",
    "Rendition",
    "UnknownFormat",
    "rendition",
    "rendition_keys",
    "requested_format",
]

SUFFIX = ".rendition."
WEBP_QUALITY = 90  # as the image pipeline's outputs
JPEG_QUALITY = 92  # well above what Meta recompresses to, so its pass is the only visible one
# What a rendition can be made from: the images Krev stores (outputs are WebP; product images
# and cutouts are WebP or PNG; an original upload may be JPEG).
SOURCE_TYPES: dict[str, str] = {"image/webp": "WEBP", "image/png": "PNG", "image/jpeg": "JPEG"}


@dataclass(frozen=True)
class Format:
    name: str
    content_type: str
    pillow: str


FORMATS: dict[str, Format] = {
    "png": Format("png", "image/png", "PNG"),
    "jpeg": Format("jpeg", "image/jpeg", "JPEG"),
    "webp": Format("webp", "image/webp", "WEBP"),
}
# What else clients write for them (a file's extension).
_ALIASES = {"jpg": "jpeg"}


class UnknownFormat(BadRequest):
    code = "unsupported_format"


@dataclass(frozen=True)
class Rendition:
    key: str
    content_type: str


def requested_format(text: str) -> Format:
    """The format a ``format`` query parameter names; 400 for anything else."""
    name = _ALIASES.get(text.strip().lower(), text.strip().lower())
    found = FORMATS.get(name)
    if found is None:
        raise UnknownFormat(
            f"Unknown format '{text}'. This URL serves png, jpeg or webp on request "
            "(?format=png, ?format=jpeg), or the stored file without the parameter."
        )
    return found


def rendition_keys(key: str) -> list[str]:
    """Every rendition key an object may have, for deleting them with it."""
    return [f"{key}{SUFFIX}{fmt.name}" for fmt in FORMATS.values()]


def rendition(storage: Storage, key: str, content_type: str, fmt: Format) -> Rendition:
    """The object at ``key`` (of ``content_type``) in ``fmt``: itself when it is stored in that
    format, else its rendition, converted now if it was not already. 400 when the object is
    not an image."""
    source = SOURCE_TYPES.get(content_type)
    if source is None:
        raise UnknownFormat(
            f"This object is {content_type}, not an image; only images are served as {fmt.name}."
        )
    if source == fmt.pillow:
        return Rendition(key, content_type)
    target = f"{key}{SUFFIX}{fmt.name}"
    if not storage.exists(target):
        storage.put(target, convert(storage.get(key), fmt), fmt.content_type)
    return Rendition(target, fmt.content_type)


def convert(data: bytes, fmt: Format) -> bytes:
    """An image Krev stored, encoded as ``fmt``: PNG keeps transparency; JPEG has none, so
    transparent pixels go onto white, as a product cutout on a page would."""
    with Image.open(io.BytesIO(data), formats=list(SOURCE_TYPES.values())) as opened:
        opened.load()
        image = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    buffer = io.BytesIO()
    if fmt.pillow == "JPEG":
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt.pillow == "WEBP":
        image.save(buffer, format="WEBP", quality=WEBP_QUALITY)
    else:
        # Level 6 is zlib's default; higher levels take several times longer for ~1% less.
        image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
