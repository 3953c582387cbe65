"""Bad video requests: a clear 4xx in the API's envelope, fast, and nothing charged, stored or
queued: durations outside 4-15 or not whole, an unknown audio mode or shape, a source_image
that is a video (by its name or by its bytes), not an image, private or unreachable, another
user's product, a prompt whose subject the studio engine cannot draw, too few credits."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient

import krev.platform.fetch
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, balance, closed_port_url, create_product
from tests.support.origin_server import OriginServer
from tests.videos.conftest import post_video


def _video_generations(client: TestClient, account: Account) -> list[Any]:
    response = client.get("/api/v1/generations", params={"kind": "video"}, headers=account.headers)
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def _refused(
    client: TestClient, account: Account, body: Any, status: int, code: str, *words: str
) -> str:
    before = balance(client, account)
    response = post_video(client, account, body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False and payload["code"] == code, payload
    for word in words:
        assert word in payload["error"], payload["error"]
    assert balance(client, account) == before
    assert _video_generations(client, account) == []
    return str(payload["error"])


def _tiny_mp4() -> bytes:
    """A real, short MP4 (what a user might pass as source_image)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for index in range(3):
            pixels = np.full((64, 64, 3), index * 40, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("duration", 3, ["duration"]),
        ("duration", 16, ["duration"]),
        ("duration", 5.5, ["whole number"]),
        ("duration", "5", ["whole number"]),
        ("duration", True, ["whole number"]),
        ("audio_mode", "loud", ["audio_mode"]),
        ("aspect_ratio", "4:5", ["aspect_ratio"]),
        ("prompt", "   ", ["prompt"]),
    ],
)
def test_invalid_fields_are_400(
    client: TestClient, account: Account, field: str, value: Any, words: list[str]
) -> None:
    body = {"prompt": "slow pan across a marble surface", field: value}
    _refused(client, account, body, 400, "invalid_request", *words)


def test_missing_prompt_and_unknown_fields(client: TestClient, account: Account) -> None:
    _refused(client, account, {"duration": 5}, 400, "invalid_request", "prompt")
    _refused(client, account, {"prompt": "x", "fps": 60}, 400, "invalid_request", "fps")


def test_unknown_preset_lists_the_valid_ones(client: TestClient, account: Account) -> None:
    _refused(
        client,
        account,
        {"prompt": "slow pan across a marble surface", "preset_id": "neon_dream"},
        400,
        "invalid_request",
        "neon_dream",
        "studio_white",
    )


def test_a_video_as_source_image_is_refused(client: TestClient, account: Account) -> None:
    with OriginServer() as origin:
        # By its name: refused before anything is fetched.
        named = origin.put("/clip.mp4", _tiny_mp4(), "video/mp4")
        error = _refused(
            client, account, {"prompt": "x", "source_image": named}, 400, "source_is_video"
        )
        assert "not supported" in error
        assert origin.paths == []
        # By its bytes, whatever the URL says.
        hidden = origin.put("/photo", _tiny_mp4(), "image/jpeg")
        _refused(client, account, {"prompt": "x", "source_image": hidden}, 400, "source_is_video")
        assert origin.paths == ["/photo"]
    _refused(
        client,
        account,
        {"prompt": "x", "source_image": "data:video/mp4;base64,AAAA"},
        400,
        "source_is_video",
    )


def test_source_images_that_cannot_be_used(
    client: TestClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if host == "cdn.example.com":
            return ["10.0.0.7"]
        raise OSError(f"unexpected lookup of {host}")

    monkeypatch.setattr(krev.platform.fetch, "system_resolver", resolve)
    with OriginServer() as origin:
        origin.put("/page.html", b"<!doctype html><html></html>", "text/html")
        cases = [
            ("http://cdn.example.com/photo.png", "url_not_allowed"),
            ("http://169.254.169.254/latest/meta-data", "url_not_allowed"),
            ("http://[::ffff:10.0.0.7]/a.png", "url_not_allowed"),
            ("file:///etc/passwd", "url_not_allowed"),
            (closed_port_url(), "fetch_failed"),
            (origin.url("/missing.png"), "fetch_failed"),
            (origin.url("/page.html"), "unsupported_image_type"),
        ]
        for url, code in cases:
            error = _refused(client, account, {"prompt": "x", "source_image": url}, 400, code)
            assert error.startswith("source_image: "), error
        assert origin.paths == ["/missing.png", "/page.html"]


def test_another_users_product_is_404(
    client: TestClient, account: Account, make_account: Callable[..., Account]
) -> None:
    other = make_account()
    theirs = create_product(client, other, BLUE_BOX)
    for body in (
        {"prompt": "the product on marble", "product_id": theirs["id"]},
        {"prompt": "the product on marble", "product_id": str(uuid.uuid4())},
    ):
        _refused(client, account, body, 404, "not_found")


def test_a_subject_the_studio_engine_cannot_draw_is_refused(
    client: TestClient, account: Account
) -> None:
    # The reference's own example, without a product: the studio engine draws sets, and this
    # user has no sneakers in their catalog.
    body = {"prompt": "Smooth camera pan around sneakers with soft lighting", "duration": 5}
    error = _refused(client, account, body, 400, "subject_not_renderable", "sneakers")
    assert "source_image" in error


def test_insufficient_credits_is_402_and_nothing_is_queued(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    poor = make_account(credits=400)
    body = {"prompt": "slow pan across a marble surface", "duration": 6}
    for _attempt in range(2):  # and again: the refusal reserved nothing
        _refused(client, poor, body, 402, "insufficient_credits", "480")
    accepted = post_video(client, poor, {**body, "duration": 5}, Prefer="respond-async")
    assert accepted.status_code == 202, accepted.text
    assert balance(client, poor) == 0
    generation_id = accepted.json()["data"]["generation_id"]
    cancelled = client.post(f"/api/v1/generations/{generation_id}/cancel", headers=poor.headers)
    assert cancelled.status_code == 200, cancelled.text
