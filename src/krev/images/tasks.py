"""The ``image`` pipeline: whichever provider the job was accepted for makes the pictures; then,
the same for every provider, each picture is decoded and checked, cropped to the output size,
gets the products' own cutouts back (generative providers), passes the fidelity check, is
upscaled for HD, encoded as WebP and stored.

A provider that answers within one call (the studio engine, a local model, an OpenAI-compatible
API) is called on a small thread pool, a batch of variants per call. A hosted queue (fal,
Replicate) is submitted to once per batch, its job ids remembered on the generation before the
first poll, and polled by re-scheduled runs of this pipeline (``JobWaiting``), so waiting holds
no worker thread and a restarted job polls the same jobs instead of paying twice.

``render_variants`` is the whole of the worker's image work for a provider that answers at
once, with no queue or database around it; the benchmark times exactly it.

``render_pictures`` is that work inside a job (the provider the job was accepted for, hosted
queues, retries and the fallback), for any job that needs pictures from the image providers:
the ``image`` pipeline encodes each as a delivered image (``finish_image``); the ``ad``
pipeline takes each scene's pixels (``finish_scene``) and lays its ad out around them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import numpy as np
import structlog
from PIL import Image

from krev.engines.base import ProductCutout, RGBImage, Upscaler
from krev.engines.providers import (
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    ImageGenerator,
    InvalidRequest,
    ProductCanvas,
    ProviderError,
    RemoteImageGenerator,
    is_remote,
)
from krev.engines.studio.scene.canvas import composite_products, product_canvas
from krev.engines.studio.scene.fidelity import product_fidelity
from krev.generations.pipelines import (
    JobCancelled,
    JobContext,
    JobOutcome,
    JobWaiting,
    PipelineError,
    register_pipeline,
)
from krev.images import service
from krev.images.jobs import ImageJob, ImageOutput, Placement, ProductInput, VariantOutput
from krev.platform.config import Settings
from krev.platform.fetch import FetchError, SafeFetcher
from krev.platform.imaging import encode_webp
from krev.platform.storage import ObjectNotFound
from krev.providers import registry

log = structlog.get_logger("krev.images")

WEBP = "image/webp"
# Quality 90 for standard sizes. HD pixels are upsampled from a standard render and carry no
# more detail than it does, so 85 keeps the 4K file and its encode time down without visible loss.
STANDARD_QUALITY = 90
HD_QUALITY = 85
# The longest a transient failure is waited out at once, whatever the provider asks.
MAX_RETRY_DELAY = 300.0


class ProductDrifted(PipelineError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "fidelity_check_failed")


@dataclass(frozen=True)
class Variant:
    """One delivered image: the encoded WebP and what was chosen and checked for it."""

    webp: bytes
    width: int
    height: int
    scene: dict[str, object] | None
    boxes: list[tuple[int, int, int, int]]
    fidelity: list[float]


@dataclass(frozen=True)
class Finish:
    """What every image of a job goes through once a provider made it."""

    asked: tuple[int, int]  # (width, height) asked of the provider
    size: tuple[int, int]  # the render size (the output's, or HD's shape at standard size)
    cutouts: Sequence[ProductCutout]
    canvas: ProductCanvas | None  # the products' layout for a generative provider
    upscaler: Upscaler
    hd_size: tuple[int, int] | None
    fidelity_threshold: float
    names: Sequence[str] = ()
    fetch: Callable[[str], bytes] | None = None
    max_pixels: int = 40_000_000


# --- one image, whoever made it --------------------------------------------------------------


def _decoded(image: GeneratedImage, finish: Finish, provider: str) -> RGBImage:
    if image.rgb is not None:
        return image.rgb
    data = image.data
    if data is None and image.url is not None:
        if finish.fetch is None:
            raise InvalidRequest(
                f"The {provider} engine answered with a URL this worker cannot copy."
            )
        data = finish.fetch(image.url)
    if not data:
        raise InvalidRequest(f"The {provider} engine returned an empty image.")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > finish.max_pixels:
                raise InvalidRequest(f"The {provider} engine returned an oversized image.")
            opened.load()
            return np.asarray(opened.convert("RGB"), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidRequest(
            f"The {provider} engine returned something that is not a whole image."
        ) from error


def _to_size(
    rgb: RGBImage, boxes: list[tuple[int, int, int, int]], size: tuple[int, int]
) -> tuple[RGBImage, list[tuple[int, int, int, int]]]:
    """Centre-crop ``rgb`` to ``size``'s aspect ratio and resize to it; the boxes follow."""
    height, width = rgb.shape[:2]
    out_w, out_h = size
    if (width, height) == (out_w, out_h):
        return rgb, boxes
    crop_w = min(width, round(height * out_w / out_h))
    crop_h = min(height, round(width * out_h / out_w))
    x0, y0 = (width - crop_w) // 2, (height - crop_h) // 2
    cropped = Image.fromarray(rgb[y0 : y0 + crop_h, x0 : x0 + crop_w], "RGB")
    resized = np.asarray(cropped.resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    sx, sy = out_w / crop_w, out_h / crop_h
    moved = []
    for x, y, w, h in boxes:
        nx0, ny0 = max(0, round((x - x0) * sx)), max(0, round((y - y0) * sy))
        nx1 = min(out_w, round((x + w - x0) * sx))
        ny1 = min(out_h, round((y + h - y0) * sy))
        moved.append((nx0, ny0, max(0, nx1 - nx0), max(0, ny1 - ny0)))
    return resized, moved


@dataclass(frozen=True)
class Scene:
    """One picture as a provider made it and the pipeline checked it, at the render size,
    before any upscale or encode."""

    rgb: RGBImage
    scene: dict[str, object] | None
    boxes: list[tuple[int, int, int, int]]
    fidelity: list[float]


T = TypeVar("T")
FinishOne = Callable[[GeneratedImage, Finish, int, str], T]
"""What each picture goes through once a provider made it: (image, finish, variant, provider)."""


def finish_scene(image: GeneratedImage, finish: Finish, variant: int, provider: str) -> Scene:
    """Decode, check the size, crop, put the products back and check their fidelity."""
    rgb = _decoded(image, finish, provider)
    got = (rgb.shape[1], rgb.shape[0])
    if got != finish.asked:
        raise InvalidRequest(
            f"The {provider} engine returned a {got[0]}x{got[1]} image where "
            f"{finish.asked[0]}x{finish.asked[1]} was asked."
        )
    if image.boxes is not None:
        boxes = list(image.boxes)
    else:
        boxes = list(finish.canvas.boxes) if finish.canvas is not None else []
    rgb, boxes = _to_size(rgb, boxes, finish.size)
    if finish.canvas is not None and finish.cutouts:
        # The provider repainted the products a little; their own pixels go back on top.
        rgb = composite_products(rgb, list(finish.cutouts), boxes)
    scores = check_fidelity(rgb, boxes, finish, variant)
    return Scene(rgb, image.scene, boxes, scores)


def finish_image(image: GeneratedImage, finish: Finish, variant: int, provider: str) -> Variant:
    """``finish_scene`` (the fidelity check comes before paying for the upscale), then the
    upscale to HD when asked, and the encode."""
    checked = finish_scene(image, finish, variant, provider)
    rgb = checked.rgb
    if finish.hd_size is None:
        picture = Image.fromarray(rgb, "RGB")
        quality = STANDARD_QUALITY
    else:
        picture = Image.fromarray(finish.upscaler.upscale(rgb, max(finish.hd_size)), "RGB")
        if picture.size != finish.hd_size:
            # An upscaler that rounds the short side differently: a pixel or two, resampled.
            picture = picture.resize(finish.hd_size, Image.Resampling.LANCZOS)
        quality = HD_QUALITY
    webp = encode_webp(picture, quality=quality)
    return Variant(
        webp, picture.width, picture.height, checked.scene, checked.boxes, checked.fidelity
    )


def check_fidelity(
    rgb: RGBImage,
    boxes: list[tuple[int, int, int, int]],
    finish: Finish,
    variant: int,
    picture: str = "variant",
) -> list[float]:
    """Every product in the image compared with its catalog cutout, whoever generated it (and
    whatever was laid around it since); ``picture`` names the image in a refusal."""
    scores = []
    for index, cutout in enumerate(finish.cutouts):
        box = boxes[index] if index < len(boxes) else (0, 0, 0, 0)
        score = product_fidelity(rgb, box, cutout.rgba) if box[2] and box[3] else 0.0
        if score < finish.fidelity_threshold:
            name = finish.names[index] if index < len(finish.names) else ""
            label = f"'{name}'" if name else f"#{index + 1}"
            raise ProductDrifted(
                f"Product {label} did not stay faithful to its catalog cutout in {picture} "
                f"{variant + 1} (fidelity {score:.3f}, this server requires "
                f"{finish.fidelity_threshold:.2f}); the generation failed and your credits "
                "were refunded."
            )
        scores.append(score)
    return scores


# --- providers that answer at once -----------------------------------------------------------


def render_variants(
    generator: ImageGenerator,
    requests: Sequence[ImageGenerationRequest],
    finish: Finish,
    *,
    threads: int,
    on_done: Callable[[int], None] = lambda _done: None,
) -> list[Variant]:
    """Every request's images, in order, generated and finished (``finish_image``)
    concurrently; see ``render_batches``."""
    return render_batches(
        generator, requests, finish, finish_image, threads=threads, on_done=on_done
    )


def render_batches(
    generator: ImageGenerator,
    requests: Sequence[ImageGenerationRequest],
    finish: Finish,
    finish_one: FinishOne[T],
    *,
    threads: int,
    on_done: Callable[[int], None] = lambda _done: None,
) -> list[T]:
    """Every request's images, in order, generated and each passed through ``finish_one``
    concurrently (a batch per request; providers are thread-safe).

    ``on_done(count)`` runs on the calling thread after each batch finishes; what it raises
    (a cancellation) stops the batches not yet started and propagates, as does the first
    batch's failure.
    """

    def batch(request: ImageGenerationRequest) -> list[T]:
        images = generator.generate(request)
        if len(images) != request.count:
            raise InvalidRequest(
                f"The {generator.id} engine returned {len(images)} images where "
                f"{request.count} were asked."
            )
        return [
            finish_one(image, finish, request.first_variant + offset, generator.id)
            for offset, image in enumerate(images)
        ]

    if len(requests) == 1 or threads <= 1:
        finished: list[T] = []
        for request in requests:
            finished.extend(batch(request))
            on_done(len(finished))
        return finished
    with ThreadPoolExecutor(
        max_workers=min(threads, len(requests)), thread_name_prefix="krev-image"
    ) as pool:
        futures: list[Future[list[T]]] = [pool.submit(batch, r) for r in requests]
        try:
            pending: set[Future[list[T]]] = set(futures)
            done_images = 0
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    done_images += len(future.result())  # the first failure propagates
                on_done(done_images)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return [item for future in futures for item in future.result()]


# --- hosted queues ---------------------------------------------------------------------------


def _remote_images(
    ctx: JobContext,
    provider: RemoteImageGenerator,
    requests: Sequence[ImageGenerationRequest],
    span: ProgressSpan,
) -> list[GeneratedImage]:
    """Submit what was not yet submitted (remembering each job id at once), poll the rest;
    ``JobWaiting`` until every job is done.

    ``provider_jobs`` holds one slot per batch, in the requests' order: a job id, or None for a
    batch to submit (again, after the provider failed it transiently)."""
    state = dict(ctx.state)
    slots: list[str | None] = list(state.get("provider_jobs") or [])
    if state.get("provider_engine") != provider.id or len(slots) != len(requests):
        slots = [None] * len(requests)  # nothing submitted yet, or a fallback moved the job
    ctx.progress(span.at(10))  # a cancel stops here; the pipeline cancels the remembered jobs
    for index, request in enumerate(requests):
        if slots[index] is None:
            slots[index] = provider.submit(request)
            state.update(provider_engine=provider.id, provider_jobs=slots)
            ctx.remember(state)  # before the first poll: a restart polls it, never pays twice
    images: list[GeneratedImage] = []
    waits: list[float] = []
    for index, job_id in enumerate(slots):
        assert job_id is not None  # every slot was submitted above
        status = provider.poll(job_id)
        if status.state == "pending":
            waits.append(status.poll_after or ctx.settings.provider_poll_seconds)
        elif status.state == "succeeded":
            images.extend(status.images)
        elif status.state == "cancelled":
            raise PipelineError(
                f"The {provider.id} engine cancelled the job. Your credits were refunded.",
                "provider_cancelled",
            )
        else:
            error = status.error or InvalidRequest(f"The {provider.id} engine failed the job.")
            if error.transient:  # that batch alone is submitted again on the retry
                slots[index] = None
                state["provider_jobs"] = slots
                ctx.remember(state)
            raise error
    if state.get("retries"):
        state["retries"] = 0  # the provider answers again
        ctx.remember(state)
    if waits:
        done = len(slots) - len(waits)
        ctx.progress(span.at(10 + 70 * done // max(1, len(slots))))
        raise JobWaiting(min(waits), "provider_poll")
    return images


def _cancel_all(provider: RemoteImageGenerator, jobs: Sequence[str]) -> None:
    for job_id in jobs:
        try:
            provider.cancel(job_id)
        except ProviderError as error:
            log.warning("provider_cancel_failed", provider=provider.id, error=error.message)


# --- the pipeline ----------------------------------------------------------------------------


def load_cutout(ctx: JobContext, product: ProductInput) -> ProductCutout:
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
        color_hex=list(product.color_hex),  # engines read the hex, never the names
    )


def _expected_seconds(params: Mapping[str, Any]) -> float:
    count = int(params.get("image_count") or 1)
    if str(params.get("engine") or "studio") != "studio":
        # A model or a hosted provider: seconds per image, whatever our side adds.
        return 8.0 + count * 4.0
    # The studio engine renders a 1024² image in about 0.15 s and a 4K one in about 1 s
    # (bench/RESULTS.md), plus loading the products and storing the outputs.
    return 1.0 + count * (1.5 if params.get("hd") else 0.3)


def provider_size(capabilities: ImageCapabilities, width: int, height: int) -> tuple[int, int]:
    """The size to ask of a provider for a ``width`` x ``height`` output: the same, or of the
    sizes it offers, the nearest in aspect ratio (then the largest)."""
    if not capabilities.sizes:
        return width, height
    target = math.log(width / height)
    return min(
        capabilities.sizes, key=lambda s: (abs(math.log(s[0] / s[1]) - target), -s[0] * s[1])
    )


def _require_engine(settings: Settings, engine: str) -> None:
    """The job's engine must be configured on this worker: it is never swapped for another."""
    try:
        missing = registry.spec("image", engine).missing(settings)
    except LookupError:
        missing = [f"this worker has no {engine!r} image engine"]
    if missing:
        log.error("engine_unavailable", engine=engine, missing=missing)
        raise PipelineError(
            f"The '{engine}' image engine this job was accepted for is not configured on the "
            "worker that ran it. Your credits were refunded.",
            "engine_unavailable",
        )


def _fetcher(settings: Settings) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        # Provider URLs are copied at once (they expire), through the same guard as users'.
        with SafeFetcher(
            max_bytes=settings.max_image_bytes,
            timeout=settings.fetch_timeout_seconds,
            allow_loopback=settings.fetch_allow_loopback,
            allowlist=settings.fetch_allowlist,
        ) as fetcher:
            try:
                return fetcher.fetch(url).content
            except FetchError as error:
                raise InvalidRequest(
                    f"The engine's result could not be copied ({error.message.rstrip('.')}); "
                    "it may have expired."
                ) from error

    return fetch


@dataclass(frozen=True)
class PictureOrder:
    """Pictures a job asks of the image providers, whichever kind of job it is."""

    engine: str
    """The provider chosen when the job was accepted (a fallback recorded in the job's state
    overrides it)."""
    prompt: str
    width: int
    height: int
    """The render size: every picture is delivered at exactly this size."""
    count: int
    products: Sequence[ProductInput] = ()
    references: Sequence[str] = ()
    """Style references, WebP thumbnails in base64 (``service.decode_reference``)."""
    preset_id: str | None = None
    hd_size: tuple[int, int] | None = None
    subject: str | None = None
    """What a text-only prompt asks to show, which only a generative engine can draw."""


@dataclass(frozen=True)
class ProgressSpan:
    """Where the picture work sits in the job's 0-100 progress."""

    start: int = 0
    end: int = 100

    def at(self, percent: int) -> int:
        return self.start + (self.end - self.start) * percent // 100


def _requests(
    order: PictureOrder,
    capabilities: ImageCapabilities,
    size: tuple[int, int],
    seed: int,
    cutouts: list[ProductCutout],
    references: list[RGBImage],
    canvas: ProductCanvas | None,
) -> list[ImageGenerationRequest]:
    per_call = max(1, capabilities.max_count)
    return [
        ImageGenerationRequest(
            prompt=order.prompt,
            width=size[0],
            height=size[1],
            count=min(per_call, order.count - first),
            seed=seed,
            first_variant=first,
            preset=order.preset_id,
            products=cutouts,
            canvas=canvas,
            style_references=references,
        )
        for first in range(0, order.count, per_call)
    ]


def cancel_provider_jobs(ctx: JobContext) -> None:
    """Cancel at the provider the hosted jobs this generation remembered, so a cancelled
    generation stops the provider's work (and its bill) whichever step noticed the cancel."""
    jobs = [str(job_id) for job_id in ctx.state.get("provider_jobs") or [] if job_id]
    engine = ctx.state.get("provider_engine")
    if not jobs or not engine:
        return
    provider = registry.provider(ctx.settings, "image", str(engine))
    if is_remote(provider):
        _cancel_all(provider, jobs)


def render_pictures(
    ctx: JobContext,
    order: PictureOrder,
    finish_one: FinishOne[T],
    span: ProgressSpan = ProgressSpan(),
) -> tuple[str, list[T]]:
    """The order's pictures from the provider the job was accepted for (or the fallback it
    moved to), each passed through ``finish_one``, in order; and which engine made them.

    Raises ``JobWaiting`` while a hosted queue works or a transient failure waits out its
    backoff (the job runs again, and this is called again), and ``PipelineError`` for what
    fails the job. A caller that catches ``JobCancelled`` calls ``cancel_provider_jobs``."""
    settings = ctx.settings
    engine = str(ctx.state.get("engine") or order.engine)
    _require_engine(settings, engine)
    capabilities = registry.image_capabilities(engine, settings)
    if order.subject and not order.products and not capabilities.text_only:
        # Only a fallback gets here: the job was accepted for an engine that draws subjects.
        raise PipelineError(
            f"The '{engine}' engine this job fell back to cannot draw '{order.subject}'. "
            "Your credits were refunded.",
            "subject_not_renderable",
        )
    cutouts = [load_cutout(ctx, product) for product in order.products]
    references = [
        np.asarray(service.decode_reference(text), dtype=np.uint8) for text in order.references
    ]
    ctx.progress(span.at(5))

    seed = service.seed_of(ctx.generation_id)
    asked = provider_size(capabilities, order.width, order.height)
    # The studio engine lays products out in its own set; a generative one paints around them.
    canvas = product_canvas(cutouts, *asked) if cutouts and engine != "studio" else None
    finish = Finish(
        asked=asked,
        size=(order.width, order.height),
        cutouts=cutouts,
        canvas=canvas,
        upscaler=registry.provider(settings, "upscale", registry.engine_of(settings, "upscale")),
        hd_size=order.hd_size,
        fidelity_threshold=settings.image_fidelity_threshold,
        names=[product.name for product in order.products],
        fetch=_fetcher(settings),
        max_pixels=settings.max_image_pixels,
    )
    requests = _requests(order, capabilities, asked, seed, cutouts, references, canvas)
    provider = registry.provider(settings, "image", engine)
    try:
        if is_remote(provider):
            images = _remote_images(ctx, provider, requests, span)
            if len(images) != order.count:
                raise InvalidRequest(
                    f"The {engine} engine returned {len(images)} images where "
                    f"{order.count} were asked."
                )
            finished = []
            for index, image in enumerate(images):
                finished.append(finish_one(image, finish, index, engine))
                ctx.progress(span.at(80 + 15 * (index + 1) // len(images)))
        else:
            finished = render_batches(
                provider,
                requests,
                finish,
                finish_one,
                threads=settings.image_render_threads,
                on_done=lambda done: ctx.progress(span.at(5 + 90 * done // order.count)),
            )
    except ProviderError as error:
        _retry_or_fail(ctx, engine, error)
    return engine, finished


@register_pipeline(service.KIND, scope="images", expected_seconds=_expected_seconds)
def generate_images(ctx: JobContext) -> JobOutcome:
    try:
        return _generate_images(ctx)
    except JobCancelled:
        cancel_provider_jobs(ctx)
        raise


def _generate_images(ctx: JobContext) -> JobOutcome:
    job = ImageJob.from_params(dict(ctx.params))
    order = PictureOrder(
        engine=job.engine,
        prompt=job.prompt,
        width=job.width,
        height=job.height,
        count=job.image_count,
        products=job.products,
        references=job.references,
        preset_id=job.preset_id,
        hd_size=service.HD_SIZES[job.aspect_ratio] if job.hd else None,
        subject=job.subject if job.text_only else None,
    )
    engine, variants = render_pictures(ctx, order, finish_image)
    for variant in variants:
        ctx.save_output(variant.webp, WEBP, "webp")
    return JobOutcome(extra=_output(ctx, job, engine, variants, service.seed_of(ctx.generation_id)))


def _retry_or_fail(ctx: JobContext, engine: str, error: ProviderError) -> NoReturn:
    """A transient failure waits and runs again (backoff within the deadline, JobWaiting); one
    that keeps failing moves the job to the image fallback once, if one is set; anything else
    fails the job, refunded."""
    settings = ctx.settings
    state = dict(ctx.state)
    retries = int(state.get("retries") or 0)
    log.info("provider_error", engine=engine, code=error.code, transient=error.transient)
    if error.transient and retries < settings.provider_max_retries:
        delay = error.retry_after
        if delay is None:
            delay = settings.provider_retry_base_seconds * 2**retries
        state["retries"] = retries + 1
        ctx.remember(state)
        raise JobWaiting(min(MAX_RETRY_DELAY, max(0.0, delay)), f"retry:{error.code}")
    fallback = registry.fallback_of(settings, "image")
    if error.transient and fallback and fallback != engine and not state.get("fallback_from"):
        cancel_provider_jobs(ctx)  # what the first engine still has queued is not waited for
        ctx.remember(
            {"engine": fallback, "fallback_from": engine, "fallback_reason": error.message}
        )
        raise JobWaiting(0.0, "fallback")
    raise PipelineError(f"{error.message} Your credits were refunded.", error.code) from error


def _output(
    ctx: JobContext, job: ImageJob, engine: str, variants: Sequence[Variant], seed: int
) -> dict[str, Any]:
    """What GET /api/v1/generations/{id} shows beside the URLs: the engine, what was understood
    of the prompt, and what each variant chose and where it placed each product."""
    ids = [str(product.id) for product in job.products]
    output = ImageOutput(
        engine=engine,
        fallback_from=ctx.state.get("fallback_from"),
        fallback_reason=ctx.state.get("fallback_reason"),
        scene=job.scene or None,
        subject=job.subject,
        subject_source=job.subject_source
        or (("prompt" if job.text_only else None) if job.subject else None),
        aspect_ratio=job.aspect_ratio,
        preset_id=job.preset_id,
        hd=job.hd,
        width=variants[0].width,
        height=variants[0].height,
        product_ids=ids,
        seed=seed,
        variants=[
            VariantOutput(
                scene=variant.scene,
                placements=[
                    Placement(
                        product_id=ids[index] if index < len(ids) else None,
                        box=list(box),
                        fidelity=round(float(score), 4),
                    )
                    for index, (box, score) in enumerate(
                        zip(variant.boxes, variant.fidelity, strict=False)
                    )
                ],
            )
            for variant in variants
        ],
    )
    return output.model_dump(mode="json")
