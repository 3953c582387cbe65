"""generation_events: one row per status change of a generation, the jobs' outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 09:00:00

Generations already there get no events: their past changes were never recorded, and events
made up now would reach readers (webhooks) as news. Their next change writes the first one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import krev.models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generation_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("generation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_events_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_events")),
        # Ids never given twice on SQLite, even after the newest row is deleted.
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_generation_events_generation_id",
        "generation_events",
        ["generation_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_generation_events_user_id", "generation_events", ["user_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_generation_events_user_id", table_name="generation_events")
    op.drop_index("ix_generation_events_generation_id", table_name="generation_events")
    op.drop_table("generation_events")
