"""The chat agent's tools: each calls the service a public endpoint calls, with the same
validation, credit reservation and refunds, on behalf of the key that started the run.

``call_tool`` is the one way in, for the embedded planner's plan and an LLM's tool calls
alike. Before each call it checks again the key (or dashboard session) that started the run:
revoked, the run stops (``RunStopped``); a scope the key lacks is a tool error the agent
reports, and the run goes on. A render that would take the run past its credit budget stops
the run before anything is charged. What a call did is recorded on the run in the same
transaction as the work it submitted, so a run resumed after a worker died neither repeats a
render nor loses one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from krev.accounts import service as accounts
from krev.ads import service as ads
from krev.ads.schemas import AdRequest
from krev.billing.service import credits_view
from krev.catalog import service as catalog
from krev.chat import research
from krev.chat.repository import RunRepository
from krev.engines.chat import MAX_CONCEPTS, ChatProduct, ToolCall, ToolOutcome
from krev.engines.providers import CopyProduct, CopyRequest, ProviderError
from krev.engines.studio.ads.styles import style_by_id
from krev.engines.studio.chat.ideas import concept_ideas, concept_styles
from krev.errors import KrevError, MissingScope
from krev.images import service as images
from krev.images.schemas import ImageRequest
from krev.kit.pagination import PageRequest, cursor_signer
from krev.models import AccountSnapshot, Cause, ChatRun, Product, User
from krev.platform.runtime import Runtime
from krev.providers.copywriting import CopyOutcome, write_ad_copy
from krev.videos import service as videos
from krev.videos.schemas import VideoRequest

log = structlog.get_logger("krev.chat")

TOOL_SCOPES: dict[str, str] = {
    "list_products": "products",
    "get_product": "products",
    "check_credits": "credits",
    "write_concepts": "chat",
    "generate_images": "images",
    "generate_video": "videos",
    "generate_ads": "ads",
    "research_ad_library": "chat",
}
MAX_LISTED_PRODUCTS = 100


class RunStopped(Exception):
    """The run must stop before this call: its key was revoked (``failed``), or the call
    would take it past its credit budget (the run ends, saying so)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Fetched:
    """What a call got from outside this machine before its transaction (``fetch_for``), or
    the error that stopped it, which is reported as the call's outcome."""

    value: Any = None
    error: Exception | None = None

    def get(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


NOTHING_FETCHED = Fetched()


@dataclass(frozen=True)
class ToolEnv:
    """What a tool acts with: the process, the run (locked for the call) and its user, and
    what the call fetched before its transaction."""

    runtime: Runtime
    session: Session
    run: ChatRun
    fetched: Fetched = NOTHING_FETCHED

    @property
    def user_id(self) -> uuid.UUID:
        return self.run.user_id

    @property
    def child_cause(self) -> Cause:
        """What the run's renders are recorded as caused by: ``chat:<run id>``, with the key
        (or session) that started the run."""
        return Cause.chat(
            self.run.id,
            api_key_id=self.run.api_key_id,
            dashboard_session_id=self.run.dashboard_session_id,
        )


@dataclass(frozen=True)
class ToolResult:
    result: dict[str, Any]
    cost: int = 0
    generation_id: uuid.UUID | None = None


Tool = Callable[[ToolEnv, Mapping[str, Any]], ToolResult]
T = TypeVar("T")


def call_tool(runtime: Runtime, run: ChatRun, call: ToolCall) -> ToolOutcome:
    """Run one tool call for the run, in a transaction of its own (what it fetches, before
    it), and record its outcome; ``RunStopped`` when the run must stop before it."""
    fetched = fetch_for(runtime, run, call)
    with runtime.db.transaction() as session:
        return call_tool_in(session, runtime, run.id, call, fetched=fetched)


def call_tool_in(
    session: Session,
    runtime: Runtime,
    run_id: uuid.UUID,
    call: ToolCall,
    scopes: frozenset[str] | None = None,
    fetched: Fetched = NOTHING_FETCHED,
) -> ToolOutcome:
    """Run one tool call in the caller's transaction, with what ``fetch_for`` got for it,
    and record its outcome. A refused call is undone alone (a savepoint) and recorded as
    refused; the calls before it stand. The key behind the run is checked unless its
    ``scopes`` were read in this transaction."""
    run = RunRepository(session).lock(run_id)
    assert run is not None, "a run's job outlives it only when the account is gone"
    tool = _TOOLS.get(call.tool)
    try:
        with session.begin_nested():
            if tool is None:
                raise UnknownTool(f"There is no tool named '{call.tool}'.")
            _check_scope(call, scopes if scopes is not None else key_scopes(session, run, call))
            done = tool(ToolEnv(runtime, session, run, fetched), call.args)
            outcome = ToolOutcome(call, result=done.result)
            _record(session, run, outcome, done)
            return outcome
    except RunStopped:
        raise
    except KrevError as error:
        outcome = ToolOutcome(call, error=error.message, error_code=error.code)
    except ValidationError as error:
        outcome = ToolOutcome(call, error=_invalid(error), error_code="invalid_arguments")
    except ProviderError as error:
        outcome = ToolOutcome(call, error=error.message, error_code=error.code)
    run = RunRepository(session).lock(run_id)  # as it was before the call (savepoint undone)
    assert run is not None
    _record(session, run, outcome, None)
    log.info("chat_tool_refused", run_id=str(run_id), tool=call.tool, code=outcome.error_code)
    return outcome


class UnknownTool(KrevError):
    status = 400
    code = "unknown_tool"


def key_scopes(session: Session, run: ChatRun, call: ToolCall | None = None) -> frozenset[str]:
    """The scopes of the key (or dashboard session) that started the run, now; ``RunStopped``
    when it was revoked: revocation is immediate."""
    scopes = accounts.scopes_of_cause(session, run.user_id, run.cause)
    if scopes is None:
        before = f"before {call.tool.replace('_', ' ')}" if call is not None else "before its steps"
        raise RunStopped(
            f"The API key that started this run was revoked, so the run stopped {before}; "
            "renders it had started and not finished were cancelled and refunded.",
            "key_revoked",
        )
    return scopes


def _check_scope(call: ToolCall, scopes: frozenset[str]) -> None:
    needed = TOOL_SCOPES[call.tool]
    if needed not in scopes:
        raise MissingScope(
            f"The API key that started this run lacks the '{needed}' scope that "
            f"{call.tool.replace('_', ' ')} needs."
        )


def _record(session: Session, run: ChatRun, outcome: ToolOutcome, done: ToolResult | None) -> None:
    entry: dict[str, Any] = {"tool": outcome.call.tool, "args": _shown_args(outcome.call.args)}
    if outcome.ok:
        entry["result"] = dict(outcome.result or {})
    else:
        known = {str(i) for i in run.request.get("product_ids", [])}
        entry.update(error=_redacted(outcome.error or "", known), error_code=outcome.error_code)
        entry["args"] = {k: v for k, v in entry["args"].items() if k not in _ID_ARGUMENTS}
    values: dict[str, Any] = {
        "outcomes": [*run.outcomes, entry],
        "step": run.step + 1,
    }
    if done is not None and done.generation_id is not None:
        values["generation_ids"] = [*run.generation_ids, str(done.generation_id)]
        values["credits_committed"] = run.credits_committed + done.cost
    RunRepository(session).update_run(run.id, **values)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_ID_ARGUMENTS = frozenset({"product_id", "product_ids"})


def _redacted(text: str, known: set[str]) -> str:
    """A refusal as the run shows it: an id the caller did not send in the request (one a
    model made up, or another user's) is not repeated; the refusal's words stay."""
    return _UUID.sub(lambda m: m.group(0) if m.group(0).lower() in known else "(that id)", text)


def _shown_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """A call's arguments as the poll shows them: long values (a data: URL) shortened."""
    return {
        key: (value if not isinstance(value, str) or len(value) <= 500 else value[:500] + "…")
        for key, value in args.items()
    }


def _invalid(error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or 'arguments'}: {item['msg']}"
        for item in error.errors()[:5]
    )
    return f"Invalid arguments: {problems}."


