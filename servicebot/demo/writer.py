"""Writing demo histories fast: one transaction, bulk inserts in chunks, a wide SQLite page cache."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from servicebot.domain.tickets import Ticket
from servicebot.storage import facts as facts_rows
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.facts import FactsProjection

_CHUNK_EVENTS = 40_000


class Writer:
    def __init__(self, session: Session, facts: FactsProjection) -> None:
        self.session = session
        self.projection = facts
        self.tickets: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []

    def add(self, ticket: Ticket) -> None:
        self.tickets.append(ticket_rows.ticket_row(ticket))
        self.events.extend(ticket_rows.event_row(e) for e in ticket.pending)
        self.facts.append(self.projection.row_of(ticket))
        if len(self.events) >= _CHUNK_EVENTS:
            self.flush()

    def flush(self) -> None:
        # Projection rows first: every event row refers to its ticket.
        if self.tickets:
            ticket_rows.bulk_insert_tickets(self.session, self.tickets)
        if self.events:
            ticket_rows.bulk_insert_events(self.session, self.events)
        facts_rows.bulk_insert(self.session, self.facts)
        self.tickets, self.events, self.facts = [], [], []
