"""The MCP tools: one per thing a client does with Krev, each a call (or a call and a poll) of
the public API with the caller's key (``krev.mcp.api``).

What every tool returns: the API's ``data`` as JSON text (and as structured content), and for
finished media one small WebP thumbnail per image or video poster (``krev.mcp.media``), after
the text, in the order of the ``thumbnails`` list the text names. Media themselves are links:
signed URLs that expire (``KREV_SIGNED_URL_TTL_SECONDS``).

Errors are tool errors (``isError``) carrying the API's own ``error`` sentence and ``code``
(and the HTTP status): a key without the scope a tool needs gets the API's 403
``insufficient_scope``, bad input its 400, someone else's id its 404. Arguments that do not
fit a tool's schema are refused by the SDK before anything is called.

Long tools (``upload_product``, ``generate_*``, ``start_chat``) submit with ``Prefer:
respond-async``, then poll the job, sending a progress notification whenever its progress
rises, for at most ``wait_seconds`` (default 50, under the 60 s many clients allow a call).
A job still running then is not an error: the result says so and names the id to pass to
``get_generation`` / ``get_chat_run``, which wait the same way when given ``wait_seconds``.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Literal, cast

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import Field

from krev.mcp.api import ApiError, ApiSource, Envelope, KrevApi
from krev.mcp.media import image_content, thumbnail

ACTIVE = ("queued", "processing")
DEFAULT_WAIT_SECONDS = 50
MAX_WAIT_SECONDS = 600
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 2.0
MAX_THUMBNAILS = 8

PRODUCTS = "/api/v1/products"
GENERATIONS = "/api/v1/generations"
CHAT = "/api/v1/chat"

# --- argument types: each a JSON schema with its description -------------------------------

WaitSeconds = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Seconds to wait for the job to finish, with progress notifications, "
        "before returning its id to poll. Keep it under your client's tool-call timeout; 0 "
        "returns at once.",
    ),
]
PollWaitSeconds = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Seconds to wait for the job to end, with progress notifications, before "
        "answering with its state; 0 (the default) answers with its state now.",
    ),
]
ProductId = Annotated[uuid.UUID, Field(description="A product id of yours (list_products).")]
GenerationId = Annotated[
    uuid.UUID,
    Field(description="A generation (job) id, as the generate_* tools and list_generations give."),
]
RunId = Annotated[uuid.UUID, Field(description="A chat run id, as start_chat gives it.")]
Limit = Annotated[int, Field(ge=1, le=100, description="Items per page, 1 to 100.")]
Cursor = Annotated[
    str | None,
    Field(
        max_length=512,
        description="next_cursor of the previous page, as given; leave out for the first page.",
    ),
]
ImageUrl = Annotated[
    str,
    Field(
        min_length=1,
        description="A public http(s) URL of an image (JPG, PNG or WebP), or a base64 data: URL.",
    ),
]
ImageCount = Literal[1, 2, 4]
AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]


# --- results ----------------------------------------------------------------------------------


def _result(data: dict[str, Any], media: list[ContentBlock] | None = None) -> CallToolResult:
    text = TextContent(text=json.dumps(data, ensure_ascii=False))
    return CallToolResult(content=[text, *(media or [])], structured_content=data)


def _error(message: str, code: str, **details: Any) -> CallToolResult:
    body = {"error": message, "code": code, **details}
    text = TextContent(text=f"{message} ({code})")
    return CallToolResult(content=[text], structured_content=body, is_error=True)


def _api_error(error: ApiError) -> CallToolResult:
    return _error(error.message, error.code, status=error.status)


ToolBody = Callable[..., Awaitable[CallToolResult]]


def _refusals_as_tool_errors(body: ToolBody) -> ToolBody:
    """The API's refusals (and an unreachable API) become tool errors with its message."""

    @functools.wraps(body)
    async def tool(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return await body(*args, **kwargs)
        except ApiError as error:
            return _api_error(error)

    return tool


def _source(ctx: Context) -> ApiSource:
    """Where this server's tools send their calls: the MCP server's lifespan state."""
    return cast("ApiSource", ctx.request_context.lifespan_context)


def _api(ctx: Context) -> AbstractAsyncContextManager[KrevApi]:
    return _source(ctx).open(ctx)


def _given(**fields: Any) -> dict[str, Any]:
    """A request's body (or query) without the arguments left out, so the API's defaults
    apply; ids as the strings JSON carries."""
    return {
        name: str(value) if isinstance(value, uuid.UUID) else value
        for name, value in fields.items()
        if value is not None
    }


def _ids(values: list[uuid.UUID] | None) -> list[str] | None:
    return None if values is None else [str(value) for value in values]


def _listing(envelope: Envelope, name: str) -> dict[str, Any]:
    meta = envelope.get("meta") or {}
    return {name: envelope["data"], "next_cursor": meta.get("next_cursor")}


# --- following a job --------------------------------------------------------------------------


async def _follow(
    ctx: Context, read: Callable[[], Awaitable[dict[str, Any]]], wait_seconds: float
) -> dict[str, Any]:
    """Read a job's view until it ends or ``wait_seconds`` pass; a progress notification
    each time its progress rises (MCP wants progress to increase)."""
    deadline = anyio.current_time() + wait_seconds
    delay = FIRST_POLL_SECONDS
    reported = -1
    while True:
        view = await read()
        progress = int(view.get("progress") or 0)
        if progress > reported:
            await ctx.report_progress(progress, 100, _progress_message(view))
            reported = progress
        remaining = deadline - anyio.current_time()
        if view["status"] not in ACTIVE or remaining <= 0:
            return view
        await anyio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, MAX_POLL_SECONDS)


