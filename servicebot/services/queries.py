"""The read side: tickets, their histories, lists and counts. Read-only snapshots, never a write lock.

Metrics, KPI figures and the dashboard's queries will sit beside these: SQL aggregates over the facts.
"""

from __future__ import annotations

from servicebot.config import Settings
from servicebot.domain.errors import NotFound
from servicebot.domain.tickets import OPEN_STATUSES, Status, Ticket, TicketEvent, format_ref
from servicebot.services.actors import Actor
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.db import Database
from servicebot.storage.tickets import TicketFilter

__all__ = ["TicketFilter", "TicketQueries"]


class TicketQueries:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def get(self, ticket_id: int) -> Ticket:
        with self.db.read() as session:
            ticket = ticket_rows.load_ticket(session, ticket_id)
        if ticket is None:
            raise NotFound(f"There is no ticket {format_ref(ticket_id)}.")
        return ticket

    def history(self, ticket_id: int) -> list[TicketEvent]:
        with self.db.read() as session:
            events = ticket_rows.history(session, ticket_id)
        if not events:
            raise NotFound(f"There is no ticket {format_ref(ticket_id)}.")
        return events

    def mine(self, actor: Actor, limit: int = 20) -> list[Ticket]:
        """Agents: open tickets assigned to them. Requesters: tickets they raised."""
        with self.db.read() as session:
            if actor.is_staff:
                where = TicketFilter(
                    statuses=(Status.TRIAGED, Status.IN_PROGRESS), assignee=actor.id, limit=limit
                )
            else:
                where = TicketFilter(requester=actor.id, limit=limit)
            return ticket_rows.list_tickets(session, where)

    def search(self, where: TicketFilter) -> list[Ticket]:
        with self.db.read() as session:
            return ticket_rows.list_tickets(session, where)

    def queue_status(self, desk: str | None = None) -> list[tuple[str, str, int]]:
        """Open work: how many tickets wait in each queue, by status."""
        with self.db.read() as session:
            return ticket_rows.count_by_queue_and_status(session, desk, tuple(OPEN_STATUSES))
