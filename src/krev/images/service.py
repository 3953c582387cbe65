"""Image generation rules: sizes and prices, which products and references a request may use,
and accepting the job (reserve, record, enqueue after commit). No HTTP types here."""

from __future__ import annotations

import base64
import functools
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from anyio import to_thread
from PIL import Image
from sqlalchemy.orm import Session

from krev.catalog import service as catalog
from krev.catalog.service import ProductAnalyzing
from krev.engines.base import SceneComposer
from krev.engines.studio.scene.subject import (
    PromptReading,
    SubjectPhrase,
    choose_products,
    left_out,
    read_prompt,
    search_terms,
)
from krev.errors import BadRequest, NotFound
from krev.generations import service as generations
from krev.generations.service import GenerationRecord
from krev.images import engines, presets
from krev.images.jobs import ImageJob, ProductInput
from krev.images.schemas import MAX_PRODUCTS, ImageRequest
from krev.models import Cause, Generation, Product
from krev.platform.config import Settings
from krev.platform.fetch import FetchError
from krev.platform.fetchpool import FetchPool
from krev.platform.imaging import ImageRejected, encode_webp
from krev.platform.queue import TaskQueue
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage
from krev.providers import registry

KIND = "image"

SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "4:3": (1152, 864),
    "3:4": (864, 1152),
}
"""Standard output sizes (width, height) per aspect ratio; HD renders at these and upscales."""

HD_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (4096, 4096),
    "16:9": (4096, 2304),
    "9:16": (2304, 4096),
    "4:3": (4096, 3072),
    "3:4": (3072, 4096),
}
"""HD output sizes: 4096 on the long side, the aspect ratio exact."""

# The studio engine reads only a reference's palette, brightness and contrast, which a
# thumbnail keeps; it travels in the job's parameters, so there is no stored input to orphan.
REFERENCE_SIDE = 256


# --- errors ----------------------------------------------------------------------------------


class ProductUnusable(BadRequest):
    code = "product_unusable"


class SubjectNotRenderable(BadRequest):
    """The prompt asks to show something the image engine cannot draw and the caller's
    catalog does not hold."""

    code = "subject_not_renderable"


class SubjectAmbiguous(BadRequest):
    """The prompt's subject fits several of the caller's products equally well."""

    code = "subject_ambiguous"


MAX_CANDIDATES = 5


class ReferenceImageRejected(BadRequest):
    """A reference image we could not use; its code is the fetcher's or decoder's."""


@functools.cache
def _reference_rejection(code: str) -> type[ReferenceImageRejected]:
    # A reference is input like any other field, so every refusal is a 400 (an image too large
    # is not this request's body being too large), told apart by the fetcher's/decoder's code.
    return type(f"ReferenceImageRejected_{code}", (ReferenceImageRejected,), {"code": code})


# --- sizes and prices ------------------------------------------------------------------------


def output_size(aspect_ratio: str, hd: bool) -> tuple[int, int]:
    """The delivered image's (width, height)."""
    return HD_SIZES[aspect_ratio] if hd else SIZES[aspect_ratio]


def render_size(aspect_ratio: str, hd: bool) -> tuple[int, int]:
    """What the composer renders: the standard size, or for HD the standard long side with
    the HD shape (1344x756 for 16:9, as 1344x768 is not quite 16:9), so that the upscale lands
    on the HD size exactly rather than a few pixels off it."""
    width, height = SIZES[aspect_ratio]
    if not hd:
        return width, height
    hd_width, hd_height = HD_SIZES[aspect_ratio]
    long_side = max(width, height)
    if hd_width >= hd_height:
        return long_side, round(long_side * hd_height / hd_width)
    return round(long_side * hd_width / hd_height), long_side


def cost(settings: Settings, image_count: int, hd: bool) -> int:
    return image_count * (settings.prices.image_hd if hd else settings.prices.image)