def _progress_message(view: dict[str, Any]) -> str:
    status = str(view["status"])
    position = view.get("queue_position")
    return f"{status}, number {position} in the queue" if position else status


async def _generation(api: KrevApi, generation_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.call("GET", f"{GENERATIONS}/{generation_id}"))["data"]
    return data


async def _run(api: KrevApi, run_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.call("GET", f"{CHAT}/runs/{run_id}"))["data"]
    return data


def _media_urls(generation: dict[str, Any]) -> list[str]:
    """What a finished generation's thumbnails are made from: its images, a video's poster."""
    output = generation.get("output") or {}
    if generation.get("kind") == "video":
        poster = output.get("poster_url")
        return [poster] if isinstance(poster, str) else []
    if generation.get("kind") in ("image", "ad"):
        return [url for url in output.get("urls", []) if isinstance(url, str)]
    return []


async def _thumbnails(api: KrevApi, urls: list[str]) -> tuple[list[str], list[ContentBlock]]:
    """Thumbnails of the first MAX_THUMBNAILS urls that can be read, and which urls they are."""
    made: list[str] = []
    blocks: list[ContentBlock] = []
    for url in urls[:MAX_THUMBNAILS]:
        data = await api.media(url)
        small = None if data is None else await anyio.to_thread.run_sync(thumbnail, data)
        if small is not None:
            made.append(url)
            blocks.append(image_content(small))
    return made, blocks


async def _with_thumbnails(api: KrevApi, data: dict[str, Any], urls: list[str]) -> CallToolResult:
    made, blocks = await _thumbnails(api, urls)
    if made:
        data = {**data, "thumbnails": made}
    return _result(data, blocks)


async def _generation_answer(
    ctx: Context, api: KrevApi, generation_id: str, wait_seconds: float, *, submitted: bool
) -> CallToolResult:
    """A generation followed for ``wait_seconds``: finished with thumbnails, or still running
    with its id to poll. For a tool that submitted it, a failed or cancelled end is the tool's
    error; for get_generation it is the answer."""
    view = await _follow(ctx, lambda: _generation(api, generation_id), wait_seconds)
    status = view["status"]
    if status in ACTIVE:
        note = (
            f"Still {status} after {wait_seconds:g} s: call get_generation with generation_id "
            f"{generation_id} (and wait_seconds) to follow it."
        )
        return _result({**view, "note": note})
    if submitted and status == "failed":
        return _error(
            view.get("error") or "The generation failed.",
            view.get("error_code") or "generation_failed",
            generation=view,
        )
    if submitted and status == "cancelled":
        return _error("The generation was cancelled.", "generation_cancelled", generation=view)
    return await _with_thumbnails(api, view, _media_urls(view))


async def _submitted(
    ctx: Context, path: str, body: dict[str, Any], wait_seconds: float
) -> CallToolResult:
    """POST a job-creating request, then follow the job."""
    async with _api(ctx) as api:
        accepted = await api.call("POST", path, body=body, respond_async=True)
        generation_id = str(accepted["data"]["generation_id"])
        return await _generation_answer(ctx, api, generation_id, wait_seconds, submitted=True)


