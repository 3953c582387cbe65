"""``Krev`` and ``AsyncKrev``: one configuration and one set of operations (``_core``), run
with blocking calls or with awaits."""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from krev_client._core import DEFAULT_TIMEOUT, Api, Notify, Op, Send, Sleep
from krev_client._resource import operation
from krev_client._retry import Retries
from krev_client.models import Capabilities
from krev_client.resources import (
    AdsResource,
    AsyncAdsResource,
    AsyncChatResource,
    AsyncConversionsResource,
    AsyncCreditsResource,
    AsyncGenerationsResource,
    AsyncImagesResource,
    AsyncPresetsResource,
    AsyncProductsResource,
    AsyncVideosResource,
    ChatResource,
    ConversionsResource,
    CreditsResource,
    GenerationsResource,
    ImagesResource,
    PresetsResource,
    ProductsResource,
    VideosResource,
)

T = TypeVar("T")


class _ClientBase:
    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        retries: int | Retries,
        headers: Mapping[str, str] | None,
    ) -> None:
        self._api = Api(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            retries=retries if isinstance(retries, Retries) else Retries(max_retries=retries),
            headers=headers,
        )

    @property
    def base_url(self) -> str:
        """The API's root the client speaks to, ``…/api/v1``."""
        return self._api.base_url

    @property
    def retries(self) -> Retries:
        return self._api.retries

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Krev(_ClientBase):
    """The Krev API v1 client.

        client = Krev()  # KREV_API_KEY, and KREV_BASE_URL or http://127.0.0.1:8000
        product = client.products.upload("photo.jpg")
        result = client.images.generate("on dark marble", product_id=product.id)

    ``api_key`` defaults to ``KREV_API_KEY``; ``base_url`` (the server's address, with or
    without ``/api/v1``) to ``KREV_BASE_URL``, else ``http://127.0.0.1:8000``. ``timeout`` is
    each request's (seconds, or an ``httpx.Timeout``); ``retries`` the number of retries, or
    a ``Retries`` policy (``krev_client.Retries``); ``transport`` an httpx transport to send
    through (a proxy's, a test's ``httpx.MockTransport``); ``headers`` are added to every
    request. Close it (or use it as a context manager) to release its connections.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: int | Retries = 3,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, retries, headers)
        self._http = httpx.Client(transport=transport, follow_redirects=False)
        self.images = ImagesResource(self)
        self.videos = VideosResource(self)
        self.ads = AdsResource(self)
        self.presets = PresetsResource(self)
        self.products = ProductsResource(self)
        self.generations = GenerationsResource(self)
        self.chat = ChatResource(self)
        self.credits = CreditsResource(self)
        self.conversions = ConversionsResource(self)

    @operation("capabilities-get")
    def capabilities(self) -> Capabilities:
        """Which engines this server runs for images, videos, ads, analysis and chat."""
        return self._run(self._api.fetch(Capabilities, "GET", "/capabilities"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, op: Op[T]) -> T:
        """Run an operation with blocking calls."""
        outcome: Any = None
        try:
            while True:
                step = op.send(outcome)
                outcome = None
                if isinstance(step, Send):
                    try:
                        outcome = self._http.send(step.request)
                    except httpx.TransportError as error:
                        outcome = error
                elif isinstance(step, Sleep):
                    time.sleep(step.seconds)
                elif isinstance(step, Notify):
                    step.callback(step.value)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            op.close()


class AsyncKrev(_ClientBase):
    """The Krev API v1 client for asyncio (and trio): ``Krev``'s resources and arguments, each
    method awaited, each list an ``async for``.

        async with AsyncKrev() as client:
            result = await client.images.generate("on dark marble", product_id=product_id)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: int | Retries = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, retries, headers)
        self._http = httpx.AsyncClient(transport=transport, follow_redirects=False)
        self.images = AsyncImagesResource(self)
        self.videos = AsyncVideosResource(self)
        self.ads = AsyncAdsResource(self)
        self.presets = AsyncPresetsResource(self)
        self.products = AsyncProductsResource(self)
        self.generations = AsyncGenerationsResource(self)
        self.chat = AsyncChatResource(self)
        self.credits = AsyncCreditsResource(self)
        self.conversions = AsyncConversionsResource(self)

    @operation("capabilities-get")
    async def capabilities(self) -> Capabilities:
        """Which engines this server runs for images, videos, ads, analysis and chat."""
        return await self._run(self._api.fetch(Capabilities, "GET", "/capabilities"))

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _run(self, op: Op[T]) -> T:
        """Run an operation with awaits; an ``on_progress`` callback may be a coroutine
        function."""
        outcome: Any = None
        try:
            while True:
                step = op.send(outcome)
                outcome = None
                if isinstance(step, Send):
                    try:
                        outcome = await self._http.send(step.request)
                    except httpx.TransportError as error:
                        outcome = error
                elif isinstance(step, Sleep):
                    await anyio.sleep(step.seconds)
                elif isinstance(step, Notify):
                    result = step.callback(step.value)
                    if inspect.isawaitable(result):
                        await result
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            op.close()