def seed_of(generation_id: uuid.UUID) -> int:
    """The render seed: a retried job renders the same pixels, two jobs differ."""
    return int.from_bytes(generation_id.bytes[:4], "big")


# --- what the request may use ----------------------------------------------------------------


def requested_product_ids(body: ImageRequest) -> list[uuid.UUID]:
    """``product_id`` and ``product_ids`` as one list; they may agree, never conflict."""
    ids = list(body.product_ids or [])
    if len(set(ids)) != len(ids):
        repeated = next(str(i) for i in ids if ids.count(i) > 1)
        raise BadRequest(f"product_ids lists {repeated} more than once.")
    if body.product_id is not None:
        if ids and body.product_id not in ids:
            raise BadRequest(
                f"product_id ({body.product_id}) is not one of product_ids; send one or the "
                "other (product_ids alone for a multi-product scene)."
            )
        ids = ids or [body.product_id]
    return ids


def check_preset(composer: SceneComposer, preset_id: str | None) -> None:
    if preset_id is None:
        return
    known = [preset.id for preset in composer.presets()]
    if preset_id not in known:
        raise BadRequest(f"Unknown preset_id '{preset_id}'. Valid presets: {', '.join(known)}.")


def usable_products(
    session: Session,
    user_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
    use: str = "images",
) -> list[ProductInput]:
    """The caller's products, each analysed with a cutout, in the order asked for (``use``
    names what they are for in a refusal: images, ads).

    Another user's product reads as missing. A product uploaded with ``skip_segmentation``
    has no cutout and is refused: placing its whole photo, background and all, into a
    rendered scene would not be the product-faithful image this endpoint promises.
    """
    products: list[Product] = []
    for product_id in product_ids:
        try:
            products.append(catalog.get_owned(session, user_id, product_id))
        except NotFound as missing:
            raise NotFound(f"Product {product_id} not found.") from missing
    states = catalog.job_states(session, products)
    found = []
    for product in products:
        status, error = product.status, product.error
        if status == "analyzing" and product.generation_id in states:
            job_status, job_error = states[product.generation_id]
            if job_status in ("failed", "cancelled"):  # its job ended without reaching it
                status, error = "failed", job_error
        if status == "analyzing":
            raise ProductAnalyzing(
                f"Product {product.id} is still being analyzed; try again once GET "
                "/api/v1/products shows it ready."
            )
        if status != "ready":
            reason = f" ({error.rstrip('.')})" if error else ""
            raise ProductUnusable(
                f"Product {product.id} could not be analyzed{reason}; upload it again to use it."
            )
        if not product.segmented_key:
            raise ProductUnusable(
                f"Product {product.id} has no cutout because it was uploaded with "
                f"skip_segmentation; upload it again without it to use it in {use}."
            )
        metadata = product.metadata_ or {}
        found.append(
            ProductInput(
                id=product.id,
                cutout_key=product.segmented_key,
                name=product.name or "",
                product_type=metadata.get("productType"),
                category=product.category,
                colors=[str(color) for color in metadata.get("colors") or []],
                color_hex=[str(value) for value in metadata.get("color_hex") or []],
                product_name=metadata.get("productName"),
                brand_name=metadata.get("brandName"),
                materials=[str(material) for material in metadata.get("materials") or []],
            )
        )
    return found


# --- the prompt's subject --------------------------------------------------------------------


def engine_renders_subjects(settings: Settings) -> bool:
    """Whether the configured image engine draws what a prompt names from text alone (a
    generative provider); the studio engine draws sets, so a subject must be a product."""
    return registry.image_capabilities(registry.engine_of(settings, "image"), settings).text_only


@dataclass(frozen=True)
class Subject:
    """What the image shows, decided when the job is accepted."""

    products: list[ProductInput]
    text: str | None
    """What the prompt asks to show, when no product was given and it names something."""
    source: Literal["catalog", "prompt"] | None
    """"catalog": the caller's product the prompt named; "prompt": the engine draws it from
    the text; None: products were given, or the prompt names only a set."""


