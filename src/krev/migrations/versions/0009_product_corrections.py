"""product corrections: what users set on their products, which their later analyses learn from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00

Each row is one key of one ``PATCH /api/v1/products`` that changed a value: the field, the value
set and the value it replaced. A user's later analyses read the brand names they gave
(``krev.catalog.service.known_brands``). ``product_id`` has no foreign key: what was learned
outlives the product; the account's deletion removes its rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import krev.models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "product_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("previous", JSON, nullable=True),
        sa.Column("created_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_product_corrections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_corrections")),
    )
    op.create_index(
        "ix_product_corrections_user_field",
        "product_corrections",
        ["user_id", "field", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_product_corrections_user_field", table_name="product_corrections")
    op.drop_table("product_corrections")
