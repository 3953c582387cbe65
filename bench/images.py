"""Image generation speed (issue 4): the worker's image work end to end, in this process.

Each case runs ``krev.images.tasks.render_variants`` exactly as the ``image`` pipeline calls it
(render, fidelity check, HD upscale, WebP encode, on the pipeline's thread pool), with no HTTP,
queue or database around it. Beside each case, in the same run, the time just to WebP-encode
images of the same size with the same settings: the floor no pipeline that delivers WebP can
go under.

``python -m bench.images [runs]`` runs this section alone and prints it (RESULTS.md untouched).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from tests.support.product_photos import make_photo

from krev.engines.base import ProductCutout, SceneComposer, SceneRequest, Upscaler
from krev.images import engines, service, tasks
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp

PRODUCT_PHOTO = 4  # a blue box on white, from the shared rendered photos
PROMPT = "Premium product on dark marble, soft window light"

IMAGE_SECONDS_TARGET = 0.5  # median, one 1024² image with one product, in the worker
HD_ENCODE_RATIO_TARGET = 1.5  # HD time over its own WebP encode floor
VARIANTS_RATIO_TARGET = 3.0  # 4 variants over one


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

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

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


def _cutout(size: int = 1024) -> ProductCutout:
    photo = make_photo(PRODUCT_PHOTO, size)
    alpha = (photo.mask * 255).astype(np.uint8)
    return ProductCutout(rgba=np.dstack([photo.image, alpha]), name="Blue box", colors=["blue"])


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
    composer: SceneComposer,
    upscaler: Upscaler,
    case: ImageCase,
    requests: list[SceneRequest],
    settings: Settings,
) -> tuple[float, list[tasks.Variant]]:
    started = time.perf_counter()
    variants = tasks.render_variants(
        composer,
        upscaler,
        requests,
        hd_size=_hd_size(case),
        fidelity_threshold=settings.image_fidelity_threshold,
        threads=settings.image_render_threads,
    )
    return time.perf_counter() - started, variants


def run(runs: int = 7) -> ImageResults:
    settings = Settings()
    composer, upscaler = engines.scene_composer(settings), engines.upscaler(settings)
    cutout = _cutout()
    rows = [ImageRow(case, *service.output_size(case.aspect_ratio, case.hd)) for case in CASES]
    for row in rows:  # one warm-up run each, not counted (first-call allocations, lazy tables)
        _run_case(composer, upscaler, row.case, _requests(row.case, cutout, seed=0), settings)
    # Cases take turns within each round, so a busy spell on a shared machine slows all of them
    # alike instead of skewing one case against another (the ratios are the targets).
    for attempt in range(runs):
        for row in rows:
            requests = _requests(row.case, cutout, seed=attempt + 1)
            seconds, variants = _run_case(composer, upscaler, row.case, requests, settings)
            assert (variants[0].width, variants[0].height) == (row.width, row.height)
            row.seconds.append(seconds)
            hd_size = _hd_size(row.case)
            row.encode_seconds.append(_encode_floor(composer, upscaler, requests, hd_size))
    return ImageResults(
        composer.name, settings.image_render_threads, runs, rows, os.getloadavg()[0]
    )


# --- the RESULTS.md section (bench/report.py places it) ------------------------------------


def _met(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def images_section(r: ImageResults) -> list[str]:
    lines = [
        "",
        "## Image generation (issue 4)",
        "",
        f"The `{r.engine}` engine in this process, timed as the `image` pipeline does its work "
        "(`krev.images.tasks.render_variants`: render, fidelity check, HD upscale, WebP encode, "
        f"variants on {r.threads} threads), without HTTP, queue or database; one product (a "
        "rendered 1024² photo's true cutout), median of "
        f"{r.runs} runs after one warm-up, the cases taking turns in each round. *Encode "
        "floor*: in the same run, the time just to "
        "WebP-encode the case's output pixels (rendered again, untimed), with the same quality, "
        f"one after another. 1-minute load average at the end: {r.load_average:.2f} on "
        f"{os.cpu_count()} cores (other work on the machine slows the threaded variants most).",
        "",
        "| case | output | median s | encode floor s | ratio |",
        "|---|---|--:|--:|--:|",
    ]
    for row in r.rows:
        lines.append(
            f"| {row.case.name} | {row.case.image_count} x {row.width}x{row.height} "
            f"| {row.median_s:.3f} | {row.encode_floor_s:.3f} "
            f"| {row.median_s / row.encode_floor_s:.2f} |"
        )
    return lines


def images_targets(r: ImageResults) -> list[str]:
    one, hd = r.rows[0], next(row for row in r.rows if row.case.hd)
    four = next(row for row in r.rows if row.case.image_count == 4)
    hd_ratio, four_ratio = hd.median_s / hd.encode_floor_s, four.median_s / one.median_s
    return [
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
