"""The PostgreSQL side of the scale benchmark (bench/bench_measure_pg.py) measures the same year as SQLite's:
its copy of the imported SQLite file into an alembic-migrated PostgreSQL database must lose and change
nothing. Checked where it matters: the same rows, and the same dashboard and desk figures computed by the
real services from either database. Run in the PostgreSQL pass only (it needs the server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_measure import PERIOD, Results, clock, measure_reads, row_counts
from bench.bench_measure_pg import (
    build_sqlite_year,
    copy_year,
    explain_pg,
    pg_row_counts,
    replay_pg,
)
from servicebot.bootstrap import build_kpis, build_metrics
from servicebot.reports import render
from servicebot.services.metrics import desk_figures
from servicebot.storage import migrate
from servicebot.storage.db import Database
from tests.conftest import database_url, make_settings, on_postgresql

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="copies a SQLite file into PostgreSQL")


@pytest.fixture
def year(tmp_path: Path) -> Path:
    work = tmp_path / "year"
    work.mkdir()
    return build_sqlite_year(400, work, lambda _line: None)


@pytest.fixture
def copied(tmp_path: Path, year: Path) -> str:
    url = database_url(tmp_path, "copy")
    db = Database(url)
    migrate.upgrade(db.engine)
    db.dispose()
    copy_year(year, url)
    return url


def test_every_table_is_copied_row_for_row(year: Path, copied: str) -> None:
    expected = {name: n for name, n in row_counts(year).items() if name != "alembic_version"}
    assert expected["tickets"] == 400 and expected["ticket_events"] > 400 and expected["call_stats"] > 0
    assert pg_row_counts(copied, sorted(expected)) == expected


def test_the_services_compute_the_same_figures_from_either_database(
    tmp_path: Path, year: Path, copied: str
) -> None:
    (tmp_path / "settings").mkdir()
    settings = make_settings(tmp_path / "settings")
    on_sqlite, on_postgresql = Database(f"sqlite:///{year}"), Database(copied)
    try:
        dashboards = [
            build_kpis(db, settings, clock).dashboard(PERIOD, "all") for db in (on_sqlite, on_postgresql)
        ]
        assert render(dashboards[0], "json") == render(dashboards[1], "json")
        for desk in settings.desks:
            figures = [
                desk_figures(build_metrics(db, settings, clock), desk, PERIOD, clock())
                for db in (on_sqlite, on_postgresql)
            ]
            assert figures[0] == figures[1]
    finally:
        on_sqlite.dispose()
        on_postgresql.dispose()


def test_the_captured_statements_replay_and_explain_on_a_bare_connection(
    tmp_path: Path, year: Path, copied: str
) -> None:
    (tmp_path / "settings").mkdir()
    results = Results(0)
    measure_reads(
        Database(copied),
        year,
        make_settings(tmp_path / "settings"),
        1,
        results,
        replay_sql=lambda statements, seconds: replay_pg(copied, statements, seconds),
        plans_of=lambda statements: explain_pg(copied, statements),
    )
    assert results.figures["dashboard SQL"].samples and all(
        s > 0 for s in results.figures["dashboard SQL"].samples
    )
    assert results.plans
    for _statement, plan in results.plans:
        assert plan[-1].startswith("execution ")
    # Which plan PostgreSQL picks at 400 tickets says nothing of 1M; that each node is rendered does.
    assert any(" on contact_facts (rows=" in line for _, plan in results.plans for line in plan)
