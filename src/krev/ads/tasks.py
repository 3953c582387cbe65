"""The ``ad`` pipeline: the copy for every variant (the copywriter), the product scenes from the
image providers (exactly as the ``image`` pipeline gets its pictures, sized to the style's
scene box), and each ad laid out around its scene by the creative engine, checked, encoded as
WebP and stored.

The copy and the palette are decided before any scene is rendered, so that each variant's
layout runs inside the image work's batches (``finish_ad``): with the studio engine, the
variants render and compose side by side on the image thread pool. ``render_ads`` is the
whole of the worker's ad work for a provider that answers at once (the studio engine), with no
queue or database around it: the benchmark times exactly it, and the gallery draws with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from krev.ads import service
from krev.ads.jobs import (
    AdCopyOutput,
    AdJob,
    AdOutput,
    AdVariantOutput,
    Fallback,
    InspirationOutput,
)
from krev.engines.base import ProductCutout
from krev.engines.providers import (
    AdCopy,
    CopyProduct,
    CopyRequest,
    GeneratedImage,
    ImageGenerationRequest,
    ImageGenerator,
)
from krev.engines.studio.ads import (
    AdPalette,
    AdRenderRequest,
    InspirationCues,
    ad_palette,
    compose_ad,
    inspiration_cues,
    scene_box,
)
from krev.engines.studio.ads.styles import AdStyle, style_by_id
from krev.generations.pipelines import (
    JobCancelled,
    JobContext,
    JobOutcome,
    JobWaiting,
    PipelineError,
    register_pipeline,
)
from krev.images import service as images
from krev.images.jobs import Placement, ProductInput
from krev.images.tasks import (
    STANDARD_QUALITY,
    Finish,
    FinishOne,
    PictureOrder,
    ProgressSpan,
    cancel_provider_jobs,
    check_fidelity,
    finish_scene,
    render_batches,
    render_pictures,
)
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.providers import registry
from krev.providers.copywriting import write_ad_copy

WEBP = "image/webp"
# Where the job's progress stands after each step: the copy, then the scenes and their layout.
COPY_DONE = 10
PICTURES_DONE = 95
# The job's state key for the copy, kept while the job waits on a hosted image provider so
# that each poll does not write (or pay an LLM for) the copy again.
COPY_STATE = "ad_copy"


@dataclass(frozen=True)
class CopyResult:
    copies: list[AdCopy]
    engine: str
    fallback_from: str | None = None
    fallback_reason: str | None = None

    def as_state(self) -> dict[str, Any]:
        return {
            "copies": [copy_dict(copy) for copy in self.copies],
            "engine": self.engine,
            "fallback_from": self.fallback_from,
            "fallback_reason": self.fallback_reason,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> CopyResult:
        return cls(
            copies=[AdCopy(**copy) for copy in state["copies"]],
            engine=str(state["engine"]),
            fallback_from=state.get("fallback_from"),
            fallback_reason=state.get("fallback_reason"),
        )


@dataclass(frozen=True)
class AdPlan:
    """Everything each variant is laid out with, decided before any scene is rendered."""

    style: AdStyle
    width: int
    height: int
    box: tuple[int, int, int, int]
    """Where the scene sits in the ad: x, y, width, height."""
    copy: CopyResult
    palette: AdPalette
    density: float
    inspiration: InspirationCues | None = None


@dataclass(frozen=True)
class AdImage:
    """One delivered ad: the encoded WebP and where each product sits in it, checked."""

    webp: bytes
    width: int
    height: int
    boxes: list[tuple[int, int, int, int]]
    fidelity: list[float]


def copy_dict(copy: AdCopy) -> dict[str, str]:
    return AdCopyOutput(
        style_name=copy.style_name,
        hook=copy.hook,
        headline=copy.headline,
        body_copy=copy.body_copy,
        cta=copy.cta,
    ).model_dump()


# --- the plan: copy and palette --------------------------------------------------------------


def copy_request(job: AdJob, style: AdStyle, seed: int) -> CopyRequest:
    return CopyRequest(
        brief=job.brief,
        style_id=style.id,
        style_name=style.name,
        tone=style.tone,
        copy_shape=style.copy_shape,
        products=[copy_product(product) for product in job.products],
        brand_context=job.brand_context,
        count=job.image_count,
        seed=seed,
    )


def copy_product(product: ProductInput) -> CopyProduct:
    return CopyProduct(
        name=product.name or None,
        brand_name=product.brand_name,
        product_name=product.product_name,
        product_type=product.product_type,
        category=product.category,
        colors=list(product.colors),
        materials=list(product.materials),
    )


def write_copy(settings: Settings, job: AdJob, style: AdStyle, seed: int) -> CopyResult:
    """One copy per variant from the configured copywriter (which falls back to the embedded
    one on failure, and says so)."""
    outcome = write_ad_copy(settings, copy_request(job, style, seed))
    if len(outcome.copies) != job.image_count:
        raise PipelineError(
            f"The {outcome.engine} copywriter wrote {len(outcome.copies)} copies where "
            f"{job.image_count} were asked. Your credits were refunded.",
            "copy_failed",
        )
    return CopyResult(
        list(outcome.copies), outcome.engine, outcome.fallback_from, outcome.fallback_reason
    )


def brand_colors(products: Sequence[ProductInput]) -> list[str]:
    """The brand's colors as the catalog measured them: each product's colors, the first
    product's first (its dominant color) first, without repeats."""
    return list(dict.fromkeys(hex_ for product in products for hex_ in product.color_hex))


