"""Every row of the council's published December 2016 dashboard, loaded into a real database and found by
ref, makes a chart: annual, quarterly and snapshot KPIs, suspended ones, lower-is-better ones, activity
indicators with and without a range, months with nothing published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servicebot.config import Settings
from servicebot.domain.kpis import KpiRow
from servicebot.domain.periods import Period
from servicebot.reports.chart import render_png, status
from servicebot.services.kpis import KpiService
from servicebot.storage import migrate
from servicebot.storage.db import Database
from tests.conftest import Clock
from tests.support.png import png_size
from tests.support.published_dashboard import convert

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "example-dashboard-2016-12.json"
PUBLISHED: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
DEC = Period.parse(PUBLISHED["period"])


@pytest.fixture
def kpis(tmp_path: Path, settings: Settings, clock: Clock) -> Any:
    db = Database(f"sqlite:///{tmp_path / 'published.db'}")
    migrate.upgrade(db.engine)
    definitions, values = convert(PUBLISHED)
    (tmp_path / "kpis.yaml").write_text(definitions, encoding="utf-8")
    (tmp_path / "values.csv").write_text(values, encoding="utf-8")
    service = KpiService(db, settings, clock)
    assert service.load_definitions(tmp_path / "kpis.yaml", tmp_path / "values.csv").ok
    yield service
    db.dispose()


def test_every_published_row_charts_with_its_printed_rating(kpis: KpiService) -> None:
    refs = [k["ref"] for k in PUBLISHED["kpis"]] + [a["ref"] for a in PUBLISHED["activity"]]
    printed = {k["ref"]: k for k in PUBLISHED["kpis"]} | {a["ref"]: a for a in PUBLISHED["activity"]}
    rated = alerted = 0
    for ref in refs:
        row = kpis.row(ref, DEC)
        assert png_size(render_png(row)) == (800, 400), ref
        said = status(row)
        if isinstance(row, KpiRow) and row.rag is not None and row.value is not None:
            # The words on the chart are the council's own rating of the month.
            assert said.endswith(f", {printed[ref]['month_rag']}"), (ref, said)
            rated += 1
        elif not isinstance(row, KpiRow) and row.in_expected_range is not None:
            words = {"Yes": "within", "Above": "above", "Below": "below"}[printed[ref]["in_expected_range"]]
            assert f", {words} the expected range (" in said, (ref, said)
            alerted += 1
    assert (rated, alerted) == (25, 2)  # all 25 KPIs, both indicators with a range
