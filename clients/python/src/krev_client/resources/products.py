"""``client.products``: the catalog (``/api/v1/products``)."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeAlias

from krev_client._core import (
    DEFAULT_WAIT_SECONDS,
    NOT_GIVEN,
    Api,
    NotGiven,
    Op,
    envelope,
    given,
)
from krev_client._resource import AsyncResource, SyncResource, operation
from krev_client.errors import GenerationFailed
from krev_client.models import (
    DeletedProduct,
    Generation,
    Product,
    ProductAccepted,
    ProductMetadataPatch,
    ProductPatch,
    ProductUpload,
    Taxonomy,
)

ProductSource: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes]
"""What ``products.upload`` takes: an ``http(s)://`` or ``data:`` URL (the server fetches
it), or a local file: its path (``str`` or ``Path``), its bytes, or a binary file object."""
URL_PREFIXES = ("http://", "https://", "data:")


def _upload(
    api: Api,
    source: ProductSource,
    name: str | None,
    skip_segmentation: bool | None,
    wait: bool,
    timeout: float | None,
    on_progress: Callable[[Generation], object] | None,
    poll_interval: float | None,
    idempotency_key: str | None,
) -> Op[Product]:
    options: dict[str, Any]
    if isinstance(source, str) and source.startswith(URL_PREFIXES):
        body = ProductUpload(
            image_url=source, **given(name=name, skip_segmentation=skip_segmentation)
        )
        options = {"json": body.model_dump(mode="json", exclude_unset=True)}
    else:
        filename, content = _read(source)
        fields = given(name=name)
        if skip_segmentation is not None:
            fields["skip_segmentation"] = "true" if skip_segmentation else "false"
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        options = {"files": {"file": (filename, content, content_type)}, "data": fields}
    response = yield from api.call(
        "POST",
        "/products",
        headers=None if wait else {"Prefer": "respond-async"},
        idempotency_key=idempotency_key,
        **options,
    )
    data = envelope(response)["data"]
    if response.status_code != 202:
        return Product.model_validate(data)
    accepted = ProductAccepted.model_validate(data)
    if not wait:
        return accepted
    try:
        yield from api.wait_generation(
            accepted.generation_id,
            poll_url=accepted.poll_url,
            timeout=timeout,
            on_progress=on_progress,
            poll_interval=poll_interval,
        )
    except GenerationFailed as failure:
        failure.body.setdefault("product_id", accepted.id)
        raise
    return (yield from api.fetch(Product, "GET", "/products", params={"id": accepted.id}))


def _read(source: ProductSource) -> tuple[str, bytes]:
    """A local file's name and bytes (read once: a retry sends the same body)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return "upload", bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.name, path.read_bytes()
    content = source.read()
    if not isinstance(content, bytes):
        raise TypeError("products.upload takes a file opened in binary mode ('rb')")
    return os.path.basename(str(getattr(source, "name", "") or "upload")), content


