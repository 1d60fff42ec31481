"""The ticket aggregate's rows: its append-only events, the `tickets` projection, list queries and the
bulk loaders. Every query here runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Row, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicebot.domain.tickets import EventKind, Status, Ticket, TicketEvent
from servicebot.storage.facts import FactsProjection
from servicebot.storage.tables import ticket_events, tickets


class ConcurrentUpdate(Exception):
    """Another writer appended to this ticket first; reload and retry the command."""


# -- tickets ------------------------------------------------------------------------------------------
def new_ticket_id(
    session: Session, *, desk: str, requester: str, text: str, source: str, at: datetime
) -> int:
    """Reserve an id by inserting the projection row; the caller then opens the ticket and saves it."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        insert(tickets).values(
            desk=desk,
            requester=requester,
            text=text,
            source=source,
            status=Status.NEW.value,
            priority="P3",
            version=0,
            created_at=at,
            updated_at=at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def history(session: Session, ticket_id: int) -> list[TicketEvent]:
    rows = session.execute(
        select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.seq)
    ).all()
    return [event_from_row(row) for row in rows]


def load_ticket(session: Session, ticket_id: int) -> Ticket | None:
    events = history(session, ticket_id)
    return Ticket.replay(events) if events else None


def save_ticket(session: Session, ticket: Ticket, facts: FactsProjection) -> None:
    """Append the ticket's pending events and refresh its projections (the `tickets` row and its contact
    facts), atomically with the caller's work."""
    if not ticket.pending:
        return
    new = ticket.pending[0].seq == 1
    try:
        with session.begin_nested():
            session.execute(insert(ticket_events), [event_row(e) for e in ticket.pending])
    except IntegrityError as exc:
        raise ConcurrentUpdate(f"{ticket.ref} changed while this update was being made") from exc
    session.execute(update(tickets).where(tickets.c.id == ticket.id).values(**_projection(ticket)))
    facts.save(session, ticket, new=new)
    ticket.pending.clear()


def event_row(event: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_id": event.ticket_id,
        "seq": event.seq,
        "kind": event.kind.value,
        "actor": event.actor,
        "at": event.at,
        "from_value": event.from_value,
        "to_value": event.to_value,
        "data": event.data,
    }


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """A whole `tickets` row for the aggregate, for loaders that insert with explicit ids."""
    return {
        "id": ticket.id,
        "desk": ticket.desk,
        "requester": ticket.requester,
        "text": ticket.text,
        "source": ticket.source,
        "created_at": ticket.created_at,
        **_projection(ticket),
    }


def _projection(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": ticket.status.value,
        "intent": ticket.intent,
        "queue": ticket.queue,
        "priority": ticket.priority,
        "confidence": ticket.confidence,
        "assignee": ticket.assignee,
        "resolver": ticket.resolver,
        "rating": ticket.rating,
        "version": ticket.version,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
    }


def event_from_row(row: Row[Any]) -> TicketEvent:
    return TicketEvent(
        ticket_id=row.ticket_id,
        seq=row.seq,
        kind=EventKind(row.kind),
        actor=row.actor,
        at=row.at,
        from_value=row.from_value,
        to_value=row.to_value,
        data=dict(row.data or {}),
    )


def _summary(row: Row[Any]) -> Ticket:
    """A read model for lists and cards: the projection row, without its history."""
    return Ticket(
        id=row.id,
        desk=row.desk,
        requester=row.requester,
        text=row.text,
        source=row.source,
        created_at=row.created_at,
        status=Status(row.status),
        intent=row.intent,
        queue=row.queue,
        priority=row.priority,
        confidence=row.confidence,
        assignee=row.assignee,
        resolved_at=row.resolved_at,
        resolver=row.resolver,
        rating=row.rating,
        version=row.version,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[Status, ...] = ()
    desk: str | None = None
    queue: str | None = None
    assignee: str | None = None
    requester: str | None = None
    limit: int = 50


def list_tickets(session: Session, where: TicketFilter) -> list[Ticket]:
    query = select(tickets).order_by(tickets.c.id.desc()).limit(where.limit)
    conditions: list[ColumnElement[bool]] = []
    if where.statuses:
        conditions.append(tickets.c.status.in_([s.value for s in where.statuses]))
    for column, value in (
        (tickets.c.desk, where.desk),
        (tickets.c.queue, where.queue),
        (tickets.c.assignee, where.assignee),
        (tickets.c.requester, where.requester),
    ):
        if value is not None:
            conditions.append(column == value)
    if conditions:
        query = query.where(and_(*conditions))
    return [_summary(row) for row in session.execute(query).all()]


def count_by_queue_and_status(
    session: Session, desk: str | None = None, statuses: tuple[Status, ...] = ()
) -> list[tuple[str, str, int]]:
    query = select(tickets.c.queue, tickets.c.status, func.count()).group_by(
        tickets.c.queue, tickets.c.status
    )
    if statuses:
        query = query.where(tickets.c.status.in_([s.value for s in statuses]))
    if desk is not None:
        query = query.where(tickets.c.desk == desk)
    return [(q or "-", s, int(n)) for q, s, n in session.execute(query).all()]


def count_tickets(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(tickets)).scalar_one())


# -- loaders ---------------------------------------------------------------------------------------------
def bulk_insert_events(session: Session, events: Iterable[dict[str, Any]]) -> None:
    """For loaders (demo data, imports) that build valid histories through the domain first."""
    session.execute(insert(ticket_events), list(events))


def max_ticket_id(session: Session) -> int:
    """The highest ticket id so far (0 when there are none): loaders allocate ids after it."""
    return int(session.execute(select(func.max(tickets.c.id))).scalar_one() or 0)


def bulk_insert_tickets(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Projection rows with ids already allocated; insert them before their events (which refer to them)."""
    session.execute(insert(tickets), list(rows))


def sync_ticket_id_sequence(session: Session) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequence past them.

    SQLite takes max(id)+1 for the next row by itself; PostgreSQL's sequence does not see explicit ids,
    so the next ticket logged through the bot would collide with a loaded one.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence("tickets", "id"),
                    select(func.max(tickets.c.id)).scalar_subquery(),
                )
            )
        )
