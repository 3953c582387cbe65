"""Ad generation rules: sizes and prices, which style, products and inspiration a request may
use, and accepting the job (reserve, record, enqueue after commit). No HTTP types here.

An ad is a product scene from the image providers (as ``POST /api/v1/images`` renders one,
sized to the style's scene box) with its copy laid out around it; the ``ad`` pipeline
(krev.ads.tasks) makes both. Everything a request could be refused for is checked here, before
anything is charged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from krev.ads import thumbnails
from krev.ads.jobs import AdJob, StyleChoice
from krev.ads.schemas import AdRequest
from krev.engines.studio.ads import AD_SIZES
from krev.engines.studio.ads.styles import STYLES, AdStyle, choose_style, style_by_id
from krev.errors import BadRequest, NotFound
from krev.generations import service as generations
from krev.generations.service import GenerationRecord
from krev.images import engines
from krev.images import service as images
from krev.images.jobs import ProductInput
from krev.models import Cause
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage
from krev.providers import registry

KIND = "ad"

# The studio set each style's scenes start from; the brief's own words (a surface, a light,
# a mood) refine it, as a prompt refines a preset in POST /api/v1/images.
STYLE_PRESETS: dict[str, str] = {
    "performance": "studio_white",
    "minimal_luxe": "marble",
    "bold_offer": "gradient",
    "social_proof": "lifestyle",
    "benefit_stack": "podium",
    "comparison": "concrete",
}
DEFAULT_PRESET = "studio_white"


# --- sizes and prices ------------------------------------------------------------------------


def output_size(aspect_ratio: str) -> tuple[int, int]:
    """The ad's (width, height): Meta's placement size for the aspect ratio."""
    return AD_SIZES[aspect_ratio]


def cost(settings: Settings, image_count: int) -> int:
    return image_count * settings.prices.ad_image


# --- what the request may use ----------------------------------------------------------------


def chosen_style(body: AdRequest) -> tuple[AdStyle, StyleChoice]:
    """The requested style (400 listing the valid ids when there is no such style), or the one
    the brief's words point at."""
    if body.style_id is None:
        return choose_style(body.brief), "brief"
    style = style_by_id(body.style_id)
    if style is None:
        valid = ", ".join(style.id for style in STYLES)
        raise BadRequest(
            f"Unknown style_id '{body.style_id}'. Valid styles: {valid} "
            "(GET /api/v1/ads/styles shows each)."
        )
    return style, "request"


def requested_products(body: AdRequest) -> list[uuid.UUID]:
    ids = list(body.product_ids)
    if len(set(ids)) != len(ids):
        repeated = next(str(i) for i in ids if ids.count(i) > 1)
        raise BadRequest(f"product_ids lists {repeated} more than once.")
    return ids


def scene_prompt(brief: str, products: Sequence[ProductInput] = ()) -> str:
    """What the image provider is asked for: the product scene the ad is laid out around (the
    ad's words are the layout's, so it asks for a photograph, not an ad). The studio engine
    reads the brief's set words (a surface, a light) and leaves the rest; the products' own
    names are taken out first, so that a "water bottle" asks for no water and a "Marble Mug"
    for no marble (the products are in the scene anyway)."""
    names: set[str] = set()
    for product in products:
        own = (product.name, product.product_name, product.brand_name, product.product_type)
        names.update(text for text in own if text)
        if product.product_type:  # "water bottle", "travel mug": the type and its modifier
            names.update(
                match.group(0)
                for match in re.finditer(
                    rf"\b\w+\s+{re.escape(product.product_type)}\b", brief, re.IGNORECASE
                )
            )
    for name in sorted(names, key=len, reverse=True):
        brief = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", brief, flags=re.IGNORECASE)
    return f"Product photograph for an advertisement. {' '.join(brief.split())}"


def check_engine_serves(settings: Settings, engine: str) -> None:
    """Refuse, before anything is charged, an image engine that cannot keep a product faithful
    in a scene: every ad shows the caller's products."""
    if not registry.image_capabilities(engine, settings).product_scenes:
        raise images.EngineCannotRender(
            f"The '{engine}' image engine on this server cannot keep a catalog product "
            "faithful in a scene (its model has no inpainting variant), so it cannot make ads; "
            "ask the operator for an inpainting model or another KREV_IMAGE_ENGINE."
        )


