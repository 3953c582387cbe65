"""causes: the key or dashboard session (and source) behind each generation and ledger entry

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00

Rows already there were written before causes were recorded, and nothing tells which key made
them: they get the source ``unknown``, with no key and no session, and the API shows them so.
A refund written later for such a job carries its job's ``unknown`` too.

``source`` is added with ``unknown`` as its default, which fills the old rows (PostgreSQL
stores the default once, without rewriting the table), and the default is then dropped: every
new row must say its cause.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TABLES = ("generations", "credit_ledger")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column("source", sa.String(length=64), nullable=False, server_default="unknown"),
        )
        # On SQLite each block rebuilds the table once (its columns' defaults and foreign keys
        # cannot be altered in place); on PostgreSQL it is plain ALTER TABLE statements.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("source", server_default=None)
            batch_op.add_column(sa.Column("api_key_id", sa.Uuid(), nullable=True))
            batch_op.add_column(sa.Column("dashboard_session_id", sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_api_key_id_api_keys"), "api_keys", ["api_key_id"], ["id"]
            )
    op.create_index(
        "ix_generations_user_api_key", "generations", ["user_id", "api_key_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_generations_user_api_key", table_name="generations")
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_api_key_id_api_keys"), type_="foreignkey"
            )
            batch_op.drop_column("dashboard_session_id")
            batch_op.drop_column("api_key_id")
            batch_op.drop_column("source")
