"""Providers: the backends behind each capability, with an identity, what they can do, and the
errors they raise.

A provider is pure engine code: it gets everything it needs in its constructor (a model
directory, a base URL, a key, a timeout) and in each request, and it knows nothing of the
database, the queue or the settings. ``krev.providers`` builds providers from the settings and
the pipelines call them.

Image generation comes in two shapes:

- ``ImageGenerator`` answers within one call (the studio engine, a local diffusion model, an
  OpenAI-compatible Images API).
- ``RemoteImageGenerator`` is a hosted queue (fal, Replicate): ``submit`` returns the
  provider's job id, which the pipeline stores before the first ``poll``; a retried or
  restarted job polls that id again instead of paying for a second run. Polls are re-scheduled
  tasks, so waiting never holds a worker thread; ``cancel`` reaches the provider.

Either returns ``GeneratedImage``s; images given as a URL are copied into Krev's storage at
once (provider URLs expire) by the pipeline, through the SSRF-safe fetcher.

A product scene reaches a generative provider as a ``ProductCanvas``: the products already
placed on the output-sized canvas and a mask of what to paint (everything but the products).
The pipeline composites the products' own cutouts back over what the provider returns and
checks every product's fidelity to its cutout, whoever generated the image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

from krev.engines.base import AlphaMask, ProductCutout, RGBImage

# --- errors ----------------------------------------------------------------------------------


class ProviderError(Exception):
    """A provider could not do what was asked. ``message`` is for the user: it names the
    provider's complaint in plain words and never carries a key or an internal address.

    ``transient`` errors are retried with backoff inside the job's deadline (``retry_after``
    seconds, when the provider said, else the pipeline's backoff); the others fail the job
    and refund it."""

    transient: ClassVar[bool] = False
    code: ClassVar[str] = "provider_error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class RateLimited(ProviderError):
    """429 or the provider's own "slow down"."""

    transient = True
    code = "provider_rate_limited"


class TemporarilyUnavailable(ProviderError):
    """5xx, a refused or dropped connection, a provider queue that is full."""

    transient = True
    code = "provider_unavailable"


class ProviderTimeout(ProviderError):
    """No answer in the time allowed for one call."""

    transient = True
    code = "provider_timeout"


class InvalidRequest(ProviderError):
    """The provider refused the request's shape (a size, a model id, a parameter), or answered
    with something that is not what it promised (not an image, a truncated one)."""

    code = "provider_invalid_request"


class ContentRefused(ProviderError):
    """The provider's safety system refused the prompt or an image."""

    code = "content_refused"


# --- image generation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageCapabilities:
    """What an image provider can do, for the capabilities endpoint and for accepting a job."""

    text_only: bool
    """Draws what a prompt asks for with no product (text-to-image)."""
    product_scenes: bool
    """Keeps catalog products faithful: paints a scene around their mask (or, for the studio
    engine, composites their cutouts into its own set)."""
    max_count: int = 1
    """Images one call returns; more are asked for with several calls."""
    sizes: tuple[tuple[int, int], ...] = ()
    """The (width, height) sizes the provider renders; empty: any size. The pipeline asks for
    the one nearest the requested aspect ratio and centre-crops to the exact output size."""
    reference_images: bool = False
    """Uses style reference images."""


@dataclass(frozen=True)
class ProductCanvas:
    """Products placed on an output-sized canvas for a generative provider."""

    image: RGBImage
    """The canvas: the products over a neutral background, (height, width, 3)."""
    mask: AlphaMask
    """1.0 where the provider paints (the background), 0.0 where the products are."""
    boxes: list[tuple[int, int, int, int]]
    """Each product's (x, y, width, height) on the canvas, in ``products`` order."""


@dataclass(frozen=True)
class ImageGenerationRequest:
    """Images to generate: ``count`` of ``width`` x ``height`` pixels."""

    prompt: str
    width: int
    height: int
    count: int = 1
    seed: int = 0
    """Same seed, same inputs: the same images where the provider is deterministic."""
    first_variant: int = 0
    """Index of the first of these images among the job's (a job of more images than one
    call returns asks several times)."""
    preset: str | None = None
    products: list[ProductCutout] = field(default_factory=list)
    """Catalog products to show; empty for a text-only prompt."""
    canvas: ProductCanvas | None = None
    """The products placed for a generative provider (None: text-only, or the studio engine,
    which lays products out in its own set)."""
    style_references: list[RGBImage] = field(default_factory=list)


@dataclass(frozen=True)
class GeneratedImage:
    """One image a provider made, in whichever form it has it: decoded pixels, encoded bytes,
    or a URL to copy into Krev's storage now."""

    rgb: RGBImage | None = None
    data: bytes | None = None
    url: str | None = None
    boxes: list[tuple[int, int, int, int]] | None = None
    """Where the provider put each product (the studio engine lays them out itself); None:
    where the request's canvas put them."""
    scene: dict[str, object] | None = None
    """What the provider chose (the studio engine's set), JSON-serialisable."""


class ImageGenerator(Protocol):
    """An image provider that answers within one call."""

    id: str
    capabilities: ImageCapabilities

    def generate(self, request: ImageGenerationRequest) -> list[GeneratedImage]:
        """``request.count`` images, or a ``ProviderError``."""


