"""The KPI service on a real SQLite file: definitions replaced in one transaction, values written on their
natural key, commentary, the `values` importer, and the dashboard from metrics and imported values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from intents import load_catalogue
from servicebot.bootstrap import Services
from servicebot.config import Settings
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.kpis import Dot, InRange, Measure, Rag
from servicebot.domain.periods import Period
from servicebot.kpis.definitions import KpiDefinitionsError, default_definitions
from servicebot.services.imports import ImportService
from servicebot.services.kpis import KpiService
from servicebot.storage import kpis as store
from servicebot.storage import migrate
from servicebot.storage.db import Database
from servicebot.storage.tables import kpi_definitions, kpi_values
from tests.conftest import Clock

DEC, NOV = Period(2016, 12), Period(2016, 11)


@dataclass
class FakeMetrics:
    """Monthly measures by source, and a record of what was asked."""

    measures: dict[str, dict[Period, Measure]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def series(self, source: str, periods: list[Period]) -> dict[Period, Measure]:
        self.asked.append(source)
        return {p: m for p, m in self.measures.get(source, {}).items() if p in periods}

    def check(self, source: str) -> None:
        return None

    def note(self, source: str, period: Period) -> str | None:
        return None


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'kpis.db'}")
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def metrics() -> FakeMetrics:
    return FakeMetrics()


@pytest.fixture
def kpis(db: Database, settings: Settings, clock: Clock, metrics: FakeMetrics) -> KpiService:
    return KpiService(db, settings, clock, metrics)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def definitions_file(tmp_path: Path, *specs: dict[str, Any]) -> Path:
    return write(tmp_path / "kpis.yaml", yaml.safe_dump({"kpis": list(specs)}))


def spec(ref: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ref": ref,
        "description": f"{ref} described",
        "service_area": "Customer Services",
        "director": "Amanda Beer",
        "unit": "percent",
        "polarity": "higher_is_better",
        "frequency": "monthly",
        "target": 95,
        "floor": 90,
        "source": "manual",
        "desk": "contact",
    }
    base.update(changes)
    return base


def count(db: Database, table: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_until_a_set_is_loaded_the_committed_default_is_used(kpis: KpiService) -> None:
    assert kpis.list() == default_definitions(("ict", "contact"))


def test_load_replaces_the_whole_set_and_reads_back_exactly(
    kpis: KpiService, tmp_path: Path, db: Database
) -> None:
    first = definitions_file(tmp_path, spec("CS01"), spec("CS06", years={"2017/18": {"target": 97}}))
    report = kpis.load_definitions(first)
    assert report.ok and report.lines() == [f"{first}: loaded 2 KPI definitions (the previous set replaced)"]
    listed = kpis.list()
    assert [d.ref for d in listed] == ["CS01", "CS06"]
    assert listed[1].thresholds_by_year["2017/18"].target == 97
    kpis.load_definitions(definitions_file(tmp_path, spec("CS07", frequency="quarterly")))
    assert [d.ref for d in kpis.list()] == ["CS07"]
    assert count(db, kpi_definitions) == 1


def test_invalid_definitions_write_nothing(kpis: KpiService, tmp_path: Path, db: Database) -> None:
    with pytest.raises(KpiDefinitionsError, match="KPI CS01: floor: 99 is above the target 95"):
        kpis.load_definitions(definitions_file(tmp_path, spec("CS01", floor=99)))
    assert count(db, kpi_definitions) == 0


def test_values_load_with_their_definitions_on_their_natural_key(kpis: KpiService, tmp_path: Path) -> None:
    defs = definitions_file(tmp_path, spec("CS01"), spec("CS06"))
    values = write(tmp_path / "values.csv", "ref,period,value,ytd\nCS01,2016-12,98,97\nCS06,2016-12,60,\n")
    assert kpis.load_definitions(defs, values).written == store_written(2, 0, 0)
    assert kpis.load_definitions(defs, values).written == store_written(0, 0, 2)
    write(values, "ref,period,value,ytd\nCS01,2016-12,98,97\nCS06,2016-12,61,\n")
    report = kpis.load_definitions(defs, values)
    assert report.written == store_written(0, 1, 1)
    assert report.lines()[1] == f"{values}: 2 rows; wrote 0 new, 1 updated, 1 unchanged"


def store_written(new: int, updated: int, unchanged: int) -> Any:
    from servicebot.services.imports import Written

    return Written(new, updated, unchanged)


def test_a_bad_values_row_loads_nothing(kpis: KpiService, tmp_path: Path, db: Database) -> None:
    defs = definitions_file(tmp_path, spec("CS01"))
    values = write(tmp_path / "values.csv", "ref,period,value,ytd\nCS01,2016-12,98,\nCS02,2016-12,50,\n")
    report = kpis.load_definitions(defs, values)
    assert not report.ok
    assert report.lines()[1] == "  row 3, ref: 'CS02' is not a defined KPI; did you mean CS01?"
    assert count(db, kpi_definitions) == 0 and count(db, kpi_values) == 0


def test_commentary_is_checked_and_the_latest_is_kept(kpis: KpiService, clock: Clock) -> None:
    with pytest.raises(NotFound, match="no KPI 'CS99'"):
        kpis.comment("CS99", DEC, "cause", "action", None, "U1")
    with pytest.raises(InvalidInput, match="cause: is blank"):
        kpis.comment("CS01", DEC, "  ", "action", None, "U1")
    with pytest.raises(InvalidInput, match="action: is blank"):
        kpis.comment("CS01", DEC, "cause", "", None, "U1")
    with pytest.raises(InvalidInput, match="recovery: 2016-11-30 is before 2016-12"):
        kpis.comment("CS01", DEC, "cause", "action", date(2016, 11, 30), "U1")
    kpis.comment("CS01", DEC, "first", "first action", None, "U1")
    clock.advance(minutes=5)
    kpis.comment("CS01", DEC, "second", "second action", date(2017, 1, 31), "U2")
    with kpis.db.read() as session:
        latest = store.latest_comments(session, ["CS01"], [DEC])
    assert latest[("CS01", DEC)].cause == "second"
    assert latest[("CS01", DEC)].recovery == date(2017, 1, 31) and latest[("CS01", DEC)].by == "U2"


def test_the_dashboard_from_metrics_and_imported_values(
    kpis: KpiService, metrics: FakeMetrics, tmp_path: Path, clock: Clock
) -> None:
    defs = definitions_file(
        tmp_path,
        spec("CS01"),  # manual: imported values
        spec("CS04", source="calls_answered:contact", target=95, floor=80, desk=None),
        spec("ICT01", source="fcr:ict", target=70, floor=65, desk=None, service_area="ICT"),
        spec(
            "CS08",
            kind="activity",
            unit="count",
            source="calls_answered_count:contact",
            target=None,
            floor=None,
            upper=700,
            lower=500,
            desk=None,
        ),
    )
    values = write(
        tmp_path / "values.csv",
        "ref,period,value,ytd\nCS01,2016-11,91,\nCS01,2016-12,89,\nCS04,2016-12,96,\n",
    )
    kpis.load_definitions(defs, values)
    metrics.measures = {
        "calls_answered:contact": {NOV: Measure(90.0, 90, 100), DEC: Measure(85.0, 85, 100)},
        "fcr:ict": {NOV: Measure(60.0, 60, 100), DEC: Measure(64.0, 64, 100)},
        "calls_answered_count:contact": {NOV: Measure(300.0), DEC: Measure(250.0)},
    }
    kpis.comment("CS01", DEC, "Staff sickness", "Agency advisors from January", date(2017, 1, 31), "U0LEAD")
    kpis.comment("CS01", NOV, "an older month", "n/a", None, "U0LEAD")

    dashboard = kpis.dashboard(DEC)
    rows = {row.definition.ref: row for row in dashboard.kpis}
    assert "manual" not in metrics.asked
    cs01 = rows["CS01"]
    assert (cs01.value, cs01.rag, cs01.dot) == (89.0, Rag.RED, Dot.FELL)
    assert cs01.commentary is not None and cs01.commentary.cause == "Staff sickness"
    cs04 = rows["CS04"]  # the imported December value stands for the computed one
    assert (cs04.value, cs04.rag, cs04.dot) == (96.0, Rag.GREEN, Dot.IMPROVED)
    ict01 = rows["ICT01"]
    assert (ict01.value, ict01.rag, ict01.dot, ict01.ytd_rag) == (64.0, Rag.RED, Dot.IMPROVED, Rag.RED)
    assert ict01.ytd == pytest.approx(62.0) and ict01.commentary is None
    (cs08,) = dashboard.activity
    assert (cs08.value, cs08.ytd, cs08.in_expected_range) == (250.0, 550.0, InRange.YES)
    assert [area.name for area in dashboard.areas] == ["Customer Services", "ICT"]
    assert dashboard.areas[0].director == "Amanda Beer"
    assert dashboard.generated_at == clock.now
    assert dashboard.title == "Performance dashboard, all services: results up to December 2016"

    contact = kpis.dashboard(DEC, "contact")
    assert [row.definition.ref for row in contact.kpis] == ["CS01", "CS04"]
    assert [row.definition.ref for row in kpis.dashboard(DEC, "ict").kpis] == ["ICT01"]
    with pytest.raises(InvalidInput, match="Unknown desk 'hr'"):
        kpis.dashboard(DEC, "hr")


def test_the_values_importer_keeps_good_rows_and_is_idempotent(
    kpis: KpiService, db: Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    kpis.load_definitions(definitions_file(tmp_path, spec("CS01"), spec("CS07", frequency="quarterly")))
    service = ImportService(
        db,
        settings,
        clock,
        load_catalogue(None, settings.desks),
        [kpis.values_importer()],
        kpi_definitions=kpis.definitions_by_ref_in,
    )
    path = write(
        tmp_path / "values.csv",
        "ref,period,value,ytd,numerator,denominator\nCS01,2016-12,98%,,,\nCS07,2016-11,80,,,\nCS07,2016-12,,,17,20\n",
    )
    dry = service.run("values", path, dry_run=True)
    assert (dry.written.new, count(db, kpi_values)) == (2, 0)
    report = service.run("values", path)
    assert [str(p) for p in report.problems] == [
        "row 3, period: CS07 is quarterly: file 2016-11 under its quarter's last month, 2016-12"
    ]
    assert (report.written.new, report.written.unchanged) == (2, 0)
    again = service.run("values", path)
    assert (again.written.new, again.written.updated, again.written.unchanged) == (0, 0, 2)
    with db.read() as session:
        series, _ = store.read_values(session, ["CS07"], Period(2016, 1), DEC)
    assert series["CS07"][DEC] == Measure(85.0, 17, 20)


def test_the_values_importer_uses_the_default_set_when_none_was_loaded(
    kpis: KpiService, db: Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    service = ImportService(
        db, settings, clock, load_catalogue(None, settings.desks), [kpis.values_importer()]
    )
    report = service.run("values", write(tmp_path / "v.csv", "ref,period,value,ytd\nCS06,2016-12,66,\n"))
    assert report.problems == () and report.written.new == 1


def test_stored_comments_round_trip_in_utc(db: Database) -> None:
    at = datetime(2016, 12, 5, 9, 0, tzinfo=UTC)
    from servicebot.domain.kpis import Commentary

    with db.transaction() as session:
        store.add_comment(session, Commentary("CS01", DEC, "c", "a", None, "U1", at))
    with db.read() as session:
        assert store.latest_comments(session, ["CS01"], [DEC])[("CS01", DEC)].at == at


def test_the_default_file_round_trips_through_the_database(kpis: KpiService) -> None:
    """Stored as JSON of the validated definition, read back equal: units, years, desks, decimals."""
    from servicebot.kpis.definitions import DEFAULT_FILE

    kpis.load_definitions(DEFAULT_FILE)
    assert kpis.list() == default_definitions(("ict", "contact"))


def test_every_front_end_gets_the_kpi_service(services: Services) -> None:
    assert services.kpis.list()[0].ref == "ICT01"
    assert services.kpis.dashboard(DEC, "ict").desk == "ict"


def test_one_row_by_ref_is_the_dashboards_own_row(
    kpis: KpiService, metrics: FakeMetrics, tmp_path: Path
) -> None:
    defs = definitions_file(
        tmp_path,
        spec("CS01"),
        spec("ICT01", source="fcr:ict", target=70, floor=65, desk="ict", service_area="ICT"),
        spec("CS08", kind="activity", unit="count", target=None, floor=None, upper=700, lower=500),
    )
    values = write(tmp_path / "values.csv", "ref,period,value,ytd\nCS01,2016-10,96,\nCS01,2016-12,89,\n")
    kpis.load_definitions(defs, values)
    metrics.measures = {"fcr:ict": {NOV: Measure(60.0, 60, 100), DEC: Measure(64.0, 64, 100)}}

    dashboard = kpis.dashboard(DEC)
    by_ref = {row.definition.ref: row for row in [*dashboard.kpis, *dashboard.activity]}
    for ref in ("CS01", "ICT01", "CS08"):
        assert kpis.row(ref, DEC) == by_ref[ref]
    cs01 = kpis.row("CS01", DEC)
    assert [p for p, _ in cs01.trend] == [Period(2016, 1).shift(i) for i in range(12)]
    assert [v for _, v in cs01.trend][-3:] == [96.0, None, 89.0]
    assert kpis.row("ict01", DEC).definition.ref == "ICT01"  # typed in lower case
    with pytest.raises(NotFound) as unknown:
        kpis.row("ICT99", DEC)
    assert str(unknown.value) == (
        "no KPI 'ICT99'; known: CS01, ICT01, CS08 ('servicebot kpi list' shows them all)"
    )


def test_an_unknown_ref_lists_a_few_of_many(kpis: KpiService) -> None:
    # The committed default set: too many to list them all in one line.
    with pytest.raises(
        NotFound, match=r"no KPI 'X'; known: (\w+, ){5}\w+ and \d+ more \('servicebot kpi list'"
    ):
        kpis.row("X", DEC)
