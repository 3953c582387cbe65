"""The intake every user-supplied image passes through once its bytes are fetched: refuse what we
do not accept (type, bytes, pixels, broken files) before it costs memory, then hand back clean
RGB/RGBA pixels, and re-encode what we store so no user metadata travels with it.

    ImageRejected (code, message, status)
    ├── UnsupportedImageType (415 unsupported_image_type)  not JPEG, PNG or WebP (GIF, SVG, HEIC…)
    ├── ImageTooLarge (413 image_too_large)                over the byte cap or the pixel cap
    └── InvalidImage (400 invalid_image)                   empty, truncated or corrupt

Pure code: no settings, no I/O. The caller passes the caps and maps ``status``/``code`` onto the
API's error envelope. Decoding is CPU work; call it off the event loop.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import ClassVar, Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

__all__ = [
    "ACCEPTED_FORMATS",
    "DecodedImage",
    "ImageRejected",
    "ImageTooLarge",
    "InvalidImage",
    "UnsupportedImageType",
    "decode_image",
    "encode_png",
    "encode_webp",
]

ImageFormat = Literal["jpeg", "png", "webp"]

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
"""Pillow's names for the formats we open. Passed to ``Image.open`` explicitly so no other plugin
(FITS, TIFF, PSD, …) ever parses untrusted bytes."""

# Pillow's own names, mapped onto ours. A phone JPEG with a second "multi-picture" frame is
# identified as MPO by the JPEG plugin; its first frame is an ordinary JPEG.
_FORMAT_NAMES: dict[str, ImageFormat] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "WEBP": "webp",
}

_ACCEPTED_WORDS = "JPG, PNG and WebP images are accepted"

# Errors Pillow raises for truncated or corrupt data, at open or at load. UnidentifiedImageError
# is an OSError and is handled before these.
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
)


class ImageRejected(Exception):
    """Why an image was refused. ``message`` is safe to show the user; ``status`` is the HTTP
    status it should render as."""

    code: ClassVar[str] = "invalid_image"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class UnsupportedImageType(ImageRejected):
    code = "unsupported_image_type"
    status = 415


class ImageTooLarge(ImageRejected):
    code = "image_too_large"
    status = 413


class InvalidImage(ImageRejected):
    code = "invalid_image"
    status = 400


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A fully decoded, upright image in ``RGB`` or ``RGBA`` (sRGB where a profile said
    otherwise), and the format it arrived in."""

    image: Image.Image
    format: ImageFormat
    width: int
    height: int
    has_alpha: bool


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int) -> DecodedImage:
    """Decode user-supplied bytes, refusing anything we would not store.

    Order matters: the byte cap and the header's pixel count are checked before a single pixel is
    decoded, so a few-kilobyte PNG that claims 20000x20000 costs nothing. The effective pixel cap
    is the lower of ``max_pixels`` and Pillow's ``Image.MAX_IMAGE_PIXELS`` (left unchanged).
    An alpha channel that is fully opaque is dropped, so ``has_alpha`` means real transparency.
    """
    if not data:
        raise InvalidImage(f"The image is empty. {_ACCEPTED_WORDS}.")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"The image is {len(data):,} bytes; the limit is {max_bytes:,} bytes.")

    # Pillow warns (DecompressionBombWarning) past Image.MAX_IMAGE_PIXELS and raises past twice
    # that; the warning becomes an error here, for this call only, rather than by changing
    # Pillow's global limit. catch_warnings swaps the process-wide filter list, so a concurrent
    # decode could briefly see this filter too; it is the same filter every decode installs.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode(data, max_pixels=max_pixels)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Raised inside Image.open, before the size is ours to read. Pillow's limit applies
            # even where ``max_pixels`` is higher, so name whichever of the two is lower.
            pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
            raise ImageTooLarge(
                f"The image has too many pixels to process safely; the limit is "
                f"{min(max_pixels, pillow_limit):,} pixels."
            ) from exc


def _decode(data: bytes, *, max_pixels: int) -> DecodedImage:
    try:
        # Lazy: reads the header only, so ``size`` is known before any pixel is decoded.
        opened = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except _DECODE_ERRORS as exc:
        raise InvalidImage(
            f"The image could not be read; the file may be corrupt. ({exc})"
        ) from exc

    with opened:
        width, height = opened.size
        if width <= 0 or height <= 0:
            raise InvalidImage("The image has no pixels.")
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"The image is {width}x{height} ({width * height:,} pixels); the limit is "
                f"{max_pixels:,} pixels."
            )
        image_format = _FORMAT_NAMES.get(opened.format or "")
        if image_format is None:  # pragma: no cover - only reachable if ACCEPTED_FORMATS grows
            raise UnsupportedImageType(f"This image type is not supported. {_ACCEPTED_WORDS}.")
        try:
            # Animated WebP/APNG and MPO: the first frame is the image.
            opened.load()
        except _DECODE_ERRORS as exc:
            raise InvalidImage(
                f"The {image_format.upper()} image is truncated or corrupt and could not be "
                "decoded."
            ) from exc
        icc_profile = opened.info.get("icc_profile")
        upright = ImageOps.exif_transpose(opened)

    image = _to_rgb_or_rgba(upright, icc_profile if isinstance(icc_profile, bytes) else None)
    has_alpha = image.mode == "RGBA"
    return DecodedImage(
        image=image,
        format=image_format,
        width=image.width,
        height=image.height,
        has_alpha=has_alpha,
    )