@dataclass(frozen=True)
class RemoteStatus:
    """A hosted job as the provider reports it."""

    state: Literal["pending", "succeeded", "failed", "cancelled"]
    images: list[GeneratedImage] = field(default_factory=list)
    error: ProviderError | None = None
    """Why it failed (state "failed")."""
    poll_after: float | None = None
    """Seconds the provider suggests before the next poll."""


class RemoteImageGenerator(Protocol):
    """An image provider that queues: submit, then poll until done."""

    id: str
    capabilities: ImageCapabilities

    def submit(self, request: ImageGenerationRequest) -> str:
        """Start ``request.count`` images; the provider's job id."""

    def poll(self, job_id: str) -> RemoteStatus:
        """Where the job stands."""

    def cancel(self, job_id: str) -> None:
        """Ask the provider to stop (and not bill) the job; quiet when it already ended."""


AnyImageGenerator = ImageGenerator | RemoteImageGenerator


def is_remote(provider: AnyImageGenerator) -> bool:
    return hasattr(provider, "submit")


# --- ad copy ---------------------------------------------------------------------------------

# Meta's limits for ad text (https://www.facebook.com/business/ads-guide): primary text shows
# 125 characters before "See more", a headline 40; the hook is the first line a scroll stops on.
HOOK_MAX = 60
HEADLINE_MAX = 40
BODY_COPY_MAX = 125
CTA_MAX = 20
CTA_LABELS: tuple[str, ...] = (
    "Shop now",
    "Learn more",
    "Sign up",
    "Order now",
    "Get offer",
    "Subscribe",
)


@dataclass(frozen=True)
class CopyProduct:
    """What the copy may say about one product: only what its analysis or its owner gave."""

    name: str | None = None
    brand_name: str | None = None
    product_name: str | None = None
    product_type: str | None = None
    category: str | None = None
    colors: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AdCopy:
    """One ad's words, as the reference's ``ad_copy`` shows them."""

    style_name: str
    hook: str
    headline: str
    body_copy: str
    cta: str


@dataclass(frozen=True)
class CopyRequest:
    """Copy for ``count`` ad variants in one style; each variant's copy differs."""

    brief: str
    style_id: str
    style_name: str
    tone: str
    copy_shape: str
    """What the body is built as (``AdStyle.copy_shape``): direct, quiet, offer, quote,
    benefits, contrast."""
    products: list[CopyProduct]
    brand_context: str | None = None
    count: int = 1
    seed: int = 0


class Copywriter(Protocol):
    """A copy provider: ``count`` ``AdCopy`` within Meta's limits, or a ``ProviderError``."""

    id: str

    def write(self, request: CopyRequest) -> list[AdCopy]:
        """One ``AdCopy`` per variant, in order."""


_LIMITS: tuple[tuple[str, int], ...] = (
    ("hook", HOOK_MAX),
    ("headline", HEADLINE_MAX),
    ("body_copy", BODY_COPY_MAX),
    ("cta", CTA_MAX),
)


def copy_problems(copy: AdCopy) -> list[str]:
    """What keeps ``copy`` from running on Meta, a sentence each; empty when it can.

    Every copy provider's answer is checked with this before anyone sees it: a field that is
    empty or over its limit, or a CTA that is not one of Meta's labels, is that provider's
    failure, never cut to fit."""
    problems: list[str] = []
    for field_name, limit in _LIMITS:
        value = getattr(copy, field_name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{field_name} is empty")
        elif len(value) > limit:
            problems.append(f"{field_name} is {len(value)} characters (at most {limit})")
        elif value != value.strip():
            problems.append(f"{field_name} starts or ends with white space")
    if isinstance(copy.cta, str) and copy.cta.strip() and copy.cta not in CTA_LABELS:
        problems.append(f"cta {copy.cta!r} is not one of Meta's labels ({', '.join(CTA_LABELS)})")
    if not isinstance(copy.style_name, str) or not copy.style_name.strip():
        problems.append("style_name is empty")
    return problems


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _copy_inputs(request: CopyRequest) -> str:
    parts = [request.brief, request.brand_context or ""]
    for product in request.products:
        parts += [
            product.name or "",
            product.brand_name or "",
            product.product_name or "",
            product.product_type or "",
            *product.colors,
            *product.materials,
        ]
    return "\n".join(parts)


def invented_figures(copy: AdCopy, request: CopyRequest) -> list[str]:
    """A sentence for each figure in ``copy`` (a number, a percentage) that the brief, the
    brand notes and the product metadata do not give: a price, a discount or a rating that
    nobody stated is a claim the merchant never made."""
    given = _copy_inputs(request)
    known = {figure.replace(",", "") for figure in _FIGURE.findall(given)}
    said = " ".join((copy.hook, copy.headline, copy.body_copy))
    problems = [
        f"{figure!r} is not in the brief, the brand notes or the product"
        for figure in dict.fromkeys(_FIGURE.findall(said))
        if figure.replace(",", "") not in known
    ]
    if "%" in said and "%" not in given and "percent" not in given.lower():
        problems.append("a percentage that nobody stated")
    return problems
