"""Two indexes of ticket_events that no query reads any more: drop them.

`(kind, at)` and `(at)` served the first metrics, which replayed histories by time. Every figure now reads
the contact-facts projection, and events are only ever read by ticket (the unique `(ticket_id, seq)`),
so the two indexes were pure write cost: writing the 818,633 events of 200,000 imported tickets took
5.6 s with them and 2.0 s without (bare `executemany`, same rows, same file).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_ticket_events_kind_at", table_name="ticket_events")
    op.drop_index("ix_ticket_events_at", table_name="ticket_events")


def downgrade() -> None:
    op.create_index("ix_ticket_events_at", "ticket_events", ["at"])
    op.create_index("ix_ticket_events_kind_at", "ticket_events", ["kind", "at"])
