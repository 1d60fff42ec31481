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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    # A desk's open tickets by age (`metrics`): the few open ones found without scanning the closed.
    Index("ix_tickets_desk_status_created_at", "desk", "status", "created_at"),
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
    # Also the only index events need: they are read by ticket only (figures read `contact_facts`).
    UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_seq"),
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
    # Which worker has it in hand, until when: another replica's worker takes it over once that passes.
    Column("claimed_by", String(100)),
    Column("claimed_until", UTCDateTime()),
    Index("ix_inbound_requests_pending", "processed_at", "received_at"),
)

# Messages to Slack that must arrive once (`domain/outbox.py`): recorded under an idempotency key, then
# delivered by the relay in order within their thread, retried with backoff, or left failed for a person.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("thread", String(200), nullable=False),  # delivered in id order within one thread
    Column("method", String(64), nullable=False),  # a Slack Web API method, e.g. chat.update
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("last_error", Text),
    Column("result", JSON),  # what Slack answered that later work needs (channel, ts)
    Column("claimed_by", String(100)),  # the relay delivering it, until `claimed_until` (replicas)
    Column("claimed_until", UTCDateTime()),
    # The relay's question: what is pending and due, and is anything older pending in its thread.
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_outbox_thread_status_id", "thread", "status", "id"),
)

