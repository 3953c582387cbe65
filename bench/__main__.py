"""``python -m bench``: HTTP, queue and memory benchmarks in one run → bench/RESULTS.md.

Needs nothing running for the embedded mode; the scale-out mode uses PostgreSQL and Redis
on 127.0.0.1 (override with KREV_BENCH_POSTGRES_URL, an admin URL whose user may create
databases, and KREV_BENCH_REDIS_URL) and is skipped, with a note, when they do not answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from bench import (
    ads,
    analysis,
    chat,
    conversions,
    deployments,
    http,
    images,
    jobs,
    large_image,
    local_diffusion,
    machine,
    providers,
    report,
    videos,
    worker_memory,
)
from bench.load import LoadGenerator, LoadSettings, load_generator
from bench.processes import rss_kib

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
POSTGRES_URL = os.environ.get(
    "KREV_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("KREV_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="Measured seconds per row.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Warm-up seconds per row.")
    parser.add_argument("--connections", type=int, default=8, help="Keep-alive connections.")
    parser.add_argument(
        "--rounds", type=int, default=5, help="Rounds per row, paired with the bare app."
    )
    parser.add_argument("--jobs", type=int, default=200, help="Jobs per queue benchmark.")
    parser.add_argument("--workers", type=int, default=2, help="`krev worker` processes.")
    parser.add_argument(
        "--skip-analysis", action="store_true", help="Skip the product analysis (issue 3)."
    )
    parser.add_argument(
        "--analysis-photos", type=int, default=40, help="Evaluation photos for the analysis."
    )
    parser.add_argument(
        "--skip-images",
        action="store_true",
        help="Skip image and ad generation (issues 4 and 13).",
    )
    parser.add_argument("--image-runs", type=int, default=7, help="Runs per image case.")
    parser.add_argument(
        "--skip-videos", action="store_true", help="Skip video generation (render and encode)."
    )
    parser.add_argument("--skip-chat", action="store_true", help="Skip chat runs (issue 15).")
    parser.add_argument("--chat-runs", type=int, default=chat.ROUNDS, help="Rounds per chat case.")
    parser.add_argument("--video-runs", type=int, default=3, help="Runs per video case.")
    parser.add_argument(
        "--skip-conversions", action="store_true", help="Skip Meta conversions (issue 5)."
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write results.")
    parser.add_argument(
        "--only",
        choices=["large-image", "http-embedded", "http-scale-out"],
        help="Run only this part and print its rows (bench/RESULTS.md is left as it is): "
        "the largest-image rows, or one mode's HTTP rows paired with the bare app.",
    )
    return parser.parse_args()


def _stop_on_sigterm() -> None:
    # SIGTERM unwinds like Ctrl-C, so every started process and the database are cleaned up.
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _services() -> tuple[dict[str, str], str | None]:
    """Service versions for the report, and why scale-out is skipped (None: it runs)."""
    try:
        found = {
            "postgresql": machine.postgres_version(POSTGRES_URL),
            "redis": machine.redis_version(REDIS_URL),
        }
    except Exception as error:
        reason = " ".join(str(error).split())  # one line, for a Markdown bullet
        return {}, f"scale-out mode skipped: {type(error).__name__}: {reason}"
    return found, None


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _bench_queue(deployment: deployments.Deployment, count: int) -> list[report.QueueRow]:
    rows = []
    for measure in (jobs.accepting, jobs.draining):
        _say(f"{deployment.name} queue, {measure.__name__}: {count} jobs")
        result = measure(deployment.runtime, deployment.user_id, count)
        rows.append(report.QueueRow(deployment.name, deployment.workers, measure.__name__, result))
    return rows


def run(args: argparse.Namespace) -> report.Results:
    settings = LoadSettings(args.connections, args.duration, args.warmup, args.rounds)
    generator = load_generator()
    services, skipped = _services()
    results = report.Results(machine.describe(generator.name, services), settings)
    if skipped:
        results.notes.append(skipped)
    with tempfile.TemporaryDirectory(prefix="krev-bench-") as tmp:
        workdir = Path(tmp)
        _say(f"bare FastAPI baseline ({generator.name})")
        with http.bare_server(workdir) as bare:
            results.bare = http.bench_bare(generator, settings, bare)
            results.memory.append(("bare FastAPI app (same uvicorn)", results.bare.idle_rss_kib))
            _bench_deployments(args, generator, settings, workdir, bare, results, skipped)

    if not args.skip_analysis:
        _say(f"product analysis: {args.analysis_photos} photos at 1024², GrabCut alongside")
        with analysis.fake_llm() as llm:
            results.analysis = analysis.run(args.analysis_photos, llm=llm)
            _say("product analysis: the held-out evaluation set (issue 12)")
            results.analysis.heldout = analysis.run_heldout(llm)
            _say("product analysis: the clutter set (busy scenes built apart from the tuning set)")
            results.analysis.clutter = analysis.run_clutter()
    if not args.skip_images:
        _say(f"image generation: {args.image_runs} runs per case")
        results.images = images.run(args.image_runs)
        _say(f"ad generation: {args.image_runs} runs per case")
        results.ads = ads.run(args.image_runs)
        if not args.skip_videos:
            _say(f"video generation: {args.video_runs} runs per case")
            results.videos = videos.run(args.video_runs)
        if not args.skip_chat:
            _say(f"chat runs: {args.chat_runs} rounds per case")
            results.chat = chat.run(args.chat_runs)
        _say(f"local diffusion: {args.image_runs} runs per case, in .venv-torch")
        results.diffusion = local_diffusion.run_in_torch_venv(args.image_runs)
    if not args.skip_images:
        _say("provider overhead: a hosted image provider answering at once")
        results.providers = providers.run()
    if not args.skip_conversions:
        _say("meta conversions: accept throughput and a 10,000-event backlog, embedded")
        with tempfile.TemporaryDirectory(prefix="krev-bench-conversions-") as tmp:
            results.conversions = conversions.run(
                Path(tmp), args.duration, args.warmup, args.connections
            )
    return results


def _bench_deployments(
    args: argparse.Namespace,
    generator: LoadGenerator,
    settings: LoadSettings,
    workdir: Path,
    bare: http.BareServer,
    results: report.Results,
    skipped: str | None,
) -> None:
    _say("embedded mode")
    with deployments.embedded(workdir) as embedded:
        results.memory.append(("krev serve, embedded mode", http.idle_rss(embedded)))
        results.http += http.bench_deployment(generator, settings, embedded, bare)
        results.memory.append(
            ("krev serve, embedded mode, after the HTTP load", rss_kib(embedded.api_pid))
        )
        results.queues += _bench_queue(embedded, args.jobs)
        results.notes += embedded.notes
    if skipped:
        return
    # Before the main scale-out run, whose product analyses leave the load high.
    _say("scale-out mode without the read cache (reference rows)")
    with deployments.scale_out(workdir, POSTGRES_URL, REDIS_URL, 1, read_cache=False) as uncached:
        reference_rows = http.bench_deployment(generator, settings, uncached, bare)
        results.notes += uncached.notes
    _say("scale-out mode")
    with deployments.scale_out(workdir, POSTGRES_URL, REDIS_URL, args.workers) as scaled:
        results.http += http.bench_deployment(generator, settings, scaled, bare)
        results.http += reference_rows
        results.queues += _bench_queue(scaled, args.jobs)
        if not args.skip_analysis:
            _say(f"worker memory: {args.analysis_photos} uploads analysed by `krev worker`")
            results.worker_memory = worker_memory.run(scaled, args.analysis_photos)
        results.notes += scaled.notes
    if not args.skip_analysis:
        results.large_images = _bench_large_images(workdir)


def _bench_large_images(workdir: Path) -> list[large_image.LargeImageRun]:
    """Each image through its own scale-out deployment with one worker (see bench.large_image)."""
    runs = []
    for number, image in enumerate(large_image.IMAGES, start=1):
        _say(f"largest accepted image: {image}, one `krev worker`")
        place = workdir / f"large-image-{number}"
        place.mkdir()
        with deployments.scale_out(place, POSTGRES_URL, REDIS_URL, 1) as deployment:
            runs.append(large_image.run(deployment, image))
    return runs


def _only_large_image() -> int:
    _services_found, skipped = _services()
    if skipped:  # the run needs PostgreSQL and Redis
        _say(skipped)
        return 1
    with tempfile.TemporaryDirectory(prefix="krev-bench-") as tmp:
        runs = _bench_large_images(Path(tmp))
    print(
        "\n".join(
            [*large_image.large_image_section(runs), "", *large_image.large_image_targets(runs)]
        )
    )
    return 0


def _only_http(args: argparse.Namespace, mode: str) -> int:
    """One deployment's HTTP rows, for comparing changes on the hot paths without the rest."""
    settings = LoadSettings(args.connections, args.duration, args.warmup, args.rounds)
    generator = load_generator()
    services, skipped = _services()
    if mode == "scale-out" and skipped:
        _say(skipped)
        return 1
    results = report.Results(machine.describe(generator.name, services), settings)
    with tempfile.TemporaryDirectory(prefix="krev-bench-") as tmp:
        workdir = Path(tmp)
        with http.bare_server(workdir) as bare:
            _say(f"{mode} mode, HTTP rows only ({generator.name})")
            with (
                deployments.embedded(workdir)
                if mode == "embedded"
                else deployments.scale_out(workdir, POSTGRES_URL, REDIS_URL, 1)
            ) as deployment:
                results.http += http.bench_deployment(generator, settings, deployment, bare)
                results.notes += deployment.notes
    print("\n".join(report.http_section(results) + [f"- {note}" for note in results.notes]))
    return 0


def main() -> int:
    _stop_on_sigterm()
    args = _arguments()
    if args.only == "large-image":
        return _only_large_image()
    if args.only in ("http-embedded", "http-scale-out"):
        return _only_http(args, args.only.removeprefix("http-"))
    results = run(args)
    report.write(results, args.output)
    _say(f"wrote {args.output}")
    print(report.render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
