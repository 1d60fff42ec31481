"""The metric queries on PostgreSQL at a large council's scale, beside SQLite's, in one run.

The year `bench_measure` generates (1,000,000 tickets with their events, contact facts and ratings, a year
of telephony, 500 outages) is imported once into a SQLite file through the real `ImportService`, then
loaded into a PostgreSQL database on a server of its own, started with production's durability
(`start_server(DURABLE)`, fsync on) and the memory of a modest production server (`SERVER` below). That
database's schema is the one `servicebot db upgrade` makes (alembic, every migration); its rows are copied
from the SQLite file table by table with `COPY … FROM STDIN`, parents before children, and checked equal,
table by table, to the file's counts. Then `VACUUM (ANALYZE)`: the planner's statistics and the visibility
map a database in service has from autovacuum (without the map, no index-only scan can skip the heap).
Loading is not measured: importing through `ImportService` on PostgreSQL is a different benchmark.

On each backend, through the real services (`bench_measure.measure_reads`):

(c) the full monthly dashboard (`KpiService.dashboard(period, "all")`, and the four renderings apart)
    against the very SELECTs it issued, captured from the engine, replayed on a bare connection
    (`sqlite3`; `psycopg` for PostgreSQL) with every row fetched: ratio dashboard ÷ SQL;
(d) `desk_figures` for each desk, against its SQL the same way.

Several runs each; median and min–max. Then every distinct statement's plan: `EXPLAIN QUERY PLAN` on
SQLite, `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL (the plan tree with each node's index, rows, time,
heap fetches and buffers; its execution time). Not a timed test: run by hand; the goals are reported,
never enforced.

    .venv/bin/python -m bench.bench_measure_pg [--tickets N] [--runs R] [--from-sqlite DB] [--json OUT]

`--from-sqlite DB` skips the generating and the import: DB is a year kept by `bench_measure --keep`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Integer

from bench.bench_measure import (
    GOAL_DASHBOARD_RATIO,
    GOAL_DASHBOARD_S,
    OUTAGES,
    Results,
    _shape,
    checkpoint,
    clock,
    measure_reads,
    open_db,
    report,
    row_counts,
    write_calls_csv,
    write_outages_csv,
    write_tickets_csv,
)
from intents.loader import load_catalogue
from servicebot.services.importers import IMPORTERS
from servicebot.services.imports import ImportService
from servicebot.storage import migrate
from servicebot.storage.db import Database
from servicebot.storage.tables import metadata
from tests.conftest import make_settings
from tests.support.postgres import DURABLE, PostgresServer, start_server

# A modest production server (4 GB of memory, its own disk): a quarter of the memory as shared buffers,
# the rest counted as the OS's cache; sorts and hashes of a dashboard's GROUP BYs fit work_mem. The
# planner's cost constants are left at PostgreSQL's defaults, so a plan is not flattered by them.
SERVER: dict[str, str] = {
    **DURABLE,
    "shared_buffers": "1GB",
    "effective_cache_size": "3GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
}
DATABASE = "servicebot"
COPY_BATCH = 10_000


def out(line: str) -> None:
    print(line, flush=True)


# -- the year in SQLite: the import, once ----------------------------------------------------------------
def build_sqlite_year(tickets: int, work: Path, say: Callable[[str], None]) -> Path:
    """A SQLite file holding the generated year, imported through `ImportService` as `bench_measure` does
    (one run, no floors), settled (WAL checkpointed) and analysed."""
    (work / "settings").mkdir()
    settings = make_settings(work / "settings")
    tickets_csv, calls_csv, outages_csv = work / "tickets.csv", work / "calls.csv", work / "outages.csv"
    began = time.perf_counter()
    write_tickets_csv(tickets_csv, tickets, settings)
    write_calls_csv(calls_csv)
    write_outages_csv(outages_csv, settings)
    target = work / "year.db"
    db = open_db(target)
    imports = ImportService(db, settings, clock, load_catalogue(None, settings.desks), IMPORTERS)
    for kind, path in (("calls", calls_csv), ("outages", outages_csv), ("tickets", tickets_csv)):
        done = imports.run(kind, path)
        assert not done.problems, done.lines()[:5]
    db.dispose()
    checkpoint(target)
    with closing(sqlite3.connect(target)) as connection:
        connection.execute("ANALYZE")
    say(
        f"SQLite year: {tickets:,} tickets and {OUTAGES} outages generated and imported "
        f"in {time.perf_counter() - began:.0f} s"
    )
    return target


# -- the same year in PostgreSQL ---------------------------------------------------------------------------
def dsn(url: str) -> str:
    """psycopg's own connection string for a SQLAlchemy URL (`postgresql+psycopg://…`)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _rows(connection: sqlite3.Connection, sql: str) -> Iterator[tuple[Any, ...]]:
    cursor = connection.execute(sql)
    while batch := cursor.fetchmany(COPY_BATCH):
        yield from batch