def subject_of(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    body: ImageRequest,
    scene: dict[str, Any],
) -> Subject:
    """The products the image shows and what the prompt asks to show (``subject_for`` with
    the configured image engine)."""
    return subject_for(
        session,
        user_id,
        body.prompt,
        requested_product_ids(body),
        scene,
        renders_subjects=engine_renders_subjects(settings),
    )


def subject_for(
    session: Session,
    user_id: uuid.UUID,
    prompt: str,
    requested: Sequence[uuid.UUID],
    scene: dict[str, Any],
    *,
    renders_subjects: bool,
    use: str = "images",
) -> Subject:
    """The products a render shows and what the prompt asks to show, for an engine that draws
    what a prompt names (``renders_subjects``) or one that draws sets (the studio engines).

    With ``requested`` products they are the subject; whatever else the prompt names that the
    engine cannot draw is left out and listed in ``scene["ignored"]``. Without them, a
    generative engine draws the prompt as written (the catalog is not consulted); the studio
    engine shows the caller's product the prompt names (400 ``subject_ambiguous`` when several
    fit equally, 400 ``subject_not_renderable`` when none does), or only the set when the
    prompt names nothing it does not draw. ``preset_id`` changes none of this. Refusals come
    before anything is reserved or stored."""
    reading = read_prompt(prompt)
    if renders_subjects:
        scene["ignored"] = []  # it draws whatever the prompt names
        if requested:
            return Subject(usable_products(session, user_id, requested, use), None, None)
        return Subject([], reading.subject, "prompt" if reading.subject else None)
    if requested:
        products = usable_products(session, user_id, requested, use)
        shown = [(product.id, product.names()) for product in products]
        unshown = left_out(reading.subjects, shown)
        scene["ignored"] = list(dict.fromkeys([*unshown, *scene.get("ignored", [])]))
        return Subject(products, None, None)
    if not reading.subjects:
        return Subject([], None, None)
    chosen = _catalog_subjects(session, user_id, reading, use)
    return Subject(usable_products(session, user_id, chosen, use), reading.subject, "catalog")


# What a refused subject's message suggests besides uploading the product, per use.
GENERATIVE_ENGINES = {
    "images": "or run Krev with a generative image engine (KREV_IMAGE_ENGINE=diffusers, "
    "openai, fal or replicate) to draw it from the text.",
    "videos": "or send an image of it to animate as source_image.",
}


def _catalog_subjects(
    session: Session, user_id: uuid.UUID, reading: PromptReading, use: str = "images"
) -> list[uuid.UUID]:
    """The caller's product for each subject phrase of the prompt, or the refusal."""

    def find(phrase: SubjectPhrase) -> list[tuple[Product, list[str]]]:
        rows = catalog.ready_products_called(session, user_id, search_terms(phrase))
        return [(row, catalog.names_of(row)) for row in rows]

    choice = choose_products(reading.subjects, find)
    if choice.missing:
        quoted = [f'"{phrase.text}"' for phrase in choice.missing]
        names = " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
        raise SubjectNotRenderable(
            f"The prompt asks to show {names}, which the studio engine cannot draw "
            "(it renders sets and places your catalog products) and which matches none of "
            "your ready products. Either upload the product (POST /api/v1/products) and pass "
            f"its product_id, {GENERATIVE_ENGINES.get(use, GENERATIVE_ENGINES['images'])}",
            extra={"subject": reading.subject},
        )
    if choice.ambiguous is not None:
        phrase, fits = choice.ambiguous
        raise SubjectAmbiguous(
            f'"{phrase.text}" matches {len(fits)} of your products equally well; pass the one '
            "you mean as product_id.",
            extra={
                "subject": phrase.text,
                "candidates": [
                    {"id": str(product.id), "name": product.name}
                    for product in fits[:MAX_CANDIDATES]
                ],
            },
        )
    chosen = list(dict.fromkeys(product.id for product in choice.chosen))
    if len(chosen) > MAX_PRODUCTS:
        raise SubjectNotRenderable(
            f"The prompt names {len(chosen)} of your products; a scene holds at most "
            f"{MAX_PRODUCTS}. Name fewer, or pass product_ids.",
            extra={"subject": reading.subject},
        )
    return chosen


