"""The OpenAI-compatible image provider against a local server speaking the Images API: what it
sends for a text-only prompt and for a product scene, what it hands back, and which typed
error each of the provider's failures becomes."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Iterator

import httpx
import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from krev.engines.openai_images import GPT_IMAGE_SIZES, OpenAIImageGenerator, canvas_pngs
from krev.engines.providers import (
    ContentRefused,
    ImageGenerationRequest,
    InvalidRequest,
    ProductCanvas,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.support.fake_openai_images import (
    Drop,
    Fail,
    FakeOpenAIImages,
    Hold,
    RateLimit,
    Refuse,
)

KEY = "sk-images-secret-9a8b7c6d5e4f"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages(api_key=KEY) as server:
        yield server


def provider(
    fake: FakeOpenAIImages, *, api_key: str = KEY, timeout: float = 60.0, max_n: int = 1
) -> OpenAIImageGenerator:
    return OpenAIImageGenerator(
        fake.base_url, api_key=api_key, model="gpt-image-1", timeout=timeout, max_n=max_n
    )


def text_only(width: int = 1536, height: int = 1024, count: int = 1) -> ImageGenerationRequest:
    return ImageGenerationRequest(
        prompt="Premium leather wallet on dark marble surface, studio lighting",
        width=width,
        height=height,
        count=count,
    )


def decoded(data: bytes | None) -> Image.Image:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def product_canvas(width: int = 1024, height: int = 1024) -> ProductCanvas:
    """A red product in the middle of a grey canvas; the mask paints everything else."""
    image = np.full((height, width, 3), 128, dtype=np.uint8)
    mask = np.ones((height, width), dtype=np.float32)
    box = (width // 3, height // 3, width // 3, height // 3)
    x, y, w, h = box
    image[y : y + h, x : x + w] = (200, 30, 40)
    mask[y : y + h, x : x + w] = 0.0
    return ProductCanvas(image=image, mask=mask, boxes=[box])


# --- what it sends and returns --------------------------------------------------------------


def test_a_text_only_prompt_is_a_generations_call(fake: FakeOpenAIImages) -> None:
    [image] = provider(fake).generate(text_only())

    picture = decoded(image.data)
    assert (picture.format, picture.size) == ("PNG", (1536, 1024))
    assert image.url is None
    [seen] = fake.requests
    assert seen.endpoint == "generations"
    assert seen.authorization == f"Bearer {KEY}"
    assert seen.fields == {
        "model": "gpt-image-1",
        "prompt": "Premium leather wallet on dark marble surface, studio lighting",
        "n": 1,
        "size": "1536x1024",
    }
    assert not fake.rejected


@pytest.mark.parametrize(("max_n", "calls"), [(1, [1, 1, 1]), (2, [2, 1]), (4, [3])])
def test_more_images_than_one_call_returns_are_asked_for_in_several_calls(
    fake: FakeOpenAIImages, max_n: int, calls: list[int]
) -> None:
    images = provider(fake, max_n=max_n).generate(text_only(1024, 1024, count=3))

    assert len(images) == 3
    assert [seen.fields["n"] for seen in fake.requests] == calls
    assert all(decoded(image.data).size == (1024, 1024) for image in images)


def test_a_product_scene_is_an_edit_with_a_mask_transparent_where_to_paint(
    fake: FakeOpenAIImages,
) -> None:
    canvas = product_canvas(1024, 1536)
    request = ImageGenerationRequest(
        prompt="on a marble counter", width=1024, height=1536, canvas=canvas
    )

    [image] = provider(fake).generate(request)

    [seen] = fake.requests
    assert seen.endpoint == "edits"
    assert seen.fields == {"model": "gpt-image-1", "prompt": "on a marble counter", "n": "1",
                           "size": "1024x1536"}  # fmt: skip
    assert seen.image_format == "PNG"
    assert seen.image is not None
    assert np.array_equal(seen.image, canvas.image), "the canvas goes up losslessly"
    assert (seen.mask_format, seen.mask_mode) == ("PNG", "RGBA")
    assert seen.mask_alpha is not None
    assert np.array_equal(seen.mask_alpha == 0, canvas.mask >= 0.5), (
        "fully transparent exactly where the canvas says paint, opaque over the product"
    )
    result = np.asarray(decoded(image.data).convert("RGB"))
    x, y, w, h = canvas.boxes[0]
    assert np.array_equal(result[y : y + h, x : x + w], canvas.image[y : y + h, x : x + w])
    assert not np.array_equal(result[:10, :10], canvas.image[:10, :10]), "the background painted"


def test_a_soft_edged_mask_is_thresholded_into_paint_or_keep() -> None:
    canvas = product_canvas(64, 64)
    soft = canvas.mask.copy()
    soft[0, :4] = (0.0, 0.49, 0.5, 1.0)
    _, mask_png = canvas_pngs(ProductCanvas(canvas.image, soft, canvas.boxes))

    alpha = np.asarray(Image.open(io.BytesIO(mask_png)).getchannel("A"))
    assert alpha[0, :4].tolist() == [255, 255, 0, 0]
    assert set(np.unique(alpha).tolist()) == {0, 255}


def test_images_delivered_as_urls_are_handed_on_as_urls(fake: FakeOpenAIImages) -> None:
    fake.deliver = "url"

    images = provider(fake, max_n=2).generate(text_only(1024, 1536, count=2))

    urls = [image.url for image in images]
    assert all(url and url.startswith(f"http://127.0.0.1:{fake.port}/files/") for url in urls)
    assert all(image.data is None for image in images)
    assert urls[0] != urls[1]
    fetched = decoded(httpx.get(str(urls[0])).content)
    assert fetched.size == (1024, 1536)


def test_the_key_stays_out_of_the_providers_repr(fake: FakeOpenAIImages) -> None:
    assert KEY not in repr(provider(fake))


def test_no_key_sends_no_authorization_header() -> None:
    with FakeOpenAIImages(api_key=None) as open_server:
        provider(open_server, api_key="").generate(text_only())
        assert open_server.requests[0].authorization is None


# --- the provider's failures as typed errors ----------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [(7, 7.0), (0.5, 0.5), (None, None)])
def test_429_is_rate_limited_with_the_providers_retry_after(
    fake: FakeOpenAIImages, header: float | None, expected: float | None
) -> None:
    fake.script(RateLimit(retry_after=header))

    with pytest.raises(RateLimited) as caught:
        provider(fake).generate(text_only())

    assert caught.value.transient
    assert caught.value.retry_after == expected
    assert "rate limit" in caught.value.message.lower()
    # The next call (the pipeline's retry) goes through.
    assert len(provider(fake).generate(text_only())) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_temporarily_unavailable(fake: FakeOpenAIImages, status: int) -> None:
    fake.script(Fail(status))

    with pytest.raises(TemporarilyUnavailable) as caught:
        provider(fake).generate(text_only())

    assert caught.value.transient
    assert f"HTTP {status}" in caught.value.message


def test_a_dropped_connection_is_temporarily_unavailable(fake: FakeOpenAIImages) -> None:
    fake.script(Drop())

    with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
        provider(fake).generate(text_only())


def test_a_refused_connection_is_temporarily_unavailable() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    generator = OpenAIImageGenerator(f"http://127.0.0.1:{port}/v1", api_key=KEY)

    with pytest.raises(TemporarilyUnavailable) as caught:
        generator.generate(text_only())

    assert KEY not in caught.value.message


def test_no_answer_in_time_is_a_provider_timeout(fake: FakeOpenAIImages) -> None:
    fake.script(Hold())

    with pytest.raises(ProviderTimeout) as caught:
        provider(fake, timeout=0.3).generate(text_only())

    assert caught.value.transient
    assert "0.3 s" in caught.value.message
    assert fake.wait_for_request()
    fake.release()


@pytest.mark.parametrize("code", ["moderation_blocked", "content_policy_violation", None])
def test_a_prompt_the_safety_system_refuses_is_content_refused(
    fake: FakeOpenAIImages, code: str | None
) -> None:
    fake.script(Refuse(code))

    with pytest.raises(ContentRefused) as caught:
        provider(fake).generate(text_only())

    assert not caught.value.transient
    assert "safety system refused" in caught.value.message


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda fake: setattr(fake, "api_key", "sk-the-provider-expects-another"),
        lambda fake: fake.script(Fail(403, "permission_denied", f"Key {KEY} lacks access.")),
    ],
    ids=["401", "403"],
)
def test_a_refused_key_is_an_invalid_request_that_never_shows_the_key(
    fake: FakeOpenAIImages, make_bad: Callable[[FakeOpenAIImages], None]
) -> None:
    make_bad(fake)

    with pytest.raises(InvalidRequest) as caught:
        provider(fake).generate(text_only())

    message = caught.value.message
    assert not caught.value.transient
    assert "refused the server's API key" in message
    assert "KREV_OPENAI_IMAGES_API_KEY" in message
    assert KEY not in message and KEY not in str(caught.value)


def test_other_4xx_are_invalid_requests_naming_the_providers_complaint(
    fake: FakeOpenAIImages,
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        provider(fake).generate(text_only(1792, 1024))  # a DALL-E 3 size gpt-image lacks

    assert not caught.value.transient
    assert "HTTP 400" in caught.value.message
    assert "Invalid value: '1792x1024'" in caught.value.message
    assert fake.rejected


def test_a_key_quoted_in_the_providers_complaint_is_redacted(fake: FakeOpenAIImages) -> None:
    fake.script(Fail(404, "model_not_found", f"The model does not exist for key {KEY}."))

    with pytest.raises(InvalidRequest) as caught:
        provider(fake).generate(text_only())

    assert KEY not in caught.value.message
    assert "[redacted]" in caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>gateway</html>", "not an Images API response"),
        (b'{"data": []}', "returned 0 images where 1 were asked"),
        (b'{"data": [{"b64_json": "not base64!"}]}', "not valid base64"),
        (b'{"data": [{"revised_prompt": "x"}]}', "item with no image"),
        (b'{"data": [{"url": "file:///etc/passwd"}]}', "item with no image"),
    ],
    ids=["html", "empty", "bad-base64", "no-image", "file-url"],
)
def test_an_answer_that_is_not_images_is_an_invalid_request(body: bytes, message: str) -> None:
    # A gateway misbehaving at the HTTP level is below the fake's protocol; httpx's own
    # MockTransport answers it.
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, content=body))
    generator = OpenAIImageGenerator("http://127.0.0.1:9/v1", api_key=KEY, transport=transport)

    with pytest.raises(InvalidRequest, match=message):
        generator.generate(text_only())


def test_retry_after_as_an_http_date_and_in_milliseconds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(429, headers={"retry-after-ms": "1500", "Retry-After": "9"}),
        ]
    )
    transport = httpx.MockTransport(lambda _request: next(answers))
    generator = OpenAIImageGenerator("http://127.0.0.1:9/v1", transport=transport)

    with pytest.raises(RateLimited) as past:
        generator.generate(text_only())
    with pytest.raises(RateLimited) as precise:
        generator.generate(text_only())

    assert past.value.retry_after == 0.0, "a date in the past means now"
    assert precise.value.retry_after == 1.5


# --- settings and registry ------------------------------------------------------------------


def test_the_registry_builds_it_from_the_settings(
    make_settings: Callable[..., Settings], fake: FakeOpenAIImages
) -> None:
    settings = make_settings(
        image_engine="openai",
        openai_images_base_url=fake.base_url + "/",
        openai_images_api_key=KEY,
        openai_images_model="gpt-image-1-mini",
        openai_images_timeout_seconds=12.5,
        openai_images_max_n=4,
    )
    registry.check(settings)

    built = registry.provider(settings, "image", "openai")

    assert isinstance(built, OpenAIImageGenerator)
    assert (built.base_url, built.model, built.timeout, built.max_n) == (
        fake.base_url,
        "gpt-image-1-mini",
        12.5,
        4,
    )
    capabilities = registry.image_capabilities("openai")
    assert capabilities.text_only and capabilities.product_scenes
    assert capabilities.sizes == GPT_IMAGE_SIZES
    built.generate(text_only(1024, 1024, count=2))
    assert [seen.fields["n"] for seen in fake.requests] == [2]
    assert fake.requests[0].fields["model"] == "gpt-image-1-mini"


def test_the_server_refuses_to_start_without_a_usable_base_url(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_OPENAI_IMAGES_BASE_URL is required"):
        registry.check(make_settings(image_engine="openai"))
    with pytest.raises(ConfigurationError, match="KREV_IMAGE_FALLBACK=openai"):
        registry.check(make_settings(image_fallback="openai"))
    with pytest.raises(ValidationError, match="must be an http"):
        make_settings(image_engine="openai", openai_images_base_url="ftp://images.local/v1")
    assert registry.is_configured(
        make_settings(openai_images_base_url="http://127.0.0.1:9/v1"), "image", "openai"
    )