def inspiration_of(job: AdJob) -> InspirationCues | None:
    if job.inspiration is None:
        return None
    thumbnail = images.decode_reference(job.inspiration)
    return inspiration_cues(np.asarray(thumbnail, dtype=np.uint8))


def plan_ads(job: AdJob, style: AdStyle, copy: CopyResult) -> AdPlan:
    """The scene box, palette and density every variant of the job is laid out with."""
    inspiration = inspiration_of(job)
    palette = ad_palette(style, brand_colors(job.products), job.brand_context, inspiration)
    density = inspiration.density if inspiration is not None else 0.5
    box = scene_box(style, job.width, job.height, product_count=len(job.products))
    return AdPlan(style, job.width, job.height, box, copy, palette, density, inspiration)


# --- each variant ----------------------------------------------------------------------------


def finish_ad(plan: AdPlan) -> FinishOne[AdImage]:
    """What each scene goes through once a provider made it: ``finish_scene`` (size, crop, the
    products' own pixels, their fidelity), then the ad laid out around it, the products checked
    again where they sit in the ad (no text may cover them), and the encode."""

    def finish(image: GeneratedImage, setup: Finish, variant: int, provider: str) -> AdImage:
        scene = finish_scene(image, setup, variant, provider)
        x, y = plan.box[0], plan.box[1]
        boxes = [(bx + x, by + y, bw, bh) for bx, by, bw, bh in scene.boxes]
        rgb = compose_ad(
            AdRenderRequest(
                width=plan.width,
                height=plan.height,
                style=plan.style,
                copy=plan.copy.copies[variant],
                scene=scene.rgb,
                product_boxes=list(scene.boxes),
                palette=plan.palette,
                density=plan.density,
                variant=variant,
            )
        )
        if (rgb.shape[1], rgb.shape[0]) != (plan.width, plan.height):
            raise PipelineError(
                f"The ad layout came out {rgb.shape[1]}x{rgb.shape[0]} where "
                f"{plan.width}x{plan.height} was asked. Your credits were refunded.",
                "layout_failed",
            )
        # The layout must leave every product as the scene showed it: no text over it.
        scores = check_fidelity(rgb, boxes, setup, variant, picture="ad")
        webp = encode_webp(Image.fromarray(rgb, "RGB"), quality=STANDARD_QUALITY)
        return AdImage(webp, plan.width, plan.height, boxes, scores)

    return finish


def render_ads(
    settings: Settings,
    generator: ImageGenerator,
    job: AdJob,
    cutouts: Sequence[ProductCutout],
    seed: int,
) -> tuple[AdPlan, list[AdImage]]:
    """``job``'s ads from ``generator``, a provider that answers at once and lays the products
    out itself (the studio engine), given the products' cutouts: the copy, the plan, and each
    variant's scene, layout, checks and encode on the pipeline's thread pool, as the pipeline
    does them."""
    style = style_by_id(job.style_id)
    if style is None:
        raise LookupError(f"no ad style {job.style_id!r}")
    plan = plan_ads(job, style, write_copy(settings, job, style, seed))
    size = (plan.box[2], plan.box[3])
    finish = Finish(
        asked=size,
        size=size,
        cutouts=list(cutouts),
        canvas=None,
        upscaler=registry.provider(settings, "upscale", registry.engine_of(settings, "upscale")),
        hd_size=None,
        fidelity_threshold=settings.image_fidelity_threshold,
        names=[product.name for product in job.products],
    )
    requests = [
        ImageGenerationRequest(
            prompt=job.scene_prompt,
            width=size[0],
            height=size[1],
            count=1,
            seed=seed,
            first_variant=variant,
            preset=job.preset_id,
            products=list(cutouts),
        )
        for variant in range(job.image_count)
    ]
    ads = render_batches(
        generator, requests, finish, finish_ad(plan), threads=settings.image_render_threads
    )
    return plan, ads


