"""bench/RESULTS.md: the machine, the numbers, and each target met or missed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from bench import evaluation
from bench.ads import AdResults, ads_section, ads_targets
from bench.analysis import GRABCUT_ITERATIONS, GRABCUT_SIDE, AnalysisResults
from bench.chat import ChatResults, chat_section, chat_targets
from bench.conversions import ConversionsResults, conversions_section, conversions_targets
from bench.http import BareRun, HttpRow
from bench.images import ImageResults, images_section, images_targets
from bench.jobs import QueueResult
from bench.large_image import LargeImageRun, large_image_section, large_image_targets
from bench.load import LoadSettings
from bench.local_diffusion import DiffusionResults, diffusion_section
from bench.providers import ProviderResults, providers_section, providers_targets
from bench.videos import VideoResults, videos_section, videos_targets
from bench.worker_memory import WorkerMemory

HTTP_TARGET = Fraction(1, 3)  # of the bare app's requests/s, same server, same flags
IOU_TARGET = 0.95  # mean, issue 3
BRAND_TARGET = 0.90  # exact match, case-insensitive
ANALYSIS_SECONDS_TARGET = 1.5  # median, one 1024² photo
RSS_TARGET_KIB = 10**9 // 1024  # 1 GB, read strictly: 10^9 bytes


@dataclass
class QueueRow:
    mode: str
    workers: str
    measure: str  # "accepting" or "draining", see bench.jobs
    result: QueueResult


@dataclass
class Results:
    machine: dict[str, str]
    load: LoadSettings
    bare: BareRun | None = None
    http: list[HttpRow] = field(default_factory=list)
    queues: list[QueueRow] = field(default_factory=list)
    memory: list[tuple[str, int]] = field(default_factory=list)  # (process, KiB)
    analysis: AnalysisResults | None = None
    worker_memory: WorkerMemory | None = None
    large_images: list[LargeImageRun] = field(default_factory=list)
    images: ImageResults | None = None
    ads: AdResults | None = None
    videos: VideoResults | None = None
    chat: ChatResults | None = None
    providers: ProviderResults | None = None
    diffusion: DiffusionResults | None = None
    conversions: ConversionsResults | None = None
    notes: list[str] = field(default_factory=list)

    def ratio(self, row: HttpRow) -> float | None:
        if row.paired is not None:
            return row.paired.ratio
        if self.bare is None:
            return None
        return row.result.rps / self.bare.rps()

    def cpu_ratio(self, row: HttpRow) -> float | None:
        """Bare CPU per request over ours: the req/s ratio one process would reach alone."""
        if row.paired is not None:
            return row.paired.cpu_ratio
        if self.bare is None or not row.cpu_us_per_request:
            return None
        return self.bare.row().cpu_us_per_request / row.cpu_us_per_request

    def http_target_met(self, row: HttpRow) -> bool | None:
        ratio = self.ratio(row)
        return None if ratio is None or row.reference else ratio >= HTTP_TARGET


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else ("**met**" if flag else "**missed**")


def _all_http(results: Results) -> list[HttpRow]:
    return [*(results.bare.rows if results.bare else []), *results.http]


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _http_line(row: HttpRow, ratios: tuple[str, str], target: str) -> str:
    r = row.result
    return (
        f"| {row.mode} | `{row.endpoint}` | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p90_ms:.2f} "
        f"| {r.p99_ms:.2f} | {row.non_200} | {r.socket_errors} | {row.cpu_us_per_request:,.0f} "
        f"| {ratios[0]} | {target} | {ratios[1]} | {row.load_average:.2f} |"
    )


def _analysis_section(a: AnalysisResults, worker: WorkerMemory | None) -> list[str]:
    lines = [
        "",
        "## Product analysis (issue 3)",
        "",
        f"The shared evaluation set (tests/support/product_photos.py), {a.photos} photos at "
        f"{a.size}², in this process. One full analysis is `ClassicalSegmenter` → "
        "`StudioColorAnalyzer` → `StudioProductAnalyzer` (RapidOCR) on the segmenter's own "
        "alpha, timed per photo after the OCR models were loaded and one warm-up analysis. "
        "IoU is of alpha > 0.5 against the true mask. Brand: exact match, case-insensitive, "
        "over the photos with label text. Top color: the generator does not expose the "
        "product's color, so the truth is `StudioColorAnalyzer`'s top color on the *true* "
        "mask, compared with its top color on the predicted alpha (it measures what the "
        "cutout costs the color, not the color naming itself). GrabCut: plain OpenCV "
        f"`grabCut`, rectangle init, {GRABCUT_ITERATIONS} iterations, run at "
        f"{GRABCUT_SIDE}² (at 1024² it takes several seconds a photo here) "
        "and its mask upscaled bilinearly. *Worker peak RSS*: the same number of photos "
        "uploaded as JPEG through the scale-out deployment's API (`Prefer: respond-async`) "
        "and analysed by its `krev worker` processes; the largest VmHWM (peak resident "
        "memory, /proc) among them once every product was ready.",
        "",
        "| measure | value |",
        "|---|--:|",
        f"| mean IoU, ClassicalSegmenter | {a.iou:.4f} |",
        f"| mean IoU, GrabCut ({GRABCUT_SIDE}², rect, {GRABCUT_ITERATIONS} it.) "
        f"| {a.grabcut_iou:.4f} |",
        f"| brand exact match | {a.brand_correct}/{a.labelled} ({a.brand_accuracy:.1%}) |",
        f"| top color, predicted vs true mask | {a.color_correct}/{a.colored} "
        f"({a.color_accuracy:.1%}) |",
        f"| full analysis, median s | {a.median_s:.3f} |",
        f"| full analysis, p90 s | {a.p90_s:.3f} |",
        f"| OCR model load, first call s | {a.model_load_s:.3f} |",
        *_worker_rows(worker),
        "",
        "| background | photos | mean IoU, ours | mean IoU, GrabCut |",
        "|---|--:|--:|--:|",
    ]
    for kind, (count, ours, grabcut) in a.iou_by_background.items():
        lines.append(f"| {kind} | {count} | {ours:.4f} | {grabcut:.4f} |")
    return lines


def _evaluation_section(a: AnalysisResults, worker: WorkerMemory | None) -> list[str]:
    if a.scores is None or a.heldout is None:
        return []
    if worker is None:
        return evaluation.section(a.scores, a.heldout, None, "", a.clutter)
    note = f"{worker.products} tuning-set uploads analysed by `krev worker`"
    return evaluation.section(a.scores, a.heldout, worker.peak_rss_kib, note, a.clutter)


def _worker_rows(worker: WorkerMemory | None) -> list[str]:
    if worker is None:
        return ["| worker peak RSS | not measured (no scale-out run) |"]
    return [
        f"| worker peak RSS (VmHWM), {worker.products} uploads analysed, MiB "
        f"| {worker.peak_rss_kib / 1024:.1f} |",
        f"| the same worker before the uploads (VmRSS), MiB | {worker.idle_rss_kib / 1024:.1f} |",
        f"| uploads analysed by the workers, ready / total | {worker.ready}/{worker.products} |",
        f"| first upload to last product ready, s | {worker.seconds:.1f} |",
    ]


def _analysis_targets(a: AnalysisResults, worker: WorkerMemory | None) -> list[str]:
    return [
        f"- mean IoU ≥ {IOU_TARGET}: {_yes(a.iou >= IOU_TARGET)} ({a.iou:.4f}; GrabCut "
        f"{a.grabcut_iou:.4f})",
        f"- brand exact match ≥ {BRAND_TARGET:.0%}: {_yes(a.brand_accuracy >= BRAND_TARGET)} "
        f"({a.brand_accuracy:.1%})",
        f"- full analysis of {a.size}² ≤ {ANALYSIS_SECONDS_TARGET} s median: "
        f"{_yes(a.median_s <= ANALYSIS_SECONDS_TARGET)} ({a.median_s:.3f} s)",
        (
            f"- worker peak RSS ≤ 1 GB (10^9 bytes): "
            f"{_yes(worker.peak_rss_kib <= RSS_TARGET_KIB)} "
            f"({worker.peak_rss_kib / 1024:.1f} MiB, `krev worker` VmHWM)"
            if worker is not None
            else "- worker peak RSS ≤ 1 GB: not measured (no scale-out run)"
        ),
        f"- top color: no target is set ({a.color_accuracy:.1%})",
    ]


def http_section(results: Results) -> list[str]:
    load = results.load
    lines = [
        "## HTTP: GET with a valid bearer key, versus a bare FastAPI app",
        "",
        f"One uvicorn process per server, started as `krev serve` starts it (factory, uvloop + "
        f"httptools, log level warning, no access log); {load.connections} keep-alive "
        f"connections from one load-generator thread; {load.warmup:g} s warm-up (dropped), then "
        f"{load.duration:g} s measured, per row. Load generator and server share the CPUs. "
        f"The bare app stays up throughout, and each of our rows is measured in "
        f"{load.rounds} rounds of {load.duration / load.rounds:g} s alternating with as many of "
        "the bare app's (who goes first alternates): both ratios are the median of the "
        "rounds' ratios, so a machine that drifts over the run moves both sides alike; our "
        "req/s and CPU are over all rounds, latencies the median of the rounds'. The bare "
        "rows are one run each, at the start. "
        "Non-200 counts both what the load generator saw and the server's own "
        "`krev_http_requests_total` by status (warm-up included). The ratio is against the bare "
        "app's `async def` endpoint. Server CPU is the server process's user + system time "
        "over the measured run divided by its requests; *ours/bare by CPU* (bare CPU per "
        "request over ours) is the throughput ratio a CPU-bound process would show alone, and "
        "moves less than req/s when other work shares the machine (see the load average; "
        f"this machine has {os.cpu_count()} cores). "
        "Each API process keeps API keys' owners and started generations in memory, dropped "
        "the moment they change (`krev.platform.readcache`: a change feed over Redis in scale-out "
        "mode, SQLite's `PRAGMA data_version` checked before each read in embedded mode); in "
        "scale-out mode it sends the rate-limit hits of requests in flight together to Redis "
        "as one script call. The *read cache off* rows run the scale-out stack with "
        "`KREV_READ_CACHE_SECONDS=0`, so every request reads PostgreSQL, for reference.",
        "",
        "| server | endpoint | req/s | p50 ms | p90 ms | p99 ms | non-200 | socket errors "
        "| server CPU µs/req | ours/bare req/s | target ≥ 1/3 | ours/bare by CPU "
        "| load avg before |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|",
    ]
    for row in results.bare.rows if results.bare else []:
        lines.append(_http_line(row, ("", ""), ""))
    for row in results.http:
        ratios = (_ratio(results.ratio(row)), _ratio(results.cpu_ratio(row)))
        lines.append(_http_line(row, ratios, _yes(results.http_target_met(row))))
    return lines


def render(results: Results) -> str:
    lines = [
        "# Krev benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every number below comes from one run.",
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in results.machine.items()),
        "",
        *http_section(results),
    ]
    lines += [
        "",
        "## Queue: trivial jobs through the real queue",
        "",
        "Each job is a `bench_noop` generation (no work, no output) submitted through the "
        "generation service: 40 credits reserved, record written, task enqueued after "
        "commit; the deployment's workers claim it, run it with its heartbeat thread and "
        "settle it. *Accepting*: jobs submitted back to back by the bench process, one "
        "transaction each as requests would, while the workers run them. *Draining*: the "
        "same number accepted in one transaction, then run from the backlog. Timed from the "
        "first record's `created_at` to the last one's `completed_at`.",
        "",
        "| mode | workers | measure | jobs | succeeded | seconds | jobs/s "
        "| p50 created → completed s |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for queue in results.queues:
        q = queue.result
        lines.append(
            f"| {queue.mode} | {queue.workers} | {queue.measure} | {q.jobs} "
            f"| {q.statuses.get('succeeded', 0)} | {q.seconds:.2f} | {q.jobs_per_second:,.1f} "
            f"| {q.p50_job_seconds:.2f} |"
        )
    lines += [
        "",
        "## Memory",
        "",
        "VmRSS from /proc/<pid>/status, after start-up and 10 requests on each endpoint, "
        "then a second idle (the embedded server also holds its 2 worker threads and the "
        "sweeper); and once more right after the HTTP load.",
        "",
        "| process | VmRSS MiB |",
        "|---|--:|",
        *(f"| {name} | {kib / 1024:.1f} |" for name, kib in results.memory),
    ]
    if results.analysis:
        lines += _analysis_section(results.analysis, results.worker_memory)
        lines += _evaluation_section(results.analysis, results.worker_memory)
    if results.large_images:
        lines += large_image_section(results.large_images)
    if results.images:
        lines += images_section(results.images)
    if results.ads:
        lines += ads_section(results.ads)
    if results.videos:
        lines += videos_section(results.videos)
    if results.chat:
        lines += chat_section(results.chat)
    if results.providers:
        lines += providers_section(results.providers)
    if results.diffusion:
        lines += diffusion_section(results.diffusion)
    if results.conversions:
        lines += conversions_section(results.conversions)
    lines += ["", "## Targets", ""]
    for row in results.http:
        if row.reference:
            continue
        ratio = results.ratio(row)
        lines.append(
            f"- {row.mode} `{row.endpoint}` ≥ 1/3 of bare throughput: "
            f"{_yes(results.http_target_met(row))}" + ("" if ratio is None else f" ({ratio:.2f})")
        )
    all_200 = all(r.non_200 == 0 and r.result.socket_errors == 0 for r in results.http)
    lines.append(f"- every answer a 200, no socket errors: {_yes(all_200)}")
    for queue in results.queues:
        lines.append(
            f"- {queue.mode} queue, {queue.measure}: all {queue.result.jobs} jobs succeeded: "
            f"{_yes(queue.result.all_succeeded)} (no throughput target is set)"
        )
    lines.append("- idle RSS: no target is set")
    if results.analysis:
        lines += _analysis_targets(results.analysis, results.worker_memory)
        if results.analysis.heldout:
            peak = results.worker_memory.peak_rss_kib if results.worker_memory else None
            lines += evaluation.targets(results.analysis.heldout, peak)
    if results.large_images:
        lines += large_image_targets(results.large_images)
    if results.images:
        lines += images_targets(results.images)
    if results.ads:
        lines += ads_targets(results.ads)
    if results.videos:
        lines += videos_targets(results.videos)
    if results.chat:
        lines += chat_targets(results.chat)
    if results.providers:
        lines += providers_targets(results.providers)
    if results.conversions:
        lines += conversions_targets(results.conversions)
    notes = list(results.notes)
    notes.append(
        "Where the time goes on these paths, and what was done about it: docs/performance.md."
    )
    busiest = max((row.load_average for row in _all_http(results)), default=0.0)
    if busiest > (os.cpu_count() or 1):
        notes.append(
            f"The machine was busy (1-minute load average up to {busiest:.1f} on "
            f"{os.cpu_count()} cores): other processes took CPU from the servers and the load "
            "generator, so req/s and latencies are understated; the CPU columns are steadier."
        )
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def write(results: Results, path: Path) -> None:
    path.write_text(render(results))
