"""kpis.yaml: the committed default loads, and every problem is refused with the KPI and field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from servicebot.domain.kpis import Frequency, KpiKind, Polarity, Thresholds, Unit
from servicebot.kpis.definitions import (
    KNOWN_SOURCES,
    KpiDefinitionsError,
    default_definitions,
    definitions_from,
    load_definitions,
)

DESKS = ("ict", "contact")


def fcr(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ref": "ICT01",
        "description": "Calls resolved at the first point of contact",
        "service_area": "ICT (Infrastructure)",
        "unit": "percent",
        "polarity": "higher_is_better",
        "frequency": "monthly",
        "target": 70,
        "floor": 65,
        "source": "fcr:ict",
    }
    spec.update(changes)
    return {k: v for k, v in spec.items() if v is not None}


def calls(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ref": "CS08",
        "description": "Calls answered",
        "service_area": "Customer Services",
        "kind": "activity",
        "unit": "count",
        "frequency": "monthly",
        "upper": 633350,
        "lower": 530000,
        "source": "calls_answered_count:contact",
    }
    spec.update(changes)
    return {k: v for k, v in spec.items() if v is not None}


def load(*items: Any) -> list[Any]:
    return definitions_from(list(items), "kpis.yaml", desks=DESKS)


def refused(*items: Any) -> str:
    with pytest.raises(KpiDefinitionsError) as caught:
        load(*items)
    return str(caught.value)


def test_the_committed_default_loads_for_both_desks() -> None:
    definitions = default_definitions(DESKS)
    refs = [d.ref for d in definitions]
    for ref in ("ICT01", "ICT01b", "ICT02", "ICT02b", "ICT03", "ICT04", "ICT05", "CS01", "CS04", "CS05"):
        assert ref in refs
    by_ref = {d.ref: d for d in definitions}
    assert {d.desk for d in definitions} == {"ict", "contact"}
    assert by_ref["ICT03"].decimals == 1 and by_ref["ICT03"].thresholds == Thresholds(99.8, 99.0)
    assert by_ref["CS07"].frequency is Frequency.QUARTERLY
    assert by_ref["CS08"].kind is KpiKind.ACTIVITY and by_ref["CS08"].thresholds.upper == 633350
    # The ICT desk's lower-is-better standards have a floor above their target.
    for ref in ("ICT06", "ICT07", "ICT08"):
        d = by_ref[ref]
        assert d.polarity is Polarity.LOWER_IS_BETTER
        assert d.thresholds.floor is not None and d.thresholds.target is not None
        assert d.thresholds.floor > d.thresholds.target


def test_a_list_or_a_kpis_mapping(tmp_path: Path) -> None:
    as_list = tmp_path / "list.yaml"
    as_list.write_text(yaml.safe_dump([fcr()]), encoding="utf-8")
    as_mapping = tmp_path / "mapping.yaml"
    as_mapping.write_text(yaml.safe_dump({"kpis": [fcr()]}), encoding="utf-8")
    assert load_definitions(as_list, desks=DESKS) == load_definitions(as_mapping, desks=DESKS)


def test_a_definition_becomes_the_domains() -> None:
    (d,) = load(fcr(owners=["U012AB3CD"], director="Rebecca Spore"))
    assert (d.ref, d.unit, d.polarity, d.frequency, d.kind) == (
        "ICT01",
        Unit.PERCENT,
        Polarity.HIGHER_IS_BETTER,
        Frequency.MONTHLY,
        KpiKind.KPI,
    )
    assert d.desk == "ict"  # the source's argument is a configured desk
    assert d.owners == ("U012AB3CD",) and d.director == "Rebecca Spore"
    assert d.decimals == 0 and not d.suspended


def test_decimals_default_by_unit_and_to_the_finest_threshold() -> None:
    (hours,) = load(
        fcr(ref="ICT08", unit="hours", polarity="lower_is_better", target=19, floor=22, source="manual")
    )
    assert hours.decimals == 1
    (network,) = load(fcr(ref="ICT03", target=99.8, floor=99, source="availability:network"))
    assert network.decimals == 1 and network.desk is None  # "network" is a service, not a desk
    (money,) = load(calls(ref="FP05b", unit="currency", upper=None, lower=None, source="manual"))
    assert money.decimals == 2


def test_thresholds_per_financial_year_inherit_what_they_leave_out() -> None:
    (d,) = load(fcr(years={"2017/18": {"target": 72}}))
    assert d.thresholds_by_year == {"2017/18": Thresholds(target=72, floor=65)}
    (only_years,) = load(fcr(target=None, floor=None, years={"2016/17": {"target": 70, "floor": 65}}))
    assert only_years.thresholds_by_year["2016/17"] == Thresholds(70, 65)


@pytest.mark.parametrize(
    ("item", "says"),
    [
        (fcr(floor=75), "KPI ICT01: floor: 75 is above the target 70"),
        (
            fcr(ref="FP06", polarity="lower_is_better", target=15, floor=10, source="manual"),
            "KPI FP06: floor: 10 is below the target 15",
        ),
        (fcr(years={"2017/18": {"floor": 71}}), "KPI ICT01: years.2017/18.floor: 71 is above the target 70"),
        (calls(upper=500000), "KPI CS08: upper: 500000 is below lower 530000"),
        (fcr(ref="ICTO1"), "KPI ICTO1: ref: 'ICTO1' is not a KPI code"),
        (fcr(ref="ict01"), "KPI ict01: ref:"),
        (fcr(ref="CS 04"), "KPI CS 04: ref:"),
        (fcr(tagret=70), "KPI ICT01: tagret: unknown field"),
        (fcr(unit="percentage"), "KPI ICT01: unit: 'percentage' is not one of"),
        (fcr(polarity="up"), "KPI ICT01: polarity: 'up' is not one of"),
        (fcr(frequency="weekly"), "KPI ICT01: frequency: 'weekly' is not one of"),
        (fcr(kind="target"), "KPI ICT01: kind: 'target' is not one of"),
        (fcr(polarity=None), "KPI ICT01: polarity: is required for a KPI"),
        (fcr(floor=None), "KPI ICT01: floor: is required for a KPI"),
        (fcr(upper=80), "KPI ICT01: upper: a KPI has a target and floor"),
        (calls(target=600000), "KPI CS08: target: an activity indicator has an expected range"),
        (fcr(years={"2017/19": {"target": 72}}), "KPI ICT01: years.2017/19: is not a financial year"),
        (fcr(source="fcrr:ict"), "KPI ICT01: source: unknown metric 'fcrr'"),
        (fcr(source="FCR for ict"), "KPI ICT01: source: 'FCR for ict' is not 'manual' or a metric"),
        (fcr(desk="helpdesk"), "KPI ICT01: desk: 'helpdesk' is not a configured desk"),
        (fcr(target=99.8, floor=99, decimals=0), "KPI ICT01: decimals: 0 is coarser than a threshold"),
        (fcr(target=120), "KPI ICT01: target: 120 is not a percentage"),
        (fcr(target=float("nan")), "KPI ICT01: target: is not a finite number"),
        (fcr(target="70%"), "KPI ICT01: target:"),
        (fcr(owners=["U1 U2"]), "KPI ICT01: owners: Value error, 'U1 U2' is not a Slack user id"),
        # A trailing newline ("U0X\n" in quotes) is no id either: "$" in a pattern would have let it in.
        (fcr(owners=["U0X\n"]), "KPI ICT01: owners: Value error, 'U0X\\n' is not a Slack user id"),
        (fcr(ref="ICT01\n"), "ref: 'ICT01\\n' is not a KPI code"),
        (fcr(source="fcr:ict\n"), "KPI ICT01: source: 'fcr:ict\\n' is not 'manual' or a metric"),
        (fcr(description="  "), "KPI ICT01: description: Value error, is blank"),
        (fcr(decimals=9), "KPI ICT01: decimals:"),
        (fcr(suspended="maybe"), "KPI ICT01: suspended:"),
        ("ICT01", "item #1: expected a mapping of fields"),
        ({"description": "no ref"}, "item #1: ref: Field required"),
    ],
)
def test_each_problem_names_the_kpi_and_field(item: Any, says: str) -> None:
    assert says.replace("Value error, ", "") in refused(item)


def test_a_problem_a_year_inherits_is_reported_once() -> None:
    message = refused(fcr(floor=75, years={"2016/17": {"target": 80}, "2017/18": {"target": 72}}))
    assert message.count("floor:") == 2  # the top level's, and 2017/18's own target below the floor
    assert "KPI ICT01: years.2017/18.floor: 75 is above the target 72" in message
    assert "years.2016/17" not in message


def test_a_duplicated_ref_is_refused() -> None:
    assert "KPI ICT01: ref: defined twice (items #1 and #2)" in refused(fcr(), fcr(target=75))


def test_every_problem_is_reported_at_once() -> None:
    message = refused(fcr(floor=75), calls(upper=1))
    assert "KPI ICT01: floor:" in message and "KPI CS08: upper:" in message
    assert message.startswith("invalid KPI definitions in kpis.yaml: ")
    assert "\n" not in message


def test_the_known_sources_can_be_replaced() -> None:
    with pytest.raises(KpiDefinitionsError, match="unknown metric 'fcr'"):
        definitions_from([fcr()], "kpis.yaml", known_sources={"contacts"}, desks=DESKS)
    assert "fcr" in KNOWN_SOURCES


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ([], "kpis.yaml: no KPIs defined"),
        ({"kpis": []}, "kpis.yaml: no KPIs defined"),
        ({"kpis": [], "version": 2}, "unknown top-level key(s) version"),
        ("ICT01", "expected a list of KPIs"),
        (None, "expected a list of KPIs"),
    ],
)
def test_the_shape_of_the_file(raw: Any, says: str) -> None:
    with pytest.raises(
        KpiDefinitionsError, match=r".*".join(map(__import__("re").escape, says.split("(s)")))
    ):
        definitions_from(raw, "kpis.yaml", desks=DESKS)


def test_broken_yaml_is_named_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text("- ref: ICT01\n  target: [70\n", encoding="utf-8")
    with pytest.raises(KpiDefinitionsError) as caught:
        load_definitions(path)
    assert str(caught.value).startswith(f"{path}: invalid YAML at line 3, column 1")


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump([fcr()], sort_keys=False) + "  floor: 60\n", encoding="utf-8")
    with pytest.raises(KpiDefinitionsError, match=r"duplicate key 'floor' \(first at line \d+\); keep one"):
        load_definitions(path)


def test_a_file_that_is_not_utf8_missing_or_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_bytes("- ref: ICT01\n  description: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(KpiDefinitionsError, match=r"not UTF-8 \(line 2, byte 0xe9\)"):
        load_definitions(path)
    with pytest.raises(KpiDefinitionsError, match="no such file"):
        load_definitions(tmp_path / "missing.yaml")
    with pytest.raises(KpiDefinitionsError, match="is a folder"):
        load_definitions(tmp_path)


def test_range_months_scales_a_flow_activity_only() -> None:
    [cs08] = load(calls(range_months=9))
    assert cs08.range_months == 9
    assert "range_months" in refused(fcr(range_months=9))
    assert "range_months" in refused(calls(range_months=9, frequency="snapshot"))
    assert "range_months" in refused(calls(range_months=13))


def test_a_threshold_of_true_is_a_slip_not_one() -> None:
    assert "target" in refused(fcr(target=True)) and "expected a number, got true" in refused(
        fcr(target=True)
    )


def test_a_threshold_with_more_places_than_anyone_publishes_is_refused() -> None:
    assert "a threshold has 7 decimal places; at most 4" in refused(fcr(target=70.0000001))
