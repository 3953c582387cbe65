"""/api/v1/conversions/meta: send server events to Meta, list recent deliveries, and the
pixel configuration (dashboard session only).

How a POST answers: the events are validated, then written to the outbox in the request's
transaction, claimed by the request itself. After the commit the request sends them to Meta
(waiting at most ``conversions_wait_seconds``): 200 ``sent`` when Meta took them, 202
``queued`` when Meta could not be reached or asked us to retry (the worker delivers them
later, with backoff), 400 ``meta_rejected`` when Meta refused them for good (recorded as
failed). ``Prefer: respond-async`` skips the wait: 202 at once, the worker delivers.
If the process dies before it is done, the claim expires and the janitor re-enqueues them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from krev.accounts.auth import DashboardPrincipal, Principal, require_scope
from krev.conversions import delivery, service
from krev.conversions.schemas import (
    ConversionBatchBody,
    ConversionEventBody,
    ConversionEventOut,
    ConversionsAccepted,
    MetaConfigDeleted,
    MetaConfigIn,
    MetaConfigOut,
)
from krev.errors import BadRequest, UnsupportedMediaType
from krev.generations.responses import prefers_async
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.kit.openapi import schema_ref
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.conversions")

router = api_router(
    prefix="/api/v1/conversions/meta", tags=["conversions"], responses={**ERROR_RESPONSES}
)

ConversionsScope = Annotated[Principal, Depends(require_scope("conversions"))]

_SEND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [schema_ref(ConversionEventBody), schema_ref(ConversionBatchBody)]
                }
            }
        },
    }
}


async def _read_json(request: Request) -> Any:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("Send the events as JSON with 'Content-Type: application/json'.")
    try:
        return json.loads(await request.body())
    except ValueError as error:
        raise BadRequest("The request body is not valid JSON.") from error


@router.post(
    "",
    name="send",
    response_model=ConversionsAccepted,
    responses={
        202: {"model": ConversionsAccepted, "description": "Kept; Meta gets them later."},
        415: {"model": ErrorEnvelope, "description": "Not JSON."},
    },
    openapi_extra=_SEND_BODY,
)
async def send_events(
    request: Request,
    principal: ConversionsScope,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Send one server event, or Meta's batch ``{"data": [...]}`` of up to 1000, through your
    configured Meta pixel. Answers ``sent`` (200) once Meta has them, or ``queued`` (202)
    when Meta cannot take them now; they are delivered later either way."""
    body = await _read_json(request)
    inline = runtime.settings.conversions_wait_seconds > 0 and not prefers_async(request)
    accepted = await delivery.accept(session, runtime, principal.user.id, body, inline=inline)
    return DeliveryResponse(runtime, accepted, inline=inline)


class DeliveryResponse(Response):
    """The answer to ``send_events``, decided as it is sent: after the dependency that owns
    the request's transaction has committed the events, so a delivery made right here (the
    default) sends what is already safely stored."""

    def __init__(self, runtime: Runtime, accepted: service.AcceptedEvents, *, inline: bool):
        super().__init__(status_code=202)
        self.runtime = runtime
        self.accepted = accepted
        self.inline = inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = await delivery.outcome(self.runtime, self.accepted, inline=self.inline)
        response: Response
        if outcome.status == "failed":
            error = service.MetaRejected(f"Meta refused the events: {outcome.error}")
            response = JSONResponse(error.body(), status_code=error.status)
        else:
            response = JSONResponse(
                {
                    "success": True,
                    "status": outcome.status,
                    "events_received": self.accepted.events_received,
                },
                status_code=200 if outcome.status == "sent" else 202,
            )
        await response(scope, receive, send)


@router.get("/events", name="list-events", response_model=ListEnvelope[ConversionEventOut])
def list_events(principal: ConversionsScope, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """Your events, newest first, and their delivery: queued, sent, or failed with Meta's
    error."""
    found = service.list_events(session, principal.user.id, page)
    data = [service.event_view(event) for event in found.items]
    return {"success": True, "data": data, "meta": found.meta}


@router.get("/config", name="get-config", response_model=Envelope[MetaConfigOut])
def get_config(principal: DashboardPrincipal, session: SessionDep) -> dict[str, Any]:
    """Your Meta pixel configuration (dashboard session). The access token is never shown."""
    return ok(service.config_view(service.get_config(session, principal.user.id)))


@router.put("/config", name="put-config", response_model=Envelope[MetaConfigOut])
def put_config(
    body: MetaConfigIn, principal: DashboardPrincipal, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set the pixel id, Conversions API access token and optional test event code
    (dashboard session with X-CSRF-Token)."""
    config = service.put_config(
        session,
        runtime.settings,
        principal.user.id,
        pixel_id=body.pixel_id,
        access_token=body.access_token,
        test_event_code=body.test_event_code,
    )
    return ok(service.config_view(config))


@router.delete("/config", name="delete-config", response_model=Envelope[MetaConfigDeleted])
def delete_config(principal: DashboardPrincipal, session: SessionDep) -> dict[str, Any]:
    """Remove the Meta pixel configuration; events still queued then fail."""
    return ok({"deleted": service.delete_config(session, principal.user.id)})
