"""Video generation rules: sizes and prices, which workflow a request takes (krev.videos.routing),
which product and source image it may use, and accepting the job (reserve, record, enqueue
after commit). No HTTP types here. Everything a request could be refused for is checked
here, before anything is charged."""

from __future__ import annotations

import base64
import functools
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from anyio import to_thread
from PIL import Image
from sqlalchemy.orm import Session

from krev.catalog import service as catalog
from krev.engines.video import VideoModelCapabilities
from krev.errors import BadRequest, NotFound
from krev.generations import service as generations
from krev.generations.service import GenerationRecord
from krev.images import engines
from krev.images import service as images
from krev.images.jobs import ProductInput
from krev.models import Cause
from krev.platform.config import Settings
from krev.platform.fetch import FetchError
from krev.platform.imaging import ImageRejected, encode_webp
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage
from krev.providers import registry
from krev.videos import routing
from krev.videos.jobs import VideoJob
from krev.videos.schemas import VideoRequest

KIND = "video"

SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:3": (1440, 1080),
    "3:4": (1080, 1440),
}
"""The delivered video's (width, height): 1080 px on the short side."""


class SourceIsVideo(BadRequest):
    code = "source_is_video"


class SourceImageRejected(BadRequest):
    """A source image we could not use; its code is the fetcher's or decoder's."""


@functools.cache
def _rejection(code: str) -> type[SourceImageRejected]:
    # Input like any other field, so every refusal is a 400, told apart by its code.
    return type(f"SourceImageRejected_{code}", (SourceImageRejected,), {"code": code})


# File extensions and leading bytes of video containers: a video URL is refused by its name
# before anything is fetched, and by its bytes when the name did not say.
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".mpeg", ".mpg", ".ts")
_IMAGE_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis")
_VIDEO_DATA_URL = re.compile(r"^data:video/", re.IGNORECASE)


def output_size(aspect_ratio: str) -> tuple[int, int]:
    return SIZES[aspect_ratio]


def cost(settings: Settings, duration: int) -> int:
    return duration * settings.prices.video_per_second


def seed_of(generation_id: uuid.UUID) -> int:
    return images.seed_of(generation_id)


def model_capabilities(settings: Settings, engine: str) -> VideoModelCapabilities | None:
    """What the video model can do; None for the studio engine, which draws sets and places
    products (its text-only videos follow the image endpoint's studio rules)."""
    return registry.video_capabilities(engine, settings)


class EngineCannotRender(BadRequest):
    code = "engine_cannot_render"


def check_model_serves(
    model: VideoModelCapabilities, engine: str, duration: int, first_frame: bool
) -> None:
    """Refuse, before anything is charged, what the configured video model cannot deliver: a
    clip from an image it does not animate, from text it does not draw, or longer than it
    renders (a clip held on its last frame is not the video asked for)."""
    if first_frame and not model.image_to_video:
        raise EngineCannotRender(
            f"The '{engine}' video model on this server does not animate an image, which this "
            "video starts from (the source_image, or the studio still of your product); send "
            "a prompt alone, or ask the operator for an image-to-video model."
        )
    if not first_frame and not model.text_to_video:
        raise EngineCannotRender(
            f"The '{engine}' video model on this server only animates images: send a "
            "source_image or a product_id."
        )
    if model.durations and duration > max(model.durations):
        raise EngineCannotRender(
            f"The '{engine}' video model on this server renders at most "
            f"{max(model.durations)} seconds; ask for that or less."
        )


def looks_like_video(data: bytes) -> bool:
    """Whether the bytes start as a video container does (ISO BMFF, Matroska/WebM, AVI, MPEG)."""
    head = data[:16]
    # ISO base media (MP4, MOV) says "ftyp"; so do HEIF and AVIF images, told by their brand.
    return (
        (head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS)
        or head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska, WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")  # MPEG program/video stream
    )


