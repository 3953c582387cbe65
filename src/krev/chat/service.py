"""Chat rules: accepting a message (the Meta-mutation refusal, the conversation, the products
and reference images, the run and its job, enqueued after commit), cancelling a run, and the
views of runs and conversations. No HTTP types here.

A run is worked by a ``chat`` generation (``krev.chat.tasks``): it costs nothing itself; the
media its tools render are their own generations, charged at the public prices and caused by
``chat:<run id>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from anyio import to_thread
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from krev.catalog import service as catalog
from krev.chat.repository import ConversationRepository, MessageRepository, RunRepository
from krev.chat.schemas import ChatRequest
from krev.engines.studio.chat.meta import meta_mutation, refusal_message
from krev.errors import Conflict, Forbidden, NotFound
from krev.generations import service as generations
from krev.generations.service import GenerationRecord
from krev.images import service as images
from krev.kit.clock import isoformat, utcnow
from krev.kit.pagination import Page, PageRequest
from krev.models import (
    CHAT_MESSAGE_TAG,
    CHAT_RUN_TAG,
    GENERATION_TAG,
    Cause,
    ChatMessage,
    ChatRun,
    Conversation,
    Generation,
)
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.config import Settings
from krev.platform.readcache import ReadCache
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage

KIND = "chat"
CHAT_SOURCE = "chat:"
TITLE_CHARS = 80


class MetaMutationForbidden(Forbidden):
    code = "meta_mutation_forbidden"


def refuse_meta_mutation(message: str) -> None:
    """403 before anything is stored or queued when the message asks to change something on
    Meta (a campaign, an ad set, an ad, a budget, an account): the chat API is creative-only."""
    mutation = meta_mutation(message)
    if mutation is not None:
        raise MetaMutationForbidden(refusal_message(mutation))


def run_budget(settings: Settings, max_credits: int | None) -> int:
    """What a run may spend: the server's per-run budget, lowered by the request's cap."""
    budget = settings.chat_run_credit_budget
    return budget if max_credits is None else min(budget, max_credits)


def title_of(message: str) -> str:
    words = " ".join(message.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


# --- accepting -------------------------------------------------------------------------------


async def start_run(
    session: Session, runtime: Runtime, user_id: uuid.UUID, body: ChatRequest, cause: Cause
) -> ChatRun:
    """Accept a message: refuse a Meta mutation, fetch the reference images (SSRF-safe), then,
    in the request's transaction, check the conversation and products are the caller's, store
    the user's message and an empty assistant message, the run and its job (enqueued after
    commit)."""
    refuse_meta_mutation(body.message)
    # Fetched before the transaction is first used (a slow origin must not hold SQLite's
    # write lock); kept as small WebP thumbnails, as image jobs keep theirs.
    references = await images.read_references(
        runtime.settings, runtime.fetch_pool, user_id, body.reference_images or []
    )
    return await to_thread.run_sync(accept_run, session, runtime, user_id, body, cause, references)


def accept_run(
    session: Session,
    runtime: Runtime,
    user_id: uuid.UUID,
    body: ChatRequest,
    cause: Cause,
    references: Sequence[str],
) -> ChatRun:
    settings = runtime.settings
    now = utcnow()
    conversations = ConversationRepository(session)
    if body.conversation_id is not None:
        conversation = conversations.lock_owned(body.conversation_id, user_id)
        if conversation is None:
            raise NotFound("Conversation not found.")
        conversations.touch(conversation.id, now)
    else:
        conversation = conversations.add(
            Conversation(
                id=uuid.uuid4(),
                user_id=user_id,
                title=title_of(body.message),
                created_at=now,
                updated_at=now,
            )
        )
    product_ids = list(dict.fromkeys(body.product_ids or []))
    for product_id in product_ids:
        catalog.get_owned(session, user_id, product_id)  # another user's reads as missing
    run_id = uuid.uuid4()
    messages = MessageRepository(session)
    position = messages.next_position(conversation.id)
    user_message = messages.add(
        ChatMessage(
            id=uuid.uuid4(),
            conversation_id=conversation.id,
            run_id=run_id,
            position=position,
            role="user",
            content=body.message,
            created_at=now,
        )
    )
    assistant_message = messages.add(
        ChatMessage(
            id=uuid.uuid4(),
            conversation_id=conversation.id,
            run_id=run_id,
            position=position + 1,
            role="assistant",
            content="",
            created_at=now,
        )
    )
    job = generations.submit(
        session,
        settings,
        runtime.queue,
        user_id=user_id,
        kind=KIND,
        params={"run_id": str(run_id)},
        cost=0,
        cause=cause,
        product_ids=product_ids,
    )
    return RunRepository(session).add(
        ChatRun(
            id=run_id,
            user_id=user_id,
            conversation_id=conversation.id,
            job_id=job.id,
            user_message_id=user_message.id,
            assistant_message_id=assistant_message.id,
            agent=body.agent,
            request={
                "message": body.message,
                "product_ids": [str(product_id) for product_id in product_ids],
                "reference_images": list(references),
                "max_credits": body.max_credits,
            },
            credit_budget=run_budget(settings, body.max_credits),
            status="queued",
            created_at=now,
            **cause.columns(),
        )
    )


def queued_view(run: ChatRun, base_url: str) -> dict[str, Any]:
    """The reference's answer to POST /api/v1/chat."""
    return {
        "conversation_id": str(run.conversation_id),
        "user_message_id": str(run.user_message_id),
        "assistant_message_id": str(run.assistant_message_id),
        "run_id": str(run.id),
        "job_id": str(run.job_id),
        "status": "queued",
        "poll_url": f"{base_url}/api/v1/chat/runs/{run.id}",
    }