# Leases: one holder at a time for a name (the scheduler's leader on SQLite), until it expires unrenewed.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# Trained triage classifiers, by the digest of what they were trained on: one replica claims a key and
# trains, the others load its result (`content` is None while the claim's holder trains).
triage_models = Table(
    "triage_models",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("content", LargeBinary),
    Column("claimed_by", String(100)),
    Column("claimed_until", UTCDateTime()),
    Column("trained_at", UTCDateTime()),
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

# -- measurement -------------------------------------------------------------------------------------------
# Each ticket's contact facts (`domain.fcr.contact_facts`, the one definition of first-contact resolution),
# written in the same transaction as the event that changes them, so every metric is a GROUP BY here rather
# than a replay of histories. Months and days are the council's local ones, kept beside the instants so a
# month is one indexed equality on SQLite and PostgreSQL alike; `servicebot facts rebuild` recomputes all
# of it from the events (after a change of rules or time zone).
contact_facts = Table(
    "contact_facts",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("desk", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("intent", String(64)),
    Column("queue", String(64)),
    Column("logged_at", UTCDateTime(), nullable=False),
    Column("logged_day", String(10), nullable=False),
    Column("logged_month", String(7), nullable=False),
    Column("first_response_at", UTCDateTime()),
    Column("first_response_seconds", Float),
    Column("resolved", Boolean, nullable=False),
    Column("first_contact", Boolean, nullable=False),
    Column("reasons", String(100), nullable=False),  # why not first contact: "escalated,reopened"
    Column("escalated", Boolean, nullable=False),
    Column("transferred", Boolean, nullable=False),
    Column("self_service", Boolean, nullable=False),  # resolved by the requester through self-help
    Column("resolved_at", UTCDateTime()),
    Column("resolved_day", String(10)),
    Column("resolved_month", String(7)),
    Column("resolver", String(64)),
    Column("fix_seconds", Float),  # elapsed, logging to final resolution
    Column("fix_working_seconds", Float),  # the same span counted in working hours only
    Column("rating", Boolean),
    Column("rated_at", UTCDateTime()),
    Column("rated_month", String(7)),
    # Covering indexes: each metric's GROUP BY reads its index alone, never the table (at a million
    # contacts a row lookup per contact was 90% of the dashboard's time). Each leads with the desk and the
    # month the figure is grouped by; the columns after are what the aggregates read (BENCHMARKS.md).
    Index(
        "ix_contact_facts_desk_logged_month",
        "desk",
        "logged_month",
        "escalated",
        "transferred",
        "first_response_seconds",
        "intent",
        "queue",
        "source",
    ),
    Index(
        "ix_contact_facts_desk_resolved_month",
        "desk",
        "resolved_month",
        "resolved",
        "self_service",
        "first_contact",
        "fix_seconds",
        "fix_working_seconds",
    ),
    Index("ix_contact_facts_desk_rated_month", "desk", "rated_month", "rating"),
    Index("ix_contact_facts_desk_logged_at", "desk", "logged_at", "resolved_at"),  # the backlog at an instant
)

# Services whose availability the council reports (ICT03/04/05), and the times users could not use them.
# The facts are the instants; availability in working hours is derived from them and the calendar.
outages = Table(
    "outages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),  # None: still open
    Column("impact_start", UTCDateTime(), nullable=False),
    Column("impact_end", UTCDateTime()),  # None: users still impacted
    Column("planned", Boolean, nullable=False),
    Column("ticket_id", Integer),  # the linked incident (T-…), not enforced: it may predate this database
    Column("note", Text, nullable=False, default=""),
    Column("origin", String(16), nullable=False),  # chat | import
    Column("opened_by", String(64), nullable=False),
    Column("closed_by", String(64)),
    Column("batch", String(200)),
    # An outage of a service starts once: the natural key that makes importing a file twice a no-op.
    UniqueConstraint("service", "started_at", name="uq_outages_service_started_at"),
    Index("ix_outages_service_impact", "service", "impact_start"),
)

# Telephony the bot does not see in chat, imported per day (or interval), desk and line.
call_stats = Table(
    "call_stats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("interval_start", String(5), nullable=False, default=""),  # HH:MM of an interval row; "" a day
    Column("month", String(7), nullable=False),
    Column("desk", String(32), nullable=False),
    Column("line", String(64), nullable=False),
    Column("offered", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("answered_within_40s", Integer, nullable=False),
    Column("abandoned", Integer, nullable=False),
    Column("total_wait_seconds", Float, nullable=False),
    Column("total_handle_seconds", Float, nullable=False),
    Column("batch", String(200)),
    UniqueConstraint("day", "interval_start", "desk", "line", name="uq_call_stats_day_interval_desk_line"),
    Index("ix_call_stats_desk_month", "desk", "month"),
)

# KPI definitions as loaded from kpis.yaml (`servicebot kpi load`): the whole set is replaced at once.
kpi_definitions = Table(
    "kpi_definitions",
    metadata,
    Column("ref", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
    Column("loaded_by", String(64), nullable=False),
)

# KPI figures measured elsewhere (caller ratings, scorecards, complaints), one row per KPI and month.
kpi_values = Table(
    "kpi_values",
    metadata,
    Column("ref", String(32), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("value", Float),  # None: not published for the month (an activity indicator may have a YTD only)
    Column("ytd", Float),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("batch", String(200)),
    Column("imported_at", UTCDateTime(), nullable=False),
)

# Owners' commentary on AMBER and RED figures: cause, action, expected recovery. Appended, never changed;
# the latest per KPI and month is shown.
kpi_comments = Table(
    "kpi_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("cause", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("recovery", String(10)),  # YYYY-MM-DD
    Column("author", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_kpi_comments_ref_period", "ref", "period"),
)

# Breach alerts to KPI owners (`domain/alerts.py`): an episode per breach, from the first alert to its
# close, kept as it is now; the events that made it so are appended to `alert_events` and never changed.
alert_episodes = Table(
    "alert_episodes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False),  # the KPI's ref
    Column("desk", String(64), nullable=False),
    Column("period", String(7)),  # YYYY-MM of the figure judged
    Column("state", String(16), nullable=False),  # AMBER | RED | Above | Below
    Column("fingerprint", String(120), nullable=False),  # ref:period:state when the episode opened
    Column("urgent", Boolean, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),  # every change is a compare-and-set on it
    Column("sends", Integer, nullable=False),  # the first alert and each reminder
    Column("last_sent_at", UTCDateTime()),
    Column("recipients", JSON, nullable=False),  # who the first alert went to, and its outbox keys
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", UTCDateTime()),
    Column("snoozed_until", UTCDateTime()),
    Column("snoozed_by", String(64)),
    Column("escalated_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("close_reason", String(64)),
    # One open episode per KPI, whoever evaluates: the database refuses a second (replicas, restarts).
    Index(
        "uq_alert_episodes_open_ref",
        "ref",
        unique=True,
        sqlite_where=text("closed_at IS NULL"),
        postgresql_where=text("closed_at IS NULL"),
    ),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("episode_id", Integer, ForeignKey("alert_episodes.id"), nullable=False),
    # opened, reminded, escalated, acknowledged, snoozed, commented, improved, recovered, closed
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("by", String(64)),
    Column("detail", JSON),
    Index("ix_alert_events_episode_id_id", "episode_id", "id"),
)