VIDEO_REFUSAL = (
    "source_image is a video; video URLs are not supported here. Send an image (JPEG, PNG or "
    "WebP) to animate, or a prompt with product_id for a product video."
)


def _refuse_video_url(url: str) -> None:
    path = urlsplit(url).path.lower() if not catalog.is_data_url(url) else ""
    if _VIDEO_DATA_URL.match(url) or path.endswith(_VIDEO_EXTENSIONS):
        raise SourceIsVideo(VIDEO_REFUSAL)


async def read_source_image(
    settings: Settings, runtime: Runtime, user_id: uuid.UUID, url: str, long_side: int
) -> str:
    """The source image fetched (SSRF-safe, on the fetch pool) and decoded, as a WebP of at most
    ``long_side`` pixels, base64, for the job's parameters."""
    _refuse_video_url(url)
    content: str | bytes | FetchError
    if catalog.is_data_url(url):
        content = url
    else:
        (content,) = await catalog.fetch_image_urls(runtime.fetch_pool, user_id, [url])
    return await to_thread.run_sync(_encode_source, settings, content, long_side)


def _encode_source(settings: Settings, content: str | bytes | FetchError, long_side: int) -> str:
    try:
        if isinstance(content, FetchError):
            raise content
        if isinstance(content, bytes) and looks_like_video(content):
            raise SourceIsVideo(VIDEO_REFUSAL)
        decoded = (
            catalog.decode_data_image(settings, content, working_side=long_side)
            if isinstance(content, str)
            else catalog.decode_upload(settings, content, working_side=long_side)
        )
    except (FetchError, ImageRejected) as error:
        raise _rejection(error.code)(f"source_image: {error.message}") from error
    image = decoded.image.convert("RGB")
    if max(image.size) > long_side:
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return base64.b64encode(encode_webp(image, quality=92)).decode("ascii")


# --- accepting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoRoute:
    """How a video request is served, decided from the request alone: the engine, the
    workflow, the size, what it ignores, and the source image it reads (None: none)."""

    engine: str
    model: VideoModelCapabilities | None
    workflow: str
    width: int
    height: int
    ignored: tuple[str, ...]
    source_url: str | None


def route_video(settings: Settings, body: VideoRequest) -> VideoRoute:
    engine = registry.engine_of(settings, "video")
    workflow = routing.choose_workflow(
        body.prompt, source_image=body.source_image is not None, product=body.product_id is not None
    )
    width, height = output_size(body.aspect_ratio)
    ignored: list[str] = []
    # UGC uses the product when one is given, else the source image; animating an image uses
    # no studio set, so a preset has nothing to style.
    uses_source = body.source_image is not None and (
        workflow == "image_to_video" or (workflow == "ugc" and body.product_id is None)
    )
    if body.source_image is not None and not uses_source:
        ignored.append("source_image")
    if workflow == "image_to_video" and body.preset_id is not None:
        ignored.append("preset_id")
    return VideoRoute(
        engine=engine,
        model=model_capabilities(settings, engine),
        workflow=workflow,
        width=width,
        height=height,
        ignored=tuple(ignored),
        source_url=body.source_image if uses_source else None,
    )


async def read_route_source(runtime: Runtime, user_id: uuid.UUID, route: VideoRoute) -> str | None:
    """The source image the route reads, fetched and encoded (None when it reads none)."""
    if route.source_url is None:
        return None
    long_side = max(route.width, route.height)
    return await read_source_image(runtime.settings, runtime, user_id, route.source_url, long_side)


async def create_video(
    session: Session, runtime: Runtime, user_id: uuid.UUID, body: VideoRequest, cause: Cause
) -> uuid.UUID:
    """Accept a video job: route it, check the preset, fetch the source image, then, in the
    request's transaction, the rest (``accept_video``).

    The source image is fetched before the transaction is first used: on SQLite that first use
    takes the database's write lock, which a slow origin must not hold."""
    route = route_video(runtime.settings, body)
    # Off the loop: the first call in a process imports and builds the engine.
    composer = await to_thread.run_sync(engines.scene_composer)
    images.check_preset(composer, body.preset_id)
    source = await read_route_source(runtime, user_id, route)
    return await to_thread.run_sync(
        accept_video, session, runtime, user_id, body, cause, route, source
    )