# --- catalog ----------------------------------------------------------------------------------


@_refusals_as_tool_errors
async def list_products(ctx: Context, limit: Limit = 20, cursor: Cursor = None) -> CallToolResult:
    """List your product catalog, newest first: each product's id, name, category, metadata
    (brand, product line, type, colors, materials), analysis status (analyzing, ready,
    failed) and signed image URLs. Pass next_cursor back as cursor for the next page.
    Needs the products scope."""
    async with _api(ctx) as api:
        envelope = await api.call("GET", PRODUCTS, params={"limit": limit, "cursor": cursor})
        return _result(_listing(envelope, "products"))


@_refusals_as_tool_errors
async def get_product(ctx: Context, product_id: ProductId) -> CallToolResult:
    """One product of yours with a thumbnail of its image. Needs the products scope."""
    async with _api(ctx) as api:
        product = (await api.call("GET", PRODUCTS, params={"id": str(product_id)}))["data"]
        return await _with_thumbnails(api, product, [product["image_url"]])


@_refusals_as_tool_errors
async def upload_product(
    ctx: Context,
    image_url: ImageUrl,
    name: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="Product name; generated from the analysis (brand and product line) "
            "when left out.",
        ),
    ] = None,
    skip_segmentation: Annotated[
        bool, Field(description="Skip background removal (faster; no cutout).")
    ] = False,
    wait_seconds: WaitSeconds = DEFAULT_WAIT_SECONDS,
) -> CallToolResult:
    """Add a product to your catalog from an image: the server fetches it, removes the
    background, reads the label (brand, product line), colors, type and category, and names
    the product. Returns the product when analysed (with a thumbnail), or, still analyzing
    after wait_seconds, its id for get_product. Products are what generate_images,
    generate_video, generate_ads and start_chat put in their scenes. Needs the products
    scope."""
    body = _given(image_url=image_url, name=name, skip_segmentation=skip_segmentation)
    async with _api(ctx) as api:
        product = (await api.call("POST", PRODUCTS, body=body, respond_async=True))["data"]
        generation_id = product.get("generation_id")
        if product.get("status") == "analyzing" and isinstance(generation_id, str):
            await _follow(ctx, lambda: _generation(api, generation_id), wait_seconds)
            found = await api.call("GET", PRODUCTS, params={"id": product["id"]})
            product = {**found["data"], "generation_id": generation_id}
        if product.get("status") == "failed":
            return _error(
                product.get("error") or "The product's analysis failed.",
                "analysis_failed",
                product=product,
            )
        if product.get("status") == "analyzing":
            note = (
                f"Still analyzing after {wait_seconds:g} s: call get_product with product_id "
                f"{product['id']} to see it when ready."
            )
            return _result({**product, "note": note})
        return await _with_thumbnails(api, product, [product["image_url"]])


# --- images, videos, ads ------------------------------------------------------------------


@_refusals_as_tool_errors
async def generate_images(
    ctx: Context,
    prompt: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="The scene: surface, setting, lighting, mood, props. The subject "
            "comes from product_ids (get_capabilities says whether this server also draws "
            "subjects from text alone).",
        ),
    ],
    product_ids: Annotated[
        list[uuid.UUID] | None,
        Field(
            max_length=4,
            description="1 to 4 of your products to place in the scene, kept faithful to "
            "their photos.",
        ),
    ] = None,
    aspect_ratio: Annotated[AspectRatio, Field(description="Shape of the images.")] = "1:1",
    image_count: Annotated[ImageCount, Field(description="Number of variants.")] = 1,
    preset_id: Annotated[
        str | None,
        Field(max_length=64, description="A studio preset id for the styling (list_presets)."),
    ] = None,
    hd: Annotated[
        bool, Field(description="4K output (4096 px on the long side); twice the credits.")
    ] = False,
    reference_images: Annotated[
        list[str] | None,
        Field(
            max_length=4,
            description="Up to 4 image URLs (http(s) or data:) whose palette, brightness and "
            "contrast steer the scene.",
        ),
    ] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT_SECONDS,
) -> CallToolResult:
    """Generate product images (WebP): 40 credits an image, 80 in HD, charged on acceptance
    and refunded if the job fails. Returns the generation with signed image URLs and a
    thumbnail of each, or, still running after wait_seconds, its generation_id for
    get_generation. Needs the images scope."""
    body = _given(
        prompt=prompt,
        product_ids=_ids(product_ids),
        aspect_ratio=aspect_ratio,
        image_count=image_count,
        preset_id=preset_id,
        hd=hd,
        reference_images=reference_images,
    )
    return await _submitted(ctx, "/api/v1/images", body, wait_seconds)


