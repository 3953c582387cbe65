"""``client.images`` (``POST /api/v1/images``) and ``client.presets``."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Literal, overload

from krev_client._core import DEFAULT_WAIT_SECONDS, given
from krev_client._resource import AsyncResource, SyncResource, operation, segment
from krev_client.models import (
    Generation,
    ImageAspectRatio,
    ImageCount,
    ImageRequest,
    ImageResult,
    JobAccepted,
    Preset,
)
from krev_client.resources import _jobs


def _request(
    prompt: str,
    aspect_ratio: ImageAspectRatio | None,
    product_id: str | None,
    product_ids: Sequence[str] | None,
    preset_id: str | None,
    hd: bool | None,
    image_count: ImageCount | None,
    reference_images: Sequence[str] | None,
) -> ImageRequest:
    return ImageRequest(
        prompt=prompt,
        **given(
            aspect_ratio=aspect_ratio,
            product_id=product_id,
            product_ids=list(product_ids) if product_ids is not None else None,
            preset_id=preset_id,
            hd=hd,
            image_count=image_count,
            reference_images=list(reference_images) if reference_images is not None else None,
        ),
    )


def _result(generation: Generation) -> ImageResult:
    urls = _jobs.outputs(generation)
    return ImageResult(
        generation_id=generation.id,
        images=urls,
        image_count=len(urls),
        credits_used=generation.credits_used,
    )


class ImagesResource(SyncResource):
    @overload
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        product_id: str | None = ...,
        product_ids: Sequence[str] | None = ...,
        preset_id: str | None = ...,
        hd: bool | None = ...,
        image_count: ImageCount | None = ...,
        reference_images: Sequence[str] | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> ImageResult: ...
    @overload
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        product_id: str | None = ...,
        product_ids: Sequence[str] | None = ...,
        preset_id: str | None = ...,
        hd: bool | None = ...,
        image_count: ImageCount | None = ...,
        reference_images: Sequence[str] | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> ImageResult | JobAccepted: ...
    @operation("images-create")
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = None,
        product_id: str | None = None,
        product_ids: Sequence[str] | None = None,
        preset_id: str | None = None,
        hd: bool | None = None,
        image_count: ImageCount | None = None,
        reference_images: Sequence[str] | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> ImageResult | JobAccepted:
        """Generate product images (40 credits each, 80 in HD).

        Returns the ``ImageResult`` once the images are ready, waiting up to ``wait_timeout``
        seconds (``on_progress`` is called with the job at each change). With ``wait=False``
        it returns at once: a ``JobAccepted`` (poll it with ``generations.wait``), or the
        result if the job had already ended. Arguments left out take the server's defaults.
        """
        body = _request(
            prompt,
            aspect_ratio,
            product_id,
            product_ids,
            preset_id,
            hd,
            image_count,
            reference_images,
        )
        return self._run(
            _jobs.generate(
                self._api,
                "/images",
                body,
                ImageResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )


class AsyncImagesResource(AsyncResource):
    @overload
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        product_id: str | None = ...,
        product_ids: Sequence[str] | None = ...,
        preset_id: str | None = ...,
        hd: bool | None = ...,
        image_count: ImageCount | None = ...,
        reference_images: Sequence[str] | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> ImageResult: ...
    @overload
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        product_id: str | None = ...,
        product_ids: Sequence[str] | None = ...,
        preset_id: str | None = ...,
        hd: bool | None = ...,
        image_count: ImageCount | None = ...,
        reference_images: Sequence[str] | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> ImageResult | JobAccepted: ...
    @operation("images-create")
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = None,
        product_id: str | None = None,
        product_ids: Sequence[str] | None = None,
        preset_id: str | None = None,
        hd: bool | None = None,
        image_count: ImageCount | None = None,
        reference_images: Sequence[str] | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> ImageResult | JobAccepted:
        """Generate product images; see ``Krev.images.generate``."""
        body = _request(
            prompt,
            aspect_ratio,
            product_id,
            product_ids,
            preset_id,
            hd,
            image_count,
            reference_images,
        )
        return await self._run(
            _jobs.generate(
                self._api,
                "/images",
                body,
                ImageResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )


class PresetsResource(SyncResource):
    @operation("images-presets")
    def list(self) -> builtins.list[Preset]:
        """The studio presets ``preset_id`` takes."""
        return self._run(self._api.page(Preset, "/presets", {}, None)).items

    @operation("images-preset-thumbnail")
    def thumbnail(self, preset_id: str) -> bytes:
        """The preset rendered small (WebP bytes)."""
        path = f"/presets/{segment(preset_id)}/thumbnail.webp"
        return self._run(self._api.call("GET", path, headers={"Accept": "image/webp"})).content


class AsyncPresetsResource(AsyncResource):
    @operation("images-presets")
    async def list(self) -> builtins.list[Preset]:
        """The studio presets ``preset_id`` takes."""
        return (await self._run(self._api.page(Preset, "/presets", {}, None))).items

    @operation("images-preset-thumbnail")
    async def thumbnail(self, preset_id: str) -> bytes:
        """The preset rendered small (WebP bytes)."""
        path = f"/presets/{segment(preset_id)}/thumbnail.webp"
        response = await self._run(self._api.call("GET", path, headers={"Accept": "image/webp"}))
        return response.content
