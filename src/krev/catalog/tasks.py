"""The ``product_analysis`` pipeline: load the stored original as a working image (its long side
at most ``KREV_IMAGE_WORKING_SIDE``), remove its background, read its colors and label, store the
cutout (at the working image's size) and mark the product ready (or failed).

Engines are pure; this module is the only place that feeds them the product and persists what
they return.
"""

from __future__ import annotations

import uuid

import numpy as np
import structlog
from PIL import Image

from krev.catalog import service
from krev.catalog.jobs import AnalysisJob
from krev.catalog.repository import ProductRepository
from krev.engines.base import (
    AlphaMask,
    ColorAnalysis,
    ProductAnalyzer,
    ProductMetadata,
    RGBImage,
    Segmenter,
    auto_name,
)
from krev.errors import KrevError
from krev.generations.pipelines import (
    JobCancelled,
    JobContext,
    JobOutcome,
    JobSuperseded,
    PipelineError,
    register_pipeline,
)
from krev.platform.config import Settings
from krev.platform.imaging import decode_stored, encode_webp
from krev.platform.runtime import Runtime
from krev.platform.storage import StoredObject
from krev.providers import registry

log = structlog.get_logger("krev.catalog")

# Analysis reads labels and colors; past this side more pixels only cost time.
ANALYSIS_SIDE = 1024
MAX_LABEL_LINES = 40  # label lines kept with a product for the account's later analyses
UNEXPECTED = "The product analysis failed unexpectedly."


def segmenter_for(settings: Settings) -> Segmenter:
    """The background remover ``KREV_SEGMENT_ENGINE`` names."""
    segmenter: Segmenter = registry.provider(
        settings, "segment", registry.engine_of(settings, "segment")
    )
    return segmenter


def _engines(settings: Settings, capability: str, recorded: str | None) -> list[str]:
    """The engine the job was accepted for (this worker's own for a job stored before engines
    were recorded), then this worker's fallback; engine_unavailable when the worker lacks it."""
    engine = recorded or registry.engine_of(settings, capability)
    if not registry.is_configured(settings, capability, engine):
        log.error("engine_unavailable", capability=capability, engine=engine)
        raise PipelineError(
            f"The '{engine}' {capability} engine this upload was accepted for is not "
            "configured on the worker that ran it.",
            "engine_unavailable",
        )
    fallback = registry.fallback_of(settings, capability)
    return [engine] if fallback in (None, engine) else [engine, str(fallback)]


def _segment(settings: Settings, rgb: RGBImage, names: list[str]) -> AlphaMask:
    """The product's alpha from the job's segmenter, else the fallback; PipelineError when no
    segmenter can run (its model is unusable)."""
    from krev.engines.onnx_segment import SegmentationModelError

    for position, name in enumerate(names):
        try:
            segmenter: Segmenter = registry.provider(settings, "segment", name)
            return segmenter.segment(rgb).alpha
        except (OSError, SegmentationModelError) as error:
            # The details (the server's path, onnxruntime's complaint) are for the operator.
            log.error("segmenter_unavailable", segmenter=name, error=str(error))
            if position + 1 < len(names):
                continue
            raise PipelineError(
                "Background removal is unavailable: the configured segmentation model could "
                "not be loaded.",
                "segmenter_unavailable",
            ) from error
    raise AssertionError("the chain always names an engine")


def _runtime_of(ctx: JobContext) -> Runtime:
    # This pipeline persists into the catalog's own table, which JobContext does not expose;
    # the worker's context carries the runtime.
    from krev.generations.runner import WorkerJobContext

    if not isinstance(ctx, WorkerJobContext):
        raise PipelineError("Product analysis must run in a Krev worker.", "internal_error")
    return ctx.runtime


# The studio engine analyses a photo in about half a second (bench/RESULTS.md); larger
# photos and a busy worker take longer.
@register_pipeline(service.ANALYSIS_KIND, scope="products", expected_seconds=2.0)
def analyze_product(ctx: JobContext) -> JobOutcome:
    runtime = _runtime_of(ctx)
    job = AnalysisJob.from_params(dict(ctx.params))
    product_id = uuid.UUID(job.product_id)
    try:
        return _analyze(ctx, runtime, job, product_id)
    except JobSuperseded:
        raise  # another worker owns the job and the product now
    except JobCancelled:
        _mark_failed(runtime, product_id, "The analysis was cancelled.")
        raise
    except PipelineError as error:
        _mark_failed(runtime, product_id, error.message)
        raise
    except Exception:
        _mark_failed(runtime, product_id, UNEXPECTED)
        raise


def _mark_failed(runtime: Runtime, product_id: uuid.UUID, message: str) -> None:
    with runtime.db.transaction() as session:
        service.fail_analysis(session, product_id, message)


