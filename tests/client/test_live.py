"""The SDK against a live server (tests/client/conftest.py): every resource, sync and async,
as a user's program would call it. The server answers every job-creating POST with a 202 at
once, so each ``generate(...)`` here follows its poll URL to the result."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from krev_client import (
    AdResult,
    AsyncKrev,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConversionEvent,
    Generation,
    GenerationCancelled,
    GenerationFailed,
    ImageResult,
    JobAccepted,
    Krev,
    KrevError,
    NotFoundError,
    PermissionDeniedError,
    Product,
    ProductAccepted,
    Run,
    RunCancelled,
    VideoResult,
)
from tests.catalog.conftest import data_url, photo_bytes
from tests.client.conftest import PIXEL_ID, Live
from tests.conftest import Account
from tests.support.fake_graph import FakeGraph

# Photos of tests/support/product_photos.py: a blue box on white, a green box on a gradient.
BLUE_BOX, GREEN_BOX = 4, 5
CONCEPTS = "Make three ad concepts for this product and include image ideas"


@pytest.fixture(scope="module")
def owner(live: Live) -> Account:
    """An account with a product, shared by the tests that render with it."""
    return live.account()


@pytest.fixture(scope="module")
def owner_client(live: Live, owner: Account) -> Iterator[Krev]:
    with live.client(owner) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def product(owner_client: Krev) -> Product:
    return owner_client.products.upload(photo_bytes(BLUE_BOX), name="Blue box")


def download(live: Live, url: str) -> bytes:
    """A signed output URL's bytes (the server signs its URLs for its configured address)."""
    response = httpx.get(url.replace("http://127.0.0.1:8000", live.url), timeout=10)
    assert response.status_code == 200, response.text
    return response.content


# --- products ------------------------------------------------------------------------------


def test_products_upload_every_kind_of_source_then_list_get_update_delete(
    client: Krev, tmp_path: Path
) -> None:
    photo = tmp_path / "green-box.png"
    photo.write_bytes(photo_bytes(GREEN_BOX))
    seen: list[Generation] = []

    from_path = client.products.upload(photo, on_progress=seen.append)
    assert isinstance(from_path, Product) and not isinstance(from_path, ProductAccepted)
    assert from_path.status == "ready" and from_path.segmented_image_url
    assert seen and seen[-1].status == "succeeded" and seen[-1].kind == "product_analysis"

    from_url = client.products.upload(data_url(photo_bytes(BLUE_BOX)), name="Blue box")
    assert from_url.name == "Blue box" and from_url.status == "ready"

    with photo.open("rb") as file:
        accepted = client.products.upload(file, wait=False, skip_segmentation=True)
    assert isinstance(accepted, ProductAccepted) and accepted.status == "analyzing"
    client.generations.wait(accepted.generation_id)
    assert client.products.get(accepted.id).status == "ready"

    # The list is every page: three products, one a page.
    listed = [p.id for p in client.products.list(limit=1)]
    assert listed == [accepted.id, from_url.id, from_path.id]

    corrected = client.products.update(
        from_path.id, category="skincare", metadata={"brandName": "NORDVIK", "productType": None}
    )
    assert corrected.category == "skincare"
    assert corrected.metadata.brand_name == "NORDVIK" and corrected.metadata.product_type is None
    assert client.products.update(from_path.id).metadata.brand_name == "NORDVIK"  # kept
    assert client.products.update(from_path.id, name="Night serum").name == "Night serum"
    assert "skincare" in [c.name for c in client.products.taxonomy().categories]

    assert client.products.delete(from_path.id).deleted is True
    with pytest.raises(NotFoundError) as missing:
        client.products.get(from_path.id)
    assert missing.value.status_code == 404 and missing.value.code == "not_found"
    assert missing.value.error  # the API's sentence


# --- images, videos, ads, presets, styles -------------------------------------------------


def test_images_generate_waits_for_the_result_or_returns_at_once(
    live: Live, owner_client: Krev, product: Product
) -> None:
    progress: list[Generation] = []
    result = owner_client.images.generate(
        "on dark marble, soft light", product_id=product.id, on_progress=progress.append
    )
    assert isinstance(result, ImageResult)
    assert result.image_count == 1 and result.credits_used == 40
    assert download(live, result.images[0])[8:12] == b"WEBP"
    assert progress[-1].status == "succeeded" and progress[-1].id == result.generation_id

    accepted = owner_client.images.generate(
        "white sweep", product_id=product.id, aspect_ratio="16:9", wait=False
    )
    assert isinstance(accepted, JobAccepted)
    assert accepted.poll_url.endswith(f"/api/v1/generations/{accepted.generation_id}")
    done = owner_client.generations.wait(accepted.generation_id)
    assert done.status == "succeeded" and done.output is not None and len(done.output.urls) == 1
    assert owner_client.generations.get(accepted.generation_id).progress == 100


def test_images_text_only_subject_is_a_bad_request_with_the_api_code(
    owner_client: Krev,
) -> None:
    with pytest.raises(BadRequestError) as refused:
        owner_client.images.generate("Premium leather wallet on dark marble surface")
    assert refused.value.code == "subject_not_renderable"
    assert refused.value.status_code == 400


