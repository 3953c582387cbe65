"""All SQL for products."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import Generation, Product, ProductCorrection

PRODUCTS = Keyset("products", (Product.created_at, Product.id))


class ProductRepository(Repository[Product]):
    model = Product

    def page_for_user(self, user_id: uuid.UUID, page: PageRequest) -> Page[Product]:
        return self.paginate(select(Product).where(Product.user_id == user_id), PRODUCTS, page)

    def lock_owned(self, product_id: uuid.UUID, user_id: uuid.UUID) -> Product | None:
        """The product, its row locked until commit: an analysis finishing concurrently waits
        and then finds it gone, instead of adding a cutout the deletion never saw."""
        stmt = (
            select(Product)
            .where(Product.id == product_id, Product.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    # How many of a user's other products' label lines an analysis reads: the most recent.
    LABEL_ROWS = 200

    def label_texts(self, user_id: uuid.UUID, except_id: uuid.UUID) -> list[Any]:
        """The label lines stored with the user's other ready products, newest first."""
        stmt = (
            select(Product.metadata_)
            .where(Product.user_id == user_id, Product.id != except_id, Product.status == "ready")
            .order_by(Product.created_at.desc(), Product.id)
            .limit(self.LABEL_ROWS)
        )
        return [metadata.get("labelText") for metadata in self.session.scalars(stmt) if metadata]

    def ready_called(self, user_id: uuid.UUID, fragments: Sequence[str] | None) -> list[Product]:
        """The user's ready products with a cutout whose name, productName, brandName or
        productType contains one of ``fragments`` (lower case), newest first; every ready one
        when ``fragments`` is None. A superset: the caller decides which fit."""
        stmt = select(Product).where(
            Product.user_id == user_id,
            Product.status == "ready",
            Product.segmented_key.is_not(None),
        )
        if fragments is not None:
            texts: list[ColumnElement[str]] = [
                func.lower(Product.name),
                *(
                    func.lower(Product.metadata_[key].as_string())
                    for key in ("productName", "brandName", "productType")
                ),
            ]
            stmt = stmt.where(
                or_(
                    *(
                        text.contains(fragment, autoescape=True)
                        for text in texts
                        for fragment in fragments
                    )
                )
            )
        return list(self.session.scalars(stmt.order_by(Product.created_at.desc(), Product.id)))

    def job_states(
        self, generation_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, str | None]]:
        """(status, error) of the analysis jobs behind products still analyzing.

        A job that is no longer there was deleted after it ended without reaching its product
        (only finished generations can be deleted): it reads as failed, not as analyzing."""
        if not generation_ids:
            return {}
        stmt = select(Generation.id, Generation.status, Generation.error).where(
            Generation.id.in_(generation_ids)
        )
        found = {row.id: (row.status, row.error) for row in self.session.execute(stmt)}
        deleted = ("failed", "The analysis ended without a result, and its job was deleted.")
        return {id_: found.get(id_, deleted) for id_ in generation_ids}

    def finish_analysis(self, product_id: uuid.UUID, **values: object) -> bool:
        """Write the analysis result if the product still exists and is analyzing."""
        stmt = (
            update(Product)
            .where(Product.id == product_id, Product.status == "analyzing")
            .values(**values)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def remove(self, product_id: uuid.UUID) -> None:
        self.session.execute(delete(Product).where(Product.id == product_id))


class CorrectionRepository(Repository[ProductCorrection]):
    model = ProductCorrection

    # A user's brand corrections read when an analysis starts: the most recent this many.
    BRAND_ROWS = 1000

    def add_all(self, corrections: Iterable[ProductCorrection]) -> None:
        self.session.add_all(list(corrections))

    def brand_names(self, user_id: uuid.UUID) -> list[tuple[uuid.UUID, Any]]:
        """(product id, brand name given) of the user's brandName corrections, newest first."""
        stmt = (
            select(ProductCorrection.product_id, ProductCorrection.value)
            .where(ProductCorrection.user_id == user_id, ProductCorrection.field == "brandName")
            .order_by(ProductCorrection.created_at.desc(), ProductCorrection.id)
            .limit(self.BRAND_ROWS)
        )
        return [(row.product_id, row.value) for row in self.session.execute(stmt)]