# --- the pipeline ----------------------------------------------------------------------------


def _expected_seconds(params: Mapping[str, Any]) -> float:
    count = int(params.get("image_count") or 1)
    if str(params.get("engine") or "studio") != "studio":
        return 8.0 + count * 4.0  # a model or a hosted provider draws each scene
    # A 4:5 ad in about 0.3 s on the studio engine (bench/RESULTS.md), plus loading the
    # products, the copy and storing the outputs.
    return 1.0 + count * 0.4


@register_pipeline(service.KIND, scope="ads", expected_seconds=_expected_seconds)
def generate_ads(ctx: JobContext) -> JobOutcome:
    try:
        return _generate_ads(ctx)
    except JobCancelled:
        cancel_provider_jobs(ctx)
        raise


def _generate_ads(ctx: JobContext) -> JobOutcome:
    job = AdJob.from_params(dict(ctx.params))
    style = style_by_id(job.style_id)
    if style is None:  # a style a later release dropped, for a job accepted before it
        raise PipelineError(
            f"The ad style '{job.style_id}' is no longer offered. Your credits were refunded.",
            "style_unavailable",
        )
    seed = images.seed_of(ctx.generation_id)
    remembered = ctx.state.get(COPY_STATE)
    copy = (
        CopyResult.from_state(remembered)
        if remembered
        else write_copy(ctx.settings, job, style, seed)
    )
    ctx.progress(COPY_DONE)
    plan = plan_ads(job, style, copy)
    order = PictureOrder(
        engine=job.engine,
        prompt=job.scene_prompt,
        width=plan.box[2],
        height=plan.box[3],
        count=job.image_count,
        products=job.products,
        references=[job.inspiration] if job.inspiration else [],
        preset_id=job.preset_id,
    )
    try:
        engine, ads = render_pictures(
            ctx, order, finish_ad(plan), ProgressSpan(COPY_DONE, PICTURES_DONE)
        )
    except JobWaiting:
        # Checked now, not before: a move to the image fallback remembers a fresh state.
        if COPY_STATE not in ctx.state:
            ctx.remember({**ctx.state, COPY_STATE: copy.as_state()})
        raise
    for ad in ads:
        ctx.save_output(ad.webp, WEBP, "webp")
    return JobOutcome(extra=_output(ctx, job, plan, engine, ads, seed))


def _output(
    ctx: JobContext,
    job: AdJob,
    plan: AdPlan,
    engine: str,
    ads: Sequence[AdImage],
    seed: int,
) -> dict[str, Any]:
    """What GET /api/v1/generations/{id} shows beside the URLs: the copy of each image, the
    style and why it was chosen, who made the scenes and the copy (and any fallback), and where
    each product sits in each ad."""
    ids = [str(product.id) for product in job.products]
    fallbacks = []
    if ctx.state.get("fallback_from"):
        fallbacks.append(
            Fallback(
                capability="image",
                engine=str(ctx.state["fallback_from"]),
                reason=ctx.state.get("fallback_reason"),
            )
        )
    if plan.copy.fallback_from:
        fallbacks.append(
            Fallback(
                capability="copy", engine=plan.copy.fallback_from, reason=plan.copy.fallback_reason
            )
        )
    output = AdOutput(
        engine={"image": engine, "copy": plan.copy.engine},
        fallbacks=fallbacks,
        style_id=plan.style.id,
        style_name=plan.style.name,
        style_chosen_by=job.style_chosen_by,
        ad_copies=[AdCopyOutput(**copy_dict(copy)) for copy in plan.copy.copies],
        aspect_ratio=job.aspect_ratio,
        width=plan.width,
        height=plan.height,
        scene_box=list(plan.box),
        palette=dataclasses.asdict(plan.palette),
        inspiration=(
            InspirationOutput(colors=plan.inspiration.colors, density=plan.inspiration.density)
            if plan.inspiration is not None
            else None
        ),
        scene=job.scene or None,
        product_ids=ids,
        seed=seed,
        variants=[
            AdVariantOutput(
                placements=[
                    Placement(
                        product_id=ids[index] if index < len(ids) else None,
                        box=list(box),
                        fidelity=round(float(score), 4),
                    )
                    for index, (box, score) in enumerate(zip(ad.boxes, ad.fidelity, strict=False))
                ]
            )
            for ad in ads
        ],
    )
    return output.model_dump(mode="json")