def copy_year(sqlite_path: Path, url: str) -> dict[str, int]:
    """Every table's rows from the SQLite file into the PostgreSQL database at `url`, which `migrate` has
    brought to the head revision (the schema is alembic's, not this function's). Parents before children
    (the foreign keys are checked row by row); each serial id's sequence moved past the copied ids, as if
    the rows had been inserted. Values go through as SQLite holds them: timestamps are naive UTC text,
    read in a session whose time zone is UTC; booleans 0 and 1, which PostgreSQL's boolean input takes.
    Returns the rows copied, table by table."""
    copied: dict[str, int] = {}
    with (
        closing(sqlite3.connect(sqlite_path)) as source,
        psycopg.connect(dsn(url)) as target,
    ):
        target.execute("SET TIME ZONE 'UTC'")
        present = {str(row[0]) for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            columns = [c.name for c in table.columns]
            names = ", ".join(f'"{c}"' for c in columns)
            count = 0
            with target.cursor().copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in _rows(source, f'SELECT {names} FROM "{table.name}"'):
                    copy.write_row(row)
                    count += 1
            copied[table.name] = count
            serial = [c for c in table.primary_key.columns if isinstance(c.type, Integer) and c.autoincrement]
            if count and len(serial) == 1:
                key = serial[0].name
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{key}'), "
                    f'(SELECT max("{key}") FROM "{table.name}"))'
                )
        target.commit()
    return copied


def pg_row_counts(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(dsn(url)) as connection:
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # type: ignore[index]
            for name in tables
        }


