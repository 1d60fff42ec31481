"""The inbox's writer on PostgreSQL keeps one connection: a server that dropped it costs no request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from servicebot.bootstrap import Services
from servicebot.storage.db import Database
from tests.conftest import on_postgresql

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="a connection held to a server: PostgreSQL pass")


def _drop_other_connections(db: Database) -> int:
    """What a server restart or a failover does to every connection but this one."""
    with db.engine.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    return int(dropped)


def test_a_request_after_the_server_dropped_the_writers_connection_is_recorded(services: Services) -> None:
    inbox = services.inbox
    assert inbox.accept("event:Ev1", "event", {"n": 1})
    assert _drop_other_connections(inbox.db) >= 1, "the writer's connection was open"
    assert inbox.accept("event:Ev2", "event", {"n": 2}), "recorded on a new connection, not refused"
    assert not inbox.accept("event:Ev2", "event", {"n": 2}), "and once only"
    assert [r.key for r in inbox.due(10)] == ["event:Ev1", "event:Ev2"]


def test_a_held_connection_runs_each_statement_on_its_own(services: Services) -> None:
    held = services.inbox.db.held()
    try:
        first = held.run(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert held.run(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one()) == first, "kept"
        _drop_other_connections(services.inbox.db)
        again = held.run(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert again != first, "replaced after the server dropped it"
        in_transaction = held.run(
            lambda c: c.execute(text("SELECT now() = statement_timestamp()")).scalar_one()
        )
        assert in_transaction is True, "autocommit: no transaction left open around statements"
    finally:
        held.close()