def _patch(
    name: str | NotGiven | None,
    category: str | NotGiven | None,
    metadata: ProductMetadataPatch | Mapping[str, Any] | NotGiven | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if name is not NOT_GIVEN:
        fields["name"] = name
    if category is not NOT_GIVEN:
        fields["category"] = category
    if metadata is not NOT_GIVEN:
        fields["metadata"] = (
            ProductMetadataPatch.model_validate(metadata)
            if isinstance(metadata, Mapping)
            else metadata
        )
    return ProductPatch(**fields).model_dump(mode="json", by_alias=True, exclude_unset=True)


class ProductsResource(SyncResource):
    @operation("products-upload")
    def upload(
        self,
        source: ProductSource,
        *,
        name: str | None = None,
        skip_segmentation: bool | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> Product:
        """Add a product from a photo: a URL (``http(s)://`` or ``data:``) the server fetches,
        or a local file's path, bytes or binary file object, uploaded.

        Returns the analysed product (``status`` ``ready``) once its analysis has ended,
        waiting up to ``wait_timeout`` seconds; an analysis that failed raises
        ``GenerationFailed`` (its ``product_id`` names the stored product). With
        ``wait=False`` it returns at once: a ``ProductAccepted`` (``status`` ``analyzing``,
        with the analysis's ``generation_id``) or the product if it was already analysed.
        """
        return self._run(
            _upload(
                self._api,
                source,
                name,
                skip_segmentation,
                wait,
                wait_timeout,
                on_progress,
                poll_interval,
                idempotency_key,
            )
        )

    @operation("products-list")
    def list(self, *, limit: int | None = None) -> Iterator[Product]:
        """Every product of yours, newest first; ``limit`` is the page size."""
        return self._iterate(Product, "/products", given(limit=limit))

    @operation("products-list")
    def get(self, product_id: str) -> Product:
        """One product of yours."""
        return self._run(self._api.fetch(Product, "GET", "/products", params={"id": product_id}))

    @operation("products-update")
    def update(
        self,
        product_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        category: str | NotGiven | None = NOT_GIVEN,
        metadata: ProductMetadataPatch | Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> Product:
        """Correct the analysis: a field given replaces its value, ``None`` clears it, a field
        left out is kept (in ``metadata`` too: ``{"brandName": "NORDVIK"}``). Values must be
        the taxonomy's (``products.taxonomy()``). A product still analysing is a
        ``ConflictError``."""
        body = _patch(name, category, metadata)
        return self._run(
            self._api.fetch(Product, "PATCH", "/products", params={"id": product_id}, json=body)
        )

    @operation("products-delete")
    def delete(self, product_id: str) -> DeletedProduct:
        """Delete a product and its files (what was made with it stays)."""
        return self._run(
            self._api.fetch(DeletedProduct, "DELETE", "/products", params={"id": product_id})
        )

    @operation("products-taxonomy")
    def taxonomy(self) -> Taxonomy:
        """The categories, product types, materials and colors a product may have."""
        return self._run(self._api.fetch(Taxonomy, "GET", "/products/taxonomy"))


class AsyncProductsResource(AsyncResource):
    @operation("products-upload")
    async def upload(
        self,
        source: ProductSource,
        *,
        name: str | None = None,
        skip_segmentation: bool | None = None,
        wait: bool = True,
        wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
        on_progress: Callable[[Generation], object] | None = None,
        poll_interval: float | None = None,
        idempotency_key: str | None = None,
    ) -> Product:
        """Add a product from a photo; see ``Krev.products.upload``."""
        return await self._run(
            _upload(
                self._api,
                source,
                name,
                skip_segmentation,
                wait,
                wait_timeout,
                on_progress,
                poll_interval,
                idempotency_key,
            )
        )

    @operation("products-list")
    def list(self, *, limit: int | None = None) -> AsyncIterator[Product]:
        """Every product of yours, newest first (``async for``)."""
        return self._iterate(Product, "/products", given(limit=limit))

    @operation("products-list")
    async def get(self, product_id: str) -> Product:
        """One product of yours."""
        return await self._run(
            self._api.fetch(Product, "GET", "/products", params={"id": product_id})
        )

    @operation("products-update")
    async def update(
        self,
        product_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        category: str | NotGiven | None = NOT_GIVEN,
        metadata: ProductMetadataPatch | Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> Product:
        """Correct the analysis; see ``Krev.products.update``."""
        body = _patch(name, category, metadata)
        return await self._run(
            self._api.fetch(Product, "PATCH", "/products", params={"id": product_id}, json=body)
        )

    @operation("products-delete")
    async def delete(self, product_id: str) -> DeletedProduct:
        """Delete a product and its files (what was made with it stays)."""
        return await self._run(
            self._api.fetch(DeletedProduct, "DELETE", "/products", params={"id": product_id})
        )

    @operation("products-taxonomy")
    async def taxonomy(self) -> Taxonomy:
        """The categories, product types, materials and colors a product may have."""
        return await self._run(self._api.fetch(Taxonomy, "GET", "/products/taxonomy"))
