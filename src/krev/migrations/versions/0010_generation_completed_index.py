"""generations by completion time: what the janitor's output retention reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 09:00:00

With ``KREV_OUTPUT_RETENTION_DAYS`` set, every janitor round looks for finished generations
completed before a cutoff (``krev.generations.retention``); the index makes that a range scan
instead of reading every generation every few seconds. Only finished generations have a
``completed_at``.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.create_index("ix_generations_completed_at", ["completed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_index("ix_generations_completed_at")
