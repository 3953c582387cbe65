"""GET /api/v1/generations/{id}, the list of generations, and cancelling one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from krev.accounts.auth import CurrentPrincipal, Principal
from krev.errors import NotFound
from krev.generations import service
from krev.generations.schemas import GenerationOut
from krev.generations.service import GenerationRecord
from krev.hotpath import HotRoute
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ListEnvelope, ok
from krev.models.generation import GenerationStatus
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.runtime import Runtime

router = APIRouter(
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


def generation_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("Generation not found.") from None


@router.get("/{id}", name="get", response_model=Envelope[GenerationOut])
async def get_generation(
    id: GenerationId, principal: CurrentPrincipal, request: Request
) -> JSONResponse:
    """Poll a generation: status, progress (0-100) and, once succeeded, signed output URLs."""
    return await generation_response(request, principal, {"id": id})


async def generation_response(
    request: Request, principal: Principal, path: Mapping[str, Any]
) -> JSONResponse:
    """The endpoint's work, shared with the hot-path dispatcher (see ``HOT_ROUTE``)."""
    # Clients poll this in loops: one indexed read on the event loop, no thread round trip,
    # and the body is built as plain JSON (response_model documents it; re-validating a
    # dict the service just built would cost as much as the read).
    runtime: Runtime = request.app.state.runtime
    wanted = generation_id(path["id"])

    def read(connection: Connection) -> dict[str, Any]:
        return service.poll_view(
            connection,
            principal.user.id,
            wanted,
            principal.scopes,
            runtime.storage,
            runtime.settings.signed_url_ttl_seconds,
            runtime.cache.current_for(connection),
        )

    return JSONResponse(ok(runtime.db.run_on_loop(read)))


HOT_ROUTE = HotRoute(
    path="/api/v1/generations/{id}",
    # Every id, as the route takes it: the handler answers 404 for one that is not a UUID.
    pattern=re.compile(r"/api/v1/generations/(?P<id>[^/]+)"),
    scope=None,  # any key: the generation's kind decides the scope (service.check_scope)
    handler=generation_response,
)


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
) -> dict[str, Any]:
    """Your generations of the kinds your key's scopes cover, newest first, optionally
    filtered by kind, status and product (filters combine)."""
    found = service.list_owned(
        session,
        principal.user.id,
        principal.scopes,
        page,
        kind=kind,
        status=status,
        product_id=product_id,
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
    generation = service.get_owned(session, principal.user.id, generation_id(id))
    service.check_scope(generation, principal.scopes)
    return ok(_view(session, service.cancel(session, generation), runtime))
