"""The fast paths behind `import tickets` and `facts rebuild` store exactly what the plain ones store.

`storage.bulk.insert_rows` hands SQLite tuples it converted itself instead of going through SQLAlchemy's
per-value processing, and `FactsProjection.rebuild` folds histories it read with fewer columns (the
ticket's desk, channel, intent and queue from its `tickets` row, in several processes on a large file)
instead of replaying each ticket. Both are
compared here with the plain path, value for value and storage type for storage type, on histories of
every kind: every combination of an imported row's flags, odd offsets and fractions of a second, local
times on both clock-change days, and a month of demo traffic logged and worked as the bot would.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from servicebot.bootstrap import Services, build_services
from servicebot.demo import load_demo
from servicebot.services import past_tickets
from servicebot.storage import facts
from servicebot.storage.bulk import indexes_set_aside
from servicebot.storage.facts import FactsProjection
from servicebot.storage.tables import ticket_sources
from tests.conftest import make_settings

TABLES = ("tickets", "ticket_events", "contact_facts", "ticket_sources")
HEADER = (
    "ref,desk,logged_at,text,requester,source,intent,queue,first_response_at,resolved_at,resolver,"
    "escalated,transferred,follow_up,reopened,self_service,rating,rated_at"
)
# Logged times: UTC, an offset, a fraction of a second, and local wall times on both clock-change days.
LOGGED = (
    "2016-12-05T09:00:00Z",
    "2016-12-05T10:15:30.250000+01:00",
    "2017-03-26T00:30",
    "2016-10-30T00:59:59",
    "2016-12-23T16:45",
)

# The fast paths are SQLite's (tuples handed to sqlite3, the file read with sqlite3 to compare storage
# classes); on PostgreSQL imports and rebuilds take the plain paths these are compared with.
pytestmark = pytest.mark.sqlite_only


def _rows() -> list[str]:
    """Every valid combination of the flags, with and without a response, a resolution and a rating."""
    rows = []
    flags = itertools.product([False, True], repeat=5)  # escalated, transferred, follow_up, reopened, self
    n = 0
    for escalated, transferred, follow_up, reopened, self_service in flags:
        if self_service and (escalated or transferred):
            continue
        for resolved, rating in (
            ("", ""),
            ("2017-04-03T11:00:00.5+01:00", ""),
            ("2017-04-04T08:00Z", "negative"),
            ("2017-04-04T08:00Z", "positive"),
        ):
            if not resolved and (reopened or self_service):
                continue
            n += 1
            desk, intent, queue = ("ict", "password_reset", "") if n % 2 else ("contact", "", "")
            if escalated and n % 3 == 0:
                queue = "ict-network" if desk == "ict" else "highways"
            logged = LOGGED[n % len(LOGGED)]
            response = "" if n % 4 == 0 else "2017-04-03T09:05:00Z"
            rated = "2017-04-05T10:00Z" if rating and n % 2 else ""
            yes = lambda flag: "true" if flag else ""  # noqa: E731
            rows.append(
                f"OLD-{n},{desk},{logged},text {n},U{n % 7},src{n % 3},{intent},{queue},{response},"
                f"{resolved},A{n % 5},{yes(escalated)},{yes(transferred)},{yes(follow_up)},{yes(reopened)},"
                f"{yes(self_service)},{rating},{rated}"
            )
    return rows


def _contents(db_file: Path, table: str) -> list[tuple[Any, ...]]:
    """Every stored value with its SQLite storage class, in row order."""
    with sqlite3.connect(db_file) as connection:
        names = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        columns = ", ".join(f'"{n}", typeof("{n}")' for n in names)
        return connection.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()


def _plain_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), list(rows))


def _services(path: Path) -> Services:
    path.mkdir()
    return build_services(make_settings(path), background_training=False)


def _import(services: Services, csv_file: Path) -> None:
    report = services.imports.run("tickets", csv_file)
    assert not report.problems, report.lines()
    assert report.written.new == len(_rows())


@pytest.fixture
def past_csv(tmp_path: Path) -> Path:
    path = tmp_path / "past.csv"
    path.write_text("\n".join([HEADER, *_rows()]) + "\n", encoding="utf-8")
    return path


def test_the_bulk_import_stores_what_sqlalchemy_stores(
    tmp_path: Path, past_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _services(tmp_path / "fast")
    _import(fast, past_csv)
    with monkeypatch.context() as patch:
        patch.setattr(past_tickets, "insert_rows", _plain_insert)
        plain = _services(tmp_path / "plain")
        _import(plain, past_csv)
    for table in TABLES:
        fast_rows = _contents(tmp_path / "fast" / "servicebot.db", table)
        assert fast_rows, table
        assert fast_rows == _contents(tmp_path / "plain" / "servicebot.db", table), table
    fast.close()
    plain.close()


@pytest.mark.parametrize("processes", [1, 3])
def test_the_fast_rebuild_gives_the_replayed_rows_on_every_kind_of_history(
    tmp_path: Path, past_csv: Path, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In several processes: ranges of 97 ticket ids, so that ranges end mid-month and some are folded
    # out of order, and rows must still come back in ticket order, each once.
    monkeypatch.setattr(facts, "_RANGE", 97)
    in_processes = facts._rebuild_in_processes
    ranges_folded_apart: list[int] = []

    def counted(session: Session, *args: Any) -> int:
        done = in_processes(session, *args)
        ranges_folded_apart.append(done)
        return done

    monkeypatch.setattr(facts, "_rebuild_in_processes", counted)
    services = _services(tmp_path / "db")
    load_demo(services, months=1, seed=7, end=datetime(2016, 11, 1, tzinfo=UTC))
    _import(services, past_csv)
    db_file = tmp_path / "db" / "servicebot.db"
    stored = _contents(db_file, "contact_facts")
    assert len(stored) > 1_000
    projection = FactsProjection(services.settings.calendar())
    with services.db.transaction() as session:
        replayed_count = projection.rebuild_by_replay(session)
    replayed = _contents(db_file, "contact_facts")
    with services.db.transaction() as session:
        assert projection.rebuild(session, processes=processes) == replayed_count == len(stored)
    assert _contents(db_file, "contact_facts") == replayed == stored
    assert ranges_folded_apart == ([] if processes == 1 else [len(stored)])
    # Histories of every kind were there to compare: each reason, self-service, both ratings, still open.
    with sqlite3.connect(db_file) as connection:
        kinds = connection.execute(
            "SELECT group_concat(DISTINCT reasons), sum(self_service), count(DISTINCT rating), "
            "sum(NOT resolved) FROM contact_facts"
        ).fetchone()
    assert all(r in kinds[0] for r in ("escalated", "transferred", "follow-up contact", "reopened"))
    assert kinds[1] > 0 and kinds[2] == 2 and kinds[3] > 0
    services.close()


def _indexes(db_file: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db_file) as connection:
        return sorted(
            connection.execute(
                "SELECT tbl_name, name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'"
            ).fetchall()
        )


def test_a_large_import_gives_back_exactly_the_indexes_it_found(tmp_path: Path, past_csv: Path) -> None:
    services = _services(tmp_path / "db")
    db_file = tmp_path / "db" / "servicebot.db"
    before = _indexes(db_file)
    assert any(name == "ix_tickets_requester" for _, name, _ in before)
    _import(services, past_csv)  # into an empty store: every row is new, so the indexes are set aside
    assert _indexes(db_file) == before
    services.close()


def test_unique_indexes_are_never_set_aside(tmp_path: Path) -> None:
    # A duplicate must still be refused while the other indexes are away.
    services = _services(tmp_path / "db")
    with services.db.transaction() as session:
        session.connection().exec_driver_sql("CREATE UNIQUE INDEX ux_probe ON ticket_sources (ticket_id)")
    with services.db.transaction() as session, indexes_set_aside(session, [ticket_sources]):
        names = {
            row[0]
            for row in session.connection().exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'ticket_sources'"
            )
        }
    assert "ux_probe" in names and "ix_ticket_sources_ticket_id" not in names
    assert any(
        name == "ix_ticket_sources_ticket_id" for _, name, _ in _indexes(tmp_path / "db" / "servicebot.db")
    )
    services.close()
