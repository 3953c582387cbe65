"""The ``bench_noop`` pipeline: a job that does no work, so queue benchmarks time the
queue and the job lifecycle (claim, heartbeat thread, settle) rather than rendering.

Loaded by the processes under test through ``KREV_PIPELINE_MODULES=["bench.pipelines"]``.
"""

from __future__ import annotations

from krev.generations.pipelines import JobContext, JobOutcome, register_pipeline

KIND = "bench_noop"


@register_pipeline(KIND, scope="images")
def run_noop(ctx: JobContext) -> JobOutcome:
    # With {"store": true} it keeps one tiny output, so a poll has a signed URL to render.
    if ctx.params.get("store"):
        ctx.save_output(b"krev bench output\n", "text/plain", "txt")
    return JobOutcome()