def accept_video(
    session: Session,
    runtime: Runtime,
    user_id: uuid.UUID,
    body: VideoRequest,
    cause: Cause,
    route: VideoRoute,
    source: str | None,
) -> uuid.UUID:
    """In the caller's transaction, its source image already read (``read_route_source``):
    check the preset and the product or the prompt's subject, reserve the credits and record
    the job (enqueued after commit) as caused by ``cause``. For a caller already off the
    event loop (a chat run's tool)."""
    settings = runtime.settings
    engine, model, workflow = route.engine, route.model, route.workflow
    width, height = route.width, route.height
    ignored = list(route.ignored)
    composer = engines.scene_composer()
    images.check_preset(composer, body.preset_id)
    preset = None if "preset_id" in ignored else body.preset_id
    scene = composer.understand(body.prompt, preset)
    recorded: str | None = None
    products: list[ProductInput] = []
    subject = images.Subject([], None, None)
    if workflow == "image_to_video" and body.product_id is not None:
        recorded = str(_owned_product(session, user_id, body.product_id))
    elif source is None:
        requested = [body.product_id] if body.product_id is not None else []
        try:
            subject = images.subject_for(
                session,
                user_id,
                routing.scene_words(body.prompt, ugc=workflow == "ugc"),
                requested,
                scene,
                renders_subjects=model is not None and model.text_to_video,
                use="videos",
            )
        except images.SubjectNotRenderable as refused:
            if workflow != "ugc":
                raise
            raise images.SubjectNotRenderable(
                "A UGC edit from the studio engine shows one of your products: pass its "
                "product_id (or an image of it as source_image). The prompt names none "
                "of your ready products.",
                extra=refused.extra,
            ) from refused
        products = subject.products
    if model is not None:
        check_model_serves(model, engine, body.duration, bool(source or products))
    people: list[str] = []
    if workflow == "ugc" and model is None:
        people = routing.people_named(body.prompt)
        ignored_before = scene.get("ignored")
        earlier = list(ignored_before) if isinstance(ignored_before, list) else []
        scene["ignored"] = list(dict.fromkeys([*earlier, *people]))
    job = VideoJob(
        engine=engine,
        prompt=body.prompt,
        workflow=workflow,
        aspect_ratio=body.aspect_ratio,
        width=width,
        height=height,
        duration=body.duration,
        audio_mode=body.audio_mode,
        preset_id=preset,
        scene=scene,
        products=products,
        source_image=source,
        ignored=ignored,
        people=people,
        subject=subject.text,
        subject_source=subject.source,
        recorded_product_id=recorded,
    )
    generation = generations.submit(
        session,
        settings,
        runtime.queue,
        user_id=user_id,
        kind=KIND,
        params=job.as_params(),
        cost=cost(settings, body.duration),
        cause=cause,
        product_ids=[product.id for product in products]
        + ([body.product_id] if recorded and body.product_id else []),
    )
    return generation.id


def _owned_product(session: Session, user_id: uuid.UUID, product_id: uuid.UUID) -> uuid.UUID:
    try:
        return catalog.get_owned(session, user_id, product_id).id
    except NotFound as missing:
        raise NotFound(f"Product {product_id} not found.") from missing


# --- views -----------------------------------------------------------------------------------


def result_view(generation: GenerationRecord, storage: Storage, ttl: int) -> dict[str, Any]:
    """The reference's answer to POST /api/v1/videos once the job has succeeded: exactly its
    four fields."""
    urls = generations.output_urls(generation, storage, ttl)
    output = generation.output or {}
    return {
        "generation_id": str(generation.id),
        "video_url": urls[0] if urls else None,
        "duration": int(output.get("duration") or 0),
        "credits_used": generation.credits_used,
    }
