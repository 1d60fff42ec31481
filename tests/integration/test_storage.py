"""Storage against real migrated SQLite files: migrations, append-only events, UTC, optimistic concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.exc import DatabaseError, StatementError
from sqlalchemy.orm import Session

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.tickets import SYSTEM_ACTOR, EventKind, Status, Ticket, TriageDecision
from servicebot.storage import inbox as inbox_rows
from servicebot.storage import migrate, sources
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.db import Database
from servicebot.storage.facts import FactsProjection
from servicebot.storage.tables import inbound_requests, ticket_events, tickets

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
FACTS = FactsProjection(WorkingCalendar(LONDON, time(8), time(18), range(5)))
TABLES = {"tickets", "ticket_events", "ticket_sources", "ticket_messages", "inbound_requests"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'storage.db'}")
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


def open_ticket(session: Session, at: datetime = T0, requester: str = "U0REQ") -> Ticket:
    ticket_id = ticket_rows.new_ticket_id(
        session, desk="ict", requester=requester, text="printer jammed", source="console", at=at
    )
    ticket = Ticket.open(
        ticket_id,
        desk="ict",
        requester=requester,
        text="printer jammed",
        source="console",
        queue="ict-service-desk",
        at=at,
    )
    ticket_rows.save_ticket(session, ticket, FACTS)
    return ticket


def table_names(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names())


# -- migrations ---------------------------------------------------------------------------------------
def test_upgrade_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'migrate.db'}")
    try:
        assert migrate.current_revision(database.engine) is None
        migrate.upgrade(database.engine)
        head = migrate.head_revision()
        assert head is not None
        assert migrate.current_revision(database.engine) == head
        assert table_names(database) >= TABLES

        migrate.downgrade(database.engine, "base")
        assert migrate.current_revision(database.engine) is None
        assert not (TABLES & table_names(database))
        with database.engine.connect() as connection:
            triggers = connection.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).all()
        assert triggers == []

        migrate.upgrade(database.engine)
        assert migrate.current_revision(database.engine) == head
        assert table_names(database) >= TABLES
        with database.transaction() as session:
            ticket = open_ticket(session)
        with database.transaction() as session:
            assert ticket_rows.load_ticket(session, ticket.id) == ticket
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(delete(ticket_events))
    finally:
        database.dispose()


def test_upgrade_is_idempotent(db: Database) -> None:
    migrate.upgrade(db.engine)
    assert migrate.current_revision(db.engine) == migrate.head_revision()


# -- append-only history ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        update(ticket_events).values(actor="U0FORGER"),
        update(ticket_events).where(ticket_events.c.seq == 1).values(data={}),
        delete(ticket_events),
        delete(ticket_events).where(ticket_events.c.seq == 1),
    ],
    ids=["update-all", "update-one", "delete-all", "delete-one"],
)
def test_ticket_events_refuse_update_and_delete(db: Database, statement: object) -> None:
    with db.transaction() as session:
        ticket = open_ticket(session)
    with pytest.raises(DatabaseError, match="append-only"), db.transaction() as session:
        session.execute(statement)  # type: ignore[call-overload]
    with db.transaction() as session:
        events = ticket_rows.history(session, ticket.id)
    assert [(e.seq, e.kind, e.actor) for e in events] == [(1, EventKind.CREATED, "U0REQ")]
    assert events[0].data["text"] == "printer jammed"


def test_the_tickets_projection_can_be_updated(db: Database) -> None:
    """Only the history is append-only; the projection is refreshed on every save."""
    with db.transaction() as session:
        ticket = open_ticket(session)
        ticket.triage(TriageDecision("printer_fault", "ict-hardware", "P4", 0.9), SYSTEM_ACTOR, T0)
        ticket_rows.save_ticket(session, ticket, FACTS)
    with db.transaction() as session:
        row = session.execute(select(tickets).where(tickets.c.id == ticket.id)).one()
    assert (row.status, row.queue, row.version, row.intent) == ("triaged", "ict-hardware", 2, "printer_fault")


# -- time ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "local",
    [datetime(2026, 7, 1, 10, 0, tzinfo=LONDON), datetime(2026, 1, 15, 10, 0, tzinfo=LONDON)],
    ids=["summer-time", "winter-time"],
)
def test_utc_round_trip(db: Database, local: datetime) -> None:
    with db.transaction() as session:
        ticket = open_ticket(session, at=local)
    with db.transaction() as session:
        stored = session.execute(
            select(tickets.c.created_at, tickets.c.updated_at).where(tickets.c.id == ticket.id)
        ).one()
        [event] = ticket_rows.history(session, ticket.id)
        loaded = ticket_rows.load_ticket(session, ticket.id)
    for value in (stored.created_at, stored.updated_at, event.at):
        assert value == local
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert stored.created_at.hour == local.astimezone(UTC).hour
    assert loaded is not None and loaded.created_at == local


def test_naive_datetime_bind_raises(db: Database) -> None:
    naive = datetime(2026, 11, 23, 9, 30)
    with pytest.raises((ValueError, StatementError), match="naive"), db.transaction() as session:
        ticket_rows.new_ticket_id(session, desk="ict", requester="U", text="x", source="console", at=naive)
    with pytest.raises((ValueError, StatementError), match="naive"), db.transaction() as session:
        inbox_rows.accept_inbound(session, "k", "event", {}, naive)
    with db.transaction() as session:
        assert ticket_rows.count_tickets(session) == 0
        assert session.execute(select(inbound_requests)).first() is None


# -- saving the aggregate -----------------------------------------------------------------------------
def test_load_ticket_equals_the_saved_aggregate(db: Database) -> None:
    with db.transaction() as session:
        ticket = open_ticket(session)
        ticket.triage(TriageDecision("printer_fault", "ict-hardware", "P4", 0.876543), SYSTEM_ACTOR, T0)
        ticket.assign("U0AGENT01", "U0AGENT01", T0 + timedelta(minutes=3))
        ticket.escalate("ict-2nd-line", "U0AGENT01", T0 + timedelta(minutes=4), note="drum unit")
        ticket.resolve("U0AGENT02", T0 + timedelta(hours=2))
        ticket.request_rating(T0 + timedelta(hours=2))
        ticket.rate("U0REQ", True, T0 + timedelta(hours=3))
        expected = ticket.snapshot()
        ticket_rows.save_ticket(session, ticket, FACTS)
        assert ticket.pending == []
    with db.transaction() as session:
        loaded = ticket_rows.load_ticket(session, ticket.id)
        [summary] = ticket_rows.list_tickets(session, ticket_rows.TicketFilter(statuses=(Status.RESOLVED,)))
    assert loaded == expected
    assert (summary.id, summary.status, summary.queue, summary.rating) == (
        ticket.id,
        Status.RESOLVED,
        "ict-2nd-line",
        True,
    )


def test_stale_aggregate_is_refused_and_the_first_writer_wins(db: Database) -> None:
    with db.transaction() as session:
        ticket_id = open_ticket(session).id
    with db.transaction() as session:
        first = ticket_rows.load_ticket(session, ticket_id)
    with db.transaction() as session:
        second = ticket_rows.load_ticket(session, ticket_id)
    assert first is not None and second is not None and first == second

    first.assign("U0AGENT01", "U0AGENT01", T0 + timedelta(minutes=1))
    first.comment("U0AGENT01", "on it", T0 + timedelta(minutes=1), "agent")
    second.resolve("U0AGENT02", T0 + timedelta(minutes=2))
    with db.transaction() as session:
        ticket_rows.save_ticket(session, first, FACTS)
    with pytest.raises(ticket_rows.ConcurrentUpdate, match=first.ref), db.transaction() as session:
        ticket_rows.save_ticket(session, second, FACTS)

    with db.transaction() as session:
        events = ticket_rows.history(session, ticket_id)
        row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).one()
    assert [(e.seq, e.kind) for e in events] == [
        (1, EventKind.CREATED),
        (2, EventKind.ASSIGNED),
        (3, EventKind.COMMENTED),
    ]
    assert events[1].actor == "U0AGENT01"
    assert (row.status, row.version, row.resolver) == ("in_progress", 3, None)


def test_concurrent_update_rolls_back_only_the_savepoint(db: Database) -> None:
    """The caller's other work in the transaction survives a refused append until it decides."""
    with db.transaction() as session:
        ticket_id = open_ticket(session).id
    with db.transaction() as session:
        stale = ticket_rows.load_ticket(session, ticket_id)
    with db.transaction() as session:
        fresh = ticket_rows.load_ticket(session, ticket_id)
        assert fresh is not None
        fresh.follow_up("U0AGENT01", T0 + timedelta(minutes=1))
        ticket_rows.save_ticket(session, fresh, FACTS)
    assert stale is not None
    stale.follow_up("U0AGENT02", T0 + timedelta(minutes=2))
    with db.transaction() as session:
        assert inbox_rows.accept_inbound(session, "evt-1", "event", {"n": 1}, T0)
        with pytest.raises(ticket_rows.ConcurrentUpdate):
            ticket_rows.save_ticket(session, stale, FACTS)
        assert stale.pending, "refused events stay pending so the caller can see them"
    with db.transaction() as session:
        assert [e.actor for e in ticket_rows.history(session, ticket_id)][1:] == ["U0AGENT01"]
        assert session.execute(select(inbound_requests.c.key)).scalars().all() == ["evt-1"]


