"""/api/v1/images (generate) and /api/v1/presets (what ``preset_id`` may be)."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from krev.accounts.auth import Principal, require_scope
from krev.generations.responses import JobAnswer, JobResponse, prefers_async
from krev.generations.schemas import JOB_ACCEPTED_RESPONSE
from krev.images import service
from krev.images.schemas import ImageRequest, ImagesOut, PresetOut
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.models import Generation
from krev.platform.deps import RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime

ImagesScope = Annotated[Principal, Depends(require_scope("images"))]

router = api_router(tags=["images"], responses=ERROR_RESPONSES)

# Thumbnails are the same for everyone and change only with a new engine release.
THUMBNAIL_CACHE_CONTROL = "public, max-age=86400"


@router.post(
    "/api/v1/images",
    name="create",
    response_model=Envelope[ImagesOut],
    responses={
        **JOB_ACCEPTED_RESPONSE,
        400: {
            "model": ErrorEnvelope,
            "description": "Missing or invalid parameters; or, with the studio engine and no "
            "product_id, a prompt that asks to show something none of your products is "
            "(subject_not_renderable) or several are equally (subject_ambiguous, with "
            "candidates). The studio engine draws sets, not things: the reference's text-only "
            "examples need a generative KREV_IMAGE_ENGINE.",
        },
        402: {"model": ErrorEnvelope, "description": "Insufficient credits; nothing queued."},
        404: {"model": ErrorEnvelope, "description": "No such product of yours."},
        409: {"model": ErrorEnvelope, "description": "A product is still being analyzed."},
        413: {"model": ErrorEnvelope, "description": "The images do not fit your storage."},
    },
)
async def create_images(
    body: ImageRequest,
    request: Request,
    principal: ImagesScope,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JobResponse:
    """Generate one or more product images (text-to-image, or with catalog products placed in
    the scene). Credits are reserved on accept and refunded if the generation fails. Answers
    200 with the images when they are done within the wait window, else 202 with a poll URL.

    Which engine draws them is this server's choice (`GET /api/v1/capabilities`). A generative
    engine (diffusers, openai, fal, replicate) draws a text-only prompt's subject, as the hosted
    API does. The embedded studio engine composites your catalog products into rendered sets: a
    prompt without `product_id` must name one of your products (it is used) or describe only the
    set, else it is refused with 400 before anything is charged."""
    generation_id = await service.create_images(
        session, runtime, principal.user.id, body, principal.cause
    )
    return JobResponse(
        runtime, generation_id, ImagesAnswer(runtime), prefer_async=prefers_async(request)
    )


class ImagesAnswer(JobAnswer):
    def __init__(self, runtime: Runtime) -> None:
        self.storage = runtime.storage
        self.ttl = runtime.settings.signed_url_ttl_seconds

    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        return service.result_view(generation, self.storage, self.ttl)


@router.get("/api/v1/presets", name="presets", response_model=ListEnvelope[PresetOut])
def list_presets(_principal: ImagesScope, runtime: RuntimeDep) -> dict[str, Any]:
    """The studio presets ``preset_id`` accepts, each with a description and a thumbnail."""
    data = service.list_presets(runtime.settings)
    return {**ok(data), "meta": {"count": len(data)}}


@router.get(
    "/api/v1/presets/{preset_id}/thumbnail.webp",
    name="preset-thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "The preset, rendered small."},
        404: {"model": ErrorEnvelope, "description": "No such preset."},
    },
)
async def preset_thumbnail(preset_id: str, runtime: RuntimeDep) -> Response:
    """A small rendering of the preset with no product. Public, like any catalog picture: it
    shows nothing of anyone's, and ``<img>`` tags cannot send a bearer key."""
    data = await to_thread.run_sync(service.preset_thumbnail, runtime.settings, preset_id)
    return Response(
        data, media_type="image/webp", headers={"Cache-Control": THUMBNAIL_CACHE_CONTROL}
    )
