"""/api/v1/ads (generate ad images with their copy) and /api/v1/ads/styles (what ``style_id``
may be)."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from krev.accounts.auth import Principal, require_scope
from krev.ads import service
from krev.ads.schemas import AdRequest, AdsOut, AdStyleOut
from krev.generations.responses import JobAnswer, JobResponse, prefers_async
from krev.generations.schemas import JOB_ACCEPTED_RESPONSE
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.models import Generation
from krev.platform.deps import RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime

AdsScope = Annotated[Principal, Depends(require_scope("ads"))]

router = api_router(tags=["ads"], responses=ERROR_RESPONSES)

# Thumbnails are the same for everyone and change only with a new engine release.
THUMBNAIL_CACHE_CONTROL = "public, max-age=86400"


@router.post(
    "/api/v1/ads",
    name="create",
    response_model=Envelope[AdsOut],
    responses={
        **JOB_ACCEPTED_RESPONSE,
        400: {
            "model": ErrorEnvelope,
            "description": "Missing or invalid parameters: an empty brief, no product_ids or "
            "more than 4, an aspect ratio ads do not offer (16:9), an unknown style_id (the "
            "error lists the valid ones), an inspiration_image that cannot be fetched (a "
            "private or unreachable address) or is not an image; or a product with no cutout "
            "(product_unusable).",
        },
        402: {"model": ErrorEnvelope, "description": "Insufficient credits; nothing queued."},
        404: {"model": ErrorEnvelope, "description": "No such product of yours."},
        409: {"model": ErrorEnvelope, "description": "A product is still being analyzed."},
        413: {"model": ErrorEnvelope, "description": "The images do not fit your storage."},
    },
)
async def create_ads(
    body: AdRequest,
    request: Request,
    principal: AdsScope,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JobResponse:
    """Generate ad creative from 1 to 4 of your products: each image is a product scene (from
    this server's image engine) with a hook, headline, body copy and call-to-action button laid
    out in the ad style, at Meta's placement size for the aspect ratio. Every image has its own
    copy (`ad_copies`, in order; `ad_copy` is the first image's). 40 credits per image, reserved
    on accept and refunded if the generation fails. Answers 200 when the ads are done within the
    wait window, else 202 with a poll URL.

    Without `style_id` the brief chooses the style (offer words such as "sale" or "20% off" an
    offer style, review words social proof, and so on). Images are WebP; add `?format=png` or
    `?format=jpeg` to any of their URLs for Ads Manager."""
    generation_id = await service.create_ad(
        session, runtime, principal.user.id, body, principal.cause
    )
    return JobResponse(
        runtime, generation_id, AdsAnswer(runtime), prefer_async=prefers_async(request)
    )


class AdsAnswer(JobAnswer):
    def __init__(self, runtime: Runtime) -> None:
        self.storage = runtime.storage
        self.ttl = runtime.settings.signed_url_ttl_seconds

    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        return service.result_view(generation, self.storage, self.ttl)


@router.get("/api/v1/ads/styles", name="styles", response_model=ListEnvelope[AdStyleOut])
def list_styles(_principal: AdsScope, runtime: RuntimeDep) -> dict[str, Any]:
    """The ad styles `style_id` accepts, each with its name (the `ad_copy.style_name` its ads
    carry), a description and a thumbnail of its layout."""
    data = service.list_styles(runtime.settings)
    return {**ok(data), "meta": {"count": len(data)}}


@router.get(
    "/api/v1/ads/styles/{style_id}/thumbnail.webp",
    name="style-thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "The style's layout, rendered small."},
        404: {"model": ErrorEnvelope, "description": "No such style."},
    },
)
async def style_thumbnail(style_id: str) -> Response:
    """A small rendering of the style's layout with sample copy and no product. Public, like
    any catalog picture: it shows nothing of anyone's, and ``<img>`` tags cannot send a bearer
    key."""
    data = await to_thread.run_sync(service.style_thumbnail, style_id)
    return Response(
        data, media_type="image/webp", headers={"Cache-Control": THUMBNAIL_CACHE_CONTROL}
    )
