"""Products in a user's catalog: the uploaded photo, its cutout and what analysis found."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base, JSONType

PRODUCT_STATUSES = ("analyzing", "ready", "failed")


class Product(Base):
    __tablename__ = "products"
    # Listing is newest first per user, with (created_at, id) as the cursor.
    __table_args__ = (Index("ix_products_user_created", "user_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    name_source: Mapped[str] = mapped_column(String(8), default="auto")  # 'user' | 'auto'
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    image_key: Mapped[str] = mapped_column(String(512))
    segmented_key: Mapped[str | None] = mapped_column(String(512), default=None)
    status: Mapped[str] = mapped_column(String(16), default="analyzing")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(16), default="api")
    generation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductCorrection(Base):
    """One value a user set on one of their products (``PATCH /api/v1/products``), and what it
    replaced: what that account's later analyses learn from (its brand names). Kept when the
    product is deleted, so what was learned is not forgotten with it; gone with the account."""

    __tablename__ = "product_corrections"
    __table_args__ = (Index("ix_product_corrections_user_field", "user_id", "field", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID]  # no foreign key: the correction outlives the product
    field: Mapped[str] = mapped_column(String(32))  # "brandName", "category", "name", …
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)  # str, list of str, or None
    previous: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
