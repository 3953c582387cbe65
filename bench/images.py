"""Image generation speed (issue 4): the worker's image work end to end, in this process.

Each case runs ``krev.images.tasks.render_variants`` exactly as the ``image`` pipeline calls it
(the studio provider from the registry, then the pipeline's own steps: size check, fidelity
check, HD upscale, WebP encode, on the pipeline's thread pool), with no HTTP, queue or database
around it. Beside each case, in the same run: the same work done by calling the studio composer
directly (render, fidelity, upscale, encode on the same threads, as before the provider layer
existed), which is what the provider layer's overhead is measured against; and the time just to
WebP-encode images of the same size with the same settings, the floor no pipeline that delivers
WebP can go under.

``python -m bench.images [runs]`` runs this section alone and prints it (RESULTS.md untouched).
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from tests.support.product_photos import make_photo

from krev.engines.base import ProductCutout, SceneComposer, SceneRequest, Upscaler
from krev.engines.providers import ImageGenerationRequest, ImageGenerator
from krev.engines.studio.scene import StudioSceneComposer, product_fidelity
from krev.images import service, tasks
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.providers import registry

PRODUCT_PHOTO = 4  # a blue box on white, from the shared rendered photos
PROMPT = "Premium product on dark marble, soft window light"

IMAGE_SECONDS_TARGET = 0.5  # median, one 1024² image with one product, in the worker
HD_ENCODE_RATIO_TARGET = 1.5  # HD time over its own WebP encode floor
VARIANTS_RATIO_TARGET = 3.0  # 4 variants over one
PROVIDER_LAYER_TARGET = 1.05  # the pipeline through the provider layer over the direct calls


@dataclass(frozen=True)
class ImageCase:
    name: str
    aspect_ratio: str
    image_count: int
    hd: bool


CASES = (
    ImageCase("1:1, one product", "1:1", 1, False),
    ImageCase("16:9, one product", "16:9", 1, False),
    ImageCase("4 variants 1:1, one product", "1:1", 4, False),
    ImageCase("HD 1:1, one product", "1:1", 1, True),
)


@dataclass
class ImageRow:
    case: ImageCase
    width: int
    height: int
    seconds: list[float] = field(default_factory=list)  # one whole case per run
    encode_seconds: list[float] = field(default_factory=list)  # its outputs' encode alone
    direct_seconds: list[float] = field(default_factory=list)  # the composer called directly

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def direct_s(self) -> float:
        return statistics.median(self.direct_seconds)

    @property
    def encode_floor_s(self) -> float:
        return statistics.median(self.encode_seconds)


@dataclass
class ImageResults:
    engine: str
    threads: int
    runs: int
    rows: list[ImageRow]
    load_average: float  # 1-minute load average when the cases finished

    def row(self, name: str) -> ImageRow:
        return next(row for row in self.rows if row.case.name == name)


def product_cutout(size: int = 1024) -> ProductCutout:
    photo = make_photo(PRODUCT_PHOTO, size)
    alpha = (photo.mask * 255).astype(np.uint8)
    return ProductCutout(
        rgba=np.dstack([photo.image, alpha]), name="Blue box", color_hex=["#2050c0"]
    )


def _requests(case: ImageCase, cutout: ProductCutout, seed: int) -> list[SceneRequest]:
    width, height = service.render_size(case.aspect_ratio, case.hd)
    return [
        SceneRequest(
            prompt=PROMPT,
            width=width,
            height=height,
            products=[cutout],
            seed=seed,
            variant=variant,
        )
        for variant in range(case.image_count)
    ]


def _provider_requests(requests: list[SceneRequest]) -> list[ImageGenerationRequest]:
    """The same images as the pipeline asks the studio provider for them: one per call."""
    return [
        ImageGenerationRequest(
            prompt=r.prompt,
            width=r.width,
            height=r.height,
            count=1,
            seed=r.seed,
            first_variant=r.variant,
            products=list(r.products),
        )
        for r in requests
    ]


def _encode_floor(
    composer: SceneComposer,
    upscaler: Upscaler,
    requests: list[SceneRequest],
    hd_size: tuple[int, int] | None,
) -> float:
    """Seconds just to encode the case's outputs, one after another, with the pipeline's
    settings: the same pixels are rendered (and upscaled) again first, untimed."""
    quality = tasks.HD_QUALITY if hd_size else tasks.STANDARD_QUALITY
    images = []
    for request in requests:
        rgb = composer.render(request).rgb
        if hd_size is not None:
            rgb = upscaler.upscale(rgb, max(hd_size))
        images.append(Image.fromarray(rgb, "RGB"))
    started = time.perf_counter()
    for image in images:
        encode_webp(image, quality=quality)
    return time.perf_counter() - started


def _hd_size(case: ImageCase) -> tuple[int, int] | None:
    return service.HD_SIZES[case.aspect_ratio] if case.hd else None


def _run_case(
    generator: ImageGenerator,
    upscaler: Upscaler,
    case: ImageCase,
    requests: list[SceneRequest],
    settings: Settings,
) -> tuple[float, list[tasks.Variant]]:
    width, height = requests[0].width, requests[0].height
    finish = tasks.Finish(
        asked=(width, height),
        size=(width, height),
        cutouts=list(requests[0].products),
        canvas=None,
        upscaler=upscaler,
        hd_size=_hd_size(case),
        fidelity_threshold=settings.image_fidelity_threshold,
    )
    started = time.perf_counter()
    variants = tasks.render_variants(
        generator,
        _provider_requests(requests),
        finish,
        threads=settings.image_render_threads,
    )
    return time.perf_counter() - started, variants


def _run_direct(
    composer: SceneComposer,
    upscaler: Upscaler,
    case: ImageCase,
    requests: list[SceneRequest],
    settings: Settings,
) -> float:
    """The same images without the provider layer: the composer called directly, then the
    same fidelity check, upscale and encode, on the same number of threads."""
    hd_size = _hd_size(case)
    threshold = settings.image_fidelity_threshold

    def one(request: SceneRequest) -> bytes:
        rendered = composer.render(request)
        for placed in rendered.placements:
            cutout = request.products[placed.index].rgba
            assert product_fidelity(rendered.rgb, placed.box, cutout) >= threshold
        rgb = rendered.rgb
        if hd_size is not None:
            rgb = upscaler.upscale(rgb, max(hd_size))
        quality = tasks.HD_QUALITY if hd_size else tasks.STANDARD_QUALITY
        return encode_webp(Image.fromarray(rgb, "RGB"), quality=quality)

    started = time.perf_counter()
    if len(requests) == 1:
        one(requests[0])
    else:
        with ThreadPoolExecutor(min(settings.image_render_threads, len(requests))) as pool:
            list(pool.map(one, requests))
    return time.perf_counter() - started


def run(runs: int = 7) -> ImageResults:
    settings = Settings()
    generator: ImageGenerator = registry.provider(settings, "image", "studio")
    upscaler: Upscaler = registry.provider(settings, "upscale", "studio")
    composer = StudioSceneComposer()
    cutout = product_cutout()
    rows = [ImageRow(case, *service.output_size(case.aspect_ratio, case.hd)) for case in CASES]
    for row in rows:  # one warm-up run each, not counted (first-call allocations, lazy tables)
        _run_case(generator, upscaler, row.case, _requests(row.case, cutout, seed=0), settings)
        _run_direct(composer, upscaler, row.case, _requests(row.case, cutout, seed=0), settings)
    # Cases take turns within each round, so a busy spell on a shared machine slows all of them
    # alike instead of skewing one case against another (the ratios are the targets).
    for attempt in range(runs):
        for row in rows:
            # Each path renders seeds of its own, so neither finds the other's per-seed tables
            # (textures, noise) already built; which goes first alternates by round.
            requests = _requests(row.case, cutout, seed=2 * attempt + 1)
            direct = _requests(row.case, cutout, seed=2 * attempt + 2)
            if attempt % 2:
                row.direct_seconds.append(
                    _run_direct(composer, upscaler, row.case, direct, settings)
                )
            seconds, variants = _run_case(generator, upscaler, row.case, requests, settings)
            assert (variants[0].width, variants[0].height) == (row.width, row.height)
            row.seconds.append(seconds)
            if not attempt % 2:
                row.direct_seconds.append(
                    _run_direct(composer, upscaler, row.case, direct, settings)
                )
            hd_size = _hd_size(row.case)
            row.encode_seconds.append(_encode_floor(composer, upscaler, requests, hd_size))
    return ImageResults(generator.id, settings.image_render_threads, runs, rows, os.getloadavg()[0])


# --- the RESULTS.md section (bench/report.py places it) ------------------------------------


def _met(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def images_section(r: ImageResults) -> list[str]:
    lines = [
        "",
        "## Image generation (issue 4)",
        "",
        f"The `{r.engine}` engine in this process, timed as the `image` pipeline does its work "
        "(`krev.images.tasks.render_variants`: the provider from the registry, then size check, "
        f"fidelity check, HD upscale, WebP encode, variants on {r.threads} threads), without "
        "HTTP, queue or database; *direct*: the same images with the composer called directly "
        "(no provider layer), alternating with it in every round; one product (a "
        "rendered 1024² photo's true cutout), median of "
        f"{r.runs} runs after one warm-up, the cases taking turns in each round. *Encode "
        "floor*: in the same run, the time just to "
        "WebP-encode the case's output pixels (rendered again, untimed), with the same quality, "
        f"one after another. 1-minute load average at the end: {r.load_average:.2f} on "
        f"{os.cpu_count()} cores (other work on the machine slows the threaded variants most).",
        "",
        "| case | output | median s | direct s | layer ratio | encode floor s | ratio |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for row in r.rows:
        lines.append(
            f"| {row.case.name} | {row.case.image_count} x {row.width}x{row.height} "
            f"| {row.median_s:.3f} | {row.direct_s:.3f} | {row.median_s / row.direct_s:.3f} "
            f"| {row.encode_floor_s:.3f} | {row.median_s / row.encode_floor_s:.2f} |"
        )
    return lines


def images_targets(r: ImageResults) -> list[str]:
    one, hd = r.rows[0], next(row for row in r.rows if row.case.hd)
    four = next(row for row in r.rows if row.case.image_count == 4)
    hd_ratio, four_ratio = hd.median_s / hd.encode_floor_s, four.median_s / one.median_s
    layer = one.median_s / one.direct_s
    return [
        f"- The provider layer adds ≤ {PROVIDER_LAYER_TARGET - 1:.0%} to the studio 1024² row: "
        f"{_met(layer <= PROVIDER_LAYER_TARGET)} ({layer:.3f}x: {one.median_s:.3f} s against "
        f"{one.direct_s:.3f} s direct)",
        f"- 1024² image with one product ≤ {IMAGE_SECONDS_TARGET} s median: "
        f"{_met(one.median_s <= IMAGE_SECONDS_TARGET)} ({one.median_s:.3f} s)",
        f"- HD ≤ {HD_ENCODE_RATIO_TARGET}x its own encode floor: "
        f"{_met(hd_ratio <= HD_ENCODE_RATIO_TARGET)} ({hd_ratio:.2f}x: {hd.median_s:.3f} s "
        f"against {hd.encode_floor_s:.3f} s)",
        f"- 4 variants ≤ {VARIANTS_RATIO_TARGET:g}x one: "
        f"{_met(four_ratio <= VARIANTS_RATIO_TARGET)} ({four_ratio:.2f}x)",
    ]


def main() -> None:
    import sys

    results = run(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    print("\n".join([*images_section(results), "", *images_targets(results)]))


if __name__ == "__main__":
    main()
