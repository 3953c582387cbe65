"""The intake every user-supplied image passes through once its bytes are fetched: refuse what we
do not accept (type, bytes, pixels, broken files) before it costs memory, then hand back clean
RGB/RGBA pixels, and re-encode what we store so no user metadata travels with it.

    ImageRejected (code, message, status)
    ├── UnsupportedImageType (415 unsupported_image_type)  not JPEG, PNG or WebP (GIF, SVG, HEIC…)
    ├── ImageTooLarge (413 image_too_large)                over the byte cap or the pixel cap
    └── InvalidImage (400 invalid_image)                   empty, truncated or corrupt

Memory: an image under the pixel cap can still be 40 MP from a few hundred kilobytes, and every
full-size copy of it in Pillow is 4 bytes a pixel (160 MB). So an image is held at full size at
most once, and only where its full resolution is the point: ``encode_original`` re-encodes the
whole image for storage (one decode in RGB or RGBA, its color profile applied in place, encoded
without a copy; only a rotated photo is copied once more). Everything else works on a
*working image* whose long side is at most ``working_side``: ``decode_image`` (user input) and
``decode_stored`` (files we stored) decode a JPEG straight to 1/2, 1/4 or 1/8 of its size
(libjpeg's DCT scaling) and reduce other formats a band of rows at a time, since Pillow's own
reduction of RGBA copies the whole image first.

Pure code: no settings, no I/O. The caller passes the caps and maps ``status``/``code`` onto the
API's error envelope. Decoding is CPU work; call it off the event loop.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

from krev.errors import BadRequest, KrevError, PayloadTooLarge, UnsupportedMediaType

__all__ = [
    "ACCEPTED_FORMATS",
    "DEFAULT_WORKING_SIDE",
    "DecodedImage",
    "ImageRejected",
    "ImageTooLarge",
    "InvalidImage",
    "OriginalImage",
    "UnsupportedImageType",
    "decode_image",
    "decode_stored",
    "encode_original",
    "encode_png",
    "encode_webp",
]

ImageFormat = Literal["jpeg", "png", "webp"]

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
"""Pillow's names for the formats we open. Passed to ``Image.open`` explicitly so no other plugin
(FITS, TIFF, PSD, …) ever parses untrusted bytes."""

DEFAULT_WORKING_SIDE = 2048
"""The default long side of a working image: analysis, background removal and generation read
at most 1344 px of a product, so more only costs memory."""

# Pillow's names, mapped onto ours. A phone JPEG with a second "multi-picture" frame is
# identified as MPO by the JPEG plugin; its first frame is an ordinary JPEG.
_FORMAT_NAMES: dict[str, ImageFormat] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "WEBP": "webp",
}

_ACCEPTED_WORDS = "JPG, PNG and WebP images are accepted"

# The stored original: JPEG encodes 40 MP in well under a second where WebP (the outputs'
# format) takes tens of seconds, decodes at a fraction of its size for analysis, and has no
# 16383 px side limit; libjpeg's own limit is 65500 px a side.
_ORIGINAL_JPEG_QUALITY = 92
_JPEG_MAX_SIDE = 65_500

# Shrinking reduces by the whole factor that leaves the image under twice the working size
# (a box filter, fast), then resamples the rest with LANCZOS, as Pillow's ``reducing_gap=1.0``.
_BAND_ROWS = 256  # rows reduced at a time: a band of a 6324 px wide RGBA image is 6.5 MB

# What each EXIF orientation needs to be upright (EXIF 2.3, tag 0x0112), as Pillow's
# ``ImageOps.exif_transpose`` applies it; 5 to 8 swap width and height.
_UPRIGHT: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

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

_T = TypeVar("_T")


class ImageRejected(KrevError):
    """Why an image was refused (a krev.errors.KrevError; each refusal is also the API error it
    answers as). ``message`` is safe to show the user."""


class UnsupportedImageType(ImageRejected, UnsupportedMediaType):
    code = "unsupported_image_type"


class ImageTooLarge(ImageRejected, PayloadTooLarge):
    code = "image_too_large"


class InvalidImage(ImageRejected, BadRequest):
    code = "invalid_image"


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """The working image: upright, in ``RGB`` or ``RGBA`` (sRGB where a profile said
    otherwise), its long side at most the ``working_side`` asked for. ``width`` and ``height``
    are the whole upright image's, ``format`` what it arrived as."""

    image: Image.Image
    format: ImageFormat
    width: int
    height: int
    has_alpha: bool


