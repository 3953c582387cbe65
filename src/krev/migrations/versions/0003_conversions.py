"""conversions: Meta pixel configurations and the conversion events outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 08:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import krev.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta_pixel_configs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("pixel_id", sa.String(length=32), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=False),
        sa.Column("access_token_hint", sa.String(length=8), nullable=False),
        sa.Column("test_event_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meta_pixel_configs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_meta_pixel_configs")),
    )
    op.create_table(
        "conversion_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("dedup_key", sa.String(length=64), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("test_event_code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.Uuid(), nullable=True),
        sa.Column("claimed_until", krev.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("fbtrace_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", krev.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", krev.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversion_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion_events")),
    )
    op.create_index(
        "uq_conversion_events_user_dedup",
        "conversion_events",
        ["user_id", "dedup_key"],
        unique=True,
    )
    op.create_index(
        "ix_conversion_events_due", "conversion_events", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_conversion_events_user_created",
        "conversion_events",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_conversion_events_claim", "conversion_events", ["claim_token"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_conversion_events_claim", table_name="conversion_events")
    op.drop_index("ix_conversion_events_user_created", table_name="conversion_events")
    op.drop_index("ix_conversion_events_due", table_name="conversion_events")
    op.drop_index("uq_conversion_events_user_dedup", table_name="conversion_events")
    op.drop_table("conversion_events")
    op.drop_table("meta_pixel_configs")
