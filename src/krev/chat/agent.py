"""A chat run's work, step by step: read the message in its conversation's context, plan (the
embedded planner) or let a tool-calling model work, run the tools, wait for the renders
without holding a worker, then write the reply.

Every step is recorded on the run with the work it did (``krev.chat.tools``): the embedded
plan is recorded with all its steps in one transaction, so a run that a dying worker left is
taken up by the next attempt with none or all of them done, and a planned step is never run
twice. A model's tool
calls are committed one by one, but its loop cannot be resumed half-way (its reasoning is gone
with the worker), so such a run fails cleanly instead: its unfinished renders are cancelled and
refunded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from krev.accounts import service as accounts
from krev.catalog import service as catalog
from krev.chat import service
from krev.chat.repository import MessageRepository, RunRepository
from krev.chat.tools import (
    RunStopped,
    call_tool,
    call_tool_in,
    chat_product,
    fetch_for,
    key_scopes,
)
from krev.engines.chat import (
    TOOLS,
    ChatRequest,
    ConversationContext,
    Plan,
    Planner,
    PriorConcept,
    PriorMedia,
    ToolCall,
    ToolOutcome,
)
from krev.engines.openai_chat import SYSTEM_PROMPT
from krev.engines.providers import ProviderError
from krev.errors import NotFound
from krev.generations import service as generations
from krev.generations.pipelines import JobContext, JobWaiting, PipelineError
from krev.models import ChatRun
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.runtime import Runtime
from krev.providers import registry

log = structlog.get_logger("krev.chat")

CATALOG_PRODUCTS = 200
EMBEDDED = "studio"


@dataclass(frozen=True)
class Finished:
    reply: str
    agent_used: str


def work(runtime: Runtime, ctx: JobContext, run_id: uuid.UUID) -> Finished:
    """Take the run as far as it goes: ``JobWaiting`` while renders are under way,
    ``PipelineError`` when it must stop, else its reply."""
    with runtime.db.transaction(write=False) as session:
        run = _run(session, run_id)
        request = chat_request(session, run)
        # A run woken by its last render reads what its reply needs in this transaction.
        outcomes = _outcomes_when_done(runtime, session, ctx, run) if _nothing_to_run(run) else None
    if outcomes is None:
        run, outcomes = _go_on(runtime, ctx, run, request)
    plan = run.plan or {}
    if plan.get("engine") == EMBEDDED:
        planner: Planner = registry.provider(runtime.settings, "chat", EMBEDDED)
        reply = planner.reply(request, plan_of(plan), outcomes)
    else:
        reply = str(plan.get("reply") or "")
    notes = [str(note) for note in plan.get("run_notes", [])]
    if plan.get("stopped"):
        notes.append(str(plan["stopped"]))
    reply = "\n\n".join(part for part in (reply.strip(), *notes) if part)
    return Finished(reply=reply, agent_used=str(plan.get("agent_used") or run.agent))


def _go_on(
    runtime: Runtime, ctx: JobContext, run: ChatRun, request: ChatRequest
) -> tuple[ChatRun, list[ToolOutcome]]:
    """Plan (unless planned), run the steps left, and wait for the renders: the run as it
    then is and its outcomes for the reply."""
    plan = run.plan if run.plan is not None else _plan(runtime, ctx, run, request)
    if plan.get("engine") == EMBEDDED and not plan.get("stopped"):
        waiting = _run_steps(runtime, ctx, run, plan, record_plan=run.plan is None)
        if waiting is not None:
            raise waiting
    elif plan.get("engine") != EMBEDDED and "reply" not in plan:
        raise PipelineError(
            "The run was interrupted while the model was working (the worker stopped); "
            "renders it had started and not finished were cancelled and refunded. Send the "
            "message again.",
            "run_interrupted",
        )
    with runtime.db.transaction(write=False) as session:
        run = _run(session, run.id)
        return run, _outcomes_when_done(runtime, session, ctx, run)


def _nothing_to_run(run: ChatRun) -> bool:
    """The run's plan is recorded and every step of it done (or the run stopped, or a model
    wrote its reply): what is left is to wait for its renders and reply."""
    plan = run.plan
    if plan is None:
        return False
    if plan.get("engine") != EMBEDDED:
        return "reply" in plan
    return bool(plan.get("stopped")) or len(run.outcomes) >= len(plan.get("steps", []))


def _run(session: Session, run_id: uuid.UUID) -> ChatRun:
    run = RunRepository(session).get(run_id)
    if run is None:
        raise PipelineError("The chat run no longer exists.", "not_found")
    return run


# --- planning --------------------------------------------------------------------------------


def _plan(runtime: Runtime, ctx: JobContext, run: ChatRun, request: ChatRequest) -> dict[str, Any]:
    """Plan with the configured planner (its fallback when it fails before any tool call).
    The embedded planner's plan is returned to be recorded with its steps, in one
    transaction; a model's is recorded as it works (its tool calls commit one by one)."""
    chain = registry.chain(runtime.settings, "chat")
    fell_back: list[str] = []
    for position, engine in enumerate(chain):
        try:
            if engine == EMBEDDED:
                planner: Planner = registry.provider(runtime.settings, "chat", engine)
                return {**plan_json(planner.plan(request)), "run_notes": fell_back}
            ctx.progress(5)  # a model takes seconds: show the run started, see a cancel
            return _model_loop(runtime, ctx, run, request, engine, fell_back)
        except ProviderError as error:
            with runtime.db.transaction(write=False) as session:
                started = bool(_run(session, run.id).outcomes)
            if started or position == len(chain) - 1:
                raise
            log.warning("chat_planner_failed", engine=engine, error=error.message)
            fell_back.append(
                f"(The {engine} planner could not answer: {error.message} The embedded "
                "planner answered instead.)"
            )
    raise AssertionError("a planner chain is never empty")


