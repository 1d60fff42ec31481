"""Tables. `ticket_events` is the source of truth; `tickets` is a projection kept in the same transaction."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from servicebot.storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("desk", String(32), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("intent", String(64)),
    Column("queue", String(64)),
    Column("priority", String(4), nullable=False),
    Column("confidence", Float),
    Column("assignee", String(64)),
    Column("resolver", String(64)),
    Column("rating", Boolean),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Index("ix_tickets_status_queue", "status", "queue"),
    Index("ix_tickets_assignee_status", "assignee", "status"),
    Index("ix_tickets_requester", "requester"),
    Index("ix_tickets_created_at", "created_at"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("from_value", String(128)),
    Column("to_value", String(128)),
    Column("data", JSON, nullable=False),
    # Two writers appending the same seq means one worked on a stale ticket: the database refuses it.
    UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_seq"),
    Index("ix_ticket_events_kind_at", "kind", "at"),
    Index("ix_ticket_events_at", "at"),
)

# One ticket per source message, however many ways (message, reaction, shortcut, retry) it arrives.
ticket_sources = Table(
    "ticket_sources",
    metadata,
    Column("source_key", String(200), primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
)

# Messages the bot posted for a ticket (its card in the thread, its copy in the triage channel),
# so later changes update them and replies in those threads find the ticket.
ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("ts", String(32), primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),
)

# Every request from Slack is recorded before it is acknowledged: the unique key is the dedupe
# (Slack retries), and the unprocessed rows are the workers' queue, retried with backoff on failure.
inbound_requests = Table(
    "inbound_requests",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("processed_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime()),
    Column("last_error", Text),
    Index("ix_inbound_requests_pending", "processed_at", "received_at"),
)

# What the desk has taught triage beyond the catalogue: imported history, agents' corrections and
# requesters' picks. Rows are never changed; undoing one appends to `labelled_revocations`.
labelled_examples = Table(
    "labelled_examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("label", String(64), nullable=False),
    Column("desk", String(32), nullable=False),
    Column("source", String(16), nullable=False),  # import | correction | pick
    Column("previous", String(64)),  # the intent a correction replaced
    Column("ticket_id", Integer, ForeignKey("tickets.id"), index=True),
    Column("batch", String(200)),  # an import: which file, when
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

labelled_revocations = Table(
    "labelled_revocations",
    metadata,
    Column("example_id", Integer, ForeignKey("labelled_examples.id"), primary_key=True),
    Column("revoked_by", String(64), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=False),
    Column("reason", String(200), nullable=False),
)