# -- sources and inbox --------------------------------------------------------------------------------
def test_link_source_refuses_a_second_ticket_for_the_same_source(db: Database) -> None:
    with db.transaction() as session:
        first = open_ticket(session)
        assert sources.link_source(session, "slack:C0ICTHELP:1.0001", first.id) is True
    with db.transaction() as session:
        second = open_ticket(session)
        assert sources.link_source(session, "slack:C0ICTHELP:1.0001", second.id) is False
        # The session is still usable after the refusal.
        assert sources.link_source(session, "slack:C0ICTHELP:1.0002", second.id) is True
    with db.transaction() as session:
        assert sources.ticket_for_source(session, "slack:C0ICTHELP:1.0001") == first.id
        assert sources.ticket_for_source(session, "slack:C0ICTHELP:1.0002") == second.id
        assert sources.ticket_for_source(session, "slack:C0ICTHELP:9.9999") is None
        assert ticket_rows.count_tickets(session) == 2


def test_accept_inbound_is_false_on_a_duplicate_key(db: Database) -> None:
    with db.transaction() as session:
        assert inbox_rows.accept_inbound(session, "Ev0001", "event", {"text": "hi"}, T0) is True
    with db.transaction() as session:
        assert inbox_rows.accept_inbound(session, "Ev0001", "event", {"text": "retry"}, T0) is False
        assert inbox_rows.accept_inbound(session, "Ev0002", "event", {"text": "other"}, T0) is True
    with db.transaction() as session:
        rows = session.execute(select(inbound_requests).order_by(inbound_requests.c.key)).all()
        assert [(r.key, r.payload) for r in rows] == [
            ("Ev0001", {"text": "hi"}),
            ("Ev0002", {"text": "other"}),
        ]
        inbox_rows.mark_inbound(session, "Ev0001", T0 + timedelta(seconds=1))
        pending = inbox_rows.due_inbound(session, T0 + timedelta(minutes=1), max_attempts=5)
    assert [r.key for r in pending] == ["Ev0002"]


