"""Measurement: each ticket's contact facts, outages, telephony, KPI definitions, values and commentary.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicebot.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_stats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("interval_start", sa.String(length=5), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("desk", sa.String(length=32), nullable=False),
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("answered_within_40s", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("total_wait_seconds", sa.Float(), nullable=False),
        sa.Column("total_handle_seconds", sa.Float(), nullable=False),
        sa.Column("batch", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_stats")),
        sa.UniqueConstraint(
            "day", "interval_start", "desk", "line", name="uq_call_stats_day_interval_desk_line"
        ),
    )
    op.create_index("ix_call_stats_desk_month", "call_stats", ["desk", "month"], unique=False)
    op.create_table(
        "kpi_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("recovery", sa.String(length=10), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_comments")),
    )
    op.create_index("ix_kpi_comments_ref_period", "kpi_comments", ["ref", "period"], unique=False)
    op.create_table(
        "kpi_definitions",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_kpi_definitions")),
    )
    op.create_table(
        "kpi_values",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("ytd", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("batch", sa.String(length=200), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ref", "period", name=op.f("pk_kpi_values")),
    )
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("impact_start", UTCDateTime(), nullable=False),
        sa.Column("impact_end", UTCDateTime(), nullable=True),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("batch", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
        sa.UniqueConstraint("service", "started_at", name="uq_outages_service_started_at"),
    )
    op.create_index("ix_outages_service_impact", "outages", ["service", "impact_start"], unique=False)
    op.create_table(
        "contact_facts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("desk", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("logged_at", UTCDateTime(), nullable=False),
        sa.Column("logged_day", sa.String(length=10), nullable=False),
        sa.Column("logged_month", sa.String(length=7), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("first_contact", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.String(length=100), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("self_service", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_day", sa.String(length=10), nullable=True),
        sa.Column("resolved_month", sa.String(length=7), nullable=True),
        sa.Column("resolver", sa.String(length=64), nullable=True),
        sa.Column("fix_seconds", sa.Float(), nullable=True),
        sa.Column("fix_working_seconds", sa.Float(), nullable=True),
        sa.Column("rating", sa.Boolean(), nullable=True),
        sa.Column("rated_at", UTCDateTime(), nullable=True),
        sa.Column("rated_month", sa.String(length=7), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_contact_facts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_contact_facts")),
    )
    # Covering indexes for the metrics' GROUP BYs (see tables.py).
    op.create_index(
        "ix_contact_facts_desk_logged_month",
        "contact_facts",
        [
            "desk",
            "logged_month",
            "escalated",
            "transferred",
            "first_response_seconds",
            "intent",
            "queue",
            "source",
        ],
        unique=False,
    )
    op.create_index(
        "ix_contact_facts_desk_rated_month", "contact_facts", ["desk", "rated_month", "rating"], unique=False
    )
    op.create_index(
        "ix_contact_facts_desk_resolved_month",
        "contact_facts",
        [
            "desk",
            "resolved_month",
            "resolved",
            "self_service",
            "first_contact",
            "fix_seconds",
            "fix_working_seconds",
        ],
        unique=False,
    )
    op.create_index(
        "ix_contact_facts_desk_logged_at", "contact_facts", ["desk", "logged_at", "resolved_at"], unique=False
    )
    op.create_index(
        "ix_tickets_desk_status_created_at", "tickets", ["desk", "status", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_desk_status_created_at", table_name="tickets")
    op.drop_index("ix_contact_facts_desk_logged_at", table_name="contact_facts")
    op.drop_index("ix_contact_facts_desk_resolved_month", table_name="contact_facts")
    op.drop_index("ix_contact_facts_desk_rated_month", table_name="contact_facts")
    op.drop_index("ix_contact_facts_desk_logged_month", table_name="contact_facts")
    op.drop_table("contact_facts")
    op.drop_index("ix_outages_service_impact", table_name="outages")
    op.drop_table("outages")
    op.drop_table("kpi_values")
    op.drop_table("kpi_definitions")
    op.drop_index("ix_kpi_comments_ref_period", table_name="kpi_comments")
    op.drop_table("kpi_comments")
    op.drop_index("ix_call_stats_desk_month", table_name="call_stats")
    op.drop_table("call_stats")
