"""Pipelines the test suite plugs into the real job machinery (KREV_PIPELINE_MODULES).

``test_render`` renders a solid-colour image, encodes it as WebP and stores it, reporting
progress as it goes; its parameters make it slow, fail, crash, or use fewer credits, or
(``gate``, in-process runs only) hold it after its first step until the test opens its ``Gate``;
``waits`` makes it wait that many times (``wait_seconds`` each, holding no thread, as a job
polling a hosted provider does), remembering its runs and attempts across them; with
``wait_in`` each wait is recorded in a transaction of the pipeline's own (``JobContext.wait_in``),
as a chat run records its wait with the renders it submits.
"""

from __future__ import annotations

import io
import threading
import time
import uuid

from PIL import Image

from krev.generations.pipelines import (
    JobContext,
    JobOutcome,
    JobWaiting,
    PipelineError,
    register_pipeline,
)

GATE_SECONDS = 60.0  # generous: only a test that forgot to open its gate waits this long


class Gate:
    """Holds a ``test_render`` job after its first step's progress, so a test can act on a
    running job (cancel it, sweep it) at a known point and then let it go on."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reached = threading.Event()
        self.opened = threading.Event()

    def open(self) -> None:
        self.opened.set()


GATES: dict[str, Gate] = {}


def gate() -> Gate:
    """A new gate; pass ``{"gate": gate.name}`` in the job's params."""
    held = Gate(uuid.uuid4().hex)
    GATES[held.name] = held
    return held


def _wait_at_gate(name: str) -> None:
    held = GATES[name]
    held.reached.set()
    if not held.opened.wait(GATE_SECONDS):
        raise RuntimeError(f"test gate {name!r} was never opened")


def _wait_in(ctx: JobContext, delay: float) -> JobWaiting:
    from krev.generations.runner import WorkerJobContext

    assert isinstance(ctx, WorkerJobContext)
    with ctx.runtime.db.transaction() as session:
        return ctx.wait_in(session, delay, "test_wait_in")


@register_pipeline("test_render", scope="images")
def render(ctx: JobContext) -> JobOutcome:
    params = ctx.params
    remembered: dict[str, object] = {}
    if params.get("waits"):
        runs = int(ctx.state.get("runs", 0)) + 1
        remembered = {"runs": runs, "attempts": [*ctx.state.get("attempts", []), ctx.attempt]}
        ctx.remember(remembered)
        if runs <= int(params["waits"]):
            ctx.progress(min(90, 10 * runs))  # where a cancel is seen
            # "ready": what it waits for has happened by the time its wait is recorded.
            ready = (lambda: True) if params.get("ready") else None
            delay = float(params.get("wait_seconds", 0.05))
            if params.get("wait_in"):
                raise _wait_in(ctx, delay)
            raise JobWaiting(delay, "test_wait", ready)
    steps = int(params.get("steps", 1))
    for step in range(steps):
        time.sleep(float(params.get("step_seconds", 0)))
        ctx.progress(int(100 * (step + 1) / (steps + 1)))
        if step == 0 and params.get("gate"):
            _wait_at_gate(str(params["gate"]))
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
        extra={"label": params.get("label", "rendered"), **remembered},
        credits_used=params.get("credits_used"),
    )
