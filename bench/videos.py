"""Video generation speed: the studio video engine's work end to end, in this process.

Each case plans a ``reference_to_video`` film (one product, the hook, benefit and call to
action on screen) with ``krev.engines.studio.video.StudioVideoEngine`` and encodes it with
``encode_mp4`` (libx264 superfast CRF 23, AAC music bed), frames drawn as they are encoded:
what the video pipeline does around its queue and storage. Beside each case, in the same run:
the same frames, drawn beforehand and held in memory, fed to the same encoder with the same
settings: the floor no pipeline that delivers this MP4 can go under. Then the ratio of the
two, and of render + encode to the video's own duration (real time).

Peak memory: the 15 s 9:16 case rendered and encoded once in a fresh process, its VmHWM.

``python -m bench.videos [runs]`` runs this section alone and prints it (RESULTS.md untouched).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.images import product_cutout
from krev.engines.studio.video import StudioVideoEngine, encode_mp4, video_size
from krev.engines.video import SAMPLE_RATE, Audio, VideoCopy, VideoRequest

PROMPT = "Premium product on dark marble, soft window light"
COPY = VideoCopy(
    hook="The box that keeps up", benefit="Stackable, sealed, 40 L", cta="Shop now", brand="Nova"
)
CASES = (("16:9", 5), ("9:16", 5), ("16:9", 15), ("9:16", 15))
PEAK_CASE = ("9:16", 15)

ENCODE_RATIO_TARGET = 2.0  # render + encode over the encode-only floor
REAL_TIME_TARGET = 1.0  # 5 s 1080p: render + encode over 5 s
PEAK_RSS_TARGET_BYTES = 1_500_000_000  # 15 s 9:16, read strictly: 1.5 * 10^9 bytes


@dataclass
class VideoRow:
    aspect_ratio: str
    seconds: int
    width: int
    height: int
    full: list[float] = field(default_factory=list)  # plan + draw + encode, one per run
    floor: list[float] = field(default_factory=list)  # encode of pre-drawn frames
    full_cpu: list[float] = field(default_factory=list)  # the same, CPU seconds (all threads)
    floor_cpu: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.aspect_ratio}, {self.seconds} s"

    @property
    def full_s(self) -> float:
        return statistics.median(self.full)

    @property
    def floor_s(self) -> float:
        return statistics.median(self.floor)

    @property
    def ratio(self) -> float:
        return self.full_s / self.floor_s

    @property
    def real_time(self) -> float:
        return self.full_s / self.seconds

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU seconds: steadier than wall time on a shared machine."""
        return statistics.median(self.full_cpu) / statistics.median(self.floor_cpu)


@dataclass
class VideoResults:
    runs: int
    rows: list[VideoRow]
    peak_rss_kib: int
    load_average: float


def music(seconds: float) -> Audio:
    """A music bed: two soft tones, a little noise."""
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    rng = np.random.default_rng(0)
    left = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.standard_normal(t.size)
    right = 0.2 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(t.size)
    return np.stack([left, right], axis=1).astype(np.float32)


def request(aspect_ratio: str, seconds: int, seed: int) -> VideoRequest:
    width, height = video_size(aspect_ratio)
    return VideoRequest(
        workflow="reference_to_video",
        prompt=PROMPT,
        width=width,
        height=height,
        duration=seconds,
        products=[product_cutout()],
        copy=COPY,
        seed=seed,
    )


def render_and_encode(
    engine: StudioVideoEngine, req: VideoRequest, path: Path
) -> tuple[float, float]:
    """The pipeline's work for one video: plan, draw and encode. Its seconds, wall and CPU."""
    started, cpu = time.perf_counter(), time.process_time()
    plan = engine.plan(req)
    encode_mp4(
        plan.frames(),
        path,
        width=req.width,
        height=req.height,
        fps=req.fps,
        frame_count=req.frame_count,
        audio=music(req.duration),
    )
    return time.perf_counter() - started, time.process_time() - cpu


def encode_only(engine: StudioVideoEngine, req: VideoRequest, path: Path) -> tuple[float, float]:
    """The same video's frames drawn first (untimed), then only encoded. Its seconds, wall
    and CPU."""
    frames = list(engine.plan(req).frames())
    started, cpu = time.perf_counter(), time.process_time()
    encode_mp4(
        iter(frames),
        path,
        width=req.width,
        height=req.height,
        fps=req.fps,
        frame_count=req.frame_count,
        audio=music(req.duration),
    )
    return time.perf_counter() - started, time.process_time() - cpu