def _budget_check(env: ToolEnv, cost: int, what: str) -> None:
    left = env.run.credit_budget - env.run.credits_committed
    if cost > left:
        raise RunStopped(
            f"Stopped before {what}: it costs {cost} credits and this run may spend {left} "
            f"more (its budget is {env.run.credit_budget}; send max_credits, or ask the "
            "operator about KREV_CHAT_RUN_CREDIT_BUDGET).",
            "run_budget_exceeded",
        )


# --- catalog and credits ---------------------------------------------------------------------


def chat_product(product: Product) -> ChatProduct:
    metadata = product.metadata_ or {}
    colors = metadata.get("colors")
    return ChatProduct(
        id=str(product.id),
        name=product.name or metadata.get("productName") or "Untitled product",
        brand_name=metadata.get("brandName"),
        product_name=metadata.get("productName"),
        product_type=metadata.get("productType"),
        category=product.category,
        colors=tuple(str(c) for c in colors) if isinstance(colors, list) else (),
    )


def _product_summary(product: Product) -> dict[str, Any]:
    summary = chat_product(product)
    return {
        "id": summary.id,
        "name": summary.name,
        "brand_name": summary.brand_name,
        "product_type": summary.product_type,
        "category": summary.category,
        "colors": list(summary.colors),
        "status": product.status,
    }


