"""The inbox's writer on PostgreSQL keeps one connection: a server that dropped it costs no request."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from servicebot.bootstrap import Services
from servicebot.runtime.inbox import _Accept
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


def test_a_row_the_database_refuses_fails_alone_not_the_batch_it_shared(services: Services) -> None:
    """The front door refuses NaN and Infinity, but whatever row the server will not take must cost only
    its own request. Which requests share a batch is a matter of timing, so the batch is handed to the
    writer's store step directly."""
    inbox = services.inbox
    batch = [
        _Accept("event:Ok1", "event", {"n": 1}),
        _Accept("event:Bad", "event", {"n": float("inf")}),  # PostgreSQL's json refuses Infinity
        _Accept("event:Ok2", "event", {"n": 2}),
        _Accept("event:Ok1", "event", {"n": 1}),  # a retry in the same batch
    ]
    held = inbox.db.held()
    try:
        inbox._store(batch, held)
    finally:
        held.close()
    assert [batch[0].answer.result(0), batch[2].answer.result(0), batch[3].answer.result(0)] == [
        True,
        True,
        False,
    ]
    with pytest.raises(DataError):
        batch[1].answer.result(0)
    assert [r.key for r in inbox.due(10)] == ["event:Ok1", "event:Ok2"]
