"""The `contact_facts` projection: one row per ticket, the fold `domain.fcr.contact_facts` of its history.

Written with every save of a ticket, in the same transaction as its events, so a metric never replays
histories: it is a GROUP BY over these rows. `rebuild` recomputes every row from the events alone, for a
database that predates the projection, a change of rules, or a change of time zone or working hours.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, String, case, delete, func, insert, select, type_coerce, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.fcr import ContactFacts, Step, contact_facts, facts_of, fold
from servicebot.domain.tickets import EventKind, Ticket, TicketEvent
from servicebot.storage.bulk import (
    cpus,
    indexes_set_aside,
    insert_rows,
    insert_sqlite_values,
    sqlite_values,
    wide_sqlite_cache,
)
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

    def rebuild(self, session: Session, processes: int | None = None) -> int:
        """Every row again from the events, in one transaction (the caller's): returns tickets done.

        `processes`: how many processes fold the histories. By default, on an SQLite file of at least
        `PARALLEL_FROM` tickets, one a CPU; otherwise this one. More than 1 needs an SQLite file in WAL
        mode (the other processes read its last committed state while this one writes); anywhere else the
        rows are folded here whatever is asked.

        Each history goes through the fold (`fcr.fold`, the one definition) as the stored rows it reads,
        without building events: only the instants and actors the outcome names are decoded. The ticket's
        desk, channel, intent and queue come from its `tickets` row, the projection of the same events kept
        in the same transactions, instead of replaying the aggregate; a test holds this to
        `rebuild_by_replay`, row for row, on histories of every kind."""
        with wide_sqlite_cache(session), indexes_set_aside(session, [facts_table]):
            # After the indexes are gone: emptying the table then costs no index maintenance.
            session.execute(delete(facts_table))
            database = _shared_file(session, processes)
            if database is not None:
                return _rebuild_in_processes(session, database, self.calendar, processes or cpus())
            done = 0
            rows: list[dict[str, Any]] = []
            for head, steps in _histories(session):
                rows.append(self._row(*head, _stored_facts(steps)))
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


# -- folding in several processes (SQLite) ----------------------------------------------------------------
# The fold is a Python loop, one core's worth; SQLite's writes are one writer's. On a file, other processes
# can read the events (unchanged by a rebuild) while this one holds the write transaction: each folds a
# range of tickets into rows stored as SQLite stores them, and this process only writes them, in order.
PARALLEL_FROM = 100_000  # tickets: below, starting the processes (~0.5 s each) costs more than it saves
_RANGE = 25_000  # ticket ids per task


def _shared_file(session: Session, processes: int | None) -> str | None:
    """The SQLite file other processes may fold from, if this rebuild should use them."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or processes == 1:
        return None
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    if str(mode).lower() != "wal":
        return None  # a reader would block this transaction's writes
    if processes is None:
        if cpus() < 2:
            return None
        count = session.execute(select(func.count()).select_from(tickets)).scalar_one()
        if count < PARALLEL_FROM:
            return None
    return os.path.abspath(database)


def _rebuild_in_processes(session: Session, database: str, calendar: WorkingCalendar, processes: int) -> int:
    connection = session.connection()
    low, high = session.execute(select(func.min(tickets.c.id), func.max(tickets.c.id))).one()
    if low is None:
        return 0
    dialect = connection.dialect
    queries = [
        str(
            _history_query(first, min(first + _RANGE - 1, high)).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for first in range(low, high + 1, _RANGE)
    ]
    done = 0
    # "spawn", not "fork": a fork would copy this process's open connections and any threads' locks.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(processes, len(queries)), mp_context=context) as pool:
        for keys, values in pool.map(_fold_range, repeat(database), queries, repeat(calendar)):
            insert_sqlite_values(session, facts_table, keys, values)
            done += len(values)
    return done


def _fold_range(database: str, sql: str, calendar: WorkingCalendar) -> tuple[list[str], list[Any]]:
    """In another process: the rows of one range of tickets, as SQLite stores them."""
    projection = FactsProjection(calendar)
    uri = f"file:{quote(database)}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        cursor = connection.execute(sql)
        cursor.arraysize = 10_000
        rows = [projection._row(*head, _stored_facts(steps)) for head, steps in _grouped(cursor)]
    if not rows:
        return [], []
    keys = list(rows[0])
    return keys, sqlite_values(facts_table, keys, rows, _SQLITE)


_SQLITE = sqlite_dialect.dialect()


Head = tuple[int, str, str, str | None, str | None]  # ticket id, desk, source, intent, queue


def _instant(value: datetime | str) -> datetime:
    # A bare column (type_coerce to String) comes back as the driver gives it: SQLite's stored text, or
    # an aware datetime from PostgreSQL.
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value + "+00:00")  # a quarter of the time of .replace(tzinfo=UTC)


def _history_query(first: int | None = None, last: int | None = None) -> Select[Any]:
    """The fold's steps of every ticket (or of ticket ids first..last) in order: a step is the stored
    (kind, actor, to_value, resolution, at, head...) with the resolution read out of the JSON data of
    `resolved` events only (the only data the fold reads) and the time left as stored until asked for."""
    e, t = ticket_events.c, tickets.c
    resolution = case((e.kind == EventKind.RESOLVED.value, e.data["resolution"].as_string()), else_=None)
    query = (
        select(
            e.kind,
            e.actor,
            e.to_value,
            resolution,
            type_coerce(e.at, String),
            e.ticket_id,
            t.desk,
            t.source,
            t.intent,
            t.queue,
        )
        .join(tickets, tickets.c.id == e.ticket_id)
        .order_by(e.ticket_id, e.seq)
    )
    if first is not None and last is not None:
        query = query.where(e.ticket_id.between(first, last))
    return query


def _grouped(rows: Iterable[Any]) -> Iterator[tuple[Head, list[Step]]]:
    """Each ticket's head and its steps, from the query's rows."""
    for _, group in groupby(rows, key=itemgetter(5)):
        steps = list(group)
        first = steps[0]
        yield (first[5], first[6], first[7], first[8], first[9]), steps


def _histories(session: Session) -> Iterator[tuple[Head, list[Step]]]:
    return _grouped(_rows(session, _history_query()))


def _stored_facts(steps: list[Step]) -> ContactFacts:
    return facts_of(fold(steps), lambda i: _instant(steps[i][4]), lambda i: str(steps[i][1]))


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
