"""The database unavailable while Slack is talking to us, through the real HTTP app: the driver itself is
kept from writing (another connection holds the write lock, as a stuck migration or a backup would), not a
mock of our code. A request that cannot be kept is refused with a clean 5xx, so Slack delivers it again;
nothing half-written is left; Slack's retry (same event_id, X-Slack-Retry-Num) makes exactly one ticket.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from servicebot.storage.db import with_driver
from servicebot.storage.tables import inbound_requests, ticket_events, tickets
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import event_callback, fresh_event_id, fresh_ts, message_event

INTAKE = "C0ICTHELP"


@contextmanager
def write_lock(url: str, table: str) -> Iterator[None]:
    """Hold the write lock of `url`'s database (SQLite: the whole file; PostgreSQL: `table`) until the
    block ends, from a connection of our own, as another program would."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database or "", isolation_level=None, check_same_thread=False)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    engine = create_engine(with_driver(url))
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def _count(live: LiveApp, table: object) -> int:
    db = live.services.inbox.db if table is inbound_requests else live.services.db
    with db.read() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_an_event_arriving_while_the_inbox_cannot_be_written_is_refused_cleanly_and_its_retry_counts_once(
    tmp_path: Path,
) -> None:
    with live_app(tmp_path) as live:
        event_id, ts = fresh_event_id(), fresh_ts()
        payload = event_callback(
            message_event("the printer on floor 3 is jammed", channel=INTAKE, ts=ts), event_id=event_id
        )
        url = live.services.settings.inbox_database_url
        with write_lock(url, "inbound_requests"):
            refused = live.sender.send_payload(payload)
            # A clean refusal: a 5xx Slack retries, with nothing of our insides in it.
            assert 500 <= refused.status < 600
            assert b"Traceback" not in refused.body and b'File "' not in refused.body
            assert _count(live, tickets) == 0 and _count(live, ticket_events) == 0
            assert live.slack.posted_messages() == []

        # The database is back; Slack tries again, as it does, with the same event and a retry number.
        answers = [live.sender.send_payload(payload, retry_num=n, retry_reason="http_error") for n in (1, 2)]
        assert [a.status for a in answers] == [200, 200]
        live.wait_until(lambda: _count(live, tickets) == 1, timeout=30, what="the ticket")
        live.settled(timeout=30)
        live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts, timeout=30)

        assert _count(live, tickets) == 1
        assert _count(live, inbound_requests) == 1
        [ticket] = live.tickets()
        assert ticket.text == "the printer on floor 3 is jammed"
        cards = [c for c in live.slack.posted_messages() if c.get("thread_ts") == ts]
        assert len(cards) == 1


def test_work_the_database_cannot_save_waits_in_the_inbox_and_is_done_once_when_it_can(
    tmp_path: Path,
) -> None:
    """The inbox can be written but the tickets' database cannot: the request is acknowledged (it is kept),
    the work fails without a half-written ticket and is done, once, when the database is back."""
    with live_app(tmp_path) as live:
        ts = fresh_ts()
        # On PostgreSQL, one database for both: only the tickets table is locked, so the inbox can be written.
        with write_lock(live.services.settings.database_url, "tickets"):
            answer = live.sender.send_event(message_event("my laptop will not boot", channel=INTAKE, ts=ts))
            assert answer.status == 200  # kept in the inbox, so acknowledged
            assert _count(live, inbound_requests) == 1
            assert live.tickets() == []
        live.wait_until(lambda: _count(live, tickets) == 1, timeout=60, what="the ticket")
        live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts, timeout=30)
        live.settled(timeout=30)
        assert _count(live, tickets) == 1
        [ticket] = live.tickets()
        assert [c for c in live.slack.posted_messages() if c.get("thread_ts") == ts]
        assert ticket.version >= 1
