"""credit_ledger.generation_kind: what each generation's credit moves were for, and an index
for one user's recent moves

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-15 10:00:00

Usage by kind (GET /api/v1/credits/usage) reads the ledger alone: a generation may be deleted
(by its owner, or by output retention) while the credits it used stay spent. Rows already there
take their generation's kind where the generation still exists; the moves of generations
deleted before this migration keep none and count in no kind.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "credit_ledger", sa.Column("generation_kind", sa.String(length=32), nullable=True)
    )
    op.execute(
        "UPDATE credit_ledger SET generation_kind = (SELECT generations.kind FROM generations "
        "WHERE generations.id = credit_ledger.generation_id) WHERE generation_id IS NOT NULL"
    )
    op.create_index(
        "ix_credit_ledger_user_created", "credit_ledger", ["user_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_credit_ledger_user_created", table_name="credit_ledger")
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_column("generation_kind")
