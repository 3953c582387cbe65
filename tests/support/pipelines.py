"""Pipelines the test suite plugs into the real job machinery (KREV_PIPELINE_MODULES).

``test_render`` renders a solid-colour image, encodes it as WebP and stores it, reporting
progress as it goes; its parameters make it slow, fail, crash, or use fewer credits.
"""

from __future__ import annotations

import io
import time

from PIL import Image

from krev.generations.pipelines import JobContext, JobOutcome, PipelineError, register_pipeline


@register_pipeline("test_render", scope="images")
def render(ctx: JobContext) -> JobOutcome:
    params = ctx.params
    steps = int(params.get("steps", 1))
    for step in range(steps):
        time.sleep(float(params.get("step_seconds", 0)))
        ctx.progress(int(100 * (step + 1) / (steps + 1)))
    if params.get("fail"):
        raise PipelineError("The test pipeline was asked to fail.", "test_failure")
    if params.get("crash"):
        raise RuntimeError("secret internal detail that must not reach the client")
    outputs = []
    for index in range(int(params.get("count", 1))):
        image = Image.new(
            "RGB", (int(params.get("size", 64)),) * 2, tuple(params.get("color", (200, 30, 30)))
        )
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=90)
        outputs.append(ctx.save_output(buffer.getvalue(), "image/webp", "webp"))
        del index
    return JobOutcome(
        extra={"label": params.get("label", "rendered")},
        credits_used=params.get("credits_used"),
    )
