"""/api/v1/videos: generate a short product or creator-style video."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from krev.accounts.auth import Principal, require_scope
from krev.generations.responses import JobAnswer, JobResponse, prefers_async
from krev.generations.schemas import JOB_ACCEPTED_RESPONSE
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope
from krev.models import Generation
from krev.platform.deps import RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime
from krev.videos import service
from krev.videos.schemas import VideoOut, VideoRequest

VideosScope = Annotated[Principal, Depends(require_scope("videos"))]

router = api_router(tags=["videos"], responses=ERROR_RESPONSES)


@router.post(
    "/api/v1/videos",
    name="create",
    response_model=Envelope[VideoOut],
    responses={
        **JOB_ACCEPTED_RESPONSE,
        400: {
            "model": ErrorEnvelope,
            "description": "Missing or invalid parameters: a duration outside 4-15 or not a "
            "whole number, an unknown audio_mode or preset_id, a source_image that is a video "
            "(source_is_video), not an image, or cannot be fetched (a private or unreachable "
            "address); with the studio engine and no product_id, a prompt that asks to show "
            "something none of your products is (subject_not_renderable) or several are "
            "equally (subject_ambiguous); a product with no cutout (product_unusable).",
        },
        402: {"model": ErrorEnvelope, "description": "Insufficient credits; nothing queued."},
        404: {"model": ErrorEnvelope, "description": "No such product of yours."},
        409: {"model": ErrorEnvelope, "description": "The product is still being analyzed."},
        413: {"model": ErrorEnvelope, "description": "The video does not fit your storage."},
        429: {
            "model": ErrorEnvelope,
            "description": "Too many requests, or too many of your jobs queued or running "
            "(too_many_jobs: your plan's max_active_jobs); nothing queued.",
        },
    },
)
async def create_video(
    body: VideoRequest,
    request: Request,
    principal: VideosScope,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JobResponse:
    """Generate a short product or creator-style MP4 (H.264, 24 fps, 1080 px on the short
    side). The prompt and what you send choose the workflow, first match wins: creator-style
    words (UGC, unboxing, testimonial, …) a UGC edit; `source_image` animates that image;
    `product_id` puts the product's cutout in a scene with camera moves; otherwise a
    text-to-video on the image endpoint's text-only rules. 80 credits per second, reserved on
    accept and refunded if the video fails; audio does not change the price. Answers 200 when
    the video is done within the video wait window (120 s by default), else 202 with a poll
    URL whose `progress` follows the frames rendered."""
    generation_id = await service.create_video(
        session, runtime, principal.user.id, body, principal.cause
    )
    return JobResponse(
        runtime,
        generation_id,
        VideoAnswer(runtime),
        prefer_async=prefers_async(request),
        wait_seconds=runtime.settings.video_sync_wait_seconds,
    )


class VideoAnswer(JobAnswer):
    def __init__(self, runtime: Runtime) -> None:
        self.storage = runtime.storage
        self.ttl = runtime.settings.signed_url_ttl_seconds

    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        return service.result_view(generation, self.storage, self.ttl)
