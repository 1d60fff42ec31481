"""Measuring at a large council's scale: a year of traffic (1,000,000 tickets with their events and ratings,
365 days × 15 telephony lines, 500 outages) in a temporary SQLite file, then

(a) `servicebot import tickets` of the 1M rows (rows/s), through the real `ImportService` and importer,
    against its storage floor measured after each run: the rows it wrote, copied into a fresh copy of the
    file it started from by one `INSERT … SELECT` a table on a bare `sqlite3` connection (same pragmas, same
    page cache, same indexes, one transaction). Reported: both rates and the ratio import ÷ floor;
(b) `servicebot facts rebuild` (tickets/s), through `FactsService.rebuild`, against its storage floor after
    each run: on a copy of the file, in one transaction, its indexes set aside, the table emptied, the
    rebuild's own SELECT over the events (caught from the driver) read to the end, the rebuilt rows
    written by `INSERT … SELECT`, the indexes built again. Reported: both rates and rebuild ÷ floor;
(c) the full monthly dashboard (`KpiService.dashboard(period, "all")`, the data every format renders, and
    the four renderings) against a baseline measured in the same run: the very SQL statements the
    dashboard issued (captured from the engine while it ran), replayed on a bare `sqlite3` cursor with no
    Python around them. Reported: the absolute times and the ratio dashboard ÷ SQL;
(d) the `metrics` desk figures (`desk_figures`) for each desk, against their SQL the same way.

Each figure is measured several times; the median is reported with the min–max spread. The query plan
(`EXPLAIN QUERY PLAN`) of every distinct statement is printed. Not a timed test: run by hand
(`make bench`); the goals are reported, never enforced, because the machine is shared and noisy.

    .venv/bin/python -m bench.bench_measure [--tickets N] [--runs R] [--keep DIR] [--json OUT]

The generated data are seeded, so every run measures the same year.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from intents.loader import load_catalogue
from servicebot.config import Settings
from servicebot.domain.periods import Period
from servicebot.imports import calls as calls_import
from servicebot.imports import tickets as past_ticket_rows
from servicebot.reports import render
from servicebot.services.facts import FactsService
from servicebot.services.importers import IMPORTERS
from servicebot.services.imports import ImportService
from servicebot.services.metrics import MetricsService, desk_figures
from servicebot.services.past_tickets import desk_rules
from servicebot.storage import migrate
from servicebot.storage.bulk import wide_sqlite_cache
from servicebot.storage.db import Database
from tests.conftest import make_settings

FORMATS = ("json", "md", "html", "csv")
SEED = 20260401
FIRST_DAY = date(2025, 4, 1)  # a financial year: April to March
DAYS = 365
PERIOD = Period(2026, 3)  # the year's last month: its year to date is the whole year
OUTAGES = 500
GOAL_IMPORT_ROWS_S = 50_000
GOAL_REBUILD_TICKETS_S = 50_000
GOAL_DASHBOARD_S = 1.0
GOAL_DASHBOARD_RATIO = 3.0


# -- the year's data -------------------------------------------------------------------------------------
TICKET_COLUMNS = [*past_ticket_rows.REQUIRED, *past_ticket_rows.OPTIONAL]
TEXTS = (
    "cannot log in after password change",
    "printer on floor 2 jammed again",
    "missed bin collection on my street",
    "pothole outside the school",
    "blue badge renewal question",
    "VPN drops every few minutes",
    "library book renewal",
    "council tax direct debit date",
    "",
)
SOURCES = ("slack", "email", "phone", "portal", "web")


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_tickets_csv(path: Path, n: int, settings: Settings, seed: int = SEED) -> None:
    """`n` past tickets over the year. The mix: ~70% resolved at first contact; escalations ~10%,
    transfers ~6%, follow-ups ~4%, reopenings ~3%, self-service ~3%, ~5% still open; ~12% of the resolved
    rated (about four in five positive). Logged mostly in working hours on weekdays."""
    rng = random.Random(seed)
    rules = desk_rules(settings, load_catalogue(None, settings.desks))
    desks = {
        desk: (
            sorted(r.intents),
            sorted(q for q, line in r.queues.items() if line > 1),
            r.default_queue,
        )
        for desk, r in rules.items()
    }
    requesters = [f"U{n:07d}" for n in range(50_000)]
    agents = [f"A{n:04d}" for n in range(120)]
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(TICKET_COLUMNS)
        for i in range(n):
            desk = "ict" if rng.random() < 0.4 else "contact"
            intents, second_line, _default = desks[desk]
            day = rng.randrange(DAYS)
            weekend = (FIRST_DAY + timedelta(days=day)).weekday() >= 5
            if weekend and rng.random() < 0.8:
                day = max(0, day - 2)
            hour = rng.gauss(12.5, 2.5) if rng.random() < 0.92 else rng.uniform(0, 24)
            logged = start + timedelta(days=day, hours=min(max(hour, 0.0), 23.99))
            roll = rng.random()
            escalated = roll < 0.10
            transferred = 0.10 <= roll < 0.16
            follow_up = 0.16 <= roll < 0.20
            reopened = 0.20 <= roll < 0.23
            self_service = 0.23 <= roll < 0.26
            unresolved = 0.26 <= roll < 0.31
            intent = rng.choice(intents) if rng.random() < 0.85 else ""
            queue = rng.choice(second_line) if escalated and rng.random() < 0.7 else ""
            responded = not self_service and rng.random() < 0.95
            first_response = logged + timedelta(minutes=rng.expovariate(1 / 20)) if responded else None
            resolved = None
            if not unresolved:
                worked = first_response or logged
                hours = rng.expovariate(1 / (30 if (escalated or transferred) else 4))
                resolved = worked + timedelta(hours=hours)
            rating = ""
            rated = ""
            if resolved is not None and rng.random() < 0.12:
                rating = "positive" if rng.random() < 0.8 else "negative"
                rated = _z(resolved + timedelta(hours=rng.expovariate(1 / 6)))
            writer.writerow(
                (
                    f"OLD-{i:07d}",
                    desk,
                    _z(logged),
                    rng.choice(TEXTS),
                    rng.choice(requesters),
                    rng.choice(SOURCES),
                    intent,
                    queue,
                    "" if first_response is None else _z(first_response),
                    "" if resolved is None else _z(resolved),
                    rng.choice(agents),
                    "true" if escalated else "",
                    "true" if transferred else "",
                    "true" if follow_up else "",
                    "true" if reopened else "",
                    "true" if self_service else "",
                    rating,
                    rated,
                )
            )


def write_calls_csv(path: Path, seed: int = SEED) -> int:
    """365 days × 15 lines (the demo's lines), one row per day and line."""
    from servicebot.demo.telephony import LINES

    rng = random.Random(seed + 1)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(calls_import.COLUMNS)
        for d in range(DAYS):
            day = FIRST_DAY + timedelta(days=d)
            for line in LINES:
                offered = int(line.calls_a_day * rng.uniform(0.6, 1.3) * (0.3 if day.weekday() >= 5 else 1))
                answered = int(offered * rng.uniform(0.85, 0.99))
                within = int(answered * rng.uniform(0.6, 0.95))
                writer.writerow(
                    (
                        day.isoformat(),
                        line.desk,
                        line.name,
                        offered,
                        answered,
                        within,
                        offered - answered,
                        round(answered * rng.uniform(15, 70), 1),
                        round(answered * line.handle_seconds * rng.uniform(0.8, 1.2), 1),
                    )
                )
                rows += 1
    return rows


def write_outages_csv(path: Path, settings: Settings, seed: int = SEED) -> None:
    """500 outages of the configured services over the year: about one in five planned, some over a
    night or a weekend, impact inside the outage."""
    rng = random.Random(seed + 2)
    services = [s.id for s in settings.services]
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)
    seen: set[tuple[str, str]] = set()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["service", "start", "end", "impact_start", "impact_end", "planned", "ticket"])
        while len(seen) < OUTAGES:
            service = rng.choice(services)
            begin = start + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            length = timedelta(minutes=rng.expovariate(1 / 90) + 5)
            if rng.random() < 0.05:
                length += timedelta(hours=rng.uniform(12, 60))  # over a night or a weekend
            key = (service, _z(begin))
            if key in seen:
                continue
            seen.add(key)
            impact_start = begin + length * rng.uniform(0, 0.2)
            impact_end = begin + length * rng.uniform(0.8, 1.0)
            writer.writerow(
                (
                    service,
                    _z(begin),
                    _z(begin + length),
                    _z(impact_start),
                    _z(impact_end),
                    "true" if rng.random() < 0.2 else "false",
                    "",
                )
            )