class _ListArgs(BaseModel, extra="forbid"):
    limit: int = 20


def list_products(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    wanted = min(max(_ListArgs.model_validate(args).limit, 1), MAX_LISTED_PRODUCTS)
    page = catalog.list_owned(env.session, env.user_id, _first_page(env, wanted))
    products = [_product_summary(product) for product in page.items]
    return ToolResult({"products": products, "count": len(products)})


def _first_page(env: ToolEnv, limit: int) -> PageRequest:
    return PageRequest(limit, None, cursor_signer(env.runtime.settings.secret))


class _ProductArgs(BaseModel, extra="forbid"):
    product_id: uuid.UUID


def get_product(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    wanted = _ProductArgs.model_validate(args).product_id
    product = catalog.get_owned(env.session, env.user_id, wanted)
    view = catalog.view(product, env.runtime.storage, env.runtime.settings.signed_url_ttl_seconds)
    return ToolResult({"product": view})


def check_credits(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    user = env.session.get(User, env.user_id)
    assert user is not None
    account = AccountSnapshot.of(user)
    view = credits_view(account, env.runtime.settings.plan(account.plan))
    left = max(0, env.run.credit_budget - env.run.credits_committed)
    return ToolResult(
        {
            "balance": view["credits"]["current"],
            "monthly_credits": view["credits"]["limit"],
            "run_budget_left": left,
            "resets_at": view["resets_at"],
        }
    )


# --- concepts --------------------------------------------------------------------------------


class _ConceptArgs(BaseModel, extra="forbid"):
    count: int
    brief: str
    product_ids: list[uuid.UUID] = []
    style_ids: list[str] = []


def _copy_product(product: ChatProduct) -> CopyProduct:
    return CopyProduct(
        name=product.name,
        brand_name=product.brand_name,
        product_name=product.product_name,
        product_type=product.product_type,
        category=product.category,
        colors=list(product.colors),
    )


def write_concepts(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    """Distinct concepts, each in its own ad style, with copy from the configured copywriter
    (within Meta's limits, written before the call's transaction: ``_write_copy``) and an
    image idea the image engine understands: the same idea the embedded planner planned a
    render of (``krev.engines.studio.chat.ideas``)."""
    wanted = _ConceptArgs.model_validate(args)
    products = _concept_products(env.session, env.user_id, wanted)
    style_ids = _concept_style_ids(wanted)
    ideas = concept_ideas(products[0] if products else None, wanted.brief, style_ids)
    written: list[CopyOutcome] = env.fetched.get()
    concepts: list[dict[str, Any]] = []
    for number, (style_id, idea, copies) in enumerate(
        zip(style_ids, ideas, written, strict=True), start=1
    ):
        style = style_by_id(style_id)
        assert style is not None
        copy = copies.copies[0]
        concepts.append(
            {
                "number": number,
                "style_id": style.id,
                "style_name": style.name,
                "hook": copy.hook,
                "headline": copy.headline,
                "body_copy": copy.body_copy,
                "cta": copy.cta,
                "image_prompt": idea,
                "product_ids": [p.id for p in products],
            }
        )
    engine = written[-1].engine if written else None
    return ToolResult({"concepts": concepts, "copywriter": engine})


def _concept_products(
    session: Session, user_id: uuid.UUID, wanted: _ConceptArgs
) -> list[ChatProduct]:
    return [
        chat_product(catalog.get_owned(session, user_id, product_id))
        for product_id in wanted.product_ids
    ]


def _concept_style_ids(wanted: _ConceptArgs) -> list[str]:
    count = min(max(wanted.count, 1), MAX_CONCEPTS)
    known = [s for s in wanted.style_ids if style_by_id(s) is not None]
    return known[:count] or concept_styles(wanted.brief, count)


def _write_copy(runtime: Runtime, run: ChatRun, args: Mapping[str, Any]) -> list[CopyOutcome]:
    """Each concept's copy, from the configured copywriter (a hosted model, maybe)."""
    wanted = _ConceptArgs.model_validate(args)
    with runtime.db.transaction(write=False) as session:
        products = _concept_products(session, run.user_id, wanted)
    written = []
    for number, style_id in enumerate(_concept_style_ids(wanted), start=1):
        style = style_by_id(style_id)
        assert style is not None
        request = CopyRequest(
            brief=wanted.brief,
            style_id=style.id,
            style_name=style.name,
            tone=style.tone,
            copy_shape=style.copy_shape,
            products=[_copy_product(p) for p in products],
            count=1,
            seed=number,
        )
        written.append(write_ad_copy(runtime.settings, request))
    return written


# --- media -----------------------------------------------------------------------------------


def _references_as_data_urls(run: ChatRun) -> list[str]:
    thumbnails = run.request.get("reference_images") or []
    return [f"data:image/webp;base64,{thumbnail}" for thumbnail in thumbnails]


def _rendering(
    env: ToolEnv,
    accept: Callable[[], uuid.UUID],
    cost: int,
    what: str,
    shown: dict[str, Any],
) -> ToolResult:
    """Accept a render through its endpoint's service once the run's budget allows it; the
    result says what was asked and what it reserved."""
    _budget_check(env, cost, what)
    generation_id = accept()
    result = {"generation_id": str(generation_id), "status": "queued", "credits_reserved": cost}
    return ToolResult({**result, **shown}, cost, generation_id)


def generate_images(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    body = _image_request(env.run, args)
    products = [body.product_id] if body.product_id else body.product_ids or []
    shown = {
        "kind": "image",
        "prompt": body.prompt,
        "aspect_ratio": body.aspect_ratio,
        "image_count": body.image_count,
        "product_ids": [str(i) for i in products],
    }
    cost = images.cost(env.runtime.settings, body.image_count, body.hd)

    def accept() -> uuid.UUID:
        references = env.fetched.get()
        return images.accept_images(
            env.session, env.runtime, env.user_id, body, env.child_cause, references
        )

    return _rendering(env, accept, cost, f"rendering {body.image_count} image(s)", shown)


def _image_request(run: ChatRun, args: Mapping[str, Any]) -> ImageRequest:
    """The call's body for ``POST /api/v1/images``, with the run's reference images unless
    it names its own."""
    given = dict(args)
    if "reference_images" not in given and run.request.get("reference_images"):
        given["reference_images"] = _references_as_data_urls(run)
    return ImageRequest.model_validate(given)


def _read_references(runtime: Runtime, run: ChatRun, args: Mapping[str, Any]) -> list[str]:
    urls = _image_request(run, args).reference_images or []
    if not urls:
        return []
    read = images.read_references
    return _awaited(read, runtime.settings, runtime.fetch_pool, run.user_id, urls)


def generate_video(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    body = VideoRequest.model_validate(dict(args))
    shown = {
        "kind": "video",
        "prompt": body.prompt,
        "aspect_ratio": body.aspect_ratio,
        "duration": body.duration,
        "product_ids": [str(body.product_id)] if body.product_id else [],
    }
    cost = videos.cost(env.runtime.settings, body.duration)

    def accept() -> uuid.UUID:
        route = videos.route_video(env.runtime.settings, body)
        source = env.fetched.get()
        return videos.accept_video(
            env.session, env.runtime, env.user_id, body, env.child_cause, route, source
        )

    return _rendering(env, accept, cost, f"rendering a {body.duration}-second video", shown)


def _read_source(runtime: Runtime, run: ChatRun, args: Mapping[str, Any]) -> str | None:
    route = videos.route_video(runtime.settings, VideoRequest.model_validate(dict(args)))
    if route.source_url is None:
        return None
    return _awaited(videos.read_route_source, runtime, run.user_id, route)


def generate_ads(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    body = AdRequest.model_validate(dict(args))
    shown = {
        "kind": "ad",
        "prompt": body.brief,
        "aspect_ratio": body.aspect_ratio,
        "image_count": body.image_count,
        "product_ids": [str(i) for i in body.product_ids],
    }
    cost = ads.cost(env.runtime.settings, body.image_count)

    def accept() -> uuid.UUID:
        inspiration = env.fetched.get()
        return ads.accept_ad(
            env.session, env.runtime, env.user_id, body, env.child_cause, inspiration
        )

    return _rendering(env, accept, cost, f"rendering {body.image_count} ad image(s)", shown)


def _read_inspiration(runtime: Runtime, run: ChatRun, args: Mapping[str, Any]) -> str | None:
    body = AdRequest.model_validate(dict(args))
    if body.inspiration_image is None:
        return None
    return _awaited(ads.read_inspiration, runtime, run.user_id, body)


def _awaited(read: Callable[..., Awaitable[T]], *args: Any) -> T:
    """A service's fetch (a URL to read), from this worker thread: on an event loop of its
    own, or, when the thread already runs one (an LLM's tool loop calls tools from inside its
    loop), on a thread of its own. Only when there is something to fetch: a trip through an
    event loop and its worker thread costs milliseconds on a busy worker."""
    call = functools.partial(read, *args)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(call)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="krev-chat-tool") as pool:
        return pool.submit(anyio.run, call).result()


# --- research --------------------------------------------------------------------------------


class _ResearchArgs(BaseModel, extra="forbid"):
    search_terms: str
    countries: list[str] = []
    limit: int = 25


def research_ad_library(env: ToolEnv, args: Mapping[str, Any]) -> ToolResult:
    wanted = _ResearchArgs.model_validate(args)
    return ToolResult(
        research.research(env.session, env.user_id, wanted.search_terms, env.fetched.get())
    )


def _search(
    runtime: Runtime, run: ChatRun, args: Mapping[str, Any]
) -> research.LibrarySearch | None:
    wanted = _ResearchArgs.model_validate(args)
    limit = min(max(wanted.limit, 1), 50)
    return research.search_ad_library(
        runtime.settings, wanted.search_terms, wanted.countries, limit
    )


# What a call fetches, before its transaction.
_FETCHES: dict[str, Callable[[Runtime, ChatRun, Mapping[str, Any]], Any]] = {
    "write_concepts": _write_copy,
    "generate_images": _read_references,
    "generate_video": _read_source,
    "generate_ads": _read_inspiration,
    "research_ad_library": _search,
}


def fetch_for(runtime: Runtime, run: ChatRun, call: ToolCall) -> Fetched:
    """What the call needs from outside this machine (Meta's Ad Library, a hosted
    copywriter, an image to read), got before its transaction: on SQLite a write
    transaction holds the database's write lock from its first statement, and a slow API
    must not hold it (every other write would wait). What the call reads to ask (its
    products) is read in a read transaction, which locks nothing, and read again, checked,
    in the call's own."""
    fetch = _FETCHES.get(call.tool)
    if fetch is None:
        return NOTHING_FETCHED
    try:
        return Fetched(fetch(runtime, run, call.args))
    except (KrevError, ValidationError, ProviderError) as error:
        return Fetched(error=error)


_TOOLS: dict[str, Tool] = {
    "list_products": list_products,
    "get_product": get_product,
    "check_credits": check_credits,
    "write_concepts": write_concepts,
    "generate_images": generate_images,
    "generate_video": generate_video,
    "generate_ads": generate_ads,
    "research_ad_library": research_ad_library,
}