@dataclass(frozen=True, slots=True)
class OriginalImage:
    """The whole image re-encoded for storage: upright, sRGB, full resolution, no metadata.
    JPEG (quality 92) when it is opaque; PNG, lossless, when it has transparency (or a side
    longer than JPEG allows)."""

    data: bytes
    media_type: Literal["image/jpeg", "image/png"]
    extension: Literal["jpg", "png"]
    format: ImageFormat
    width: int
    height: int
    has_alpha: bool


def decode_image(
    data: bytes, *, max_bytes: int, max_pixels: int, working_side: int = DEFAULT_WORKING_SIDE
) -> DecodedImage:
    """Decode user-supplied bytes into a working image, refusing anything we would not store.

    Order matters: the byte cap and the header's pixel count are checked before a single pixel is
    decoded, so a few-kilobyte PNG that claims 20000x20000 costs nothing. The effective pixel cap
    is the lower of ``max_pixels`` and Pillow's ``Image.MAX_IMAGE_PIXELS`` (left unchanged).
    An alpha channel that is fully opaque is dropped, so ``has_alpha`` means real transparency.
    """
    return _intake(
        data,
        max_bytes,
        max_pixels,
        lambda opened, image_format: _working(opened, image_format, working_side),
    )


def encode_original(data: bytes, *, max_bytes: int, max_pixels: int) -> OriginalImage:
    """Refuse as ``decode_image`` does, then re-encode the whole image for storage (see
    ``OriginalImage``), holding it at full size once."""
    return _intake(data, max_bytes, max_pixels, _original)


def decode_stored(data: bytes, *, working_side: int = DEFAULT_WORKING_SIDE) -> DecodedImage:
    """The working image of a file this server stored itself (an ``OriginalImage``, or an
    older WebP original): already checked when it came in, so only decoded."""
    with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as opened:
        return _working(opened, _FORMAT_NAMES[opened.format or ""], working_side)


def _intake(
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    use: Callable[[ImageFile.ImageFile, ImageFormat], _T],
) -> _T:
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
            opened = _open(data)
            with opened:
                return use(opened, _checked_format(opened, max_pixels))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Raised inside Image.open, before the size is ours to read. Pillow's limit applies
            # even where ``max_pixels`` is higher, so name whichever of the two is lower.
            pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
            raise ImageTooLarge(
                f"The image has too many pixels to process safely; the limit is "
                f"{min(max_pixels, pillow_limit):,} pixels."
            ) from exc


def _open(data: bytes) -> ImageFile.ImageFile:
    try:
        # Lazy: reads the header only, so ``size`` is known before any pixel is decoded.
        return Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except _DECODE_ERRORS as exc:
        raise InvalidImage(
            f"The image could not be read; the file may be corrupt. ({exc})"
        ) from exc


def _checked_format(opened: ImageFile.ImageFile, max_pixels: int) -> ImageFormat:
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
    return image_format


def _load(opened: ImageFile.ImageFile, image_format: ImageFormat) -> None:
    try:
        # Animated WebP/APNG and MPO: the first frame is the image.
        opened.load()
    except _DECODE_ERRORS as exc:
        raise InvalidImage(
            f"The {image_format.upper()} image is truncated or corrupt and could not be decoded."
        ) from exc


def _working(
    opened: ImageFile.ImageFile, image_format: ImageFormat, working_side: int
) -> DecodedImage:
    width, height = opened.size
    if image_format == "jpeg":
        # Asks for at least the working size; libjpeg picks the smallest scale that gives it.
        opened.draft(None, _fitted((width, height), working_side))
    _load(opened, image_format)
    orientation = _orientation(opened)
    image = _shrunk(_to_rgb_or_rgba(opened, _icc_profile(opened)), working_side)
    # Rotated once small; a copy when nothing else made one, as closing ``opened`` frees its
    # pixels.
    image = image.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else image
    if image is opened:
        image = image.copy()
    if orientation >= 5:
        width, height = height, width
    return DecodedImage(
        image=image,
        format=image_format,
        width=width,
        height=height,
        has_alpha=image.mode == "RGBA",
    )