# -- measuring -------------------------------------------------------------------------------------------
@dataclass
class Figure:
    name: str
    samples: list[float] = field(default_factory=list)
    unit: str = "s"

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def spread(self) -> str:
        return f"{min(self.samples):.3g}–{max(self.samples):.3g}"


class Captured:
    """The statements an engine executed (SQL text and parameters), in order."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    @contextmanager
    def capturing(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        self.on = True
        try:
            yield self.statements
        finally:
            self.on = False


def _shape(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def replay(path: Path, statements: list[tuple[str, Any]], seconds: dict[str, float] | None = None) -> float:
    """The statements on a bare sqlite3 connection, every row fetched: the SQL's own time. `seconds`
    collects each statement shape's time (the slowest run's), to say where the time goes."""
    connection = sqlite3.connect(path)
    try:
        total = 0.0
        for sql, parameters in statements:
            began = time.perf_counter()
            connection.execute(sql, parameters).fetchall()
            took = time.perf_counter() - began
            total += took
            if seconds is not None:
                shape = _shape(sql)[:110]
                seconds[shape] = max(seconds.get(shape, 0.0), took)
        return total
    finally:
        connection.close()


def query_plans(path: Path, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    connection = sqlite3.connect(path)
    try:
        plans = []
        seen: set[str] = set()
        for sql, parameters in statements:
            shape = _shape(sql)
            if shape in seen:
                continue
            seen.add(shape)
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
            plans.append((shape, [str(row[-1]) for row in rows]))
        return plans
    finally:
        connection.close()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def open_db(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    return db


# -- storage floors: the same writes with no Python around them -----------------------------------------
# What `import tickets` writes, in its order (servicebot/services/past_tickets.py, `_flush`): parents
# first, as the foreign keys want. `import_tables` checks it against the file each import produced.
IMPORT_TABLES = ("tickets", "ticket_events", "contact_facts", "ticket_sources")
FACTS_TABLE = "contact_facts"
FETCH_ROWS = 10_000  # the rebuild's own cursor.arraysize (servicebot/storage/facts.py, `_rows`)
# The pragmas a floor must share with the code it is compared with: the engine's, and the page cache
# the bulk writers widen to (`wide_sqlite_cache`).
FLOOR_PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "cache_size")


def bulk_write_pragmas(db: Database) -> dict[str, Any]:
    """The pragmas in force while the import and the rebuild write, read from the engine's own connection
    inside `wide_sqlite_cache` rather than restated, so a floor follows any change to them."""
    with db.transaction() as session, wide_sqlite_cache(session):
        connection = session.connection()
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one() for name in FLOOR_PRAGMAS}


def bare(path: Path, pragmas: dict[str, Any]) -> sqlite3.Connection:
    """A plain `sqlite3` connection set up as the engine's is while it bulk-writes; transactions are
    explicit (`isolation_level=None`), as the engine's are."""
    connection = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        connection.execute(f"PRAGMA {name}={value}")
    return connection