# --- accepting -------------------------------------------------------------------------------


async def create_ad(
    session: Session, runtime: Runtime, user_id: uuid.UUID, body: AdRequest, cause: Cause
) -> uuid.UUID:
    """Accept an ad job: check the style and products asked for, fetch the inspiration image,
    then, in the request's transaction, the rest (``accept_ad``).

    The inspiration image is fetched before the transaction is first used: on SQLite that first
    use takes the database's write lock, which a slow origin must not hold."""
    chosen_style(body)  # refused before anything is fetched
    requested_products(body)
    # Off the loop: the first call in a process imports and builds the engine.
    await to_thread.run_sync(engines.scene_composer)
    inspiration = await read_inspiration(runtime, user_id, body)
    return await to_thread.run_sync(accept_ad, session, runtime, user_id, body, cause, inspiration)


async def read_inspiration(runtime: Runtime, user_id: uuid.UUID, body: AdRequest) -> str | None:
    """The inspiration image fetched and read as a thumbnail (None when there is none)."""
    if body.inspiration_image is None:
        return None
    (thumbnail,) = await images.read_references(
        runtime.settings,
        runtime.fetch_pool,
        user_id,
        [body.inspiration_image],
        "inspiration_image",
        indexed=False,
    )
    return thumbnail


def accept_ad(
    session: Session,
    runtime: Runtime,
    user_id: uuid.UUID,
    body: AdRequest,
    cause: Cause,
    inspiration: str | None,
) -> uuid.UUID:
    """In the caller's transaction, its inspiration already read (``read_inspiration``):
    choose the style, check the products, reserve the credits and record the job (enqueued
    after commit) as caused by ``cause``. For a caller already off the event loop (a chat
    run's tool)."""
    settings = runtime.settings
    style, chosen_by = chosen_style(body)
    product_ids = requested_products(body)
    composer = engines.scene_composer()
    engine = registry.engine_of(settings, "image")
    width, height = output_size(body.aspect_ratio)
    products = images.usable_products(session, user_id, product_ids, use="ads")
    check_engine_serves(settings, engine)
    preset = STYLE_PRESETS.get(style.id, DEFAULT_PRESET)
    prompt = scene_prompt(body.brief, products)
    job = AdJob(
        engine=engine,
        brief=body.brief,
        aspect_ratio=body.aspect_ratio,
        width=width,
        height=height,
        image_count=body.image_count,
        style_id=style.id,
        style_chosen_by=chosen_by,
        preset_id=preset,
        scene_prompt=prompt,
        scene=composer.understand(prompt, preset),
        products=products,
        inspiration=inspiration,
        brand_context=body.brand_context,
    )
    generation = generations.submit(
        session,
        settings,
        runtime.queue,
        user_id=user_id,
        kind=KIND,
        params=job.as_params(),
        cost=cost(settings, body.image_count),
        cause=cause,
        product_ids=[product.id for product in products],
    )
    return generation.id


# --- views -----------------------------------------------------------------------------------


def result_view(generation: GenerationRecord, storage: Storage, ttl: int) -> dict[str, Any]:
    """The reference's answer to POST /api/v1/ads once the job has succeeded: its images, and
    ``ad_copy`` (the first image's) with ``ad_copies`` (each image's, in order)."""
    urls = generations.output_urls(generation, storage, ttl)
    copies = list((generation.output or {}).get("ad_copies") or [])
    return {
        "generation_id": str(generation.id),
        "images": urls,
        "image_count": len(urls),
        "credits_used": generation.credits_used,
        "ad_copy": copies[0] if copies else None,
        "ad_copies": copies,
    }


def list_styles(settings: Settings) -> list[dict[str, Any]]:
    """The styles ``style_id`` accepts, each with a description and its thumbnail's URL."""
    return [
        {
            "id": style.id,
            "name": style.name,
            "description": style.description,
            "thumbnail_url": f"{settings.base_url}/api/v1/ads/styles/{style.id}/thumbnail.webp",
        }
        for style in STYLES
    ]


def style_thumbnail(style_id: str) -> bytes:
    """A small rendering of the style's layout (cached); 404 for a style that does not exist."""
    style = style_by_id(style_id)
    if style is None:
        raise NotFound(f"Ad style '{style_id}' not found.")
    return thumbnails.thumbnail(style)
