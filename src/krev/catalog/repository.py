"""All SQL for products."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update

from krev.kit.repository import Repository
from krev.models import Generation, Product


class ProductRepository(Repository[Product]):
    model = Product

    def list_for_user(
        self, user_id: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Product]:
        """Newest first; ``after`` is the (created_at, id) of the last product already seen."""
        stmt = select(Product).where(Product.user_id == user_id)
        if after is not None:
            created_at, last_id = after
            stmt = stmt.where(
                or_(
                    Product.created_at < created_at,
                    and_(Product.created_at == created_at, Product.id < last_id),
                )
            )
        stmt = stmt.order_by(Product.created_at.desc(), Product.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))

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

    def job_states(
        self, generation_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, str | None]]:
        """(status, error) of the analysis jobs behind products still analyzing."""
        if not generation_ids:
            return {}
        stmt = select(Generation.id, Generation.status, Generation.error).where(
            Generation.id.in_(generation_ids)
        )
        return {row.id: (row.status, row.error) for row in self.session.execute(stmt)}

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
