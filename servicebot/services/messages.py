"""Where a front end has shown each ticket (its card, a triage-channel copy, the thread), so updates go to
the same places and a replayed request posts nothing twice. Later: the outbox, which sends each of these
exactly once."""

from __future__ import annotations

from servicebot.storage import sources
from servicebot.storage.db import Database


class TicketMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record_messages(self, ticket_id: int, messages: list[tuple[str, str, str]]) -> None:
        """(channel, ts, purpose) of messages posted for the ticket, in one transaction."""
        with self.db.transaction() as session:
            for channel, ts, purpose in messages:
                sources.add_ticket_message(session, ticket_id, channel, ts, purpose)

    def messages_of(self, ticket_id: int) -> list[tuple[str, str, str]]:
        with self.db.read() as session:
            return sources.ticket_messages_of(session, ticket_id)

    def ticket_for_thread(self, channel: str, thread_ts: str, root_source_key: str) -> int | None:
        """The ticket a thread belongs to: one of our cards started it, or its root message was logged."""
        with self.db.read() as session:
            found = sources.ticket_for_message(session, channel, thread_ts)
            if found is None:
                found = sources.ticket_for_source(session, root_source_key)
            return found
