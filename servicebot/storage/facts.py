"""The `contact_facts` projection: one row per ticket, the fold `domain.fcr.contact_facts` of its history.

Written with every save of a ticket, in the same transaction as its events, so a metric never replays
histories: it is a GROUP BY over these rows. `rebuild` recomputes every row from the events alone, for a
database that predates the projection, a change of rules, or a change of time zone or working hours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, case, delete, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.fcr import ContactFacts, contact_facts
from servicebot.domain.tickets import EventKind, Ticket, TicketEvent
from servicebot.storage.bulk import insert_rows, wide_sqlite_cache
from servicebot.storage.tables import contact_facts as facts_table
from servicebot.storage.tables import ticket_events, tickets

_REBUILD_CHUNK = 20_000  # tickets per batch of rows written


class FactsProjection:
    """Turns a ticket and its facts into a row: local days and months, and working-hours time to fix, come
    from the council's calendar, so the same rule holds for every figure that is grouped by them."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self._days: dict[tuple[int, int, int, int], tuple[str, str]] = {}

    def row(self, ticket: Ticket, facts: ContactFacts) -> dict[str, Any]:
        return self._row(ticket.id, ticket.desk, ticket.source, ticket.intent, ticket.queue, facts)

    def _row(
        self,
        ticket_id: int,
        desk: str,
        source: str,
        intent: str | None,
        queue: str | None,
        facts: ContactFacts,
    ) -> dict[str, Any]:
        logged = facts.logged_at
        resolved = facts.resolved_at
        first_response = facts.first_response_at
        logged_day, logged_month = self._local(logged)
        resolved_day, resolved_month = (None, None) if resolved is None else self._local(resolved)
        return {
            "ticket_id": ticket_id,
            "desk": desk,
            "source": source,
            "intent": intent,
            "queue": queue,
            "logged_at": logged,
            "logged_day": logged_day,
            "logged_month": logged_month,
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
            "resolved_day": resolved_day,
            "resolved_month": resolved_month,
            "resolver": facts.resolver,
            "fix_seconds": None if resolved is None else (resolved - logged).total_seconds(),
            "fix_working_seconds": (
                None if resolved is None else self.calendar.working_time(logged, resolved).total_seconds()
            ),
            "rating": facts.rating,
            "rated_at": facts.rated_at,
            "rated_month": None if facts.rated_at is None else self._local(facts.rated_at)[1],
        }

    def row_of(self, ticket: Ticket) -> dict[str, Any]:
        return self.row(ticket, contact_facts(ticket.history))

    def _local(self, at: datetime) -> tuple[str, str]:
        """The local day and month of an instant. Zones change offset on the hour (in UTC), so every
        instant of one UTC hour has the same local day: computed once an hour, not once a row."""
        utc = at.astimezone(UTC)
        hour = (utc.year, utc.month, utc.day, utc.hour)
        found = self._days.get(hour)
        if found is None:
            local = at.astimezone(self.tz)
            found = (
                f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
                f"{local.year:04d}-{local.month:02d}",
            )
            self._days[hour] = found
        return found

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
        """Every row again from the events, in one transaction (the caller's): returns tickets done.

        Each history goes through the fold (`contact_facts`, the one definition); what the fold does not
        read is not fetched. The ticket's desk, channel, intent and queue come from its `tickets` row, the
        projection of the same events kept in the same transactions, instead of replaying the aggregate;
        a test holds this to `rebuild_by_replay`, row for row, on histories of every kind."""
        session.execute(delete(facts_table))
        done = 0
        rows: list[dict[str, Any]] = []
        with wide_sqlite_cache(session), _indexes_set_aside(session):
            for head, history in _histories(session):
                rows.append(self._row(*head, contact_facts(history)))
                if len(rows) >= _REBUILD_CHUNK:
                    insert_rows(session, facts_table, rows)
                    done += len(rows)
                    rows = []
            insert_rows(session, facts_table, rows)
        return done + len(rows)

    def rebuild_by_replay(self, session: Session) -> int:
        """The same rows the slow, obvious way (each ticket replayed from all of its events): what
        `rebuild` is tested against."""
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


@contextmanager
def _indexes_set_aside(session: Session) -> Iterator[None]:
    """On SQLite, the table's indexes dropped while every row is written and built again after, in the same
    transaction (readers keep the old rows and indexes until it commits). Building an index from a million
    rows at once is a sort; keeping four covering indexes up to date row by row was about half of the
    rebuild. On other databases nothing changes: dropping an index there locks out readers."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    # The indexes this file has, as it created them (not as this version declares them), so a rebuild
    # gives back the same schema it found.
    found = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (facts_table.name,),
    ).all()
    for name, _ in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in found:
        connection.exec_driver_sql(sql)


_KINDS = {kind.value: kind for kind in EventKind}
_NO_DATA: dict[str, Any] = {}
Head = tuple[int, str, str, str | None, str | None]  # ticket id, desk, source, intent, queue


def _instant(value: datetime | str) -> datetime:
    # A bare column (type_coerce to String) comes back as the driver gives it: SQLite's stored text, or
    # an aware datetime from PostgreSQL.
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value + "+00:00")  # a quarter of the time of .replace(tzinfo=UTC)


def _histories(session: Session) -> Iterator[tuple[Head, list[TicketEvent]]]:
    """Each ticket's head and its history for the fold, streamed in ticket order: only the columns the fold
    reads, the stored time decoded without SQLAlchemy's type processing, and an event's JSON data only
    where the fold reads it (a resolution's kind); other events carry empty data."""
    e, t = ticket_events.c, tickets.c
    data = case((e.kind == EventKind.RESOLVED.value, type_coerce(e.data, String)), else_=None)
    query = (
        select(
            e.ticket_id,
            e.seq,
            e.kind,
            e.actor,
            type_coerce(e.at, String),
            e.to_value,
            data,
            t.desk,
            t.source,
            t.intent,
            t.queue,
        )
        .join(tickets, tickets.c.id == e.ticket_id)
        .order_by(e.ticket_id, e.seq)
    )
    head: Head | None = None
    current: list[TicketEvent] = []
    kinds, loads = _KINDS, json.loads
    for ticket_id, seq, kind, actor, at, to_value, raw, desk, source, intent, queue in _rows(session, query):
        if head is None or head[0] != ticket_id:
            if head is not None:
                yield head, current
            head, current = (ticket_id, desk, source, intent, queue), []
        decoded = _NO_DATA if raw is None else loads(raw) if isinstance(raw, str) else raw
        current.append(TicketEvent(ticket_id, seq, kinds[kind], actor, _instant(at), None, to_value, decoded))
    if head is not None:
        yield head, current


def _rows(session: Session, query: Select[Any]) -> Iterator[Any]:
    """The query's rows as plain tuples, streamed. On SQLite straight from the driver's cursor (the same
    statement, compiled by SQLAlchemy): its Row objects cost more than the fold; elsewhere through
    SQLAlchemy, in batches."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield from session.execute(query, execution_options={"yield_per": 10_000}).tuples()
        return
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.arraysize = 10_000
        yield from cursor.execute(sql)
    finally:
        cursor.close()


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
    insert_rows(session, facts_table, rows)


def missing_count(session: Session) -> int:
    """Tickets with no facts row (a database from before the projection): `db upgrade` rebuilds them."""
    with_facts = select(facts_table.c.ticket_id)
    return int(
        session.execute(
            select(func.count()).select_from(tickets).where(tickets.c.id.not_in(with_facts))
        ).scalar_one()
    )
