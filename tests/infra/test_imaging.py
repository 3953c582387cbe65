"""The image intake: what users can upload, what is refused and how, and what we store."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image, ImageCms

import krev.platform.imaging as imaging
from krev.platform.imaging import (
    DecodedImage,
    ImageRejected,
    ImageTooLarge,
    InvalidImage,
    UnsupportedImageType,
    decode_image,
    decode_stored,
    encode_original,
    encode_png,
    encode_webp,
)

MAX_BYTES = 5_000_000
MAX_PIXELS = 25_000_000


def decode(data: bytes) -> DecodedImage:
    return decode_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)


def channels(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """One pixel's channel values (Pillow types ``getpixel`` for every mode at once)."""
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def encoded(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """Smooth gradients, so lossy codecs keep pixel values close."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    return image.convert(mode)


def max_channel_difference(a: Image.Image, b: Image.Image) -> int:
    assert a.size == b.size
    assert a.mode == b.mode
    return max(abs(pa - pb) for pa, pb in zip(a.tobytes(), b.tobytes(), strict=True))


def test_public_surface() -> None:
    assert imaging.__all__ == sorted(imaging.__all__)
    assert set(imaging.__all__) == {
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
    }


@pytest.mark.parametrize(
    ("fmt", "name", "params", "tolerance"),
    [
        ("JPEG", "jpeg", {"quality": 95}, 16),
        ("PNG", "png", {}, 12),
        ("WEBP", "webp", {"quality": 95}, 16),
    ],
)
def test_round_trip_keeps_size_and_pixels(
    fmt: str, name: str, params: dict[str, Any], tolerance: int
) -> None:
    original = photo()
    first = decode(encoded(original, fmt, **params))
    assert first.format == name
    assert (first.width, first.height) == (64, 48)
    assert first.image.mode == "RGB"
    assert not first.has_alpha

    stored = decode(encode_webp(first.image))
    assert stored.format == "webp"
    assert stored.image.size == (64, 48)
    assert max_channel_difference(original, stored.image) <= tolerance


def test_png_with_alpha_keeps_alpha_through_webp_and_png() -> None:
    image = photo(mode="RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    decoded = decode(encoded(image, "PNG"))
    assert decoded.has_alpha
    assert decoded.image.mode == "RGBA"

    lossless = decode(encode_webp(decoded.image, lossless=True))
    assert lossless.has_alpha
    assert lossless.image.getchannel("A").tobytes() == image.getchannel("A").tobytes()

    png = decode(encode_png(decoded.image))
    assert png.format == "png"
    assert png.image.tobytes() == image.tobytes()


def test_opaque_alpha_channel_is_dropped() -> None:
    decoded = decode(encoded(photo(mode="RGBA"), "PNG"))
    assert not decoded.has_alpha
    assert decoded.image.mode == "RGB"


def test_exif_orientation_is_applied() -> None:
    # 40 wide, 20 tall, a red marker in the top-left corner. Orientation 6 means "rotate 90°
    # clockwise to display", so the upright image is 20 wide, 40 tall, marker top-right.
    stored = Image.new("RGB", (40, 20), "white")
    stored.paste((255, 0, 0), (0, 0, 8, 8))
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode(encoded(stored, "JPEG", quality=95, exif=exif.tobytes()))

    assert (decoded.width, decoded.height) == (20, 40)
    assert decoded.image.size == (20, 40)
    red, green, blue = channels(decoded.image, (16, 3))
    assert red > 200 and green < 60 and blue < 60
    red, green, blue = channels(decoded.image, (3, 3))
    assert red > 200 and green > 200 and blue > 200


def test_reencoded_output_carries_no_metadata() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encoded(photo(), "JPEG", exif=exif.tobytes(), icc_profile=srgb)
    assert Image.open(io.BytesIO(source)).getexif()  # the upload did carry EXIF

    decoded = decode(source)
    for stored in (encode_webp(decoded.image), encode_png(decoded.image)):
        reopened = Image.open(io.BytesIO(stored))
        assert not reopened.getexif()
        assert "exif" not in reopened.info
        assert "icc_profile" not in reopened.info
        assert "xmp" not in reopened.info


def test_encoders_strip_metadata_left_in_image_info() -> None:
    image = photo()
    image.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.info["exif"] = Image.Exif().tobytes()
    for stored in (encode_webp(image), encode_png(image)):
        reopened = Image.open(io.BytesIO(stored))
        assert "icc_profile" not in reopened.info
        assert not reopened.getexif()


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")],
)
def test_other_raster_formats_are_unsupported(fmt: str, kind: str) -> None:
    with pytest.raises(UnsupportedImageType) as caught:
        decode(encoded(photo(), fmt))
    assert caught.value.code == "unsupported_image_type"
    assert caught.value.status == 415
    assert kind in caught.value.message
    assert "JPG, PNG and WebP" in caught.value.message


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"SIMPLE  =                    T" + b" " * 50, "FITS"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML"),
        (b"just some text", "not a supported image"),
    ],
)
def test_non_images_and_foreign_formats_are_unsupported(body: bytes, kind: str) -> None:
    with pytest.raises(UnsupportedImageType) as caught:
        decode(body)
    assert caught.value.status == 415
    assert kind in caught.value.message


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def test_pixel_bomb_is_refused_from_the_header() -> None:
    # A valid PNG header claiming 20000x20000 RGB, with one compressed row of data: a few hundred
    # bytes that would need 1.2 GB to decode.
    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00" * 20_000 * 3, 9)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    assert len(bomb) < 2_000

    with pytest.raises(ImageTooLarge) as caught:
        decode(bomb)
    assert caught.value.code == "image_too_large"
    assert caught.value.status == 413
    assert "pixels" in caught.value.message


def test_image_over_our_cap_but_under_pillows_is_refused_from_the_header() -> None:
    # 6000x6000 is under Pillow's own bomb limit, so only our header check stands in the way.
    ihdr = struct.pack(">IIBBBBB", 6_000, 6_000, 8, 2, 0, 0, 0)
    header_only = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")
    with pytest.raises(ImageTooLarge) as caught:
        decode(header_only)  # no pixel data at all: decoding would fail as truncated instead
    assert "6000x6000" in caught.value.message


def test_pixel_cap_is_the_callers() -> None:
    data = encoded(photo((64, 48)), "PNG")
    with pytest.raises(ImageTooLarge):
        decode_image(data, max_bytes=MAX_BYTES, max_pixels=64 * 48 - 1)
    assert decode_image(data, max_bytes=MAX_BYTES, max_pixels=64 * 48).width == 64


def test_pillows_bomb_warning_becomes_our_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Past Pillow's own limit but under ours: Pillow's warning must not slip through as a warning.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageTooLarge):
        decode(encoded(photo((40, 30)), "PNG"))  # 1200 pixels: Pillow warns
    with pytest.raises(ImageTooLarge):
        decode(encoded(photo((64, 48)), "PNG"))  # 3072 pixels: Pillow raises


def test_over_byte_cap_is_too_large() -> None:
    data = encoded(photo(), "PNG")
    with pytest.raises(ImageTooLarge) as caught:
        decode_image(data, max_bytes=len(data) - 1, max_pixels=MAX_PIXELS)
    assert caught.value.code == "image_too_large"
    assert caught.value.status == 413


def test_empty_body_is_invalid() -> None:
    with pytest.raises(InvalidImage) as caught:
        decode(b"")
    assert caught.value.code == "invalid_image"
    assert caught.value.status == 400


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_files_are_invalid(fmt: str, keep: float) -> None:
    data = encoded(photo((128, 96)), fmt)
    with pytest.raises(InvalidImage) as caught:
        decode(data[: int(len(data) * keep)])
    assert caught.value.code == "invalid_image"
    assert caught.value.status == 400


def test_corrupt_png_data_is_invalid() -> None:
    data = bytearray(encoded(photo((128, 96)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 200] = b"\xff" * 190
    with pytest.raises(InvalidImage):
        decode(bytes(data))


def test_every_refusal_is_an_image_rejected() -> None:
    for bad in (b"", b"GIF89a", b"\x89PNG\r\n\x1a\n"):
        with pytest.raises(ImageRejected):
            decode(bad)


def test_cmyk_jpeg_becomes_rgb() -> None:
    original = Image.new("RGB", (32, 32), (200, 30, 40))
    decoded = decode(encoded(original.convert("CMYK"), "JPEG", quality=95))
    assert decoded.format == "jpeg"
    assert decoded.image.mode == "RGB"
    red, green, blue = channels(decoded.image, (16, 16))
    assert abs(red - 200) < 20 and abs(green - 30) < 20 and abs(blue - 40) < 20


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (16, 16))
    grey.putdata([32768] * 128 + [65535] * 128)
    decoded = decode(encoded(grey, "PNG"))
    assert decoded.image.mode == "RGB"
    assert decoded.image.getpixel((0, 0)) == (128, 128, 128)
    assert decoded.image.getpixel((0, 15)) == (255, 255, 255)


def test_palette_png_with_transparency_becomes_rgba() -> None:
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.paste(1, (8, 0, 16, 16))
    decoded = decode(encoded(palette, "PNG", transparency=0))
    assert decoded.has_alpha
    assert decoded.image.mode == "RGBA"
    assert channels(decoded.image, (0, 0))[3] == 0
    assert decoded.image.getpixel((12, 0)) == (0, 0, 255, 255)


def test_palette_and_greyscale_without_transparency_become_rgb() -> None:
    palette = photo().convert("P")
    assert decode(encoded(palette, "PNG")).image.mode == "RGB"
    assert decode(encoded(photo().convert("L"), "PNG")).image.mode == "RGB"
    grey_alpha = photo().convert("LA")
    grey_alpha.putalpha(Image.new("L", grey_alpha.size, 10))
    assert decode(encoded(grey_alpha, "PNG")).image.mode == "RGBA"


# --- the working image and the stored original ------------------------------------------------


def _rotated_jpeg(size: tuple[int, int]) -> bytes:
    """A JPEG stored sideways (EXIF orientation 6) with a red marker in its top-left corner; the
    upright image is ``size`` turned a quarter, marker top-right."""
    stored = Image.new("RGB", size, "white")
    stored.paste((255, 0, 0), (0, 0, size[0] // 5, size[1] // 5))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    return encoded(stored, "JPEG", quality=95, exif=exif.tobytes(), comment=b"shot at home")


def test_the_working_image_is_at_most_the_working_side_and_the_size_is_the_whole_images() -> None:
    decoded = decode_image(
        _rotated_jpeg((1200, 600)), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, working_side=200
    )
    assert (decoded.width, decoded.height) == (600, 1200)
    assert decoded.image.size == (100, 200)
    red, green, blue = channels(decoded.image, (90, 10))
    assert red > 200 and green < 60 and blue < 60, "upright: the marker is top-right"


def test_rgba_is_shrunk_in_bands_exactly_as_pillow_shrinks_it_whole() -> None:
    # Tall enough for several bands, and a height that is no multiple of the factor (5).
    image = photo((600, 1503), "RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    decoded = decode_image(
        encoded(image, "PNG"), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, working_side=150
    )
    expected = image.resize((60, 150), Image.Resampling.LANCZOS, reducing_gap=1.0)
    assert decoded.has_alpha
    assert decoded.image.tobytes() == expected.tobytes()


def test_the_original_is_the_whole_image_upright_as_jpeg_without_metadata() -> None:
    original = encode_original(
        _rotated_jpeg((1200, 600)), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS
    )
    assert (original.media_type, original.extension, original.format) == (
        "image/jpeg",
        "jpg",
        "jpeg",
    )
    assert (original.width, original.height) == (600, 1200)
    assert not original.has_alpha
    with Image.open(io.BytesIO(original.data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (600, 1200)
        assert not stored.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(stored.info)
        red, green, blue = channels(stored, (590, 10))
        assert red > 200 and green < 60 and blue < 60


def test_an_original_with_transparency_is_stored_as_lossless_png() -> None:
    image = photo((300, 200), "RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    source = encoded(image, "WEBP", lossless=True, exact=True)
    original = encode_original(source, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert (original.media_type, original.extension, original.format) == (
        "image/png",
        "png",
        "webp",
    )
    assert original.has_alpha
    with Image.open(io.BytesIO(original.data)) as stored:
        assert stored.format == "PNG"
        assert stored.tobytes() == image.tobytes()
        assert not {"exif", "icc_profile", "xmp"} & set(stored.info)


def test_an_original_longer_than_jpeg_allows_is_stored_as_png() -> None:
    original = encode_original(
        encoded(Image.new("RGB", (65_501, 2), (10, 20, 30)), "PNG"),
        max_bytes=MAX_BYTES,
        max_pixels=MAX_PIXELS,
    )
    assert original.media_type == "image/png"
    assert (original.width, original.height) == (65_501, 2)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_upright_original_carries_no_metadata_either(fmt: str) -> None:
    # No rotation, so nothing copies the decoded image: what the upload carried must still go.
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    extra: dict[str, Any] = {"comment": b"shot at home"} if fmt == "JPEG" else {}
    source = encoded(photo(), fmt, exif=exif.tobytes(), icc_profile=srgb, **extra)
    assert Image.open(io.BytesIO(source)).getexif()

    original = encode_original(source, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    with Image.open(io.BytesIO(original.data)) as stored:
        assert stored.size == (64, 48)
        assert not stored.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(stored.info)


def test_a_stored_original_decodes_to_its_working_image() -> None:
    original = encode_original(
        _rotated_jpeg((1200, 600)), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS
    )
    working = decode_stored(original.data, working_side=300)
    assert (working.width, working.height) == (600, 1200)
    assert working.image.size == (150, 300)
    assert working.image.mode == "RGB"


def test_the_original_refuses_what_the_intake_refuses() -> None:
    with pytest.raises(ImageTooLarge):
        encode_original(encoded(photo(), "PNG"), max_bytes=MAX_BYTES, max_pixels=64 * 48 - 1)
    with pytest.raises(UnsupportedImageType):
        encode_original(encoded(photo(), "GIF"), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    data = encoded(photo((128, 96)), "PNG")
    with pytest.raises(InvalidImage):
        encode_original(data[: len(data) // 2], max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
