"""/api/v1/images (generate) and /api/v1/presets (what ``preset_id`` may be)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from krev.accounts.auth import Principal, require_scope
from krev.errors import NotFound
from krev.generations.responses import job_response
from krev.generations.schemas import JOB_ACCEPTED_RESPONSE
from krev.images import engines, presets, service
from krev.images.schemas import ImageRequest, ImagesOut, PresetOut
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.models import Generation
from krev.platform.db import commit
from krev.platform.deps import RuntimeDep, SessionDep

ImagesScope = Annotated[Principal, Depends(require_scope("images"))]

router = APIRouter(tags=["images"], responses=ERROR_RESPONSES)

# Thumbnails are the same for everyone and change only with a new engine release.
THUMBNAIL_CACHE_CONTROL = "public, max-age=86400"


@router.post(
    "/api/v1/images",
    name="create",
    response_model=Envelope[ImagesOut],
    responses={
        **JOB_ACCEPTED_RESPONSE,
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
) -> Any:
    """Generate one or more product images (text-to-image, or with catalog products placed in
    the scene). Credits are reserved on accept and refunded if the generation fails. Answers
    200 with the images when they are done within the wait window, else 202 with a poll URL."""
    settings = runtime.settings
    # Off the loop: the first call in a process imports and builds the engine.
    composer = await asyncio.to_thread(engines.scene_composer, settings)
    service.check_preset(composer, body.preset_id)
    product_ids = service.requested_product_ids(body)

    def _products() -> list[service.ProductInput]:
        # Its own read transaction: the request's write transaction (SQLite's write lock)
        # must not be held while the references are fetched.
        with runtime.db.transaction(write=False) as reading:
            return service.usable_products(reading, principal.user.id, product_ids)

    products = await asyncio.to_thread(_products) if product_ids else []
    references = await service.read_references(
        settings, runtime.fetch_pool, principal.user.id, body.reference_images or []
    )
    scene = await asyncio.to_thread(composer.understand, body.prompt, body.preset_id)

    def _submit() -> uuid.UUID:
        generation = service.submit_images(
            session,
            settings,
            runtime.tasks.enqueue,
            user_id=principal.user.id,
            body=body,
            products=products,
            references=references,
            scene=scene,
        )
        commit(session)
        return generation.id

    generation_id = await run_in_threadpool(_submit)

    def render(_session: Session, generation: Generation) -> dict[str, Any]:
        return service.result_view(generation, runtime.storage, settings.signed_url_ttl_seconds)

    return await job_response(request, runtime, generation_id, render)


@router.get("/api/v1/presets", name="presets", response_model=ListEnvelope[PresetOut])
def list_presets(_principal: ImagesScope, runtime: RuntimeDep) -> dict[str, Any]:
    """The studio presets ``preset_id`` accepts, each with a description and a thumbnail."""
    base = runtime.settings.base_url
    data = [
        {
            "id": preset.id,
            "description": preset.description,
            "thumbnail_url": f"{base}/api/v1/presets/{preset.id}/thumbnail.webp",
        }
        for preset in engines.scene_composer(runtime.settings).presets()
    ]
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

    def _thumbnail() -> bytes | None:
        return presets.thumbnail(engines.scene_composer(runtime.settings), preset_id)

    data = await asyncio.to_thread(_thumbnail)
    if data is None:
        raise NotFound(f"Preset '{preset_id}' not found.")
    return Response(
        data, media_type="image/webp", headers={"Cache-Control": THUMBNAIL_CACHE_CONTROL}
    )