def test_videos_generate_follows_the_job_to_its_mp4(
    live: Live, owner_client: Krev, product: Product
) -> None:
    video = owner_client.videos.generate("slow pan", product_id=product.id, duration=4)
    assert isinstance(video, VideoResult)
    assert video.duration == 4 and video.credits_used == 320
    assert download(live, video.video_url)[4:8] == b"ftyp"


def test_a_cancelled_video_raises_when_waited_for_then_is_deleted(
    owner_client: Krev, product: Product
) -> None:
    accepted = owner_client.videos.generate("orbit", product_id=product.id, duration=15, wait=False)
    assert isinstance(accepted, JobAccepted)
    owner_client.generations.cancel(accepted.generation_id)
    with pytest.raises(GenerationCancelled) as cancelled:
        owner_client.generations.wait(accepted.generation_id)
    assert cancelled.value.generation is not None
    assert cancelled.value.generation.status == "cancelled"
    assert owner_client.generations.delete(accepted.generation_id).deleted is True
    with pytest.raises(NotFoundError):
        owner_client.generations.get(accepted.generation_id)


def test_ads_generate_with_styles_and_presets(owner_client: Krev, product: Product) -> None:
    styles = owner_client.ads.styles()
    assert "bold_offer" in [s.id for s in styles]
    assert owner_client.ads.style_thumbnail(styles[0].id)[8:12] == b"WEBP"
    presets = owner_client.presets.list()
    assert presets and owner_client.presets.thumbnail(presets[0].id)[8:12] == b"WEBP"

    ad = owner_client.ads.generate("Summer sale", [product.id], style_id="bold_offer")
    assert isinstance(ad, AdResult)
    assert ad.image_count == 1 and ad.ad_copy.style_name == "Bold Offer"
    assert ad.ad_copies == [ad.ad_copy]


# --- generations ---------------------------------------------------------------------------


def test_generations_list_every_page_with_filters(owner_client: Krev, product: Product) -> None:
    made = [owner_client.images.generate("studio", product_id=product.id) for _ in range(2)]
    images = [g.id for g in owner_client.generations.list(kind="image", limit=1)]
    assert {r.generation_id for r in made} <= set(images)
    for_product = list(owner_client.generations.list(product_id=product.id, status="succeeded"))
    assert {g.kind for g in for_product} >= {"image", "product_analysis"}
    assert all(g.status == "succeeded" for g in for_product)