def peak_rss_kib(aspect_ratio: str, seconds: int) -> int:
    """VmHWM of a fresh process that renders and encodes one video."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.videos", "--peak", aspect_ratio, str(seconds)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return int(done.stdout.split()[-1])


def _peak_child(aspect_ratio: str, seconds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="krev-bench-video-") as tmp:
        render_and_encode(
            StudioVideoEngine(), request(aspect_ratio, seconds, 1), Path(tmp) / "v.mp4"
        )
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(line.split()[1])


def run(runs: int = 3) -> VideoResults:
    engine = StudioVideoEngine()
    rows = [VideoRow(ratio, seconds, *video_size(ratio)) for ratio, seconds in CASES]
    with tempfile.TemporaryDirectory(prefix="krev-bench-video-") as tmp:
        path = Path(tmp) / "video.mp4"
        # One warm-up (fonts, lazy tables, the cutout's scaled copies), not counted.
        render_and_encode(engine, request("16:9", 5, 0), path)
        for attempt in range(runs):
            for row in rows:  # the cases take turns, so a busy spell slows them alike
                req = request(row.aspect_ratio, row.seconds, attempt + 1)
                wall, cpu = render_and_encode(engine, req, path)
                row.full.append(wall)
                row.full_cpu.append(cpu)
                wall, cpu = encode_only(engine, req, path)
                row.floor.append(wall)
                row.floor_cpu.append(cpu)
    return VideoResults(
        runs=runs,
        rows=rows,
        peak_rss_kib=peak_rss_kib(*PEAK_CASE),
        load_average=os.getloadavg()[0],
    )


# --- the RESULTS.md section (bench/report.py places it) ------------------------------------


def _met(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def videos_section(r: VideoResults) -> list[str]:
    lines = [
        "",
        "## Video generation",
        "",
        "The studio video engine's work in this process: `reference_to_video` with one "
        "product (a rendered 1024² photo's true cutout), hook, benefit and call to action on "
        "screen, planned, drawn and encoded to MP4 (libx264 superfast CRF 23, yuv420p, 24 fps, "
        "AAC 48 kHz music bed) as the video pipeline does, without queue or storage; beside it, "
        "the same frames drawn beforehand and only encoded with the same settings (the "
        f"floor). Median of {r.runs} runs after one warm-up, the cases taking turns. 1-minute "
        f"load average at the end: {r.load_average:.2f} on {os.cpu_count()} cores.",
        "",
        "| case | frames | render + encode s | encode only s | ratio | CPU ratio | of real time |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in r.rows:
        lines.append(
            f"| {row.name} ({row.width}x{row.height}) | {row.seconds * 24} | {row.full_s:.2f} "
            f"| {row.floor_s:.2f} | {row.ratio:.2f} | {row.cpu_ratio:.2f} "
            f"| {row.real_time:.2f} |"
        )
    lines += [
        "",
        "CPU ratio: the same two in CPU seconds of this process (every thread: the drawing "
        "thread, OpenCV's and x264's), which other work on the machine disturbs less.",
        "",
        f"Peak RSS of a fresh process rendering and encoding the {PEAK_CASE[0]} {PEAK_CASE[1]} s "
        f"case: {r.peak_rss_kib / 1024:.0f} MiB.",
    ]
    return lines


def videos_targets(r: VideoResults) -> list[str]:
    worst = max(r.rows, key=lambda row: row.ratio)
    short = [row for row in r.rows if row.seconds == 5 and row.aspect_ratio == "16:9"]
    lines = [
        f"- video render + encode ≤ {ENCODE_RATIO_TARGET:g}x the encode-only floor: "
        f"{_met(worst.ratio <= ENCODE_RATIO_TARGET)} (worst {worst.ratio:.2f}x, {worst.name})",
    ]
    for row in short:
        lines.append(
            f"- 5 s 1080p video faster than real time: {_met(row.real_time < REAL_TIME_TARGET)} "
            f"({row.full_s:.2f} s, {row.real_time:.2f}x real time)"
        )
    peak = r.peak_rss_kib * 1024
    lines.append(
        f"- peak RSS ≤ 1.5 GB for a 15 s 9:16 video: {_met(peak <= PEAK_RSS_TARGET_BYTES)} "
        f"({peak / 1e9:.2f} GB)"
    )
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--peak":
        _peak_child(sys.argv[2], int(sys.argv[3]))
        return
    results = run(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print("\n".join([*videos_section(results), "", *videos_targets(results)]))


if __name__ == "__main__":
    main()