def load_postgresql(server: PostgresServer, sqlite_path: Path, say: Callable[[str], None]) -> str:
    """The database `DATABASE` on `server`: migrated by alembic, the year copied in and checked equal,
    then vacuumed and analysed. Returns its URL."""
    server.execute(f"CREATE DATABASE {DATABASE}")
    url = server.url(DATABASE)
    db = Database(url)
    try:
        migrate.upgrade(db.engine)
    finally:
        db.dispose()
    began = time.perf_counter()
    copied = copy_year(sqlite_path, url)
    expected = {name: count for name, count in row_counts(sqlite_path).items() if name != "alembic_version"}
    assert set(copied) == set(expected), (sorted(copied), sorted(expected))
    counted = pg_row_counts(url, sorted(expected))
    assert counted == expected, {n: (counted[n], expected[n]) for n in expected if counted[n] != expected[n]}
    with psycopg.connect(dsn(url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    say(
        f"PostgreSQL: {sum(copied.values()):,} rows in {len(copied)} tables copied, counts equal to "
        f"SQLite's, vacuumed and analysed in {time.perf_counter() - began:.0f} s"
    )
    return url


# -- replaying and explaining on a bare psycopg connection -------------------------------------------------
def replay_pg(url: str, statements: list[tuple[str, Any]], seconds: dict[str, float] | None = None) -> float:
    """The statements, as the engine sent them to psycopg (same text, same parameters), on a bare psycopg
    connection, every row fetched: the SQL's own time, as `bench_measure.replay` is SQLite's."""
    with psycopg.connect(dsn(url)) as connection:
        total = 0.0
        for sql, parameters in statements:
            began = time.perf_counter()
            connection.execute(sql, parameters).fetchall()
            took = time.perf_counter() - began
            total += took
            if seconds is not None:
                shape = _shape(sql)[:110]
                seconds[shape] = max(seconds.get(shape, 0.0), took)
        connection.rollback()
        return total


def _node_line(node: dict[str, Any]) -> str:
    what = str(node["Node Type"])
    if node.get("Strategy") in ("Hashed", "Sorted", "Mixed"):
        what = f"{node['Strategy']} {what}"
    if "Index Name" in node:
        what += f" using {node['Index Name']}"
    if "Relation Name" in node:
        what += f" on {node['Relation Name']}"
    details = [
        f"rows={node.get('Actual Rows', 0):,}×{node.get('Actual Loops', 1)}",
        f"time={node.get('Actual Total Time', 0.0):.1f} ms",
    ]
    if "Heap Fetches" in node:
        details.append(f"heap fetches={node['Heap Fetches']:,}")
    hit, read = node.get("Shared Hit Blocks", 0), node.get("Shared Read Blocks", 0)
    details.append(f"buffers hit={hit:,} read={read:,}")
    return f"{what} ({', '.join(details)})"


def plan_lines(plan: dict[str, Any], depth: int = 0) -> list[str]:
    """A plan tree (EXPLAIN's JSON form), one line a node, indented by depth."""
    lines = ["  " * depth + _node_line(plan)]
    for child in plan.get("Plans", []):
        lines += plan_lines(child, depth + 1)
    return lines


def explain_pg(url: str, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """`EXPLAIN (ANALYZE, BUFFERS)` of every distinct statement (its first parameters), rendered a node a
    line, with the execution time last."""
    plans: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    with psycopg.connect(dsn(url)) as connection:
        for sql, parameters in statements:
            shape = _shape(sql)
            if shape in seen:
                continue
            seen.add(shape)
            row = connection.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, parameters).fetchone()
            assert row is not None
            explained = row[0][0]
            plans.append(
                (shape, [*plan_lines(explained["Plan"]), f"execution {explained['Execution Time']:.1f} ms"])
            )
        connection.rollback()
    return plans


# -- the run -----------------------------------------------------------------------------------------------
def measure(
    year: Path, url: str, runs: int, work: Path, say: Callable[[str], None]
) -> tuple[Results, Results]:
    """(c) and (d) on SQLite, then on PostgreSQL: the same services, the same settings, the same year."""
    (work / "settings-reads").mkdir()
    settings = make_settings(work / "settings-reads")
    on_sqlite = Results(0)
    measure_reads(open_db(year), year, settings, runs, on_sqlite)
    say("SQLite: measured")
    on_postgresql = Results(0)
    measure_reads(
        Database(url),
        year,
        settings,
        runs,
        on_postgresql,
        replay_sql=lambda statements, seconds: replay_pg(url, statements, seconds),
        plans_of=lambda statements: explain_pg(url, statements),
    )
    say("PostgreSQL: measured")
    return on_sqlite, on_postgresql


def _ms(samples: list[float]) -> str:
    return (
        f"{statistics.median(samples) * 1000:,.0f} ms ({min(samples) * 1000:,.0f}–{max(samples) * 1000:,.0f})"
    )


def side_by_side(on_sqlite: Results, on_postgresql: Results, say: Callable[[str], None]) -> None:
    say("")
    say(f"{'figure':30} {'SQLite':>22} {'PostgreSQL':>22} {'PG ÷ SQLite':>12}")
    for name, figure in on_sqlite.figures.items():
        other = on_postgresql.figures.get(name)
        if other is None:
            continue
        ratio = other.median / figure.median
        say(f"{name:30} {_ms(figure.samples):>22} {_ms(other.samples):>22} {ratio:>11.2f}×")
    for label, results in (("SQLite", on_sqlite), ("PostgreSQL", on_postgresql)):
        whole, sql = results.figures["dashboard"].samples, results.figures["dashboard SQL"].samples
        ratios = [w / s for w, s in zip(whole, sql, strict=True)]
        met = (
            statistics.median(whole) < GOAL_DASHBOARD_S and statistics.median(ratios) <= GOAL_DASHBOARD_RATIO
        )
        say(
            f"dashboard goal on {label} (< {GOAL_DASHBOARD_S:g} s and ≤ {GOAL_DASHBOARD_RATIO:g}× its SQL): "
            f"{'met' if met else 'NOT met'} ({_ms(whole)}, {statistics.median(ratios):.2f}× its SQL)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--from-sqlite", type=Path, metavar="DB", help="a year kept by bench_measure --keep")
    parser.add_argument("--json", type=Path, help="write both backends' figures and plans here as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-measure-pg-") as tmp:
        work = Path(tmp)
        server = start_server(SERVER)
        try:
            with psycopg.connect(dsn(server.url("postgres"))) as connection:
                version = connection.execute("SHOW server_version").fetchone()
            out(
                f"bench_measure_pg: {args.from_sqlite or f'{args.tickets:,} tickets'}, {args.runs} runs; "
                f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
                f"PostgreSQL {version[0] if version else '?'} "
                f"({', '.join(f'{k}={v}' for k, v in SERVER.items() if k != 'max_connections')})"
            )
            year = args.from_sqlite or build_sqlite_year(args.tickets, work, out)
            url = load_postgresql(server, year, out)
            on_sqlite, on_postgresql = measure(year, url, args.runs, work, out)
        finally:
            server.stop()
    for label, results, title in (
        ("SQLite", on_sqlite, "query plans (EXPLAIN QUERY PLAN):"),
        ("PostgreSQL", on_postgresql, "query plans (EXPLAIN (ANALYZE, BUFFERS), first parameters):"),
    ):
        out("")
        out(f"== {label} ==")
        report(results, out, title)
    side_by_side(on_sqlite, on_postgresql, out)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    label: {
                        "figures": {n: {"unit": x.unit, "samples": x.samples} for n, x in r.figures.items()},
                        "plans": r.plans,
                    }
                    for label, r in (("sqlite", on_sqlite), ("postgresql", on_postgresql))
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
