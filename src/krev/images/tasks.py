"""The ``image`` pipeline: load the products' cutouts and the reference thumbnails, render each
variant (on a small thread pool), check that every product stayed faithful to its cutout,
upscale for HD, encode WebP and store the outputs.

``render_variant`` and ``render_variants`` are the whole of the worker's image work with no
queue or database around them; the benchmark times exactly these.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from krev.engines.base import (
    ProductCutout,
    RenderedImage,
    SceneComposer,
    SceneRequest,
    Upscaler,
)
from krev.generations.pipelines import JobContext, JobOutcome, PipelineError, register_pipeline
from krev.images import engines, service
from krev.images.service import ProductInput
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.platform.storage import ObjectNotFound

WEBP = "image/webp"
# Quality 90 for standard sizes. HD pixels are upsampled from a standard render and carry no
# more detail than it does, so 85 keeps the 4K file and its encode time down without visible loss.
STANDARD_QUALITY = 90
HD_QUALITY = 85


class ProductDrifted(PipelineError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "fidelity_check_failed")


@dataclass(frozen=True)
class Variant:
    """One delivered image: what the composer rendered and the encoded WebP."""

    rendered: RenderedImage
    webp: bytes
    width: int
    height: int


def render_variant(
    composer: SceneComposer,
    upscaler: Upscaler,
    request: SceneRequest,
    *,
    hd_size: tuple[int, int] | None,
    fidelity_threshold: float,
    names: Sequence[str] = (),
) -> Variant:
    """Render, check fidelity (before paying for the upscale), upscale to ``hd_size`` (width,
    height) when given, encode."""
    rendered = composer.render(request)
    for placement in rendered.placements:
        if placement.fidelity < fidelity_threshold:
            name = names[placement.index] if placement.index < len(names) else ""
            label = f"'{name}'" if name else f"#{placement.index + 1}"
            raise ProductDrifted(
                f"Product {label} did not stay faithful to its catalog cutout in variant "
                f"{request.variant + 1} (fidelity {placement.fidelity:.3f}, this server "
                f"requires {fidelity_threshold:.2f}); the generation failed and your credits "
                "were refunded."
            )
    if hd_size is None:
        image = Image.fromarray(rendered.rgb, "RGB")
        quality = STANDARD_QUALITY
    else:
        image = Image.fromarray(upscaler.upscale(rendered.rgb, max(hd_size)), "RGB")
        if image.size != hd_size:
            # An upscaler that rounds the short side differently: a pixel or two, resampled.
            image = image.resize(hd_size, Image.Resampling.LANCZOS)
        quality = HD_QUALITY
    webp = encode_webp(image, quality=quality)
    return Variant(rendered=rendered, webp=webp, width=image.width, height=image.height)


def render_variants(
    composer: SceneComposer,
    upscaler: Upscaler,
    requests: Sequence[SceneRequest],
    *,
    hd_size: tuple[int, int] | None,
    fidelity_threshold: float,
    threads: int,
    names: Sequence[str] = (),
    on_done: Callable[[int], None] = lambda _done: None,
) -> list[Variant]:
    """Every variant, in order, rendered concurrently (the composer is thread-safe).

    ``on_done(count)`` runs on the calling thread after each variant finishes; what it raises
    (a cancellation) stops the variants not yet started and propagates, as does the first
    variant's failure.
    """
    if len(requests) == 1 or threads <= 1:
        variants = []
        for request in requests:
            variants.append(
                render_variant(
                    composer,
                    upscaler,
                    request,
                    hd_size=hd_size,
                    fidelity_threshold=fidelity_threshold,
                    names=names,
                )
            )
            on_done(len(variants))
        return variants
    with ThreadPoolExecutor(
        max_workers=min(threads, len(requests)), thread_name_prefix="krev-image"
    ) as pool:
        futures: list[Future[Variant]] = [
            pool.submit(
                render_variant,
                composer,
                upscaler,
                request,
                hd_size=hd_size,
                fidelity_threshold=fidelity_threshold,
                names=names,
            )
            for request in requests
        ]
        try:
            pending: set[Future[Variant]] = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # the first failure propagates
                on_done(len(futures) - len(pending))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return [future.result() for future in futures]


# --- the pipeline ----------------------------------------------------------------------------


def _settings_of(ctx: JobContext) -> Settings:
    # The engine and the fidelity threshold are this worker's settings, which JobContext does
    # not expose; the worker's context carries its runtime (as for product analysis).
    from krev.generations.runner import WorkerJobContext

    if not isinstance(ctx, WorkerJobContext):
        raise PipelineError("Image generation must run in a Krev worker.", "internal_error")
    return ctx.runtime.settings


def _load_cutout(ctx: JobContext, product: ProductInput) -> ProductCutout:
    try:
        data = ctx.storage.get(product.cutout_key)
    except ObjectNotFound as error:
        raise PipelineError(
            f"Product {product.id} was deleted before its image was rendered.", "product_deleted"
        ) from error
    with Image.open(io.BytesIO(data), formats=["WEBP"]) as opened:
        rgba = np.asarray(opened.convert("RGBA"), dtype=np.uint8)
    return ProductCutout(
        rgba=rgba,
        name=product.name,
        product_type=product.product_type,
        category=product.category,
        colors=list(product.colors),
    )


def _expected_seconds(params: Mapping[str, Any]) -> float:
    # The studio engine renders a 1024² image in about 0.15 s and a 4K one in about 1 s
    # (bench/RESULTS.md), plus loading the products and storing the outputs.
    count = int(params.get("image_count") or 1)
    return 1.0 + count * (1.5 if params.get("hd") else 0.3)


@register_pipeline(service.KIND, scope="images", expected_seconds=_expected_seconds)
def generate_images(ctx: JobContext) -> JobOutcome:
    settings = _settings_of(ctx)
    params = ctx.params
    products = [ProductInput.from_params(p) for p in params.get("products") or []]
    cutouts = [_load_cutout(ctx, product) for product in products]
    references = [
        np.asarray(service.decode_reference(text), dtype=np.uint8)
        for text in params.get("references") or []
    ]
    ctx.progress(5)

    seed = service.seed_of(ctx.generation_id)
    count = int(params["image_count"])
    requests = [
        SceneRequest(
            prompt=str(params["prompt"]),
            width=int(params["width"]),
            height=int(params["height"]),
            preset=params.get("preset_id"),
            products=cutouts,
            style_references=references,
            seed=seed,
            variant=variant,
        )
        for variant in range(count)
    ]
    composer = engines.scene_composer(settings)
    variants = render_variants(
        composer,
        engines.upscaler(settings),
        requests,
        hd_size=service.HD_SIZES[str(params["aspect_ratio"])] if params.get("hd") else None,
        fidelity_threshold=settings.image_fidelity_threshold,
        threads=settings.image_render_threads,
        names=[product.name for product in products],
        on_done=lambda done: ctx.progress(5 + 90 * done // count),
    )
    for variant in variants:
        ctx.save_output(variant.webp, WEBP, "webp")
    return JobOutcome(extra=_output(params, composer.name, products, variants, seed))


def _output(
    params: Any,
    engine: str,
    products: Sequence[ProductInput],
    variants: Sequence[Variant],
    seed: int,
) -> dict[str, Any]:
    """What GET /api/v1/generations/{id} shows beside the URLs: what was understood of the
    prompt, and what each variant chose and where it placed each product."""
    return {
        "engine": engine,
        "scene": params.get("scene"),
        "aspect_ratio": params.get("aspect_ratio"),
        "preset_id": params.get("preset_id"),
        "hd": bool(params.get("hd")),
        "width": variants[0].width,
        "height": variants[0].height,
        "product_ids": [str(product.id) for product in products],
        "seed": seed,
        "variants": [
            {
                "scene": variant.rendered.scene,
                "placements": [
                    {
                        "product_id": str(products[p.index].id)
                        if p.index < len(products)
                        else None,
                        "box": list(p.box),
                        "fidelity": round(float(p.fidelity), 4),
                    }
                    for p in variant.rendered.placements
                ],
            }
            for variant in variants
        ],
    }
