"""The `contact_facts` projection: one row per ticket, the fold `domain.fcr.contact_facts` of its history.

Written with every save of a ticket, in the same transaction as its events, so a metric never replays
histories: it is a GROUP BY over these rows. `rebuild` recomputes every row from the events alone, for a
database that predates the projection, a change of rules, or a change of time zone or working hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.fcr import ContactFacts, contact_facts
from servicebot.domain.tickets import EventKind, Ticket, TicketEvent
from servicebot.storage.tables import contact_facts as facts_table
from servicebot.storage.tables import ticket_events, tickets

_REBUILD_CHUNK = 20_000  # tickets per batch of rows written


class FactsProjection:
    """Turns a ticket and its facts into a row: local days and months, and working-hours time to fix, come
    from the council's calendar, so the same rule holds for every figure that is grouped by them."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz

    def row(self, ticket: Ticket, facts: ContactFacts) -> dict[str, Any]:
        logged = facts.logged_at
        resolved = facts.resolved_at
        first_response = facts.first_response_at
        return {
            "ticket_id": ticket.id,
            "desk": ticket.desk,
            "source": ticket.source,
            "intent": ticket.intent,
            "queue": ticket.queue,
            "logged_at": logged,
            "logged_day": self._day(logged),
            "logged_month": self._month(logged),
            "first_response_at": first_response,
            "first_response_seconds": (
                None if first_response is None else (first_response - logged).total_seconds()
            ),
            "resolved": facts.resolved,
            "first_contact": facts.first_contact,
            "reasons": ",".join(facts.reasons),
            "escalated": facts.escalated,
            "transferred": facts.transferred,
            "self_service": facts.self_service,
            "resolved_at": resolved,
            "resolved_day": None if resolved is None else self._day(resolved),
            "resolved_month": None if resolved is None else self._month(resolved),
            "resolver": facts.resolver,
            "fix_seconds": None if resolved is None else (resolved - logged).total_seconds(),
            "fix_working_seconds": (
                None if resolved is None else self.calendar.working_time(logged, resolved).total_seconds()
            ),
            "rating": facts.rating,
            "rated_at": facts.rated_at,
            "rated_month": None if facts.rated_at is None else self._month(facts.rated_at),
        }

    def row_of(self, ticket: Ticket) -> dict[str, Any]:
        return self.row(ticket, contact_facts(ticket.history))

    def _day(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"

    def _month(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        return f"{local.year:04d}-{local.month:02d}"

    # -- writing ------------------------------------------------------------------------------------------
    def save(self, session: Session, ticket: Ticket, *, new: bool) -> None:
        """The ticket's row after its latest events: inserted for a new ticket, replaced otherwise."""
        row = self.row_of(ticket)
        if new:
            session.execute(insert(facts_table), [row])
            return
        ticket_id = row.pop("ticket_id")
        result = session.execute(
            update(facts_table).where(facts_table.c.ticket_id == ticket_id).values(**row)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            # A ticket from before the projection existed, not yet rebuilt: its row starts now.
            session.execute(insert(facts_table), [{"ticket_id": ticket_id, **row}])

    def rebuild(self, session: Session) -> int:
        """Every row again from the events, in one transaction (the caller's): returns tickets done."""
        session.execute(delete(facts_table))
        done = 0
        rows: list[dict[str, Any]] = []
        for ticket in _replayed(session):
            rows.append(self.row_of(ticket))
            if len(rows) >= _REBUILD_CHUNK:
                session.execute(insert(facts_table), rows)
                done += len(rows)
                rows = []
        if rows:
            session.execute(insert(facts_table), rows)
            done += len(rows)
        return done


def _replayed(session: Session) -> Iterator[Ticket]:
    """Each ticket replayed from its events, streamed in ticket order (never the whole table in memory)."""
    columns = (
        ticket_events.c.ticket_id,
        ticket_events.c.seq,
        ticket_events.c.kind,
        ticket_events.c.actor,
        ticket_events.c.at,
        ticket_events.c.from_value,
        ticket_events.c.to_value,
        ticket_events.c.data,
    )
    result = session.execute(
        select(*columns).order_by(ticket_events.c.ticket_id, ticket_events.c.seq),
        execution_options={"yield_per": 10_000},
    )
    current: list[TicketEvent] = []
    for ticket_id, seq, kind, actor, at, from_value, to_value, data in result:
        if current and current[0].ticket_id != ticket_id:
            yield Ticket.replay(current)
            current = []
        current.append(TicketEvent(ticket_id, seq, EventKind(kind), actor, at, from_value, to_value, data))
    if current:
        yield Ticket.replay(current)


def bulk_insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """For loaders that build histories through the domain and write them in bulk (demo, imports)."""
    if rows:
        session.execute(insert(facts_table), rows)


def missing_count(session: Session) -> int:
    """Tickets with no facts row (a database from before the projection): `db upgrade` rebuilds them."""
    with_facts = select(facts_table.c.ticket_id)
    return int(
        session.execute(
            select(func.count()).select_from(tickets).where(tickets.c.id.not_in(with_facts))
        ).scalar_one()
    )


def facts_row(session: Session, ticket_id: int) -> dict[str, Any] | None:
    row = session.execute(select(facts_table).where(facts_table.c.ticket_id == ticket_id)).first()
    return None if row is None else dict(row._mapping)
