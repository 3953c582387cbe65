"""generations by owner and status: each job-creating POST counts the caller's active jobs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:00:00

A plan caps the jobs one user may have queued or running (``max_active_jobs``); the count
runs on every accepted job, and the index keeps it to the user's active rows instead of every
generation they ever made.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.create_index("ix_generations_user_status", ["user_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_index("ix_generations_user_status")
