"""``client.credits``: the balance, the plan's storage, and every move of credits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from krev_client._core import given
from krev_client._resource import AsyncResource, SyncResource, operation
from krev_client.models import Credits, LedgerEntry


class CreditsResource(SyncResource):
    @operation("credits-get")
    def get(self) -> Credits:
        """The plan, its credits (current and limit) and its storage."""
        return self._run(self._api.fetch(Credits, "GET", "/credits"))

    @operation("credits-history")
    def history(self, *, limit: int | None = None) -> Iterator[LedgerEntry]:
        """Every move of credits (reservations, refunds, grants, resets), newest first."""
        return self._iterate(LedgerEntry, "/credits/history", given(limit=limit))


class AsyncCreditsResource(AsyncResource):
    @operation("credits-get")
    async def get(self) -> Credits:
        """The plan, its credits (current and limit) and its storage."""
        return await self._run(self._api.fetch(Credits, "GET", "/credits"))

    @operation("credits-history")
    def history(self, *, limit: int | None = None) -> AsyncIterator[LedgerEntry]:
        """Every move of credits, newest first (``async for``)."""
        return self._iterate(LedgerEntry, "/credits/history", given(limit=limit))