def _model_loop(
    runtime: Runtime,
    ctx: JobContext,
    run: ChatRun,
    request: ChatRequest,
    engine: str,
    notes: list[str],
) -> dict[str, Any]:
    """A tool-calling model works the message; its tool calls go through ``call_tool`` as the
    embedded plan's do. Marked started first: a later attempt that finds no reply knows the
    loop was cut off and fails cleanly rather than running it twice."""
    _save_plan(runtime, run.id, {"engine": engine, "agent_used": run.agent_used or "asset"})
    agent = registry.provider(runtime.settings, "chat", engine)
    stopped: list[str] = []

    def call(tool_call: ToolCall) -> ToolOutcome:
        ctx.progress(10)  # a cancel is seen between tool calls
        if stopped:
            return ToolOutcome(tool_call, error=stopped[0], error_code="run_stopped")
        try:
            return call_tool(runtime, run, tool_call)
        except RunStopped as stop:
            if stop.code == "key_revoked":
                raise
            stopped.append(stop.message)
            return ToolOutcome(tool_call, error=stop.message, error_code=stop.code)

    transcript = agent.run(
        system_prompt=SYSTEM_PROMPT,
        history=_history(runtime, run),
        message=_model_message(request),
        tools=TOOLS,
        call_tool=call,
    )
    plan: dict[str, Any] = {
        "engine": engine,
        "agent_used": _agent_used(run.agent, request.message),
        "reply": transcript.text,
        "run_notes": [*notes, *transcript.notes],
    }
    if stopped:
        plan["stopped"] = stopped[0]
    _save_plan(runtime, run.id, plan)
    return plan


def _model_message(request: ChatRequest) -> str:
    """The message, with the context the request carried beside it (the products selected by
    id, the reference images), so that the model uses the ids rather than guessing."""
    context = [
        f"Selected product: {p.name} (id {p.id}"
        + (f", {p.product_type}" if p.product_type else "")
        + ")"
        for p in request.selected
    ]
    if request.reference_images:
        context.append(
            f"{len(request.reference_images)} reference image(s) are attached; "
            "generate_images uses them."
        )
    return "\n\n".join([request.message, "\n".join(context)] if context else [request.message])


def _agent_used(agent: str, message: str) -> str:
    if agent != "auto":
        return agent
    lowered = message.lower()
    research_words = ("research", "competitor", "ad library", "what's working", "trend")
    return "discover" if any(word in lowered for word in research_words) else "asset"


def _history(runtime: Runtime, run: ChatRun) -> list[tuple[str, str]]:
    with runtime.db.transaction(write=False) as session:
        messages = MessageRepository(session).of_conversation(run.conversation_id)
    return [
        (message.role, message.content)
        for message in messages
        if message.run_id != run.id and message.content
    ]


def _save_plan(runtime: Runtime, run_id: uuid.UUID, plan: dict[str, Any]) -> None:
    with runtime.db.transaction() as session:
        RunRepository(session).update_run(
            run_id, plan=plan, agent_used=plan.get("agent_used"), status="processing"
        )


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "engine": EMBEDDED,
        "agent_used": plan.agent_used,
        "steps": [{"tool": step.tool, "args": dict(step.args)} for step in plan.steps],
        "notes": list(plan.notes),
    }


