"""/api/v1/chat: start a run, poll it, cancel it, and read conversations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.responses import JSONResponse

from krev.accounts.auth import Principal, require_scope
from krev.chat import service
from krev.chat.schemas import ChatQueued, ChatRequest, ConversationOut, RunOut
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.routing import api_router

ChatScope = Annotated[Principal, Depends(require_scope("chat"))]
ChatPollScope = Annotated[Principal, Depends(require_scope("chat", poll=True))]

router = api_router(tags=["chat"], responses=ERROR_RESPONSES)

# Any text is taken as an id: one that names nothing of yours is a 404, whatever it looks like.
RunId = Annotated[
    str, Path(description="The run's id (a UUID).", json_schema_extra={"format": "uuid"})
]
ConversationId = Annotated[
    str, Path(description="The conversation's id (a UUID).", json_schema_extra={"format": "uuid"})
]


@router.post(
    "/api/v1/chat",
    name="start",
    status_code=202,
    response_model=Envelope[ChatQueued],
    responses={
        400: {
            "model": ErrorEnvelope,
            "description": "An empty message, an unknown agent, more than 4 reference images, "
            "or a reference image that cannot be fetched (a private or unreachable address) "
            "or is not an image. Nothing is stored or queued.",
        },
        403: {
            "model": ErrorEnvelope,
            "description": "The key lacks the chat scope, or the message asks to change Meta "
            "campaigns, ad sets, ads, budgets or accounts (meta_mutation_forbidden): the chat "
            "API is creative-only. Nothing is stored or queued.",
        },
        404: {"model": ErrorEnvelope, "description": "No such conversation or product of yours."},
        429: {"model": ErrorEnvelope, "description": "Too many jobs queued or running."},
    },
)
async def start_run(
    body: ChatRequest, principal: ChatScope, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Queue a creative-only agent run: it plans from the message (and the conversation so
    far), writes concepts and copy, renders images, videos and ads through the same services
    as their endpoints, and researches ads. Poll `poll_url` for status, transcript, artifacts
    and signed media URLs. The run itself is free; its renders are charged at their prices,
    recorded as caused by `chat:<run_id>`, within the run's credit budget."""
    run = await service.start_run(session, runtime, principal.user.id, body, principal.cause)
    return JSONResponse(ok(service.queued_view(run, runtime.settings.base_url)), status_code=202)


NO_RUN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such run of yours."}
}


@router.get(
    "/api/v1/chat/runs/{run_id}", name="run", response_model=Envelope[RunOut], responses=NO_RUN
)
async def get_run(run_id: RunId, principal: ChatPollScope, runtime: RuntimeDep) -> JSONResponse:
    """Poll a run: its status and its job's, progress, the latest assistant text, the
    transcript, sanitized artifacts, the generations it asked for and signed media URLs once
    they are rendered. Polls count in the poll window, as generation polls do."""
    # Read on the event loop's connection and sent as plain JSON, as generation polls are:
    # clients poll this in loops, beside the renders it waits for.
    return JSONResponse(ok(service.poll_run(runtime, principal.user.id, run_id)))


@router.post(
    "/api/v1/chat/runs/{run_id}/cancel",
    name="cancel",
    response_model=Envelope[RunOut],
    responses={
        **NO_RUN,
        409: {"model": ErrorEnvelope, "description": "The run has already ended."},
    },
)
def cancel_run(
    run_id: RunId, principal: ChatScope, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Cancel a run: a queued one at once; a running one between its steps. Renders it asked
    for that are not done are cancelled and refunded; finished ones stay yours."""
    run = service.cancel_run(session, principal.user.id, service.parse_id(run_id, "Chat run"))
    session.flush()
    session.refresh(run)
    return ok(
        service.run_view(session, run, runtime.storage, runtime.settings.signed_url_ttl_seconds)
    )


@router.get(
    "/api/v1/chat/conversations/{conversation_id}",
    name="conversation",
    response_model=Envelope[ConversationOut],
    responses={404: {"model": ErrorEnvelope, "description": "No such conversation of yours."}},
)
def get_conversation(
    conversation_id: ConversationId, principal: ChatScope, session: SessionDep
) -> dict[str, Any]:
    """A conversation's transcript, oldest first, and its runs."""
    conversation = service.get_conversation(
        session, principal.user.id, service.parse_id(conversation_id, "Conversation")
    )
    return ok(service.conversation_view(session, conversation))


@router.get("/api/v1/chat", name="conversations", response_model=ListEnvelope[ConversationOut])
def list_conversations(principal: ChatScope, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """Your chat conversations, newest first, a page at a time (`limit`, `cursor`)."""
    found = service.list_conversations(session, principal.user.id, page)
    return {
        **ok([service.conversation_view(session, c, whole=False) for c in found.items]),
        "meta": found.meta,
    }
