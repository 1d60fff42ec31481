"""The SQL of the retention policy (`services/retention.py`): which closed tickets are due, and removing
their free text from every table that holds it, leaving every column a metric reads as it was.

`ticket_events` is append-only: triggers refuse UPDATE (migration 0001). Removing text people wrote from
it is the one rewrite the policy needs, so the UPDATE trigger is suspended for that statement alone, inside
the same transaction, and restored before the transaction commits: no other session ever sees the table
without its guard (SQLite holds the write lock throughout; PostgreSQL's DISABLE TRIGGER is transactional
and locks out other writers of the table until commit). The DELETE guard is never touched."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from servicebot.domain.tickets import PURGED_TEXT, Status, Ticket, TicketEvent, purged_data
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.tables import (
    inbound_requests,
    labelled_examples,
    labelled_revocations,
    outbox,
    ticket_events,
    ticket_messages,
    tickets,
)

CLOSED = (Status.RESOLVED.value, Status.CLOSED.value)

# As migration 0001 creates them; restored verbatim after the rewrite.
_SQLITE_UPDATE_GUARD = (
    "CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events "
    "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END"
)
_PG_TRIGGER = "ticket_events_append_only"


def _due(cutoff: datetime) -> Any:
    return and_(
        tickets.c.status.in_(CLOSED),
        tickets.c.resolved_at.is_not(None),
        tickets.c.resolved_at < cutoff,
        tickets.c.text != PURGED_TEXT,
    )


def due_tickets(session: Session, cutoff: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of closed (resolved or closed) tickets resolved before `cutoff` whose text is still there."""
    rows = session.execute(
        select(tickets.c.id).where(_due(cutoff), tickets.c.id > after_id).order_by(tickets.c.id).limit(limit)
    ).scalars()
    return [int(r) for r in rows]


def histories(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[tuple[int, TicketEvent]]]:
    """Each ticket's events, oldest first, with their row ids: one query for the whole batch."""
    rows = session.execute(
        select(ticket_events)
        .where(ticket_events.c.ticket_id.in_(ticket_ids))
        .order_by(ticket_events.c.ticket_id, ticket_events.c.seq)
    ).all()
    found: dict[int, list[tuple[int, TicketEvent]]] = {}
    for row in rows:
        found.setdefault(int(row.ticket_id), []).append((int(row.id), ticket_rows.event_from_row(row)))
    return found


def events_with_text(
    histories: dict[int, list[tuple[int, TicketEvent]]],
) -> list[tuple[int, dict[str, Any]]]:
    """(event id, data with the text replaced) for each event that holds free text."""
    changed = []
    for events in histories.values():
        for row_id, event in events:
            data = purged_data(event.data)
            if data is not None:
                changed.append((row_id, data))
    return changed


def append_purged(session: Session, purged: Sequence[Ticket]) -> None:
    """Append each ticket's pending `text_purged` event and bring its row up to date (version, text). Its
    contact facts are not rewritten: the event changes none of them (`domain.fcr.fold` reads other kinds),
    which the retention tests check against a rebuild."""
    events = [ticket_rows.event_row(e) for t in purged for e in t.pending]
    if events:
        session.execute(insert(ticket_events), events)
    session.execute(
        update(tickets)
        .where(tickets.c.id == bindparam("ticket_id"))
        .values(text=bindparam("new_text"), version=bindparam("new_version"), updated_at=bindparam("at")),
        [
            {"ticket_id": t.id, "new_text": t.text, "new_version": t.version, "at": t.updated_at}
            for t in purged
        ],
    )
    for ticket in purged:
        ticket.pending.clear()


@contextmanager
def _update_guard_suspended(session: Session) -> Iterator[None]:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("DROP TRIGGER IF EXISTS ticket_events_no_update"))
        yield
        session.execute(text(_SQLITE_UPDATE_GUARD))
    elif dialect == "postgresql":
        session.execute(text(f"ALTER TABLE ticket_events DISABLE TRIGGER {_PG_TRIGGER}"))
        yield
        session.execute(text(f"ALTER TABLE ticket_events ENABLE TRIGGER {_PG_TRIGGER}"))
    else:
        yield


