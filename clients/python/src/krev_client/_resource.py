"""The base of every resource (``client.images``, ``client.products``…), in its sync and its
async form, and the mark that ties a method to the API operations it calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from krev_client._core import Api, Op

if TYPE_CHECKING:
    from krev_client._client import AsyncKrev, Krev

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

OPERATIONS_ATTRIBUTE = "__krev_operations__"


def operation(*operation_ids: str) -> Callable[[F], F]:
    """Mark a method as the client's way to the OpenAPI operations ``operation_ids`` (a test
    checks that every public operation has one)."""

    def mark(method: F) -> F:
        setattr(method, OPERATIONS_ATTRIBUTE, operation_ids)
        return method

    return mark


def segment(value: str) -> str:
    """An id as one path segment, whatever it holds."""
    return quote(str(value), safe="")


class SyncResource:
    def __init__(self, client: Krev) -> None:
        self._client = client

    @property
    def _api(self) -> Api:
        return self._client._api

    def _run(self, op: Op[T]) -> T:
        return self._client._run(op)

    def _iterate(self, model: type[M], path: str, params: Mapping[str, Any]) -> Iterator[M]:
        """Every item of a list, a page at a time (a page is fetched when it is reached)."""
        cursor: str | None = None
        while True:
            page = self._run(self._api.page(model, path, params, cursor))
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor


class AsyncResource:
    def __init__(self, client: AsyncKrev) -> None:
        self._client = client

    @property
    def _api(self) -> Api:
        return self._client._api

    async def _run(self, op: Op[T]) -> T:
        return await self._client._run(op)

    async def _iterate(
        self, model: type[M], path: str, params: Mapping[str, Any]
    ) -> AsyncIterator[M]:
        """Every item of a list, a page at a time (a page is fetched when it is reached)."""
        cursor: str | None = None
        while True:
            page = await self._run(self._api.page(model, path, params, cursor))
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor
