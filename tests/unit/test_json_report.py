"""The dashboard's JSON: the machine form the issue names, values unrounded, nulls where nothing applies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from servicebot.domain import kpi_rules
from servicebot.domain.kpis import Commentary, Dashboard, Measure, ServiceArea
from servicebot.domain.periods import Period
from servicebot.reports import render
from tests.unit.test_kpi_rules import activity, kpi

DEC = Period(2016, 12)


def test_the_json_has_the_named_keys_and_values() -> None:
    comment = Commentary(
        "ICT01", DEC, "Escalations", "Training", date(2017, 1, 31), "U1", datetime(2017, 1, 5, tzinfo=UTC)
    )
    amber = kpi_rules.kpi_row(
        kpi(), {Period(2016, 11): Measure(70.0, 70, 100), DEC: Measure(200 / 3, 200, 300)}, {}, DEC, comment
    )
    suspended = kpi_rules.kpi_row(kpi(ref="ICT02", suspended=True), {DEC: Measure(10.0)}, {}, DEC)
    calls = kpi_rules.activity_row(activity(), {DEC: Measure(450.0)}, {}, DEC)
    dashboard = Dashboard(
        "Dashboard",
        DEC,
        "all",
        datetime(2017, 1, 6, tzinfo=UTC),
        (ServiceArea("ICT", "D", "C", "B", (amber, suspended), (calls,)),),
    )
    data = json.loads(render(dashboard, "json"))
    assert data["period"] == "2016-12"
    first, second = data["kpis"]
    assert {"ref", "value", "rag", "dot", "ytd", "ytd_rag", "target", "floor", "previous_year"} <= set(first)
    assert first["value"] == 200 / 3  # unrounded; "decimals" says how it is published
    assert (first["rag"], first["dot"], first["decimals"]) == ("AMBER", "fell", 0)
    assert first["commentary"]["recovery"] == "2017-01-31" and first["commentary"]["by"] == "U1"
    assert len(first["trend"]) == 12 and first["trend"][-1] == {"period": "2016-12", "value": 200 / 3}
    assert (second["rag"], second["ytd_rag"], second["dot"], second["suspended"]) == (None, None, None, True)
    (row,) = data["activity"]
    assert {"ref", "value", "ytd", "in_expected_range", "upper", "lower"} <= set(row)
    assert (row["ytd"], row["in_expected_range"], row["upper"], row["lower"]) == (450.0, "Below", 600, 500)
    assert data["areas"][0]["rag"] == {"GREEN": 0, "AMBER": 1, "RED": 0, "none": 1}