def rewrite_event_text(session: Session, changed: Sequence[tuple[int, dict[str, Any]]]) -> None:
    if not changed:
        return
    statement = (
        update(ticket_events)
        .where(ticket_events.c.id == bindparam("event_id"))
        .values(data=bindparam("new_data"))
    )
    with _update_guard_suspended(session):
        session.execute(statement, [{"event_id": i, "new_data": d} for i, d in changed])


def outbox_threads(session: Session, ticket_ids: Sequence[int]) -> list[str]:
    """The outbox threads that speak of these tickets: each ticket's own (`ticket:<id>`) and the bot's answers
    in the Slack threads of its messages (`slack:<channel>:<ts>`), where "Logged T-…" and replies went."""
    threads = [f"ticket:{i}" for i in ticket_ids]
    rows = session.execute(
        select(ticket_messages.c.channel, ticket_messages.c.ts).where(
            ticket_messages.c.ticket_id.in_(ticket_ids)
        )
    ).all()
    threads += [f"slack:{r.channel}:{r.ts}" for r in rows]
    created = session.execute(
        select(ticket_events.c.data).where(
            ticket_events.c.ticket_id.in_(ticket_ids), ticket_events.c.seq == 1
        )
    ).scalars()
    for data in created:
        if isinstance(data, dict) and data.get("channel") and data.get("ts"):
            threads.append(f"slack:{data['channel']}:{data['ts']}")
    return threads


# What a purged outbox payload keeps: where it was sent and to whom, which says nothing anyone wrote.
_OUTBOX_KEEPS = ("channel", "ts", "thread_ts", "user", "user_id", "to")


def outbox_with_text(session: Session, threads: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """(id, purged payload) of the messages in these threads that were sent or gave up; a pending one is
    still to be delivered (and a closed ticket's is soon settled), so it waits for the next run."""
    changed = []
    for start in range(0, len(threads), 500):
        rows = session.execute(
            select(outbox.c.id, outbox.c.payload).where(
                outbox.c.thread.in_(threads[start : start + 500]), outbox.c.status != "pending"
            )
        ).all()
        for row in rows:
            payload = dict(row.payload or {})
            if payload.get("purged") == PURGED_TEXT:
                continue
            kept = {k: payload[k] for k in _OUTBOX_KEEPS if k in payload and isinstance(payload[k], str)}
            changed.append((int(row.id), {**kept, "purged": PURGED_TEXT}))
    return changed


def rewrite_outbox(session: Session, changed: Sequence[tuple[int, dict[str, Any]]]) -> None:
    if changed:
        session.execute(
            # Slack's error may quote what was sent (invalid_blocks does), so the last error goes too.
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(payload=bindparam("new_payload"), last_error=None),
            [{"row_id": i, "new_payload": p} for i, p in changed],
        )


def taught_examples(session: Session, ticket_ids: Sequence[int]) -> list[tuple[int, bool]]:
    """(id, already revoked) of the labelled examples taught from these tickets whose text is still there."""
    rows = session.execute(
        select(labelled_examples.c.id, labelled_revocations.c.example_id.is_not(None).label("revoked"))
        .outerjoin(labelled_revocations, labelled_revocations.c.example_id == labelled_examples.c.id)
        .where(labelled_examples.c.ticket_id.in_(ticket_ids), labelled_examples.c.text != PURGED_TEXT)
    ).all()
    return [(int(r.id), bool(r.revoked)) for r in rows]


def replace_example_text(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(
            update(labelled_examples).where(labelled_examples.c.id.in_(ids)).values(text=PURGED_TEXT)
        )


def _old_requests(cutoff: datetime) -> Any:
    return and_(inbound_requests.c.processed_at.is_not(None), inbound_requests.c.received_at < cutoff)


def count_old_requests(session: Session, cutoff: datetime) -> int:
    return int(session.execute(select(func.count()).where(_old_requests(cutoff))).scalar_one())


def delete_old_requests(session: Session, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` processed inbound requests received before `cutoff`; how many went."""
    keys = session.execute(select(inbound_requests.c.key).where(_old_requests(cutoff)).limit(limit)).scalars()
    chosen = list(keys)
    if chosen:
        session.execute(delete(inbound_requests).where(inbound_requests.c.key.in_(chosen)))
    return len(chosen)


def count_due(session: Session, cutoff: datetime) -> int:
    return int(session.execute(select(func.count()).select_from(tickets).where(_due(cutoff))).scalar_one())