async def read_references(
    settings: Settings,
    fetch_pool: FetchPool,
    user_id: uuid.UUID,
    urls: Sequence[str],
    field: str = "reference_images",
    *,
    indexed: bool = True,
) -> list[str]:
    """Fetch (SSRF-safe, on the fetch pool) and decode each reference, and return them as small
    WebP thumbnails, base64, for the job's parameters. The fetches run side by side, so a slow
    origin costs the time budget once, not once per reference; the first bad one (by
    position) is named, as ``field[index]`` (``field`` alone when not ``indexed``: a field of
    one URL). 429 fetch_concurrency, before any fetch, when the user has too many
    fetches under way."""
    if not urls:
        return []
    remote = [url for url in urls if not catalog.is_data_url(url)]
    fetched = iter(await catalog.fetch_image_urls(fetch_pool, user_id, remote))
    contents = [url if catalog.is_data_url(url) else next(fetched) for url in urls]
    labels = [f"{field}[{index}]" if indexed else field for index in range(len(urls))]
    return await to_thread.run_sync(_thumbnails, settings, contents, labels)


def _thumbnails(
    settings: Settings, contents: Sequence[str | bytes | FetchError], labels: Sequence[str]
) -> list[str]:
    """Each reference (a data: URL, fetched bytes, or why it could not be fetched) as a
    thumbnail; CPU work, off the event loop."""
    encoded = []
    # One at a time, each decoded straight to the thumbnail's size (a JPEG at 1/8 of it where
    # that suffices): a request holds at most one reference at full size.
    for index, content in enumerate(contents):
        try:
            if isinstance(content, FetchError):
                raise content
            decoded = (
                catalog.decode_data_image(settings, content, working_side=REFERENCE_SIDE)
                if isinstance(content, str)
                else catalog.decode_upload(settings, content, working_side=REFERENCE_SIDE)
            )
        except (FetchError, ImageRejected) as error:
            kind = _reference_rejection(error.code)
            raise kind(f"{labels[index]}: {error.message}") from error
        small = decoded.image.convert("RGB")
        small.thumbnail((REFERENCE_SIDE, REFERENCE_SIDE), Image.Resampling.LANCZOS)
        encoded.append(base64.b64encode(encode_webp(small, quality=90)).decode("ascii"))
    return encoded


def decode_reference(text: str) -> Image.Image:
    """A reference thumbnail from the job's parameters, as RGB."""
    with Image.open(io.BytesIO(base64.b64decode(text)), formats=["WEBP"]) as opened:
        return opened.convert("RGB")


# --- accepting -------------------------------------------------------------------------------


async def create_images(
    session: Session, runtime: Runtime, user_id: uuid.UUID, body: ImageRequest, cause: Cause
) -> uuid.UUID:
    """Accept an image job: check the preset, fetch the references, then, in the request's
    transaction, the rest (``accept_images``).

    The references are fetched before the transaction is first used: on SQLite that first use
    takes the database's write lock, which a slow origin must not hold.
    """
    # Off the loop: the first call in a process imports and builds the engine.
    composer = await to_thread.run_sync(engines.scene_composer)
    check_preset(composer, body.preset_id)
    references = await read_references(
        runtime.settings, runtime.fetch_pool, user_id, body.reference_images or []
    )
    return await to_thread.run_sync(
        accept_images, session, runtime, user_id, body, cause, references
    )


