"""Ad generation speed (issue 13): the worker's ad work end to end, in this process.

Each case runs ``krev.ads.tasks.render_ads``: what the ``ad`` pipeline does around its queue
and database with the studio engine, the copy from the configured copywriter, the plan (scene
box, palette), then each variant's scene from the studio provider from the registry, its size
and fidelity checks, the layout, the products checked again in the ad and the WebP encode,
variants on the pipeline's thread pool.
It runs in the same ``make bench`` run as the image rows (bench.images), after them.

``python -m bench.ads [runs]`` runs this section alone and prints it (RESULTS.md untouched).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from dataclasses import dataclass, field

from bench.images import product_cutout
from krev.ads import service, tasks
from krev.ads.jobs import AdJob
from krev.engines.base import ProductCutout
from krev.engines.providers import ImageGenerator
from krev.images.jobs import ProductInput
from krev.platform.config import Settings
from krev.providers import registry

BRIEF = "Create a direct response ad for this storage box"
STYLE_ID = "performance"
ASPECT_RATIO = "4:5"

AD_SECONDS_TARGET = 0.5  # median, one 4:5 1080x1350 ad with one product, in the worker
VARIANTS_RATIO_TARGET = 3.0  # 4 variants over one


@dataclass
class AdRow:
    name: str
    image_count: int
    seconds: list[float] = field(default_factory=list)  # one whole case per run

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class AdResults:
    engine: str
    copy_engine: str
    threads: int
    runs: int
    width: int
    height: int
    scene: tuple[int, int]
    rows: list[AdRow]
    load_average: float


def _job(image_count: int) -> AdJob:
    width, height = service.output_size(ASPECT_RATIO)
    return AdJob(
        brief=BRIEF,
        aspect_ratio=ASPECT_RATIO,
        width=width,
        height=height,
        image_count=image_count,
        style_id=STYLE_ID,
        style_chosen_by="brief",
        preset_id=service.STYLE_PRESETS[STYLE_ID],
        scene_prompt=service.scene_prompt(BRIEF),
        products=[
            ProductInput(
                id=uuid.uuid4(),
                cutout_key="bench/cutout.webp",
                name="Blue box",
                product_type="box",
                colors=["blue"],
                color_hex=["#2050c0"],
            )
        ],
    )


def run_case(
    settings: Settings, generator: ImageGenerator, cutout: ProductCutout, count: int, seed: int
) -> tuple[float, tasks.AdPlan, list[tasks.AdImage]]:
    """One ad job's worker work for ``count`` variants: its seconds, its plan and its ads."""
    job = _job(count)
    started = time.perf_counter()
    plan, ads = tasks.render_ads(settings, generator, job, [cutout], seed)
    return time.perf_counter() - started, plan, ads


def run(runs: int = 7) -> AdResults:
    settings = Settings()
    generator: ImageGenerator = registry.provider(settings, "image", "studio")
    cutout = product_cutout()
    rows = [AdRow("4:5, one ad", 1), AdRow("4 variants 4:5", 4)]
    for row in rows:  # one warm-up run each, not counted (fonts, lazy tables)
        _seconds, plan, _ads = run_case(settings, generator, cutout, row.image_count, seed=0)
    for attempt in range(runs):
        for row in rows:  # the cases take turns, so a busy spell slows both alike
            seconds, plan, ads = run_case(
                settings, generator, cutout, row.image_count, seed=attempt + 1
            )
            assert len(ads) == row.image_count
            assert (ads[0].width, ads[0].height) == service.output_size(ASPECT_RATIO)
            row.seconds.append(seconds)
    job = _job(1)
    return AdResults(
        engine=generator.id,
        copy_engine=plan.copy.engine,
        threads=settings.image_render_threads,
        runs=runs,
        width=job.width,
        height=job.height,
        scene=(plan.box[2], plan.box[3]),
        rows=rows,
        load_average=os.getloadavg()[0],
    )


# --- the RESULTS.md section (bench/report.py places it) ------------------------------------


def _met(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def ads_section(r: AdResults) -> list[str]:
    lines = [
        "",
        "## Ad generation (issue 13)",
        "",
        f"The `ad` pipeline's work in this process (`krev.ads.tasks`): the `{r.copy_engine}` "
        f"copywriter, then the `{r.engine}` engine's product scene at the style's scene box "
        f"({r.scene[0]}x{r.scene[1]}), the layout, the fidelity checks and the WebP encode of "
        f"each {r.width}x{r.height} ad, variants on {r.threads} threads, without HTTP, queue or "
        f"database; one product (a rendered 1024² photo's true cutout), the "
        f"`{STYLE_ID}` style, median of {r.runs} runs after one warm-up, the cases taking "
        f"turns. 1-minute load average at the end: {r.load_average:.2f} on "
        f"{os.cpu_count()} cores.",
        "",
        "| case | output | median s | per ad s |",
        "|---|---|--:|--:|",
    ]
    for row in r.rows:
        lines.append(
            f"| {row.name} | {row.image_count} x {r.width}x{r.height} | {row.median_s:.3f} "
            f"| {row.median_s / row.image_count:.3f} |"
        )
    return lines


def ads_targets(r: AdResults) -> list[str]:
    one, four = r.rows
    ratio = four.median_s / one.median_s
    return [
        f"- 4:5 {r.width}x{r.height} ad image ≤ {AD_SECONDS_TARGET} s median: "
        f"{_met(one.median_s <= AD_SECONDS_TARGET)} ({one.median_s:.3f} s)",
        f"- 4 ad variants ≤ {VARIANTS_RATIO_TARGET:g}x one: "
        f"{_met(ratio <= VARIANTS_RATIO_TARGET)} ({ratio:.2f}x)",
    ]


def main() -> None:
    import sys

    results = run(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    print("\n".join([*ads_section(results), "", *ads_targets(results)]))


if __name__ == "__main__":
    main()
