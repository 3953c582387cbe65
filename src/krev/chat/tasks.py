"""The ``chat`` pipeline: a run's job, worked by ``krev.chat.agent``. It costs nothing; the
renders it asks for are generations of their own, charged to the run (``chat:<run id>``)."""

from __future__ import annotations

import uuid

from krev.chat import agent, service
from krev.chat.service import KIND
from krev.engines.providers import ProviderError
from krev.generations.pipelines import (
    JobCancelled,
    JobContext,
    JobOutcome,
    JobSuperseded,
    JobWaiting,
    PipelineError,
    on_job_finished,
    register_pipeline,
)
from krev.generations.runner import WorkerJobContext, resume_generation
from krev.platform.runtime import Runtime

UNEXPECTED = (
    "The run failed unexpectedly; renders it had started and not finished were cancelled and "
    "refunded."
)


def _runtime_of(ctx: JobContext) -> Runtime:
    # A run reads and writes the chat tables and submits renders, which JobContext does not
    # expose; the worker's context carries the runtime.
    if not isinstance(ctx, WorkerJobContext):
        raise PipelineError("A chat run must run in a Krev worker.", "internal_error")
    return ctx.runtime


# The planner itself takes milliseconds; a run that renders waits for its renders (without
# a worker thread) and is polled meanwhile.
@register_pipeline(KIND, scope="chat", expected_seconds=2.0)
def run_chat(ctx: JobContext) -> JobOutcome:
    runtime = _runtime_of(ctx)
    run_id = uuid.UUID(str(ctx.params["run_id"]))
    try:
        finished = agent.work(runtime, ctx, run_id)
    except (JobWaiting, JobSuperseded):
        raise
    except JobCancelled:
        agent.stop(runtime, run_id, "cancelled", "Cancelled by the user.")
        raise
    except PipelineError as error:
        agent.stop(runtime, run_id, "failed", error.message)
        raise
    except ProviderError as error:
        agent.stop(runtime, run_id, "failed", error.message)
        raise PipelineError(error.message, error.code) from error
    except Exception:
        agent.stop(runtime, run_id, "failed", UNEXPECTED)
        raise
    return JobOutcome(
        extra={"run_id": str(run_id), "agent_used": finished.agent_used},
        credits_used=0,
        records=lambda session: agent.succeed(session, run_id, finished),
    )


@on_job_finished
def wake_the_run(runtime: Runtime, generation_id: uuid.UUID, source: str) -> None:
    """The last render a run asked for has ended: the run, waiting on them without a worker,
    goes on now rather than at its next look (``KREV_CHAT_POLL_SECONDS``). Each render asks
    after its own end has committed, so of two ending together the later one sees both done.
    A run that is not waiting yet ignores the wake, and sees for itself once it waits
    (``JobWaiting.ready``).

    The run goes on in this thread, the render's, now free: writing the reply takes
    milliseconds, and a trip through the queue to another worker cost as much again."""
    run_id = service.run_of_source(source)
    if run_id is None:
        return
    with runtime.db.transaction(write=False) as session:
        job_id = service.job_to_wake(session, run_id)
    if job_id is not None:
        resume_generation(runtime, job_id)