def plan_of(stored: dict[str, Any]) -> Plan:
    return Plan(
        agent_used=stored.get("agent_used", "asset"),
        steps=tuple(ToolCall(step["tool"], step["args"]) for step in stored.get("steps", [])),
        notes=tuple(stored.get("notes", [])),
    )


# --- running ---------------------------------------------------------------------------------


def _run_steps(
    runtime: Runtime,
    ctx: JobContext,
    run: ChatRun,
    plan: dict[str, Any],
    *,
    record_plan: bool = False,
) -> JobWaiting | None:
    """The plan's steps not done yet, in one transaction (with the plan, when it was just
    made): a worker that dies part-way leaves none of them done, so the next attempt runs
    them all, once. Each call goes through the public services as an LLM's does; a refused
    one is undone alone and recorded. The key behind the run is checked once, at the start
    (it cannot be revoked meanwhile: the revocation waits for this transaction). The renders
    submitted start together once the transaction has committed, as the same requests sent
    side by side would. What the steps fetch (the Ad Library, a hosted copywriter, images
    to read) is fetched before it: it holds SQLite's write lock. When they submitted
    renders, the run's wait for them is recorded with them and returned, to be raised."""
    steps = plan_of(plan).steps[len(run.outcomes) :]
    if not steps and not record_plan:
        return None
    submitted = len(run.generation_ids)
    fetched = [fetch_for(runtime, run, step) for step in steps]
    with runtime.queue.holding(), runtime.db.transaction() as session:
        locked = RunRepository(session).lock(run.id)
        assert locked is not None
        if record_plan:
            RunRepository(session).update_run(
                run.id, plan=plan, agent_used=plan.get("agent_used"), status="processing"
            )
        try:
            scopes = key_scopes(session, locked) if steps else frozenset[str]()
            for step, got in zip(steps, fetched, strict=True):
                ctx.raise_if_stopped()
                call_tool_in(session, runtime, run.id, step, scopes, got)
        except RunStopped as stop:
            if stop.code == "key_revoked":
                raise PipelineError(stop.message, stop.code) from None
            RunRepository(session).update_run(
                run.id, plan={**plan, "stopped": stop.message}, status="processing"
            )
        done = RunRepository(session).get(run.id)
        if done is None or len(done.generation_ids) == submitted:
            return None
        # With the steps: a cancel (or a lost job) seen here undoes them, renders and
        # their charges with them, before any is let go. The wait is recorded with them
        # too, so no render can end before the run waits, and the run's worker is free for
        # one of them as soon as they commit.
        ctx.progress_in(session, 65)
        return ctx.wait_in(session, runtime.settings.chat_poll_seconds, "renders")


def _outcomes_when_done(
    runtime: Runtime, session: Session, ctx: JobContext, run: ChatRun
) -> list[ToolOutcome]:
    """The run's outcomes for its reply once none of its renders is under way; else come
    back later, holding no worker."""
    states = service.render_states(session, run)
    _wait_for_renders(runtime, session, ctx, run, states)
    return _final_outcomes(run, states)


