"""Local diffusion (issue 11): our overhead around a diffusers model, not the model.

A tiny random-weight pipeline (tests/support/tiny_diffusers.py), saved and loaded from its
directory by the registry as a worker would, draws 1024² images through
``krev.images.tasks.render_variants`` exactly as the ``image`` pipeline calls it (the provider,
then size check, products composited back, fidelity check, WebP encode). The provider counts
the seconds spent inside the model (``model_seconds``); everything else is ours, split into the
provider's own share (inputs prepared, the output resized back, the products' pixels kept) and
the pipeline's (composite, fidelity, encode). The model draws at 256 px (``diffusers_max_side``)
so that the tiny model's own time stays small beside ours.

torch lives in .venv-torch only: ``python -m bench`` runs this section there as a subprocess
(``run_in_torch_venv``); ``.venv-torch/bin/python -m bench.local_diffusion [runs]`` runs it
alone and prints it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_PYTHON = ROOT / ".venv-torch" / "bin" / "python"
PROMPT = "Premium leather wallet on dark marble surface, studio lighting"
SIDE = 1024
MODEL_SIDE = 128
STEPS = 2


@dataclass
class DiffusionRow:
    case: str
    seconds: list[float] = field(default_factory=list)  # render_variants, whole
    model_seconds: list[float] = field(default_factory=list)  # inside the diffusers pipeline
    provider_seconds: list[float] = field(default_factory=list)  # its call less its model

    @staticmethod
    def _median(values: list[float]) -> float:
        return statistics.median(values)

    @property
    def median_s(self) -> float:
        return self._median(self.seconds)

    @property
    def model_s(self) -> float:
        return self._median(self.model_seconds)

    @property
    def ours_s(self) -> float:
        """Everything but the model, per image."""
        return self._median([t - m for t, m in zip(self.seconds, self.model_seconds, strict=True)])

    @property
    def provider_s(self) -> float:
        """The provider's own share: its call less the model inside it."""
        return self._median(self.provider_seconds)


@dataclass
class DiffusionResults:
    runs: int
    rows: list[DiffusionRow]
    torch_version: str
    device: str
    load_seconds: float  # the registry building the provider: loading the tiny model
    skipped: str | None = None


def run(runs: int = 7) -> DiffusionResults:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from tests.support import tiny_diffusers

    from bench.images import product_cutout
    from krev.engines.providers import ImageGenerationRequest
    from krev.engines.studio.scene.canvas import product_canvas
    from krev.images import tasks
    from krev.platform.config import Settings
    from krev.providers import registry

    with tempfile.TemporaryDirectory(prefix="krev-bench-diffusers-") as tmp:
        model = tiny_diffusers.save_inpaint_model(Path(tmp) / "inpaint")
        settings = Settings(
            image_engine="diffusers",
            diffusers_model_dir=model,
            diffusers_steps=STEPS,
            diffusers_max_side=MODEL_SIDE,
        )
        started = time.perf_counter()
        generator = registry.provider(settings, "image", "diffusers")
        load_seconds = time.perf_counter() - started
        upscaler = registry.provider(settings, "upscale", "studio")
        cutout = product_cutout()
        canvas = product_canvas([cutout], SIDE, SIDE)
        cases = {"text-only 1024²": None, "product scene 1024²": canvas}
        rows = {name: DiffusionRow(name) for name in cases}

        def once(name: str, seed: int, row: DiffusionRow | None) -> None:
            scene = cases[name]
            request = ImageGenerationRequest(
                prompt=PROMPT,
                width=SIDE,
                height=SIDE,
                seed=seed,
                products=[cutout] if scene is not None else [],
                canvas=scene,
            )
            finish = tasks.Finish(
                asked=(SIDE, SIDE),
                size=(SIDE, SIDE),
                cutouts=[cutout] if scene is not None else [],
                canvas=scene,
                upscaler=upscaler,
                hd_size=None,
                fidelity_threshold=settings.image_fidelity_threshold,
            )
            before = generator.model_seconds
            started = time.perf_counter()
            variants = tasks.render_variants(generator, [request], finish, threads=1)
            seconds = time.perf_counter() - started
            model_seconds = generator.model_seconds - before
            assert (variants[0].width, variants[0].height) == (SIDE, SIDE)
            # The provider's call alone, less the model time of that same call.
            before = generator.model_seconds
            started = time.perf_counter()
            (image,) = generator.generate(request)
            provider_seconds = time.perf_counter() - started
            provider_model_seconds = generator.model_seconds - before
            assert image.rgb is not None
            assert image.rgb.shape == (SIDE, SIDE, 3)
            if row is not None:
                row.seconds.append(seconds)
                row.model_seconds.append(model_seconds)
                row.provider_seconds.append(provider_seconds - provider_model_seconds)

        for name in cases:  # a warm-up each, not counted
            once(name, 0, None)
        for attempt in range(runs):  # cases take turns within each round
            for name in cases:
                once(name, attempt + 1, rows[name])
    return DiffusionResults(
        runs, list(rows.values()), torch.__version__, generator.device, load_seconds
    )


def run_in_torch_venv(runs: int) -> DiffusionResults:
    """This section from .venv-torch (where torch is), for ``python -m bench`` in .venv."""
    if not TORCH_PYTHON.exists():
        return DiffusionResults(runs, [], "", "", 0.0, skipped="no .venv-torch (make setup-torch)")
    completed = subprocess.run(
        [str(TORCH_PYTHON), "-m", "bench.local_diffusion", str(runs), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = " ".join(completed.stderr.split()[-40:])
        return DiffusionResults(runs, [], "", "", 0.0, skipped=f"the run failed: {tail}")
    return from_json(completed.stdout)


def from_json(text: str) -> DiffusionResults:
    data = json.loads(text)
    data["rows"] = [DiffusionRow(**row) for row in data["rows"]]
    return DiffusionResults(**data)


# --- the RESULTS.md section (bench/report.py places it) ------------------------------------


def diffusion_section(r: DiffusionResults) -> list[str]:
    lines = ["", "## Local diffusion (issue 11)", ""]
    if r.skipped:
        return [*lines, f"Skipped: {r.skipped}."]
    lines += [
        "Our side of `KREV_IMAGE_ENGINE=diffusers`, around the model: a tiny random-weight "
        f"Stable Diffusion inpainting pipeline ({STEPS} steps, drawn at {MODEL_SIDE} px, torch "
        f"{r.torch_version} on {r.device}), loaded from its directory by the registry "
        f"({r.load_seconds:.2f} s), one {SIDE}² image per call through "
        "`krev.images.tasks.render_variants` as the `image` pipeline calls it. *Model*: seconds "
        "inside the diffusers pipeline (the provider's `model_seconds`); *ours*: the rest "
        "(whole less model); *provider*: the provider's own share of it (inputs prepared, the "
        "image resized back to the output size, the products' pixels kept); the rest of ours "
        "is the pipeline's (products composited back, fidelity check, WebP encode). Median of "
        f"{r.runs} runs after a warm-up, the cases taking turns.",
        "",
        "| case | whole s | model s | ours s | provider s |",
        "|---|--:|--:|--:|--:|",
    ]
    for row in r.rows:
        lines.append(
            f"| {row.case} | {row.median_s:.3f} | {row.model_s:.3f} | {row.ours_s:.3f} "
            f"| {row.provider_s:.3f} |"
        )
    return lines


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    results = run(int(arguments[0]) if arguments else 7)
    if "--json" in sys.argv:
        print(json.dumps(asdict(results)))
    else:
        print("\n".join(diffusion_section(results)))


if __name__ == "__main__":
    main()