def _original(opened: ImageFile.ImageFile, image_format: ImageFormat) -> OriginalImage:
    _load(opened, image_format)
    orientation = _orientation(opened)
    image = _to_rgb_or_rgba(opened, _icc_profile(opened))
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    # Ours to change (``opened`` is closed after this): no profile, EXIF, XMP, comment or text
    # chunk left in ``info`` for the encoder to carry over, without copying the pixels.
    image.info.clear()
    buffer = io.BytesIO()
    has_alpha = image.mode == "RGBA"
    if not has_alpha and max(image.size) <= _JPEG_MAX_SIDE:
        image.save(buffer, format="JPEG", quality=_ORIGINAL_JPEG_QUALITY)
        media_type: Literal["image/jpeg", "image/png"] = "image/jpeg"
        extension: Literal["jpg", "png"] = "jpg"
    else:
        image.save(buffer, format="PNG")
        media_type, extension = "image/png", "png"
    return OriginalImage(
        data=buffer.getvalue(),
        media_type=media_type,
        extension=extension,
        format=image_format,
        width=image.width,
        height=image.height,
        has_alpha=has_alpha,
    )


def _orientation(opened: ImageFile.ImageFile) -> int:
    """The EXIF (or XMP) orientation, 1 when absent or unreadable."""
    try:
        value = opened.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and value in _UPRIGHT else 1


def _icc_profile(opened: ImageFile.ImageFile) -> bytes | None:
    profile = opened.info.get("icc_profile")
    return profile if isinstance(profile, bytes) else None


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled so its long side is at most ``side``."""
    width, height = size
    scale = side / max(width, height)
    if scale >= 1.0:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    size = _fitted(image.size, side)
    if size == image.size:
        return image
    width, height = image.size
    factor = int(min(width / size[0], height / size[1]))
    # Transparent pixels' colors must not bleed into their neighbours: RGBA is resampled
    # premultiplied (RGBa) and converted back once, as Pillow's own resize does.
    if factor > 1:
        image = _reduced(image, factor)
    elif image.mode == "RGBA":
        image = image.convert("RGBa")  # under twice the working size: a small copy
    # ``box`` is the source's own extent: a last partial block of the reduction counts for what
    # it covers, not for a whole pixel.
    box = (0.0, 0.0, width / max(factor, 1), height / max(factor, 1))
    shrunk = image.resize(size, Image.Resampling.LANCZOS, box=box)
    return shrunk.convert("RGBA") if shrunk.mode == "RGBa" else shrunk


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """``image.reduce(factor)`` a band of rows at a time (RGBA premultiplied, into RGBa): Pillow
    would premultiply a copy of the whole image first, 160 MB more at 40 MP. Bands start on
    multiples of ``factor``, so each output pixel averages the block it would in one pass."""
    mode = "RGBa" if image.mode == "RGBA" else image.mode
    width, height = image.size
    reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
    rows = factor * max(1, _BAND_ROWS // factor)
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows)))
        if band.mode != mode:
            band = band.convert(mode)
        reduced.paste(band.reduce(factor), (0, top // factor))
    return reduced


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
        # Per band, read in place (getchannel would copy the alpha out first).
        alpha_low, _ = image.getextrema()[3]  # type: ignore[misc]
        if alpha_low == 255:  # an alpha channel with no transparency in it carries nothing
            image = image.convert("RGB")
    return image


def _profile_to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """``image`` in sRGB according to its embedded profile, or None when it cannot be done."""
    if image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return None
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    # RGB and RGBA are converted in place: at full size a converted copy is another 160 MB.
    in_place = image.mode == output_mode
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image,
            source,
            _SRGB,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode=output_mode,
            inPlace=in_place,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return image if in_place else converted


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
