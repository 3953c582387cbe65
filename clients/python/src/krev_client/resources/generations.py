"""``client.generations``: jobs of every kind, read, listed, waited for, cancelled, deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from krev_client._core import DEFAULT_WAIT_SECONDS, given
from krev_client._resource import AsyncResource, SyncResource, operation, segment
from krev_client.models import DeletedGeneration, Generation, JobStatus


class GenerationsResource(SyncResource):
    @operation("generations-get")
    def get(self, generation_id: str) -> Generation:
        """The job: status, progress, queue position, output once succeeded."""
        return self._run(
            self._api.fetch(Generation, "GET", f"/generations/{segment(generation_id)}")
        )

    @operation("generations-list")
    def list(
        self,
        *,
        kind: str | None = None,
        status: JobStatus | None = None,
        product_id: str | None = None,
        api_key_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Generation]:
        """Every job of yours, newest first, filtered by kind (``image``, ``video``, ``ad``,
        ``product_analysis``, ``chat``), status, the product it was for or the key that
        submitted it; ``limit`` is the page size."""
        params = given(
            kind=kind, status=status, product_id=product_id, api_key_id=api_key_id, limit=limit
        )
        return self._iterate(Generation, "/generations", params)

    @operation("generations-cancel")
    def cancel(self, generation_id: str) -> Generation:
        """Cancel a queued or running job (refunded); a running one stops at its next step,
        so it may read ``processing`` for a moment. An ended job is a ``ConflictError``."""
        path = f"/generations/{segment(generation_id)}/cancel"
        return self._run(self._api.fetch(Generation, "POST", path))

    @operation("generations-delete")
    def delete(self, generation_id: str) -> DeletedGeneration:
        """Delete an ended job with its files (a queued or running one is a ``ConflictError``:
        cancel it first)."""
        path = f"/generations/{segment(generation_id)}"
        return self._run(self._api.fetch(DeletedGeneration, "DELETE", path))

    @operation("generations-get")
    def wait(
        self,
        generation_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
    ) -> Generation:
        """The job once it has succeeded, polled until then (``on_progress`` is called with
        each change). A job that failed raises ``GenerationFailed``, a cancelled one
        ``GenerationCancelled``; still running after ``timeout`` seconds (None: no limit),
        ``WaitTimeout``."""
        return self._run(
            self._api.wait_generation(
                generation_id,
                timeout=timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
            )
        )


class AsyncGenerationsResource(AsyncResource):
    @operation("generations-get")
    async def get(self, generation_id: str) -> Generation:
        """The job: status, progress, queue position, output once succeeded."""
        return await self._run(
            self._api.fetch(Generation, "GET", f"/generations/{segment(generation_id)}")
        )

    @operation("generations-list")
    def list(
        self,
        *,
        kind: str | None = None,
        status: JobStatus | None = None,
        product_id: str | None = None,
        api_key_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Generation]:
        """Every job of yours, newest first (``async for``); see ``Krev.generations.list``."""
        params = given(
            kind=kind, status=status, product_id=product_id, api_key_id=api_key_id, limit=limit
        )
        return self._iterate(Generation, "/generations", params)

    @operation("generations-cancel")
    async def cancel(self, generation_id: str) -> Generation:
        """Cancel a queued or running job (refunded); see ``Krev.generations.cancel``."""
        path = f"/generations/{segment(generation_id)}/cancel"
        return await self._run(self._api.fetch(Generation, "POST", path))

    @operation("generations-delete")
    async def delete(self, generation_id: str) -> DeletedGeneration:
        """Delete an ended job with its files; see ``Krev.generations.delete``."""
        path = f"/generations/{segment(generation_id)}"
        return await self._run(self._api.fetch(DeletedGeneration, "DELETE", path))

    @operation("generations-get")
    async def wait(
        self,
        generation_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - the job's, as in Krev
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
    ) -> Generation:
        """The job once it has succeeded; see ``Krev.generations.wait`` (``on_progress`` may
        also be a coroutine function)."""
        return await self._run(
            self._api.wait_generation(
                generation_id,
                timeout=timeout,
                on_progress=on_progress,
                poll_interval=poll_interval,
            )
        )
