"""GET /api/v1/generations/{id}, the list of generations, cancelling one and deleting one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from krev.accounts.auth import CurrentPrincipal, PollingPrincipal
from krev.generations import service
from krev.generations.schemas import DeletedGeneration, GenerationOut
from krev.generations.service import GenerationRecord
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.models.generation import GenerationStatus
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime

router = api_router(
    prefix="/api/v1/generations",
    tags=["generations"],
    responses={**ERROR_RESPONSES, 404: {"description": "No such generation of yours."}},
)


def _view(
    executor: Connection | Session, generation: GenerationRecord, runtime: Runtime
) -> dict[str, Any]:
    return service.view(
        executor, generation, runtime.storage, runtime.settings.signed_url_ttl_seconds
    )


# Any text is taken as an id: a generation that does not exist is a 404, whatever its id
# looks like (the reference's "invalid generation ID"), not a validation error.
GenerationId = Annotated[
    str, Path(description="The generation's id (a UUID).", json_schema_extra={"format": "uuid"})
]


@router.get("/{id}", name="get", response_model=Envelope[GenerationOut])
async def get_generation(
    id: GenerationId, principal: PollingPrincipal, runtime: RuntimeDep
) -> JSONResponse:
    """Poll a generation: status, progress (0-100) and, once succeeded, signed output URLs.
    Polls count in a rate-limit window of their own, wider than the plan's."""
    # The body goes out as plain JSON: response_model documents it, and re-validating the
    # dict the service built would cost as much as the read.
    return JSONResponse(ok(service.poll(runtime, principal.user.id, id, principal.scopes)))


@router.get("", name="list", response_model=ListEnvelope[GenerationOut])
def list_generations(
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    kind: Annotated[
        str | None,
        Query(
            description="Only this kind, e.g. image or product_analysis (a product's "
            "analysis). An unknown kind is a 400 that lists the kinds this server runs; a "
            "kind your key's scopes do not cover is a 403."
        ),
    ] = None,
    status: Annotated[
        GenerationStatus | None,
        Query(description="Only generations in this status; anything else is a 400."),
    ] = None,
    product_id: Annotated[
        uuid.UUID | None,
        Query(
            description="Only generations submitted for this product of yours: its analysis "
            "and the images made with it, also after the product is deleted. Another "
            "user's product matches nothing."
        ),
    ] = None,
    api_key_id: Annotated[
        uuid.UUID | None,
        Query(
            description="Only generations submitted with this API key of yours (an agency's "
            "key for one client), also after the key is revoked. Another user's key "
            "matches nothing."
        ),
    ] = None,
) -> dict[str, Any]:
    """Your generations of the kinds your key's scopes cover, newest first, optionally
    filtered by kind, status, product and the API key that submitted them (filters
    combine)."""
    found = service.list_owned(
        session,
        principal.user.id,
        principal.scopes,
        page,
        kind=kind,
        status=status,
        product_id=product_id,
        api_key_id=api_key_id,
    )
    data = [_view(session, generation, runtime) for generation in found.items]
    return {"success": True, "data": data, "meta": found.meta}


@router.post("/{id}/cancel", name="cancel", response_model=Envelope[GenerationOut])
def cancel_generation(
    id: GenerationId,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Cancel a queued generation (refunded now) or stop a running one at its next step."""
    generation = service.get_owned(session, principal.user.id, service.generation_id(id))
    service.check_scope(generation, principal.scopes)
    return ok(_view(session, service.cancel(session, generation), runtime))


@router.delete(
    "/{id}",
    name="delete",
    response_model=Envelope[DeletedGeneration],
    responses={
        409: {
            "model": ErrorEnvelope,
            "description": "Still queued or processing: cancel it first, then delete it.",
        }
    },
)
def delete_generation(
    id: GenerationId,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Delete a finished generation (succeeded, failed or cancelled): its output files and
    their PNG/JPEG renditions are removed, their bytes no longer count against your plan's
    storage, and the generation no longer lists or polls (404). The credit moves it caused
    stay in your history. A queued or running generation is a 409: cancel it first
    (`POST /api/v1/generations/{id}/cancel`). Deleting it again is a 404."""
    wanted = service.generation_id(id)
    freed = service.delete(session, runtime.storage, principal.user.id, wanted, principal.scopes)
    return ok({"id": str(wanted), "deleted": True, "freed_bytes": freed})