def test_a_failed_job_raises_generation_failed(live: Live, client: Krev, account: Account) -> None:
    # The test suite's own pipeline, asked to fail (tests/support/jobs_api.py).
    response = httpx.post(
        f"{live.url}/api/v1/test-jobs",
        json={"params": {"fail": True}},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    with pytest.raises(GenerationFailed) as failed:
        client.generations.wait(generation_id)
    assert not isinstance(failed.value, GenerationCancelled)
    assert failed.value.code == "test_failure" and failed.value.generation_id == generation_id
    with pytest.raises(ConflictError) as ended:
        client.generations.cancel(generation_id)
    assert ended.value.status_code == 409


# --- chat ----------------------------------------------------------------------------------


def test_chat_send_wait_and_conversations(owner_client: Krev, product: Product) -> None:
    queued = owner_client.chat.send(CONCEPTS, product_ids=[product.id], agent="asset")
    assert queued.status == "queued"
    views: list[Run] = []
    run = owner_client.chat.runs.wait(queued.run_id, on_progress=views.append)
    assert run.status == "succeeded" and run.assistant_text
    assert [a["type"] for a in run.artifacts].count("concept") == 3
    assert views[-1].status == "succeeded"
    assert owner_client.chat.runs.get(queued.run_id).run_id == queued.run_id

    conversation = owner_client.chat.conversations.get(queued.conversation_id)
    assert conversation.runs == [queued.run_id]
    assert [m.role for m in conversation.messages or []] == ["user", "assistant"]
    assert queued.conversation_id in [c.id for c in owner_client.chat.conversations.list()]

    with pytest.raises(ConflictError):  # an ended run
        owner_client.chat.runs.cancel(queued.run_id)


def test_chat_run_cancelled(owner_client: Krev, product: Product) -> None:
    queued = owner_client.chat.send(
        "Generate a 15 second 9:16 video of it", product_ids=[product.id], agent="asset"
    )
    cancelled = owner_client.chat.runs.cancel(queued.run_id)
    assert cancelled.run_id == queued.run_id
    with pytest.raises(RunCancelled) as stopped:
        owner_client.chat.runs.wait(queued.run_id)
    assert stopped.value.run.status == "cancelled"


# --- credits, conversions, capabilities ------------------------------------------------------


def test_credits_their_history_and_usage(live: Live) -> None:
    account = live.account(plan="pro", credits=1000)
    with live.client(account) as client:
        credits = client.credits.get()
        assert credits.plan == "pro" and credits.credits.current == 1000
        assert credits.storage.used_bytes == 0
        history = list(client.credits.history(limit=1))
        assert history and history[0].balance_after == 1000
        assert client.credits.usage().total.total == 0

        accepted = client.images.generate("marble", wait=False)  # reserved at once
        latest = next(client.credits.history(limit=1))
        usage = client.credits.usage(days=7)
    assert isinstance(accepted, JobAccepted)
    assert (latest.generation_id, latest.generation_kind) == (accepted.generation_id, "image")
    assert usage.days == 7 and len(usage.daily) == 7 and usage.daily[-1].date == usage.end
    assert usage.daily[-1].images == usage.total.images == 40
    assert usage.via_chat.total == 0


def test_meta_conversions_send_and_events(live: Live, graph: FakeGraph) -> None:
    account = live.account()
    live.configure_meta(account)
    event = {
        "event_name": "Purchase",
        "event_time": int(time.time()) - 60,
        "action_source": "website",
        "event_source_url": "https://shop.example.com/products/wallet",
        "event_id": f"order-{uuid.uuid4().hex[:8]}",
        "user_data": {
            "email": "John_Smith@gmail.com",
            "client_ip_address": "203.0.113.7",
            "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        },
        "custom_data": {"currency": "USD", "value": 79.0},
    }
    with live.client(account) as client:
        one = client.conversions.meta.send(event)
        assert one.status == "sent" and one.events_received == 1
        batch = [
            ConversionEvent.model_validate({**event, "event_id": f"{event['event_id']}-{i}"})
            for i in range(2)
        ]
        assert client.conversions.meta.send(batch).events_received == 2
        records = list(client.conversions.meta.events(limit=2))
    assert len(records) == 3 and {r.status for r in records} == {"sent"}
    assert any(b.pixel_id == PIXEL_ID and len(b.events) == 2 for b in graph.batches)


def test_capabilities(client: Krev) -> None:
    capabilities = client.capabilities()
    assert capabilities.image.engine == "studio"
    assert capabilities.prices.image == 40
    assert "asset" in capabilities.chat.agents


# --- errors, configuration -------------------------------------------------------------------


def test_refusals_raise_the_error_of_their_status(live: Live) -> None:
    stranger = Krev(api_key="sk_live_" + "x" * 38, base_url=live.url)
    with stranger, pytest.raises(AuthenticationError) as unknown:
        stranger.credits.get()
    assert unknown.value.status_code == 401 and unknown.value.request_id

    reader = live.account(scopes=["credits"])
    with live.client(reader) as client, pytest.raises(PermissionDeniedError) as denied:
        client.products.upload(photo_bytes(BLUE_BOX))
    assert denied.value.code == "insufficient_scope"


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_base_url_with_or_without_api_v1(live: Live, account: Account, suffix: str) -> None:
    with Krev(api_key=account.key, base_url=live.url + suffix) as client:
        assert client.base_url == f"{live.url}/api/v1"
        assert client.credits.get().plan == "pro"


def test_key_and_base_url_from_the_environment(
    live: Live, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KREV_API_KEY", account.key)
    monkeypatch.setenv("KREV_BASE_URL", live.url + "/api/v1")
    with Krev() as client:
        assert client.credits.get().plan == "pro"
    monkeypatch.delenv("KREV_BASE_URL")
    assert Krev().base_url == "http://127.0.0.1:8000/api/v1"
    monkeypatch.delenv("KREV_API_KEY")
    with pytest.raises(KrevError, match="KREV_API_KEY"):
        Krev()


def test_an_idempotency_key_given_replays_the_first_answer(
    owner_client: Krev, product: Product
) -> None:
    key = f"order-{uuid.uuid4()}"
    before = owner_client.credits.get().credits.current
    first = owner_client.images.generate("studio", product_id=product.id, idempotency_key=key)
    again = owner_client.images.generate("studio", product_id=product.id, idempotency_key=key)
    assert again.generation_id == first.generation_id
    assert owner_client.credits.get().credits.current == before - 40


# --- async ---------------------------------------------------------------------------------


def test_the_async_client_against_the_live_server(live: Live) -> None:
    account = live.account()

    async def main() -> None:
        async with AsyncKrev(api_key=account.key, base_url=live.url + "/api/v1") as client:
            assert (await client.capabilities()).image.engine == "studio"
            uploaded = await client.products.upload(io.BytesIO(photo_bytes(GREEN_BOX)))
            assert [p.id async for p in client.products.list()] == [uploaded.id]
            seen: list[str] = []

            async def on_progress(generation: Generation) -> None:
                seen.append(generation.status)

            result = await client.images.generate(
                "on a podium", product_id=uploaded.id, on_progress=on_progress
            )
            assert isinstance(result, ImageResult) and seen[-1] == "succeeded"
            assert [g.id async for g in client.generations.list(kind="image")] == [
                result.generation_id
            ]
            queued = await client.chat.send(CONCEPTS, product_ids=[uploaded.id])
            run = await client.chat.runs.wait(queued.run_id)
            assert run.status == "succeeded"
            assert (await client.credits.get()).credits.current == 2500 - 40
            usage = await client.credits.usage(days=1)
            assert usage.total.images == 40 and len(usage.daily) == 1

    asyncio.run(main())
