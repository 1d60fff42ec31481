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