def checkpoint(path: Path) -> None:
    """The WAL folded into the file and emptied, so that copying the file alone copies all of it."""
    with closing(sqlite3.connect(path)) as connection:
        busy, log, done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0 and log == done, f"{path}: checkpoint incomplete ({busy}, {log}, {done})"


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(source: Path, target: Path) -> None:
    checkpoint(source)
    remove_db(target)
    shutil.copy(source, target)


def row_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        names = [
            str(row[0])
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names
        }


def import_tables(base: Path, imported: Path) -> dict[str, int]:
    """The rows the import added, table by table; fails if it wrote any table but `IMPORT_TABLES`, which
    a floor copying only those would leave out."""
    before, after = row_counts(base), row_counts(imported)
    grown = {name: count - before.get(name, 0) for name, count in after.items() if count != before.get(name)}
    assert set(grown) == set(IMPORT_TABLES), f"the import wrote {sorted(grown)}, not {IMPORT_TABLES}"
    return grown


def _columns(connection: sqlite3.Connection, table: str) -> str:
    # Named, in the target's order: `SELECT *` would depend on two files declaring them alike. A column
    # list also keeps SQLite off its transfer optimisation, which copies stored records and index entries
    # as they are: work the import cannot skip (it builds every record and index entry from values).
    names = [str(row[1]) for row in connection.execute(f'PRAGMA main.table_info("{table}")')]
    return ", ".join(f'"{name}"' for name in names)


