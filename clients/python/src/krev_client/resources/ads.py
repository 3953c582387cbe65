"""``client.ads`` (``POST /api/v1/ads``, ``GET /api/v1/ads/styles``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, overload

from krev_client._core import DEFAULT_WAIT_SECONDS, given
from krev_client._resource import AsyncResource, SyncResource, operation, segment
from krev_client.models import (
    AdAspectRatio,
    AdCopy,
    AdRequest,
    AdResult,
    AdStyle,
    AdStyleId,
    Generation,
    ImageCount,
    JobAccepted,
)
from krev_client.resources import _jobs


def _request(
    brief: str,
    product_ids: Sequence[str],
    aspect_ratio: AdAspectRatio | None,
    image_count: ImageCount | None,
    style_id: AdStyleId | None,
    inspiration_image: str | None,
    brand_context: str | None,
) -> AdRequest:
    if isinstance(product_ids, str):  # one id, not its characters
        product_ids = [product_ids]
    return AdRequest(
        brief=brief,
        product_ids=list(product_ids),
        **given(
            aspect_ratio=aspect_ratio,
            image_count=image_count,
            style_id=style_id,
            inspiration_image=inspiration_image,
            brand_context=brand_context,
        ),
    )


def _result(generation: Generation) -> AdResult:
    urls = _jobs.outputs(generation)
    copies = [AdCopy.model_validate(c) for c in getattr(generation.output, "ad_copies", None) or []]
    return AdResult(
        generation_id=generation.id,
        images=urls,
        image_count=len(urls),
        credits_used=generation.credits_used,
        ad_copy=copies[0],
        ad_copies=copies,
    )


class AdsResource(SyncResource):
    @overload
    def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = ...,
        image_count: ImageCount | None = ...,
        style_id: AdStyleId | None = ...,
        inspiration_image: str | None = ...,
        brand_context: str | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> AdResult: ...
    @overload
    def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = ...,
        image_count: ImageCount | None = ...,
        style_id: AdStyleId | None = ...,
        inspiration_image: str | None = ...,
        brand_context: str | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> AdResult | JobAccepted: ...
    @operation("ads-create")
    def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = None,
        image_count: ImageCount | None = None,
        style_id: AdStyleId | None = None,
        inspiration_image: str | None = None,
        brand_context: str | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> AdResult | JobAccepted:
        """Generate ad images with their copy from 1-4 of your products and a brief (40
        credits an image).

        Returns the ``AdResult`` once the ads are ready, waiting up to ``wait_timeout``
        seconds (``on_progress`` is called with the job at each change). With ``wait=False``
        it returns at once: a ``JobAccepted`` (poll it with ``generations.wait``), or the
        result if the job had already ended. Arguments left out take the server's defaults.
        """
        body = _request(
            brief,
            product_ids,
            aspect_ratio,
            image_count,
            style_id,
            inspiration_image,
            brand_context,
        )
        return self._run(
            _jobs.generate(
                self._api,
                "/ads",
                body,
                AdResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )

    @operation("ads-styles")
    def styles(self) -> list[AdStyle]:
        """The ad styles ``style_id`` takes."""
        return self._run(self._api.page(AdStyle, "/ads/styles", {}, None)).items

    @operation("ads-style-thumbnail")
    def style_thumbnail(self, style_id: str) -> bytes:
        """The style's layout rendered small (WebP bytes)."""
        path = f"/ads/styles/{segment(style_id)}/thumbnail.webp"
        return self._run(self._api.call("GET", path, headers={"Accept": "image/webp"})).content


class AsyncAdsResource(AsyncResource):
    @overload
    async def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = ...,
        image_count: ImageCount | None = ...,
        style_id: AdStyleId | None = ...,
        inspiration_image: str | None = ...,
        brand_context: str | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> AdResult: ...
    @overload
    async def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = ...,
        image_count: ImageCount | None = ...,
        style_id: AdStyleId | None = ...,
        inspiration_image: str | None = ...,
        brand_context: str | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> AdResult | JobAccepted: ...
    @operation("ads-create")
    async def generate(
        self,
        brief: str,
        product_ids: Sequence[str],
        *,
        aspect_ratio: AdAspectRatio | None = None,
        image_count: ImageCount | None = None,
        style_id: AdStyleId | None = None,
        inspiration_image: str | None = None,
        brand_context: str | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> AdResult | JobAccepted:
        """Generate ad images with their copy; see ``Krev.ads.generate``."""
        body = _request(
            brief,
            product_ids,
            aspect_ratio,
            image_count,
            style_id,
            inspiration_image,
            brand_context,
        )
        return await self._run(
            _jobs.generate(
                self._api,
                "/ads",
                body,
                AdResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )

    @operation("ads-styles")
    async def styles(self) -> list[AdStyle]:
        """The ad styles ``style_id`` takes."""
        return (await self._run(self._api.page(AdStyle, "/ads/styles", {}, None))).items

    @operation("ads-style-thumbnail")
    async def style_thumbnail(self, style_id: str) -> bytes:
        """The style's layout rendered small (WebP bytes)."""
        path = f"/ads/styles/{segment(style_id)}/thumbnail.webp"
        response = await self._run(self._api.call("GET", path, headers={"Accept": "image/webp"}))
        return response.content
