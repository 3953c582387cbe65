"""``client.chat``: creative agent runs (``POST /api/v1/chat``), polled to their end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from krev_client._core import DEFAULT_WAIT_SECONDS, given
from krev_client._resource import AsyncResource, SyncResource, operation, segment
from krev_client.models import Agent, ChatQueued, ChatRequest, Conversation, Run

if TYPE_CHECKING:
    from krev_client._client import AsyncKrev, Krev


def _request(
    message: str,
    conversation_id: str | None,
    product_ids: Sequence[str] | None,
    reference_images: Sequence[str] | None,
    agent: Agent | None,
    max_credits: int | None,
) -> dict[str, object]:
    body = ChatRequest(
        message=message,
        **given(
            conversation_id=conversation_id,
            product_ids=list(product_ids) if product_ids is not None else None,
            reference_images=list(reference_images) if reference_images is not None else None,
            agent=agent,
            max_credits=max_credits,
        ),
    )
    return body.model_dump(mode="json", exclude_unset=True)


class RunsResource(SyncResource):
    @operation("chat-run")
    def get(self, run_id: str) -> Run:
        """The run now: status, progress, transcript, artifacts, media."""
        return self._run(self._api.fetch(Run, "GET", f"/chat/runs/{segment(run_id)}"))

    @operation("chat-run")
    def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Run], object] | None = None,
        poll_interval: float | None = None,
    ) -> Run:
        """The run once it has succeeded, polled until then (``on_progress`` is called with
        each change). A run that failed raises ``RunFailed``, a cancelled one
        ``RunCancelled`` (their ``run`` is its last view); still going after ``timeout``
        seconds (None: no limit), ``WaitTimeout``."""
        return self._run(
            self._api.wait_run(
                run_id, timeout=timeout, on_progress=on_progress, poll_interval=poll_interval
            )
        )

    @operation("chat-cancel")
    def cancel(self, run_id: str) -> Run:
        """Stop a run: a queued one at once, a running one between its steps; its unfinished
        renders are cancelled and refunded. An ended run is a ``ConflictError``."""
        return self._run(self._api.fetch(Run, "POST", f"/chat/runs/{segment(run_id)}/cancel"))


class ConversationsResource(SyncResource):
    @operation("chat-conversations")
    def list(self, *, limit: int | None = None) -> Iterator[Conversation]:
        """Every conversation of yours, newest first; ``limit`` is the page size."""
        return self._iterate(Conversation, "/chat", given(limit=limit))

    @operation("chat-conversation")
    def get(self, conversation_id: str) -> Conversation:
        """A conversation with its transcript (oldest first) and the ids of its runs."""
        path = f"/chat/conversations/{segment(conversation_id)}"
        return self._run(self._api.fetch(Conversation, "GET", path))


class ChatResource(SyncResource):
    def __init__(self, client: Krev) -> None:
        super().__init__(client)
        self.runs = RunsResource(client)
        self.conversations = ConversationsResource(client)

    @operation("chat-start")
    def send(
        self,
        message: str,
        *,
        conversation_id: str | None = None,
        product_ids: Sequence[str] | None = None,
        reference_images: Sequence[str] | None = None,
        agent: Agent | None = None,
        max_credits: int | None = None,
        idempotency_key: str | None = None,
    ) -> ChatQueued:
        """Queue a run of the creative agent (``asset``, ``discover`` or ``auto``); follow it
        with ``chat.runs.wait(queued.run_id)``. ``conversation_id`` continues a
        conversation; ``max_credits`` caps what its renders may spend."""
        body = _request(message, conversation_id, product_ids, reference_images, agent, max_credits)
        return self._run(
            self._api.fetch(ChatQueued, "POST", "/chat", json=body, idempotency_key=idempotency_key)
        )


class AsyncRunsResource(AsyncResource):
    @operation("chat-run")
    async def get(self, run_id: str) -> Run:
        """The run now: status, progress, transcript, artifacts, media."""
        return await self._run(self._api.fetch(Run, "GET", f"/chat/runs/{segment(run_id)}"))

    @operation("chat-run")
    async def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - the job's, as in Krev
        on_progress: Callable[[Run], object] | None = None,
        poll_interval: float | None = None,
    ) -> Run:
        """The run once it has succeeded; see ``Krev.chat.runs.wait``."""
        return await self._run(
            self._api.wait_run(
                run_id, timeout=timeout, on_progress=on_progress, poll_interval=poll_interval
            )
        )

    @operation("chat-cancel")
    async def cancel(self, run_id: str) -> Run:
        """Stop a run; see ``Krev.chat.runs.cancel``."""
        return await self._run(self._api.fetch(Run, "POST", f"/chat/runs/{segment(run_id)}/cancel"))


class AsyncConversationsResource(AsyncResource):
    @operation("chat-conversations")
    def list(self, *, limit: int | None = None) -> AsyncIterator[Conversation]:
        """Every conversation of yours, newest first (``async for``)."""
        return self._iterate(Conversation, "/chat", given(limit=limit))

    @operation("chat-conversation")
    async def get(self, conversation_id: str) -> Conversation:
        """A conversation with its transcript (oldest first) and the ids of its runs."""
        path = f"/chat/conversations/{segment(conversation_id)}"
        return await self._run(self._api.fetch(Conversation, "GET", path))


class AsyncChatResource(AsyncResource):
    def __init__(self, client: AsyncKrev) -> None:
        super().__init__(client)
        self.runs = AsyncRunsResource(client)
        self.conversations = AsyncConversationsResource(client)

    @operation("chat-start")
    async def send(
        self,
        message: str,
        *,
        conversation_id: str | None = None,
        product_ids: Sequence[str] | None = None,
        reference_images: Sequence[str] | None = None,
        agent: Agent | None = None,
        max_credits: int | None = None,
        idempotency_key: str | None = None,
    ) -> ChatQueued:
        """Queue a run of the creative agent; see ``Krev.chat.send``."""
        body = _request(message, conversation_id, product_ids, reference_images, agent, max_credits)
        return await self._run(
            self._api.fetch(ChatQueued, "POST", "/chat", json=body, idempotency_key=idempotency_key)
        )
