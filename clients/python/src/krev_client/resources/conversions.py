"""``client.conversions.meta``: server events for the account's Meta pixel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from krev_client._core import Api, Op, envelope, given
from krev_client._resource import AsyncResource, SyncResource, operation
from krev_client.models import (
    ConversionBatch,
    ConversionEvent,
    ConversionEventRecord,
    ConversionsAccepted,
)

if TYPE_CHECKING:
    from krev_client._client import AsyncKrev, Krev

EventLike: TypeAlias = ConversionEvent | Mapping[str, Any]


def _send(
    api: Api,
    events: EventLike | Sequence[EventLike],
    test_event_code: str | None,
    idempotency_key: str | None,
) -> Op[ConversionsAccepted]:
    body: dict[str, Any]
    if isinstance(events, ConversionEvent | Mapping):
        body = ConversionEvent.model_validate(events).model_dump(mode="json", exclude_unset=True)
        if test_event_code is not None:
            body["test_event_code"] = test_event_code
    else:
        batch = ConversionBatch(
            data=[ConversionEvent.model_validate(e) for e in events],
            **given(test_event_code=test_event_code),
        )
        body = batch.model_dump(mode="json", exclude_unset=True)
    response = yield from api.call(
        "POST", "/conversions/meta", json=body, idempotency_key=idempotency_key
    )
    # Meta's own shape: the answer is not wrapped in ``data``.
    return ConversionsAccepted.model_validate(envelope(response))


class MetaConversionsResource(SyncResource):
    @operation("conversions-send")
    def send(
        self,
        events: EventLike | Sequence[EventLike],
        *,
        test_event_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> ConversionsAccepted:
        """Send one event, or a batch of up to 1000, to your Meta pixel. ``status`` is ``sent``
        when Meta took them, ``queued`` when the server will retry them; events are
        deduplicated on ``(event_name, event_id)`` for 48 h."""
        return self._run(_send(self._api, events, test_event_code, idempotency_key))

    @operation("conversions-list-events")
    def events(self, *, limit: int | None = None) -> Iterator[ConversionEventRecord]:
        """Every event sent, newest first, with its delivery's status."""
        return self._iterate(ConversionEventRecord, "/conversions/meta/events", given(limit=limit))


class ConversionsResource(SyncResource):
    def __init__(self, client: Krev) -> None:
        super().__init__(client)
        self.meta = MetaConversionsResource(client)


class AsyncMetaConversionsResource(AsyncResource):
    @operation("conversions-send")
    async def send(
        self,
        events: EventLike | Sequence[EventLike],
        *,
        test_event_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> ConversionsAccepted:
        """Send one event, or a batch of up to 1000; see ``Krev.conversions.meta.send``."""
        return await self._run(_send(self._api, events, test_event_code, idempotency_key))

    @operation("conversions-list-events")
    def events(self, *, limit: int | None = None) -> AsyncIterator[ConversionEventRecord]:
        """Every event sent, newest first (``async for``)."""
        return self._iterate(ConversionEventRecord, "/conversions/meta/events", given(limit=limit))


class AsyncConversionsResource(AsyncResource):
    def __init__(self, client: AsyncKrev) -> None:
        super().__init__(client)
        self.meta = AsyncMetaConversionsResource(client)
