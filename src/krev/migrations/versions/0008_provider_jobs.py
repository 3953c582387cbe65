"""provider jobs: what a generation's hosted provider is doing, and when its job wakes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00

``provider_state`` holds what a job must remember across runs: a hosted provider's job ids
(stored before the first poll, so a retried or restarted job polls them again instead of paying
twice), the retries of a transient failure, the engine it fell back to. ``wake_at`` is set while
a processing job waits for its next poll or retry: the job holds no worker thread meanwhile,
and the janitor takes it as lost only once ``wake_at`` is long past.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provider_state",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("wake_at")
        batch_op.drop_column("provider_state")