# --- reading ---------------------------------------------------------------------------------


def parse_id(text: str, what: str) -> uuid.UUID:
    """An id as a client wrote it; one that cannot be an id names nothing (404)."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"{what} not found.") from None


def run_of_source(source: str) -> uuid.UUID | None:
    """The run a job was caused by (``chat:<run id>``), if any."""
    if not source.startswith(CHAT_SOURCE):
        return None
    return uuid.UUID(source.removeprefix(CHAT_SOURCE))


def render_states(session: Session, run: ChatRun) -> dict[str, generations.JobState]:
    """Where each render the run asked for stands, by id; one deleted since is left out."""
    ids = [uuid.UUID(text_id) for text_id in run.generation_ids]
    return {
        str(generation_id): state
        for generation_id, state in generations.states_of(session, run.user_id, ids).items()
    }


def renders_done(states: dict[str, generations.JobState]) -> bool:
    """None of the renders is under way (a deleted one is done)."""
    return all(state.status in TERMINAL_STATUSES for state in states.values())


def job_to_wake(session: Session, run_id: uuid.UUID) -> uuid.UUID | None:
    """The run's job once none of its renders is under way any more; None before (a wake
    per render would have the run look, and wait again, as each of them ends)."""
    run = RunRepository(session).get(run_id)
    if run is None or not renders_done(render_states(session, run)):
        return None
    return run.job_id


def get_run(session: Session, user_id: uuid.UUID, run_id: uuid.UUID) -> ChatRun:
    run = RunRepository(session).get_owned(run_id, user_id)
    if run is None:
        raise NotFound("Chat run not found.")
    return run


def get_conversation(
    session: Session, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> Conversation:
    conversation = ConversationRepository(session).get_owned(conversation_id, user_id)
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


def list_conversations(session: Session, user_id: uuid.UUID, page: PageRequest) -> Page[Any]:
    return ConversationRepository(session).page_for_user(user_id, page)


def message_view(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "role": message.role,
        "content": message.content,
        "created_at": isoformat(message.created_at),
    }


def conversation_view(
    session: Session, conversation: Conversation, *, whole: bool = True
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(conversation.id),
        "title": conversation.title,
        "created_at": isoformat(conversation.created_at),
        "updated_at": isoformat(conversation.updated_at),
    }
    if whole:
        messages = MessageRepository(session).of_conversation(conversation.id)
        view["messages"] = [message_view(message) for message in messages]
        view["runs"] = [str(i) for i in RunRepository(session).ids_of_conversation(conversation.id)]
    return view


def poll_run(runtime: Runtime, user_id: uuid.UUID, text_id: str) -> dict[str, Any]:
    """``run_view`` of the caller's run, read on the event loop's own connection: clients
    poll it in loops, beside the renders it waits for, and a thread round trip would cost
    more than the reads (each indexed and atomic alone; a poll shows a moment's state).

    With the API process's read cache, the view is built once and kept until a row it shows
    changes (the run, its two messages, its job, a render: each a tag of the entry), for a
    small part of the signed URLs' lifetime, as a finished generation's view is. Not while
    its job or a render is queued: a queue position changes with other users' jobs."""
    wanted = parse_id(text_id, "Chat run")
    ttl = runtime.settings.signed_url_ttl_seconds

    def read(connection: Connection) -> dict[str, Any]:
        cache = runtime.cache.current_for(connection)

        def load() -> _PolledRun:
            with Session(bind=connection, autoflush=False) as session:
                run = get_run(session, user_id, wanted)
                view = run_view(session, run, runtime.storage, ttl, cache)
                return (run.user_id, view, _tags(run))

        if cache is None:
            found = load()
        else:
            reuse = min(generations.VIEW_REUSE_MAX_SECONDS, ttl * generations.VIEW_REUSE_SHARE)
            found = cast(_PolledRun, cache.fetch(("chat-run-view", wanted), load, _kept, reuse))
        owner, view, _ = found
        if owner != user_id:  # another user's id reads as missing
            raise NotFound("Chat run not found.")
        return view

    return runtime.db.run_on_loop(read)


_PolledRun = tuple[uuid.UUID, dict[str, Any], tuple[str, ...]]  # (owner, view, its tags)


def _tags(run: ChatRun) -> tuple[str, ...]:
    return (
        CHAT_RUN_TAG(run.id),
        CHAT_MESSAGE_TAG(run.user_message_id),
        CHAT_MESSAGE_TAG(run.assistant_message_id),
        GENERATION_TAG(run.job_id),
        *(GENERATION_TAG(uuid.UUID(text_id)) for text_id in run.generation_ids),
    )


def _kept(found: _PolledRun) -> tuple[str, ...] | None:
    view = found[1]
    queued = view["status"] == "queued" or any(
        record["status"] == "queued" for record in view["generations"]
    )
    return None if queued else found[2]


def _record_of(
    session: Session, user_id: uuid.UUID, generation_id: uuid.UUID, cache: ReadCache | None
) -> GenerationRecord | None:
    """A generation's columns; None once deleted (by its owner, or output retention)."""
    try:
        return generations.get_owned_record(session, user_id, generation_id, cache)
    except NotFound:
        return None


def run_view(
    session: Session, run: ChatRun, storage: Storage, ttl: int, cache: ReadCache | None = None
) -> dict[str, Any]:
    """The poll's answer: the run and its job, the transcript, sanitized artifacts, and the
    media the run asked for with their records and signed URLs. The job's and renders'
    columns are read as the generation poll reads them: plain rows, from ``cache`` while it
    holds them."""
    job = _record_of(session, run.user_id, run.job_id, cache)
    status = job.status if job is not None else run.status
    progress = job.progress if job is not None else (100 if status == "succeeded" else 0)
    messages = MessageRepository(session).by_ids([run.user_message_id, run.assistant_message_id])
    assistant = next((m for m in messages if m.role == "assistant"), None)
    records: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    credits_used = 0
    for text_id in run.generation_ids:
        generation = _record_of(session, run.user_id, uuid.UUID(text_id), cache)
        if generation is None:  # deleted by its owner or by retention since
            continue
        record = generations.view(session, generation, storage, ttl)
        records.append(record)
        credits_used += record["credits_used"]
        if generation.status == "succeeded":
            media.extend(
                {"generation_id": text_id, "kind": generation.kind, "url": url}
                for url in generations.output_urls(generation, storage, ttl)
            )
    error = run.error
    if error is None and job is not None and job.status in ("failed", "cancelled"):
        error = job.error
    return {
        "run_id": str(run.id),
        "conversation_id": str(run.conversation_id),
        "status": status,
        "progress": progress,
        "agent": run.agent,
        "agent_used": run.agent_used,
        "job": {"id": str(run.job_id), "status": status},
        "assistant_text": (assistant.content or None) if assistant is not None else None,
        "messages": [message_view(message) for message in messages],
        "artifacts": artifacts_of(run.outcomes, {r["id"]: r for r in records}),
        "generation_ids": list(run.generation_ids),
        "generations": records,
        "media": media,
        "credits_used": credits_used,
        "error": error,
        "created_at": isoformat(run.created_at),
        "completed_at": isoformat(
            run.completed_at or (job.completed_at if job is not None else None)
        ),
    }


def artifacts_of(
    outcomes: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """What the run's steps made, as typed artifacts: each concept (with its copy and image
    idea), ad copy, image prompts, media (with the render's status now) and every other tool
    result. Outcomes are stored sanitized (``krev.chat.tools``): the caller's own ids only,
    no parameters of the engines, no traces."""
    artifacts: list[dict[str, Any]] = []
    for step, outcome in enumerate(outcomes):
        tool = outcome.get("tool")
        result = outcome.get("result") or {}
        if outcome.get("error"):
            artifacts.append(
                {
                    "type": "tool_result",
                    "step": step,
                    "tool": tool,
                    "ok": False,
                    "error": outcome["error"],
                    "error_code": outcome.get("error_code"),
                }
            )
            continue
        if tool == "write_concepts":
            for concept in result.get("concepts", []):
                artifacts.append({"type": "concept", "step": step, **concept})
                artifacts.append(
                    {
                        "type": "image_prompt",
                        "step": step,
                        "concept": concept.get("number"),
                        "prompt": concept.get("image_prompt"),
                    }
                )
            continue
        if "generation_id" in result:
            record = records.get(result["generation_id"])
            artifacts.append(
                {
                    "type": "media",
                    "step": step,
                    "tool": tool,
                    "generation_id": result["generation_id"],
                    "kind": result.get("kind"),
                    "status": record["status"] if record else result.get("status"),
                    "prompt": result.get("prompt"),
                    "request": outcome.get("args", {}),
                }
            )
            if record and record["status"] == "succeeded" and tool == "generate_ads":
                output = record.get("output") or {}
                artifacts.extend(
                    {"type": "copy", "step": step, "generation_id": result["generation_id"], **c}
                    for c in output.get("ad_copies", [])
                )
            continue
        artifacts.append({"type": "tool_result", "step": step, "tool": tool, "ok": True, **result})
    return artifacts


# --- cancelling ------------------------------------------------------------------------------


def _job_of(session: Session, run: ChatRun) -> Generation | None:
    """The run's job; None once output retention deleted it (the run keeps its last status)."""
    try:
        return generations.get_owned(session, run.user_id, run.job_id)
    except NotFound:
        return None


def cancel_run(session: Session, user_id: uuid.UUID, run_id: uuid.UUID) -> ChatRun:
    """Stop a run: a queued one now; a running one between steps (its worker cancels the
    renders it started that are not done, refunded). 409 once it has ended."""
    run = get_run(session, user_id, run_id)
    job = _job_of(session, run)
    if job is None or job.status in TERMINAL_STATUSES:
        status = job.status if job is not None else run.status
        raise Conflict(f"The chat run already {status}; it cannot be cancelled.")
    generations.cancel(session, job)
    if job.status == "cancelled":  # it was still queued: nothing ran, nothing to refund
        finish(session, run, "cancelled", "Cancelled before it started.", error=None)
    return run


def finish(session: Session, run: ChatRun, status: str, reply: str, *, error: str | None) -> None:
    """Write the run's last state and its assistant message."""
    MessageRepository(session).set_content(run.assistant_message_id, reply)
    RunRepository(session).update_run(run.id, status=status, error=error, completed_at=utcnow())