def test_failed_inbound_requests_are_due_again_after_their_backoff(db: Database) -> None:
    with db.transaction() as session:
        assert inbox_rows.accept_inbound(session, "Ev1", "event", {}, T0)
        inbox_rows.mark_inbound(session, "Ev1", T0, error="slack down", retry_at=T0 + timedelta(seconds=10))
    with db.transaction() as session:
        assert inbox_rows.due_inbound(session, T0 + timedelta(seconds=9), max_attempts=5) == []
        [row] = inbox_rows.due_inbound(session, T0 + timedelta(seconds=10), max_attempts=5)
        assert (row.attempts, row.last_error) == (1, "slack down")
        assert inbox_rows.due_inbound(session, T0 + timedelta(seconds=10), max_attempts=1) == []


def test_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as session:
        ticket = open_ticket(session)
        assert sources.link_source(session, "slack:C1:1.0", ticket.id)
        assert inbox_rows.accept_inbound(session, "Ev1", "event", {}, T0)
        assert ticket_rows.count_tickets(session) == 1
        raise Boom
    with db.transaction() as session:
        assert ticket_rows.count_tickets(session) == 0
        assert ticket_rows.load_ticket(session, ticket.id) is None
        assert ticket_rows.history(session, ticket.id) == []
        assert sources.ticket_for_source(session, "slack:C1:1.0") is None
        assert session.execute(select(inbound_requests)).first() is None


def test_failed_transaction_after_new_ticket_id_leaves_no_ticket_row(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        ticket_id = ticket_rows.new_ticket_id(
            session, desk="ict", requester="U", text="x", source="console", at=T0
        )
        raise RuntimeError("crash before the ticket was opened")
    with db.transaction() as session:
        assert session.execute(select(tickets).where(tickets.c.id == ticket_id)).first() is None
        assert ticket_rows.count_tickets(session) == 0


def test_the_migrations_build_exactly_the_declared_tables(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from servicebot.storage.tables import metadata

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
