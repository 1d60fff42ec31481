"""Labelled examples that triage learns from, and their revocations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicebot.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labelled_examples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("desk", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("previous", sa.String(64)),
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey("tickets.id", name="fk_labelled_examples_ticket_id_tickets"),
        ),
        sa.Column("batch", sa.String(200)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_labelled_examples_ticket_id", "labelled_examples", ["ticket_id"])
    op.create_table(
        "labelled_revocations",
        sa.Column(
            "example_id",
            sa.Integer,
            sa.ForeignKey(
                "labelled_examples.id", name="fk_labelled_revocations_example_id_labelled_examples"
            ),
            primary_key=True,
        ),
        sa.Column("revoked_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("labelled_revocations")
    op.drop_index("ix_labelled_examples_ticket_id", table_name="labelled_examples")
    op.drop_table("labelled_examples")
