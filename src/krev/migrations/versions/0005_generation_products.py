"""generation_products: the products each generation was submitted for, filled from params

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "generation_products",
        sa.Column("generation_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_products_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("generation_id", "product_id", name=op.f("pk_generation_products")),
    )
    op.create_index(
        op.f("ix_generation_products_product_id"),
        "generation_products",
        ["product_id"],
        unique=False,
    )
    op.create_index(
        "ix_generations_user_created", "generations", ["user_id", "created_at", "id"], unique=False
    )
    if not op.get_context().as_sql:
        _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_generations_user_created", table_name="generations")
    op.drop_index(op.f("ix_generation_products_product_id"), table_name="generation_products")
    op.drop_table("generation_products")


def _backfill(connection: sa.Connection) -> None:
    """Links for the generations already there, read from their params a batch at a time:
    ``product_id`` (product analysis), ``products[].id`` (images), ``product_ids``."""
    generations = sa.table(
        "generations",
        sa.column("id", sa.Uuid()),
        sa.column("params", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    links = sa.table(
        "generation_products",
        sa.column("generation_id", sa.Uuid()),
        sa.column("product_id", sa.Uuid()),
    )
    last: uuid.UUID | None = None
    while True:
        stmt = sa.select(generations.c.id, generations.c.params).order_by(generations.c.id)
        if last is not None:
            stmt = stmt.where(generations.c.id > last)
        rows = connection.execute(stmt.limit(_BATCH)).all()
        if not rows:
            return
        found = [
            {"generation_id": row.id, "product_id": product_id}
            for row in rows
            for product_id in _product_ids(row.params)
        ]
        if found:
            connection.execute(sa.insert(links), found)
        last = rows[-1].id


def _product_ids(params: Any) -> Iterator[uuid.UUID]:
    if not isinstance(params, dict):
        return
    named: list[Any] = [params.get("product_id")]
    if isinstance(params.get("product_ids"), list):
        named += params["product_ids"]
    if isinstance(params.get("products"), list):
        named += [p.get("id") for p in params["products"] if isinstance(p, dict)]
    seen: set[uuid.UUID] = set()
    for value in named:
        try:
            product_id = uuid.UUID(str(value))
        except ValueError:
            continue  # absent (None) or not an id: nothing to link
        if product_id not in seen:
            seen.add(product_id)
            yield product_id
