"""``client.videos`` (``POST /api/v1/videos``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, overload

from krev_client._core import DEFAULT_WAIT_SECONDS, given
from krev_client._resource import AsyncResource, SyncResource, operation
from krev_client.models import (
    AudioMode,
    Generation,
    ImageAspectRatio,
    JobAccepted,
    VideoRequest,
    VideoResult,
)
from krev_client.resources import _jobs


def _request(
    prompt: str,
    aspect_ratio: ImageAspectRatio | None,
    duration: int | None,
    audio_mode: AudioMode | None,
    product_id: str | None,
    source_image: str | None,
    preset_id: str | None,
) -> VideoRequest:
    return VideoRequest(
        prompt=prompt,
        **given(
            aspect_ratio=aspect_ratio,
            duration=duration,
            audio_mode=audio_mode,
            product_id=product_id,
            source_image=source_image,
            preset_id=preset_id,
        ),
    )


def _result(generation: Generation) -> VideoResult:
    urls = _jobs.outputs(generation)
    duration = getattr(generation.output, "duration", None) or 0
    return VideoResult(
        generation_id=generation.id,
        video_url=urls[0] if urls else "",
        duration=int(duration),
        credits_used=generation.credits_used,
    )


class VideosResource(SyncResource):
    @overload
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        duration: int | None = ...,
        audio_mode: AudioMode | None = ...,
        product_id: str | None = ...,
        source_image: str | None = ...,
        preset_id: str | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> VideoResult: ...
    @overload
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        duration: int | None = ...,
        audio_mode: AudioMode | None = ...,
        product_id: str | None = ...,
        source_image: str | None = ...,
        preset_id: str | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> VideoResult | JobAccepted: ...
    @operation("videos-create")
    def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = None,
        duration: int | None = None,
        audio_mode: AudioMode | None = None,
        product_id: str | None = None,
        source_image: str | None = None,
        preset_id: str | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> VideoResult | JobAccepted:
        """Generate a 4-15 s MP4 (80 credits a second).

        Returns the ``VideoResult`` once the video is ready, waiting up to ``wait_timeout``
        seconds (``on_progress`` is called with the job at each change). With ``wait=False``
        it returns at once: a ``JobAccepted`` (poll it with ``generations.wait``), or the
        result if the job had already ended. Arguments left out take the server's defaults.
        """
        body = _request(
            prompt, aspect_ratio, duration, audio_mode, product_id, source_image, preset_id
        )
        return self._run(
            _jobs.generate(
                self._api,
                "/videos",
                body,
                VideoResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )


class AsyncVideosResource(AsyncResource):
    @overload
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        duration: int | None = ...,
        audio_mode: AudioMode | None = ...,
        product_id: str | None = ...,
        source_image: str | None = ...,
        preset_id: str | None = ...,
        wait: Literal[True] = ...,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> VideoResult: ...
    @overload
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = ...,
        duration: int | None = ...,
        audio_mode: AudioMode | None = ...,
        product_id: str | None = ...,
        source_image: str | None = ...,
        preset_id: str | None = ...,
        wait: bool,
        wait_timeout: float | None = ...,
        on_progress: Callable[[Generation], object] | None = ...,
        poll_interval: float | None = ...,
        idempotency_key: str | None = ...,
    ) -> VideoResult | JobAccepted: ...
    @operation("videos-create")
    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: ImageAspectRatio | None = None,
        duration: int | None = None,
        audio_mode: AudioMode | None = None,
        product_id: str | None = None,
        source_image: str | None = None,
        preset_id: str | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> VideoResult | JobAccepted:
        """Generate a video; see ``Krev.videos.generate``."""
        body = _request(
            prompt, aspect_ratio, duration, audio_mode, product_id, source_image, preset_id
        )
        return await self._run(
            _jobs.generate(
                self._api,
                "/videos",
                body,
                VideoResult,
                _result,
                wait=wait,
                timeout=wait_timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
                idempotency_key=idempotency_key,
            )
        )