def accept_images(
    session: Session,
    runtime: Runtime,
    user_id: uuid.UUID,
    body: ImageRequest,
    cause: Cause,
    references: Sequence[str],
) -> uuid.UUID:
    """In the caller's transaction, its references already read (``read_references``): check
    the preset and the products, read the prompt, reserve the credits and record the job
    (enqueued after commit) as caused by ``cause``. For a caller already off the event loop
    (a chat run's tool), which has nothing to gain from a trip through one."""
    settings = runtime.settings
    composer = engines.scene_composer()
    check_preset(composer, body.preset_id)
    engine = registry.engine_of(settings, "image")
    scene = composer.understand(body.prompt, body.preset_id)
    subject = subject_of(session, settings, user_id, body, scene)
    check_engine_serves(settings, engine, subject.products)
    generation = submit_images(
        session,
        settings,
        runtime.queue,
        user_id=user_id,
        body=body,
        products=subject.products,
        references=references,
        scene=scene,
        cause=cause,
        engine=engine,
        subject=subject.text,
        subject_source=subject.source,
    )
    return generation.id


class EngineCannotRender(BadRequest):
    code = "engine_cannot_render"


def check_engine_serves(settings: Settings, engine: str, products: Sequence[ProductInput]) -> None:
    """Refuse, before anything is charged, what the configured engine cannot deliver (as
    configured: a local diffusion model's files say whether it paints around products)."""
    capabilities = registry.image_capabilities(engine, settings)
    if products and not capabilities.product_scenes:
        raise EngineCannotRender(
            f"The '{engine}' image engine on this server cannot keep a catalog product "
            "faithful in a scene (its model has no inpainting variant); send the prompt "
            "without product_id, or ask the operator for an inpainting model or another "
            "KREV_IMAGE_ENGINE."
        )


def list_presets(settings: Settings) -> list[dict[str, Any]]:
    """The presets ``preset_id`` accepts, each with a description and its thumbnail's URL."""
    return [
        {
            "id": preset.id,
            "description": preset.description,
            "thumbnail_url": f"{settings.base_url}/api/v1/presets/{preset.id}/thumbnail.webp",
        }
        for preset in engines.scene_composer().presets()
    ]


def preset_thumbnail(settings: Settings, preset_id: str) -> bytes:
    """A small rendering of the preset with no product (cached by the engine); 404 for a
    preset that does not exist."""
    data = presets.thumbnail(engines.scene_composer(), preset_id)
    if data is None:
        raise NotFound(f"Preset '{preset_id}' not found.")
    return data


def submit_images(
    session: Session,
    settings: Settings,
    queue: TaskQueue,
    *,
    user_id: uuid.UUID,
    body: ImageRequest,
    products: Sequence[ProductInput],
    references: Sequence[str],
    scene: dict[str, Any],
    cause: Cause,
    engine: str = "studio",
    subject: str | None = None,
    subject_source: Literal["catalog", "prompt"] | None = None,
) -> Generation:
    """Reserve the credits (402 when short), record the job for ``engine`` (the provider chosen
    now, which the worker must have) and enqueue it after commit."""
    width, height = render_size(body.aspect_ratio, body.hd)
    job = ImageJob(
        engine=engine,
        prompt=body.prompt,
        aspect_ratio=body.aspect_ratio,
        width=width,
        height=height,
        hd=body.hd,
        image_count=body.image_count,
        preset_id=body.preset_id,
        products=list(products),
        references=references,
        scene=scene,
        subject=subject,
        subject_source=subject_source,
    )
    return generations.submit(
        session,
        settings,
        queue,
        user_id=user_id,
        kind=KIND,
        params=job.as_params(),
        cost=cost(settings, body.image_count, body.hd),
        cause=cause,
        product_ids=[product.id for product in products],
    )


def result_view(generation: GenerationRecord, storage: Storage, ttl: int) -> dict[str, Any]:
    """The reference's answer to POST /api/v1/images once the job has succeeded."""
    urls = generations.output_urls(generation, storage, ttl)
    return {
        "generation_id": str(generation.id),
        "images": urls,
        "image_count": len(urls),
        "credits_used": generation.credits_used,
    }
