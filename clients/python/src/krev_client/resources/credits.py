"""``client.credits``: the balance, the plan's storage, every move of credits, and the credits
used per day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from krev_client._core import given
from krev_client._resource import AsyncResource, SyncResource, operation
from krev_client.models import Credits, CreditUsage, LedgerEntry


class CreditsResource(SyncResource):
    @operation("credits-get")
    def get(self) -> Credits:
        """The plan, its credits (current and limit) and its storage."""
        return self._run(self._api.fetch(Credits, "GET", "/credits"))

    @operation("credits-history")
    def history(self, *, limit: int | None = None) -> Iterator[LedgerEntry]:
        """Every move of credits (reservations, refunds, grants, resets), newest first."""
        return self._iterate(LedgerEntry, "/credits/history", given(limit=limit))

    @operation("credits-usage")
    def usage(self, *, days: int | None = None) -> CreditUsage:
        """Credits used per UTC day over the last ``days`` days (the server's default: 30), by
        kind (images, videos, ads), with the part chat runs used."""
        return self._run(
            self._api.fetch(CreditUsage, "GET", "/credits/usage", params=given(days=days))
        )


class AsyncCreditsResource(AsyncResource):
    @operation("credits-get")
    async def get(self) -> Credits:
        """The plan, its credits (current and limit) and its storage."""
        return await self._run(self._api.fetch(Credits, "GET", "/credits"))

    @operation("credits-history")
    def history(self, *, limit: int | None = None) -> AsyncIterator[LedgerEntry]:
        """Every move of credits, newest first (``async for``)."""
        return self._iterate(LedgerEntry, "/credits/history", given(limit=limit))

    @operation("credits-usage")
    async def usage(self, *, days: int | None = None) -> CreditUsage:
        """Credits used per UTC day over the last ``days`` days (the server's default: 30), by
        kind (images, videos, ads), with the part chat runs used."""
        return await self._run(
            self._api.fetch(CreditUsage, "GET", "/credits/usage", params=given(days=days))
        )