def _wait_for_renders(
    runtime: Runtime,
    session: Session,
    ctx: JobContext,
    run: ChatRun,
    states: dict[str, generations.JobState],
) -> None:
    """Come back later while any render the run asked for is not done."""
    if not run.generation_ids:
        return
    if accounts.scopes_of_cause(session, run.user_id, run.cause) is None:
        # Revocation is immediate: the renders still under way are stopped.
        raise PipelineError(
            "The API key that started this run was revoked, so the run stopped while its "
            "renders were under way.",
            "key_revoked",
        )
    if not service.renders_done(states):
        done = len(run.generation_ids) - sum(
            1 for state in states.values() if state.status not in TERMINAL_STATUSES
        )
        ctx.progress(65 + 30 * done // len(run.generation_ids))
        raise _waiting_for_renders(runtime, run.id)


def _waiting_for_renders(runtime: Runtime, run_id: uuid.UUID) -> JobWaiting:
    """Come back at the next look, or when the last render wakes the run; a render that
    ended before the wait was recorded is seen once it is (its wake found nothing waiting)."""

    def renders_done() -> bool:
        with runtime.db.transaction(write=False) as session:
            return service.job_to_wake(session, run_id) is not None

    return JobWaiting(runtime.settings.chat_poll_seconds, "renders", ready=renders_done)


def _final_outcomes(run: ChatRun, states: dict[str, generations.JobState]) -> list[ToolOutcome]:
    """The run's outcomes as the reply is written: each render with its final status (and
    its error, when it failed)."""
    outcomes: list[ToolOutcome] = []
    for entry in run.outcomes:
        call = ToolCall(entry["tool"], entry.get("args", {}))
        if entry.get("error"):
            outcomes.append(
                ToolOutcome(call, error=entry["error"], error_code=entry.get("error_code"))
            )
            continue
        result = dict(entry.get("result") or {})
        if "generation_id" in result:
            state = states.get(result["generation_id"])
            if state is None:
                result["status"] = "deleted"
            else:
                result["status"] = state.status
                result["credits_used"] = state.credits_used if state.status == "succeeded" else 0
                if state.error:
                    result["error"] = state.error
        outcomes.append(ToolOutcome(call, result=result))
    return outcomes


# --- stopping --------------------------------------------------------------------------------


def stop(runtime: Runtime, run_id: uuid.UUID, status: str, reply: str) -> None:
    """End the run unsuccessfully: cancel its renders that are not done (a queued one is
    refunded at once, a running one at its next step) and write why in its transcript."""
    with runtime.db.transaction() as session:
        run = RunRepository(session).lock(run_id)
        if run is None:
            return
        cancelled = 0
        for text_id in run.generation_ids:
            try:
                generation = generations.get_owned(session, run.user_id, uuid.UUID(text_id))
            except NotFound:
                continue
            if generation.status not in TERMINAL_STATUSES:
                generations.cancel(session, generation)
                cancelled += 1
        if cancelled:
            reply += f" {cancelled} render(s) not finished were cancelled and refunded."
        service.finish(session, run, status, reply, error=reply if status == "failed" else None)


def succeed(session: Session, run_id: uuid.UUID, finished: Finished) -> None:
    """The reply and the run's end, in the transaction that ends its job."""
    run = RunRepository(session).lock(run_id)
    if run is not None:
        service.finish(session, run, "succeeded", finished.reply, error=None)


# --- the planner's view of the conversation ---------------------------------------------------


def chat_request(session: Session, run: ChatRun) -> ChatRequest:
    """The message with the products it names, the account's catalog, its reference images
    and what the conversation made before (for follow-ups)."""
    selected = []
    for text_id in run.request.get("product_ids", []):
        try:
            selected.append(
                chat_product(catalog.get_owned(session, run.user_id, uuid.UUID(text_id)))
            )
        except NotFound:  # deleted since the message was sent
            continue
    ready = catalog.ready_products_called(session, run.user_id, None)[:CATALOG_PRODUCTS]
    return ChatRequest(
        message=run.request["message"],
        agent=run.agent,  # type: ignore[arg-type]
        selected=tuple(selected),
        catalog=tuple(chat_product(product) for product in ready),
        reference_images=tuple(run.request.get("reference_images", [])),
        context=conversation_context(session, run),
    )


def conversation_context(session: Session, run: ChatRun) -> ConversationContext:
    earlier = [
        other
        for other in RunRepository(session).of_conversation(run.conversation_id)
        if other.id != run.id and other.created_at <= run.created_at
    ]
    concepts: tuple[PriorConcept, ...] = ()
    media: list[PriorMedia] = []
    product_ids: list[str] = []
    for other in earlier:
        product_ids[:0] = list(other.request.get("product_ids", []))
        for entry in other.outcomes:
            result = entry.get("result") or {}
            if entry.get("tool") == "write_concepts" and result.get("concepts"):
                concepts = tuple(_prior_concept(c) for c in result["concepts"])
            if "generation_id" in result:
                media.append(
                    PriorMedia(
                        kind=result.get("kind", "image"),
                        generation_id=result["generation_id"],
                        prompt=str(result.get("prompt") or ""),
                        product_ids=tuple(result.get("product_ids", [])),
                        aspect_ratio=result.get("aspect_ratio"),
                    )
                )
                product_ids[:0] = list(result.get("product_ids", []))
    messages = [
        message.content
        for message in MessageRepository(session).of_conversation(run.conversation_id)
        if message.role == "user" and message.run_id != run.id
    ]
    return ConversationContext(
        concepts=concepts,
        media=tuple(media),
        product_ids=tuple(dict.fromkeys(product_ids)),
        previous_messages=tuple(messages),
    )


def _prior_concept(concept: dict[str, Any]) -> PriorConcept:
    return PriorConcept(
        number=int(concept.get("number", 0)),
        hook=str(concept.get("hook", "")),
        headline=str(concept.get("headline", "")),
        body_copy=str(concept.get("body_copy", "")),
        cta=str(concept.get("cta", "")),
        image_prompt=str(concept.get("image_prompt", "")),
        style_id=str(concept.get("style_id", "")),
        product_ids=tuple(concept.get("product_ids", [])),
    )