def encode_webp(image: Image.Image, *, quality: int = 90, lossless: bool = False) -> bytes:
    """Encode for storage as WebP, alpha kept, with no EXIF, XMP or ICC profile."""
    buffer = io.BytesIO()
    _stripped(image).save(buffer, format="WEBP", quality=quality, lossless=lossless, method=4)
    return buffer.getvalue()


def encode_png(image: Image.Image) -> bytes:
    """Encode for storage as PNG, alpha kept, with no EXIF, XMP, text chunks or ICC profile."""
    buffer = io.BytesIO()
    _stripped(image).save(buffer, format="PNG")
    return buffer.getvalue()


# ICC profiles: ``decode_image`` converts pixels from an embedded profile to sRGB (when the
# profile is usable; otherwise the pixels are kept as they are), and the encoders write no
# profile at all, since untagged images are read as sRGB by browsers and by our own pipeline.
_SRGB = ImageCms.createProfile("sRGB")


def _to_rgb_or_rgba(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if icc_profile:
        converted = _profile_to_srgb(image, icc_profile)
        if converted is not None:
            image = converted

    mode = image.mode
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I"}:
        # 16-bit greyscale: scale 0..65535 onto 0..255 (a plain convert would clip to white).
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in {"PA", "LA", "La", "RGBa"}:
        image = image.convert("RGBA")
    elif mode not in {"RGB", "RGBA"}:
        image = image.convert("RGB")

    if image.mode == "RGBA":
        alpha_low, _ = image.getchannel("A").getextrema()
        if alpha_low == 255:  # an alpha channel with no transparency in it carries nothing
            image = image.convert("RGB")
    return image


def _profile_to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """``image`` in sRGB according to its embedded profile, or None when it cannot be done."""
    if image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return None
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image,
            source,
            _SRGB,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return converted


def _stripped(image: Image.Image) -> Image.Image:
    """A copy holding pixels only: Pillow's PNG writer carries ``info["icc_profile"]`` over, and
    anything left in ``info`` could carry EXIF, XMP or text chunks into stored files."""
    if image.mode not in {"RGB", "RGBA"}:
        has_alpha = image.mode in {"LA", "PA", "La", "RGBa"} or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
    else:
        image = image.copy()
    image.info.clear()
    return image


# Signatures of formats people send that we do not accept, checked only to name the file in the
# refusal; none of these bytes is ever handed to a Pillow plugin.
_FOREIGN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "a GIF"),
    (b"GIF89a", "a GIF"),
    (b"BM", "a BMP"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
    (b"SIMPLE  =", "a FITS file"),
    (b"%PDF", "a PDF"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x00\x00\x01\x00", "an ICO"),
    (b"\xff\x0a", "a JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "a JPEG XL"),
)
_HEIF_BRANDS: dict[bytes, str] = {
    b"heic": "a HEIC",
    b"heix": "a HEIC",
    b"hevc": "a HEIC",
    b"heim": "a HEIC",
    b"heis": "a HEIC",
    b"mif1": "a HEIF",
    b"msf1": "a HEIF",
    b"avif": "an AVIF",
    b"avis": "an AVIF",
}
_OWN_SIGNATURES: tuple[tuple[bytes, ImageFormat], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)


def _unidentified(data: bytes) -> ImageRejected:
    """The refusal for bytes none of our accepted formats could open."""
    for signature, own_format in _OWN_SIGNATURES:
        if data.startswith(signature):
            return InvalidImage(
                f"The file looks like a {own_format.upper()} image but is truncated or corrupt."
            )
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return InvalidImage("The file looks like a WebP image but is truncated or corrupt.")

    kind = _foreign_kind(data)
    if kind is not None:
        return UnsupportedImageType(
            f"The file is {kind}, which is not supported. {_ACCEPTED_WORDS}."
        )
    return UnsupportedImageType(f"The file is not a supported image. {_ACCEPTED_WORDS}.")


def _foreign_kind(data: bytes) -> str | None:
    for signature, kind in _FOREIGN_SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(data[8:12], "a video or ISO media file")
    text = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "an SVG"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return None
