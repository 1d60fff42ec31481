"""Several replicas on one database: claims on inbox and outbox rows, leases, triage models shared.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicebot.storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("inbound_requests", "outbox"):
        op.add_column(table, sa.Column("claimed_by", sa.String(length=100), nullable=True))
        op.add_column(table, sa.Column("claimed_until", UTCDateTime(), nullable=True))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_table(
        "triage_models",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("trained_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_triage_models"),
    )


def downgrade() -> None:
    op.drop_table("triage_models")
    op.drop_table("leases")
    for table in ("outbox", "inbound_requests"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_until")
            batch.drop_column("claimed_by")