@_refusals_as_tool_errors
async def generate_video(
    ctx: Context,
    prompt: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="The video: scene, camera, mood. Creator-style words (UGC, unboxing, "
            "testimonial) choose a UGC edit with a voice-over.",
        ),
    ],
    product_id: Annotated[
        uuid.UUID | None,
        Field(description="A product of yours for a product-led video (list_products)."),
    ] = None,
    duration: Annotated[
        int, Field(ge=4, le=15, description="Seconds, 4 to 15; 80 credits a second.")
    ] = 5,
    aspect_ratio: Annotated[
        AspectRatio, Field(description="Shape; 1080 px on the short side.")
    ] = "16:9",
    audio_mode: Annotated[
        Literal["auto", "off", "native"],
        Field(
            description="auto: music (and a voice-over for UGC); off: silent; native: the "
            "video model's own audio where it has one."
        ),
    ] = "auto",
    source_image: Annotated[
        str | None,
        Field(description="An image URL (http(s) or data:) to animate instead of a scene."),
    ] = None,
    preset_id: Annotated[
        str | None,
        Field(max_length=64, description="A studio preset id for the scene (list_presets)."),
    ] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT_SECONDS,
) -> CallToolResult:
    """Generate an MP4 video (H.264 + AAC, 24 fps): 80 credits a second, refunded if the job
    fails. Videos take longer than images: expect to follow the returned generation_id with
    get_generation. Once done: the video's signed URL and a thumbnail of its poster. Needs the
    videos scope."""
    body = _given(
        prompt=prompt,
        product_id=product_id,
        duration=duration,
        aspect_ratio=aspect_ratio,
        audio_mode=audio_mode,
        source_image=source_image,
        preset_id=preset_id,
    )
    return await _submitted(ctx, "/api/v1/videos", body, wait_seconds)


@_refusals_as_tool_errors
async def generate_ads(
    ctx: Context,
    brief: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="The creative brief; without style_id its words choose the style.",
        ),
    ],
    product_ids: Annotated[
        list[uuid.UUID],
        Field(min_length=1, max_length=4, description="1 to 4 of your (analysed) products."),
    ],
    aspect_ratio: Annotated[
        Literal["1:1", "4:5", "9:16"],
        Field(description="Meta's placements: 1:1 (1080x1080), 4:5 (1080x1350), 9:16 (1080x1920)."),
    ] = "4:5",
    image_count: Annotated[
        ImageCount, Field(description="Number of ad variants, each with its own copy.")
    ] = 1,
    style_id: Annotated[
        str | None, Field(max_length=64, description="An ad style id (list_ad_styles).")
    ] = None,
    brand_context: Annotated[
        str | None,
        Field(
            max_length=1000,
            description="Brand notes: voice, colors (#rrggbb), claims the copy may make.",
        ),
    ] = None,
    inspiration_image: Annotated[
        str | None,
        Field(
            description="An ad image URL (http(s) or data:) whose palette and density steer the ad."
        ),
    ] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT_SECONDS,
) -> CallToolResult:
    """Generate ad images with copy (hook, headline, body, call to action) at Meta's sizes:
    40 credits an image, refunded if the job fails. Returns the generation with the signed
    WebP URLs (add ?format=png or ?format=jpeg for Ads Manager), each ad's copy and a
    thumbnail of each, or, still running after wait_seconds, its generation_id for
    get_generation. Needs the ads scope."""
    body = _given(
        brief=brief,
        product_ids=_ids(product_ids),
        aspect_ratio=aspect_ratio,
        image_count=image_count,
        style_id=style_id,
        brand_context=brand_context,
        inspiration_image=inspiration_image,
    )
    return await _submitted(ctx, "/api/v1/ads", body, wait_seconds)


@_refusals_as_tool_errors
async def list_ad_styles(ctx: Context) -> CallToolResult:
    """The ad styles generate_ads offers (id, name, description, a thumbnail URL of the
    layout). Needs the ads scope."""
    async with _api(ctx) as api:
        return _result({"styles": (await api.call("GET", "/api/v1/ads/styles"))["data"]})