def import_floor(
    base: Path, imported: Path, floor: Path, pragmas: dict[str, Any], expected: dict[str, int]
) -> float:
    """(a') Seconds to write what the import wrote, as storage alone: in one transaction, on a fresh copy of
    the file the import started from (its indexes, so the same ones kept up to date), each table's rows
    copied from the imported file. The copy is made, and deleted, outside the time."""
    copy_db(base, floor)
    checkpoint(imported)
    try:
        with closing(bare(floor, pragmas)) as connection:
            connection.execute("ATTACH DATABASE ? AS src", (str(imported),))  # not allowed in a transaction
            statements = []
            for table in IMPORT_TABLES:
                columns = _columns(connection, table)
                statements.append(
                    f'INSERT INTO main."{table}" ({columns}) SELECT {columns} FROM src."{table}"'
                )
            began = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            copied = [connection.execute(sql).rowcount for sql in statements]
            connection.execute("COMMIT")
            seconds = time.perf_counter() - began
            connection.execute("DETACH DATABASE src")
    finally:
        remove_db(floor)
    assert copied == [expected[t] for t in IMPORT_TABLES], (copied, expected)
    return seconds


def rebuild_select(base: Path, probe: Path, settings: Settings) -> str:
    """The SELECT over the events that `FactsService.rebuild()` sends, as SQLite received it. The rebuild
    reads through the driver's own cursor, past SQLAlchemy's events, so the statement is caught by the
    driver's trace callback; on a copy of the file without tickets, because the callback also fires for
    every row of an `executemany`. The statement has no parameters, so it is the same on any file."""
    copy_db(base, probe)
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    db = Database(f"sqlite:///{probe}")
    event.listen(db.engine, "connect", trace)
    try:
        FactsService(db, settings).rebuild()
    finally:
        db.dispose()
        remove_db(probe)
    selects = {s for s in statements if s.lstrip().upper().startswith("SELECT") and "ticket_events" in s}
    assert len(selects) == 1, selects
    return selects.pop()


