"""The council's published dashboard for December 2016, reproduced through the real command: its
definitions and figures loaded with `servicebot kpi load`, the dashboard built with `servicebot dashboard
--format json`, and every printed month RAG, YTD RAG, direction of travel and expected-range alert
compared with what the council printed.

The fixture prints no previous period's values; `tests/support/published_dashboard.py` derives them from
the printed DoT (one published unit worse for "improved", better for "fell", by the KPI's polarity; for
"unchanged" a value equal only at the published precision), so the DoT checks exercise the precision and
polarity rules rather than echo the fixture. The awkward rows are there: annual KPIs (HR11 with no DoT
though it has a previous year's figure; PI03's "fell" against the previous year), snapshot KPIs with a DoT
but no YTD (FP05, and the lower-is-better FP06 and PI01), FP02's YTD exactly on its floor (AMBER), ICT01's
YTD exactly on its target (GREEN), GL03's month on its floor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import servicebot
from tests.support.published_dashboard import convert

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "example-dashboard-2016-12.json"
PUBLISHED: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("published")
    definitions, values = convert(PUBLISHED)
    (folder / "kpis.yaml").write_text(definitions, encoding="utf-8")
    (folder / "values.csv").write_text(values, encoding="utf-8")
    loaded = servicebot(folder, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 47 KPI definitions" in loaded.stdout
    shown = servicebot(folder, "dashboard", "--period", PUBLISHED["period"], "--format", "json")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def _by_ref(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["ref"]: row for row in rows}


def test_every_kpi_and_activity_indicator_is_on_the_dashboard(reproduced: dict[str, Any]) -> None:
    assert reproduced["period"] == "2016-12"
    assert [r["ref"] for r in reproduced["kpis"]] == [k["ref"] for k in PUBLISHED["kpis"]]
    assert [r["ref"] for r in reproduced["activity"]] == [a["ref"] for a in PUBLISHED["activity"]]


@pytest.mark.parametrize("published", PUBLISHED["kpis"], ids=lambda k: k["ref"])
def test_every_printed_kpi_rating_is_reproduced(
    reproduced: dict[str, Any], published: dict[str, Any]
) -> None:
    row = _by_ref(reproduced["kpis"])[published["ref"]]
    assert (row["rag"], row["ytd_rag"], row["dot"]) == (
        published["month_rag"],
        published["ytd_rag"],
        published["dot"],
    )
    assert row["value"] == published["latest"]
    assert row["ytd"] == published["ytd"]
    assert (row["target"], row["floor"]) == (published["target"], published["floor"])
    assert row["previous_year"] == published["previous_year"]


@pytest.mark.parametrize("published", PUBLISHED["activity"], ids=lambda a: a["ref"])
def test_every_printed_activity_alert_is_reproduced(
    reproduced: dict[str, Any], published: dict[str, Any]
) -> None:
    row = _by_ref(reproduced["activity"])[published["ref"]]
    assert row["in_expected_range"] == published["in_expected_range"]
    assert row["ytd"] == published["ytd"]
    assert (row["upper"], row["lower"]) == (published["upper"], published["lower"])
    assert row["previous_year"] == published["previous"]


def test_annual_figures_are_shown_from_their_march(reproduced: dict[str, Any]) -> None:
    """HR11 and PI03 are annual: the latest up to December 2016 is the one filed under March 2016."""
    rows = _by_ref(reproduced["kpis"])
    assert rows["HR11"]["shown"] == rows["PI03"]["shown"] == "2016-03"
    assert rows["ICT01"]["shown"] == "2016-12"


def _kpi(ref: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ref": ref,
        "description": f"{ref} as printed",
        "service_area": "Test Services",
        "director": "A Director",
        "cabinet_member": "A Member",
        "delivery_by": "In-house",
        "unit": "%",
        "polarity": "higher_is_better",
        "frequency": "monthly",
        "previous_year": None,
    }
    base.update(fields)
    printed = {
        key: None if base.get(key) is None else f"{base[key]:g}%"
        for key in ("latest", "ytd", "target", "floor")
    }
    base.setdefault("as_printed", printed)
    return base


# A dashboard for February 2017 in the same shape, with the rows December 2016 lacks: a quarterly KPI (its
# latest quarter ended in December), a suspended one, an annual lower-is-better one whose previous year is
# its previous period, figures printed to one decimal place exactly on a lower-is-better target and floor,
# a KPI with only its YTD published this month, and an activity range printed the wrong way round.
FEBRUARY: dict[str, Any] = {
    "period": "2017-02",
    "kpis": [
        _kpi("QA01", frequency="quarterly", latest=82.0, month_rag="AMBER", dot="improved", ytd=81.0,
             ytd_rag="AMBER", target=85.0, floor=80.0, previous_year=79.0),
        _kpi("SU01", suspended=True, latest=50.0, month_rag=None, dot="fell", ytd=55.0, ytd_rag=None,
             target=90.0, floor=80.0),
        _kpi("AN01", frequency="annual", polarity="lower_is_better", latest=12.0, month_rag="AMBER",
             dot="improved", ytd=None, ytd_rag=None, target=10.0, floor=15.0, previous_year=14.0),
        _kpi("LB01", polarity="lower_is_better", latest=5.0, month_rag="GREEN", dot="unchanged", ytd=15.0,
             ytd_rag="AMBER", target=5.0, floor=15.0, previous_year=6.1,
             as_printed={"latest": "5.0%", "ytd": "15.0%", "target": "5.0%", "floor": "15.0%"}),
        _kpi("YT01", latest=None, month_rag=None, dot=None, ytd=70.0, ytd_rag="AMBER", target=75.0,
             floor=65.0),
    ],
    "activity": [
        {"ref": "AC01", "description": "Visits", "service_area": "Test Services", "ytd": 150.0,
         "ytd_as_printed": "150", "upper": 100.0, "lower": 200.0, "in_expected_range": "Yes",
         "previous": 140.0},
        {"ref": "AC02", "description": "Calls", "service_area": "Test Services", "ytd": 350.0,
         "ytd_as_printed": "350", "upper": 300.0, "lower": 200.0, "in_expected_range": "Above",
         "previous": None},
    ],
}  # fmt: skip


def test_another_dashboard_with_quarterly_suspended_and_annual_rows(tmp_path: Path) -> None:
    definitions, values = convert(FEBRUARY)
    (tmp_path / "kpis.yaml").write_text(definitions, encoding="utf-8")
    (tmp_path / "values.csv").write_text(values, encoding="utf-8")
    loaded = servicebot(tmp_path, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv")
    assert loaded.returncode == 0, loaded.stderr
    shown = servicebot(tmp_path, "dashboard", "--period", "2017-02")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    rows = _by_ref(data["kpis"])
    for published in FEBRUARY["kpis"]:
        row = rows[published["ref"]]
        printed = (published["month_rag"], published["ytd_rag"], published["dot"], published["previous_year"])
        assert (row["rag"], row["ytd_rag"], row["dot"], row["previous_year"]) == printed, published["ref"]
        assert (row["value"], row["ytd"]) == (published["latest"], published["ytd"]), published["ref"]
    assert (rows["QA01"]["shown"], rows["AN01"]["shown"], rows["YT01"]["shown"]) == (
        "2016-12",
        "2016-03",
        "2017-02",
    )
    activity = _by_ref(data["activity"])
    for published in FEBRUARY["activity"]:
        row = activity[published["ref"]]
        assert row["in_expected_range"] == published["in_expected_range"], published["ref"]
        assert row["previous_year"] == published["previous"]