@_refusals_as_tool_errors
async def list_presets(ctx: Context) -> CallToolResult:
    """The studio presets generate_images and generate_video take as preset_id (id,
    description, a thumbnail URL). Needs the images scope."""
    async with _api(ctx) as api:
        return _result({"presets": (await api.call("GET", "/api/v1/presets"))["data"]})


# --- generations --------------------------------------------------------------------------


@_refusals_as_tool_errors
async def get_generation(
    ctx: Context, generation_id: GenerationId, wait_seconds: PollWaitSeconds = 0
) -> CallToolResult:
    """A generation (job) of yours: kind, status (queued, processing, succeeded, failed,
    cancelled), progress 0-100, queue position, credits, error; once succeeded its signed
    output URLs (a video's poster_url too) and a thumbnail of each image or poster. Give
    wait_seconds to wait for it to end. Polls count in their own, wider rate-limit window."""
    async with _api(ctx) as api:
        return await _generation_answer(ctx, api, str(generation_id), wait_seconds, submitted=False)


@_refusals_as_tool_errors
async def list_generations(
    ctx: Context,
    kind: Annotated[
        str | None,
        Field(
            max_length=64,
            description="Only this kind: image, video, ad, product_analysis or chat (an "
            "unknown kind is refused with the kinds this server runs).",
        ),
    ] = None,
    status: Annotated[
        Literal["queued", "processing", "succeeded", "failed", "cancelled"] | None,
        Field(description="Only generations in this status."),
    ] = None,
    product_id: Annotated[
        uuid.UUID | None,
        Field(description="Only generations made for this product of yours."),
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> CallToolResult:
    """Your generations of the kinds your key's scopes cover, newest first, filtered by kind,
    status and product (filters combine). Pass next_cursor back as cursor for the next
    page."""
    params = _given(kind=kind, status=status, product_id=product_id, limit=limit, cursor=cursor)
    async with _api(ctx) as api:
        envelope = await api.call("GET", GENERATIONS, params=params)
        return _result(_listing(envelope, "generations"))


@_refusals_as_tool_errors
async def cancel_generation(ctx: Context, generation_id: GenerationId) -> CallToolResult:
    """Cancel a queued or running generation of yours; its credits are refunded. A finished
    one cannot be cancelled (the error says so)."""
    async with _api(ctx) as api:
        path = f"{GENERATIONS}/{generation_id}/cancel"
        return _result((await api.call("POST", path))["data"])


# --- chat ---------------------------------------------------------------------------------


def _run_media_urls(run: dict[str, Any]) -> list[str]:
    """Thumbnail sources of a run's media: images and ads, and the poster of each video."""
    generations = {str(g.get("id")): g for g in run.get("generations", [])}
    urls: list[str] = []
    for item in run.get("media", []):
        if item.get("kind") == "video":
            urls.extend(_media_urls(generations.get(str(item.get("generation_id")), {})))
        elif isinstance(item.get("url"), str):
            urls.append(item["url"])
    return list(dict.fromkeys(urls))


async def _run_answer(
    ctx: Context, api: KrevApi, run_id: str, wait_seconds: float, *, started: bool
) -> CallToolResult:
    run = await _follow(ctx, lambda: _run(api, run_id), wait_seconds)
    status = run["status"]
    if status in ACTIVE:
        note = (
            f"Still {status} after {wait_seconds:g} s: call get_chat_run with run_id {run_id} "
            "(and wait_seconds) to follow it."
        )
        return _result({**run, "note": note})
    if started and status == "failed":
        return _error(run.get("error") or "The chat run failed.", "chat_run_failed", run=run)
    if started and status == "cancelled":
        return _error("The chat run was cancelled.", "chat_run_cancelled", run=run)
    return await _with_thumbnails(api, run, _run_media_urls(run))


@_refusals_as_tool_errors
async def start_chat(
    ctx: Context,
    message: Annotated[
        str,
        Field(
            min_length=1,
            max_length=4000,
            description="What you want: ad concepts, copy, images, videos, ads, or research. "
            "Changes to Meta campaigns, ad sets, ads, budgets or accounts are refused.",
        ),
    ],
    conversation_id: Annotated[
        uuid.UUID | None,
        Field(
            description="A conversation to continue (from an earlier start_chat): its concepts "
            "and media are the context of follow-ups such as 'make the second one darker'."
        ),
    ] = None,
    product_ids: Annotated[
        list[uuid.UUID] | None,
        Field(max_length=10, description="Products of yours the run should work with."),
    ] = None,
    agent: Annotated[
        Literal["auto", "asset", "discover"],
        Field(
            description="asset plans and produces creative work; discover researches; auto "
            "picks by intent."
        ),
    ] = "auto",
    max_credits: Annotated[
        int | None,
        Field(
            ge=0,
            description="The most this run may spend on the media it renders (the server's "
            "own per-run budget can only be lowered).",
        ),
    ] = None,
    reference_images: Annotated[
        list[str] | None,
        Field(max_length=4, description="Up to 4 image URLs (http(s) or data:) as references."),
    ] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT_SECONDS,
) -> CallToolResult:
    """Start a creative agent run: it plans from the message (and the conversation so far),
    writes concepts and copy, renders images, videos and ads (charged at their prices,
    within the run's budget) and researches ads. The run itself is free. Returns the run
    when it ends (assistant text, artifacts, media links with thumbnails, credits used), or,
    still running after wait_seconds, its run_id for get_chat_run. Needs the chat scope."""
    body = _given(
        message=message,
        conversation_id=conversation_id,
        product_ids=_ids(product_ids),
        agent=agent,
        max_credits=max_credits,
        reference_images=reference_images,
    )
    async with _api(ctx) as api:
        queued = (await api.call("POST", CHAT, body=body))["data"]
        return await _run_answer(ctx, api, str(queued["run_id"]), wait_seconds, started=True)


@_refusals_as_tool_errors
async def get_chat_run(
    ctx: Context, run_id: RunId, wait_seconds: PollWaitSeconds = 0
) -> CallToolResult:
    """A chat run of yours: status, progress, the agent used, the latest assistant text, the
    transcript, artifacts (concepts, copy, image prompts, research), the generations it
    asked for, media links with thumbnails and credits used. Give wait_seconds to wait for
    it to end. Needs the chat scope."""
    async with _api(ctx) as api:
        return await _run_answer(ctx, api, str(run_id), wait_seconds, started=False)


# --- account ------------------------------------------------------------------------------


@_refusals_as_tool_errors
async def get_credits(ctx: Context) -> CallToolResult:
    """Your plan, credit balance (current, monthly allowance, next reset) and storage used.
    Needs the credits scope."""
    async with _api(ctx) as api:
        return _result((await api.call("GET", "/api/v1/credits"))["data"])


@_refusals_as_tool_errors
async def get_capabilities(ctx: Context) -> CallToolResult:
    """What this server runs: the engines behind images, videos, ads, product analysis and
    chat, and whether a prompt without a product can ask for a subject (text-to-image). Read
    it before generating from text alone."""
    async with _api(ctx) as api:
        return _result((await api.call("GET", "/api/v1/capabilities"))["data"])


# --- the list ---------------------------------------------------------------------------------

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
CREATES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
CANCELS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)

TOOLS: tuple[tuple[ToolBody, str, ToolAnnotations], ...] = (
    (list_products, "List products", READ_ONLY),
    (get_product, "Get a product", READ_ONLY),
    (upload_product, "Upload a product", CREATES),
    (generate_images, "Generate product images", CREATES),
    (generate_video, "Generate a product video", CREATES),
    (generate_ads, "Generate ads", CREATES),
    (list_ad_styles, "List ad styles", READ_ONLY),
    (list_presets, "List studio presets", READ_ONLY),
    (get_generation, "Get a generation", READ_ONLY),
    (list_generations, "List generations", READ_ONLY),
    (cancel_generation, "Cancel a generation", CANCELS),
    (start_chat, "Start a creative agent run", CREATES),
    (get_chat_run, "Get a chat run", READ_ONLY),
    (get_credits, "Get credits", READ_ONLY),
    (get_capabilities, "Get server capabilities", READ_ONLY),
)


@functools.cache
def tools() -> tuple[Tool, ...]:
    """Every tool, built once a process (their schemas are derived from the signatures)."""
    return tuple(
        Tool.from_function(
            body,
            name=body.__name__,
            title=title,
            description=_one_paragraph(body.__doc__ or ""),
            context_kwarg="ctx",
            annotations=annotations,
            structured_output=False,
        )
        for body, title, annotations in TOOLS
    )


def _one_paragraph(doc: str) -> str:
    return " ".join(doc.split())