def rebuild_floor(
    year: Path, floor: Path, pragmas: dict[str, Any], select_sql: str, events: int, tickets: int
) -> float:
    """(b') Seconds for the storage's share of a rebuild, on a copy of the file just rebuilt, in one
    transaction: the indexes the rebuild sets aside dropped (those the file has, as
    `_indexes_set_aside` finds them), the table emptied, the rebuild's SELECT read to its last row
    (rows discarded), the rebuilt rows written from the rebuilt file, the indexes built again."""
    copy_db(year, floor)
    try:
        with closing(bare(floor, pragmas)) as connection:
            connection.execute("ATTACH DATABASE ? AS src", (str(year),))
            indexes = connection.execute(
                "SELECT name, sql FROM main.sqlite_master "
                "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (FACTS_TABLE,),
            ).fetchall()
            columns = _columns(connection, FACTS_TABLE)
            began = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            for name, _ in indexes:
                connection.execute(f'DROP INDEX main."{name}"')
            connection.execute(f'DELETE FROM main."{FACTS_TABLE}"')
            cursor = connection.execute(select_sql)
            fetched = 0
            while batch := cursor.fetchmany(FETCH_ROWS):
                fetched += len(batch)
            written = connection.execute(
                f'INSERT INTO main."{FACTS_TABLE}" ({columns}) SELECT {columns} FROM src."{FACTS_TABLE}"'
            ).rowcount
            for _, sql in indexes:
                connection.execute(sql)
            connection.execute("COMMIT")
            seconds = time.perf_counter() - began
            connection.execute("DETACH DATABASE src")
    finally:
        remove_db(floor)
    assert (fetched, written) == (events, tickets), (fetched, written, events, tickets)
    return seconds


@dataclass
class Results:
    tickets: int
    events: int = 0
    figures: dict[str, Figure] = field(default_factory=dict)
    plans: list[tuple[str, list[str]]] = field(default_factory=list)
    statement_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str = "s") -> None:
        self.figures.setdefault(name, Figure(name, unit=unit)).samples.append(value)


def clock() -> datetime:
    """The bench's fixed "now": ten days after the year measured."""
    return datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


def out(line: str) -> None:
    print(line, flush=True)


def run(tickets: int, runs: int, work: Path, out: Callable[[str], None]) -> Results:
    settings_dir = work / "settings"
    settings_dir.mkdir()
    settings = make_settings(settings_dir)
    results = Results(tickets)
    tickets_csv, calls_csv, outages_csv = work / "tickets.csv", work / "calls.csv", work / "outages.csv"
    began = time.perf_counter()
    write_tickets_csv(tickets_csv, tickets, settings)
    call_rows = write_calls_csv(calls_csv)
    write_outages_csv(outages_csv, settings)
    out(
        f"generated {tickets:,} tickets, {call_rows:,} telephony rows, {OUTAGES} outages "
        f"in {time.perf_counter() - began:.1f} s ({tickets_csv.stat().st_size / 1e6:.0f} MB of tickets)"
    )
    catalogue = load_catalogue(None, settings.desks)

    # (a) import: each run into a fresh file holding the year's telephony and outages.
    base = work / "base.db"
    db = open_db(base)
    imports = ImportService(db, settings, clock, catalogue, IMPORTERS)
    for kind, path in (("calls", calls_csv), ("outages", outages_csv)):
        report = imports.run(kind, path)
        assert not report.problems, report.lines()[:5]
    pragmas = bulk_write_pragmas(db)
    db.dispose()
    checkpoint(base)
    target, floor = work / "year.db", work / "floor.db"
    written: dict[str, int] = {}
    for attempt in range(runs):
        copy_db(base, target)
        db = open_db(target)
        imports = ImportService(db, settings, clock, catalogue, IMPORTERS)
        seconds, report = timed(lambda imports=imports: imports.run("tickets", tickets_csv))  # type: ignore[misc]
        assert not report.problems, report.lines()[:5]
        assert report.written.new == tickets, report.lines()
        results.add("import tickets", tickets / seconds, "rows/s")
        db.dispose()
        written = written or import_tables(base, target)  # the same file every run: counted once
        floor_seconds = import_floor(base, target, floor, pragmas, written)
        results.add("import floor (bare SQL)", tickets / floor_seconds, "rows/s")
        out(
            f"  import run {attempt + 1}: {seconds:.1f} s, {tickets / seconds:,.0f} rows/s; "
            f"floor {floor_seconds:.1f} s, {tickets / floor_seconds:,.0f} rows/s; "
            f"import ÷ floor {seconds / floor_seconds:.1f}"
        )

    db = open_db(target)
    with closing(sqlite3.connect(target)) as connection:
        results.events = int(connection.execute("SELECT count(*) FROM ticket_events").fetchone()[0])
    out(f"  {results.events:,} events ({results.events / tickets:.2f} a ticket)")

    # (b) facts rebuild.
    select_sql = rebuild_select(base, floor, settings)
    facts = FactsService(db, settings)
    for attempt in range(runs):
        seconds, done = timed(facts.rebuild)
        assert done == tickets, done
        results.add("facts rebuild", tickets / seconds, "tickets/s")
        # The engine's connection stays pooled between runs, as before; idle, it does not stop the
        # checkpoint that precedes the copy.
        floor_seconds = rebuild_floor(target, floor, pragmas, select_sql, results.events, tickets)
        results.add("facts rebuild floor (bare SQL)", tickets / floor_seconds, "tickets/s")
        out(
            f"  rebuild run {attempt + 1}: {seconds:.1f} s, {tickets / seconds:,.0f} tickets/s; "
            f"floor {floor_seconds:.1f} s, {tickets / floor_seconds:,.0f} tickets/s; "
            f"rebuild ÷ floor {seconds / floor_seconds:.1f}"
        )
    db.dispose()
    with closing(sqlite3.connect(target)) as connection:
        # A settled file, and the planner's statistics, as a database in service has them.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("ANALYZE")

    measure_reads(db, target, settings, runs, results)
    return results


