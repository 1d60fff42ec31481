"""`servicebot kpi …` and `servicebot dashboard` through the installed command: what works, and every
wrong argument answered in one line naming it, with the right status and never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import NO_DATABASE
from tests.support.cli import servicebot

DEFINITIONS = """\
kpis:
  - ref: CS01
    description: Callers who rate the advisors as good
    service_area: Customer Services
    unit: percent
    polarity: higher_is_better
    frequency: monthly
    target: 95
    floor: 90
    source: manual
    desk: contact
"""


def one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    (tmp_path / "kpis.yaml").write_text(DEFINITIONS, encoding="utf-8")
    (tmp_path / "values.csv").write_text("ref,period,value,ytd\nCS01,2016-11,93,\nCS01,2016-12,89,\n")
    result = servicebot(tmp_path, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "kpis.yaml: loaded 1 KPI definitions (the previous set replaced)",
        "values.csv: 2 rows; wrote 2 new, 0 updated, 0 unchanged",
    ]
    return tmp_path


def test_load_list_comment_and_the_dashboard(loaded: Path) -> None:
    listed = servicebot(loaded, "kpi", "list", "--format", "json")
    assert [d["ref"] for d in json.loads(listed.stdout)] == ["CS01"]
    assert servicebot(loaded, "kpi", "list").stdout.startswith("CS01 ")
    commented = servicebot(
        loaded, "kpi", "comment", "CS01", "2016-12", "--cause", "Sickness", "--action", "Agency staff",
        "--recovery", "2017-01-31", "--by", "U0LEAD",
    )  # fmt: skip
    assert (
        commented.returncode == 0 and commented.stdout == "Commentary recorded for CS01 2016-12 by U0LEAD.\n"
    )
    shown = servicebot(loaded, "dashboard", "--period", "2016-12", "--desk", "contact")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    (row,) = data["kpis"]
    assert (row["value"], row["rag"], row["dot"], row["target"], row["floor"]) == (
        89.0,
        "RED",
        "fell",
        95,
        90,
    )
    assert row["commentary"]["cause"] == "Sickness" and row["commentary"]["recovery"] == "2017-01-31"
    assert data["activity"] == [] and data["period"] == "2016-12"
    out = servicebot(loaded, "dashboard", "--period", "2016-12", "--out", "dash.json")
    assert out.returncode == 0 and "dash.json" in out.stdout
    assert json.loads((loaded / "dash.json").read_text())["kpis"][0]["rag"] == "RED"


def test_until_a_set_is_loaded_the_default_is_listed(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    listed = json.loads(servicebot(tmp_path, "kpi", "list", "--format", "json").stdout)
    assert {"ICT01", "CS04", "CS08"} <= {d["ref"] for d in listed}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("dashboard", "--period", "2016-13"),
            "argument --period: '2016-13' is not a period: there is no month 13",
        ),
        (("dashboard", "--period", "Dec 2016"), "argument --period: 'Dec 2016' is not a period"),
        (("dashboard",), "the following arguments are required: --period"),
        (("dashboard", "--period", "2016-12", "--format", "pdf"), "argument --format: invalid choice: 'pdf'"),
        (("kpi", "comment", "CS01", "12/2016", "--cause", "c", "--action", "a"), "is not a period"),
        (
            (
                "kpi",
                "comment",
                "CS01",
                "2016-12",
                "--cause",
                "c",
                "--action",
                "a",
                "--recovery",
                "31/01/2017",
            ),
            "argument --recovery: '31/01/2017' is not a date; write YYYY-MM-DD",
        ),
        (
            ("kpi", "comment", "CS01", "2016-12", "--cause", " ", "--action", "a"),
            "argument --cause: expected a value",
        ),
        (
            ("kpi", "comment", "CS01", "2016-12", "--action", "a"),
            "the following arguments are required: --cause",
        ),
        (("kpi", "load"), "the following arguments are required: --definitions"),
        (("kpi", "load", "--definitions", ""), "argument --definitions: expected a path, got an empty one"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    assert says in one_line(servicebot(tmp_path, *args), 2)


def test_an_unknown_kpi_is_not_found(loaded: Path) -> None:
    line = one_line(
        servicebot(loaded, "kpi", "comment", "ICT99", "2016-12", "--cause", "c", "--action", "a"), 1
    )
    assert line == "servicebot: no KPI 'ICT99'; 'servicebot kpi list' shows the KPIs defined"


def test_an_unknown_desk_is_named_with_the_choices(loaded: Path) -> None:
    line = one_line(servicebot(loaded, "dashboard", "--period", "2016-12", "--desk", "hr"), 2)
    assert line == "servicebot: --desk: unknown desk 'hr'; choose one of: ict, contact, all"


def test_files_that_cannot_be_used(loaded: Path) -> None:
    missing = one_line(servicebot(loaded, "kpi", "load", "--definitions", "nope.yaml"), 2)
    assert missing == "servicebot: nope.yaml: no such file"
    (loaded / "broken.yaml").write_text("kpis:\n  - ref: CS01\n   floor: 90\n", encoding="utf-8")
    broken = one_line(servicebot(loaded, "kpi", "load", "--definitions", "broken.yaml"), 2)
    assert broken.startswith("servicebot: broken.yaml: invalid YAML at line 3, column 4")
    (loaded / "bad.yaml").write_text(DEFINITIONS.replace("floor: 90", "floor: 96"), encoding="utf-8")
    bad = one_line(servicebot(loaded, "kpi", "load", "--definitions", "bad.yaml"), 2)
    assert "KPI CS01: floor: 96 is above the target 95" in bad
    no_values = one_line(
        servicebot(loaded, "kpi", "load", "--definitions", "kpis.yaml", "--values", "v.csv"), 2
    )
    assert no_values == "servicebot: v.csv: no such file"
    folder = one_line(servicebot(loaded, "dashboard", "--period", "2016-12", "--out", "."), 2)
    assert folder == "servicebot: --out: . is a folder; name a file in it"
    # The set loaded earlier is still the one in use.
    assert [d["ref"] for d in json.loads(servicebot(loaded, "kpi", "list", "--format", "json").stdout)] == [
        "CS01"
    ]


def test_refused_values_rows_are_listed_and_nothing_is_loaded(loaded: Path) -> None:
    (loaded / "more.csv").write_text("ref,period,value,ytd\nCS01,2017-01,99,\nCSO1,2017-02,101,\n")
    result = servicebot(loaded, "kpi", "load", "--definitions", "kpis.yaml", "--values", "more.csv")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "more.csv: 1 of 2 rows rejected, so nothing was loaded (neither the definitions nor the values); "
        "fix them and load again",
        "  row 3, ref: 'CSO1' is not a defined KPI; did you mean CS01?",
    ]


def test_reading_commands_do_not_create_a_database(tmp_path: Path) -> None:
    for args in (("dashboard", "--period", "2016-12"), ("kpi", "list")):
        assert NO_DATABASE in one_line(servicebot(tmp_path, *args), 2)
    assert not (tmp_path / "console.db").exists()
