"""Tickets with append-only history, ticket sources and messages, inbound request inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicebot.storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_APPEND_ONLY = """
CREATE TRIGGER ticket_events_no_{op} BEFORE {OP} ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END
"""
_PG_APPEND_ONLY_FN = """
CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$ LANGUAGE plpgsql
"""
_PG_APPEND_ONLY_TRIGGER = """
CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("desk", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("queue", sa.String(64)),
        sa.Column("priority", sa.String(4), nullable=False),
        sa.Column("confidence", sa.Float),
        sa.Column("assignee", sa.String(64)),
        sa.Column("resolver", sa.String(64)),
        sa.Column("rating", sa.Boolean),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
    )
    op.create_index("ix_tickets_status_queue", "tickets", ["status", "queue"])
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee", "status"])
    op.create_index("ix_tickets_requester", "tickets", ["requester"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("from_value", sa.String(128)),
        sa.Column("to_value", sa.String(128)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_seq"),
    )
    op.create_index("ix_ticket_events_kind_at", "ticket_events", ["kind", "at"])
    op.create_index("ix_ticket_events_at", "ticket_events", ["at"])

    op.create_table(
        "ticket_sources",
        sa.Column("source_key", sa.String(200), primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    )
    op.create_index("ix_ticket_sources_ticket_id", "ticket_sources", ["ticket_id"])

    op.create_table(
        "ticket_messages",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("ts", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])

    op.create_table(
        "inbound_requests",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", UTCDateTime()),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_inbound_requests_pending", "inbound_requests", ["processed_at", "received_at"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("update", "delete"):
            op.execute(_SQLITE_APPEND_ONLY.format(op=name, OP=name.upper()))
    elif dialect == "postgresql":
        op.execute(_PG_APPEND_ONLY_FN)
        op.execute(_PG_APPEND_ONLY_TRIGGER)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ticket_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS ticket_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ticket_events_append_only ON ticket_events")
        op.execute("DROP FUNCTION IF EXISTS ticket_events_append_only()")
    for table in ("inbound_requests", "ticket_messages", "ticket_sources", "ticket_events", "tickets"):
        op.drop_table(table)