Replay = Callable[[list[tuple[str, Any]], dict[str, float] | None], float]
Plans = Callable[[list[tuple[str, Any]]], list[tuple[str, list[str]]]]


def measure_reads(
    db: Database,
    target: Path,
    settings: Settings,
    runs: int,
    results: Results,
    replay_sql: Replay | None = None,
    plans_of: Plans | None = None,
) -> None:
    """(c) the dashboard and (d) the desk figures, each against its own SQL. `replay_sql` and `plans_of`
    replay the captured statements on a bare connection and explain them: SQLite's on the file `target`
    unless given (`bench_measure_pg` gives PostgreSQL's)."""
    if replay_sql is None:
        replay_sql = lambda statements, seconds: replay(target, statements, seconds)  # noqa: E731
    if plans_of is None:
        plans_of = lambda statements: query_plans(target, statements)  # noqa: E731
    from servicebot.bootstrap import build_kpis, build_metrics

    captured = Captured()
    event.listen(db.engine, "before_cursor_execute", captured)
    kpis = build_kpis(db, settings, clock)
    metrics: MetricsService = build_metrics(db, settings, clock)
    kpis.dashboard(PERIOD, "all")  # warm: page cache, compiled statement cache, calendar, holidays
    statements: list[tuple[str, Any]] = []
    for _ in range(max(runs, 5)):
        with captured.capturing() as captured_now:
            seconds, dashboard = timed(lambda: kpis.dashboard(PERIOD, "all"))
        statements = captured_now
        results.add("dashboard", seconds)
        results.add("dashboard SQL", replay_sql(statements, results.statement_seconds))
        render_seconds, _ = timed(lambda dashboard=dashboard: [render(dashboard, f) for f in FORMATS])  # type: ignore[misc]
        results.add("dashboard render (4 formats)", render_seconds)
    results.plans = plans_of(statements)
    out(f"  dashboard: {len(statements)} SELECT statements")
    now = clock()
    for desk in settings.desks:
        desk_figures(metrics, desk, PERIOD, now)  # warm
        for _ in range(max(runs, 5)):
            with captured.capturing() as captured_now:
                seconds, _ = timed(lambda desk=desk: desk_figures(metrics, desk, PERIOD, now))  # type: ignore[misc]
            statements = captured_now
            results.add(f"metrics {desk}", seconds)
            results.add(f"metrics {desk} SQL", replay_sql(statements, results.statement_seconds))
        results.plans += [p for p in plans_of(statements) if p not in results.plans]
    event.remove(db.engine, "before_cursor_execute", captured)
    db.dispose()