def _analyze(
    ctx: JobContext, runtime: Runtime, job: AnalysisJob, product_id: uuid.UUID
) -> JobOutcome:
    analyzers = _engines(runtime.settings, "analyze", job.analyze_engine)
    segmenters = (
        [] if job.skip_segmentation else _engines(runtime.settings, "segment", job.segment_engine)
    )
    with runtime.db.transaction(write=False) as session:
        product = ProductRepository(session).get(product_id)
        if product is None:
            return JobOutcome(extra={"product_id": str(product_id), "deleted": True})
        user_id, image_key = product.user_id, product.image_key
        # The brands this account has corrected its products to: its own, never another's.
        known_brands = service.known_brands(session, user_id)
        # ... and the label lines read on its other products (a brand recurs, a line rarely).
        catalog_labels = service.catalog_labels(session, user_id, product_id)
    # Never the whole original: a 40 MP upload is analysed, and cut out, at the working size.
    working = decode_stored(
        runtime.storage.get(image_key), working_side=runtime.settings.image_working_side
    ).image
    rgb: RGBImage = np.asarray(working.convert("RGB"), dtype=np.uint8)
    ctx.progress(10)

    alpha: AlphaMask | None = None
    if working.mode == "RGBA":
        # The upload is already a cutout: its own transparency is the product's outline.
        alpha = (np.asarray(working.getchannel("A"), dtype=np.float32) / 255.0).astype(np.float32)
    elif not job.skip_segmentation:
        alpha = _segment(runtime.settings, rgb, segmenters)
    ctx.progress(50)

    metadata, colors, analysis = _read_product(
        runtime.settings, rgb, alpha, analyzers, known_brands, catalog_labels
    )
    ctx.progress(85)

    cutout: StoredObject | None = None
    if alpha is not None and not job.skip_segmentation:
        from krev.engines.studio.cutout import cutout_rgba

        # Edge pixels carry the product's color, not a fringe of the backdrop it was shot on.
        rgba = cutout_rgba(rgb, alpha)
        cutout = runtime.storage.put(
            service.cutout_key(user_id, product_id),
            encode_webp(Image.fromarray(rgba, "RGBA"), quality=90),
            service.WEBP,
        )
    result = service.AnalysisResult(
        metadata={
            "brandName": metadata.brand_name,
            "productName": metadata.product_name,
            "productType": metadata.product_type,
            **service.color_fields(
                metadata.colors, {color.name: color.hex for color in colors.colors}
            ),
            "materials": list(metadata.materials),
            # Not shown by the API: what later analyses of this account compare labels with.
            "labelText": list(metadata.text[:MAX_LABEL_LINES]),
        },
        category=metadata.category,
        auto_name=auto_name(metadata),
    )
    try:
        with runtime.db.transaction() as session:
            applied = service.apply_analysis(session, runtime.settings, product_id, result, cutout)
    except KrevError as error:  # the cutout does not fit the plan's storage
        if cutout is not None:
            runtime.storage.delete(cutout.key)
        raise PipelineError(error.message, error.code) from error
    except BaseException:
        if cutout is not None:
            runtime.storage.delete(cutout.key)
        raise
    if not applied:
        if cutout is not None:
            runtime.storage.delete(cutout.key)  # deleted while it was being analyzed
        # Deleting the product cancelled this job: end it cancelled, not succeeded.
        ctx.progress(99)
        return JobOutcome(extra={"product_id": str(product_id), "deleted": True, **analysis})
    return JobOutcome(extra={"product_id": str(product_id), **analysis})


def _read_product(
    settings: Settings,
    rgb: RGBImage,
    alpha: AlphaMask | None,
    names: list[str],
    known_brands: list[str],
    catalog_labels: list[list[str]],
) -> tuple[ProductMetadata, ColorAnalysis, dict[str, object]]:
    """The metadata, the measured colors (their hex values go into the metadata), and which
    analyzer produced it (recorded in the job's output), told the account's ``known_brands``."""
    from krev.engines.openai_vision import VisionAnalysisError
    from krev.engines.studio.colors import StudioColorAnalyzer

    small_rgb, small_alpha = _downscaled(rgb, alpha, ANALYSIS_SIDE)
    colors: ColorAnalysis = StudioColorAnalyzer().analyze(small_rgb, small_alpha)
    analysis: dict[str, object] = {"analyzer": names[0]}
    try:
        analyzer: ProductAnalyzer = registry.provider(settings, "analyze", names[0])
        metadata = analyzer.analyze(
            small_rgb,
            small_alpha,
            colors,
            known_brands=known_brands,
            catalog_labels=catalog_labels,
        )
    except VisionAnalysisError as error:
        if len(names) < 2:
            raise PipelineError(error.message, "analyzer_unavailable") from error
        # A vision LLM that is down, slow or talking nonsense should not fail the upload: the
        # fallback (by default the embedded analyzer) answers instead, and the job's output
        # says so.
        log.warning("product_analyzer_fallback", analyzer=names[0], error=error.message)
        fallback: ProductAnalyzer = registry.provider(settings, "analyze", names[1])
        metadata = fallback.analyze(
            small_rgb,
            small_alpha,
            colors,
            known_brands=known_brands,
            catalog_labels=catalog_labels,
        )
        analysis = {
            "analyzer": names[1],
            "fallback_from": names[0],
            "fallback_reason": error.message,
        }
    if not metadata.colors:
        names = list(dict.fromkeys(color.name for color in colors.colors))
        metadata = ProductMetadata(
            brand_name=metadata.brand_name,
            product_name=metadata.product_name,
            product_type=metadata.product_type,
            category=metadata.category,
            colors=names,
            materials=list(metadata.materials),
            text=list(metadata.text),
        )
    return metadata, colors, analysis


def _downscaled(
    rgb: RGBImage, alpha: AlphaMask | None, side: int
) -> tuple[RGBImage, AlphaMask | None]:
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return rgb, alpha
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    if alpha is None:
        return small, None
    small_alpha = Image.fromarray(alpha.astype(np.float32), "F").resize(
        size, Image.Resampling.BILINEAR
    )
    return small, np.asarray(small_alpha, dtype=np.float32)