def report(
    results: Results, out: Callable[[str], None], plans_title: str = "query plans (EXPLAIN QUERY PLAN):"
) -> None:
    f = results.figures
    out("")
    out(f"{'figure':34} {'median':>14} {'spread (min–max)':>22} {'runs':>5}  goal")
    goals = {
        "import tickets": f"≥ {GOAL_IMPORT_ROWS_S:,} rows/s",
        "facts rebuild": f"≥ {GOAL_REBUILD_TICKETS_S:,} tickets/s",
        "dashboard": f"< {GOAL_DASHBOARD_S} s",
    }
    for name, figure in f.items():
        value = (
            f"{figure.median:,.0f} {figure.unit}" if figure.unit != "s" else f"{figure.median * 1000:,.0f} ms"
        )
        spread = (
            figure.spread()
            if figure.unit != "s"
            else f"{min(figure.samples) * 1000:,.0f}–{max(figure.samples) * 1000:,.0f} ms"
        )
        out(f"{name:34} {value:>14} {spread:>22} {len(figure.samples):>5}  {goals.get(name, '')}")
    for name, floor in (
        ("import tickets", "import floor (bare SQL)"),
        ("facts rebuild", "facts rebuild floor (bare SQL)"),
    ):
        if name in f:
            # Rates of the same rows: time ÷ floor time is floor rate ÷ rate.
            ratios = [
                floor_rate / rate for rate, floor_rate in zip(f[name].samples, f[floor].samples, strict=True)
            ]
            out(
                f"ratio {name} ÷ its storage floor: {statistics.median(ratios):.2f} "
                f"(spread {min(ratios):.2f}–{max(ratios):.2f})"
            )
    for name in (
        "dashboard",
        *(n.removesuffix(" SQL") for n in f if n.startswith("metrics") and n.endswith("SQL")),
    ):
        whole, sql = f[name].samples, f[f"{name} SQL"].samples
        ratios = [w / s for w, s in zip(whole, sql, strict=True)]
        goal = f"(goal ≤ {GOAL_DASHBOARD_RATIO:g})" if name == "dashboard" else ""
        out(
            f"ratio {name} ÷ its SQL: {statistics.median(ratios):.2f} "
            f"(spread {min(ratios):.2f}–{max(ratios):.2f}) {goal}"
        )
    out("")
    out("slowest statements (one execution, the slowest seen):")
    for shape, seconds in sorted(results.statement_seconds.items(), key=lambda x: -x[1])[:10]:
        out(f"  {seconds * 1000:8.1f} ms  {shape}")
    out("")
    out(plans_title)
    for statement, plan in results.plans:
        out(f"  {statement[:160]}{'…' if len(statement) > 160 else ''}")
        for step in plan:
            out(f"      {step}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here and keep the files (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--reads-only", type=Path, metavar="DB", help="only (c) and (d), on a year kept by an earlier --keep"
    )
    args = parser.parse_args(argv)
    out(
        f"bench_measure: {args.reads_only or f'{args.tickets:,} tickets'}, {args.runs} runs; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    if args.reads_only:
        with tempfile.TemporaryDirectory(prefix="bench-measure-") as work:
            results = Results(0)
            db = open_db(args.reads_only)
            measure_reads(db, args.reads_only, make_settings(Path(work)), args.runs, results)
    elif args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = run(args.tickets, args.runs, Path(tempfile.mkdtemp(dir=args.keep)), out)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-measure-") as work:
            results = run(args.tickets, args.runs, Path(work), out)
    report(results, out)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "tickets": results.tickets,
                    "events": results.events,
                    "figures": {
                        n: {"unit": x.unit, "samples": x.samples} for n, x in results.figures.items()
                    },
                    "plans": results.plans,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
