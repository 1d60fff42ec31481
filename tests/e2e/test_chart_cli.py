"""`servicebot chart REF --out FILE.png` through the installed command: a PNG of the KPI's last twelve months
is written and named in one line; every wrong argument is one line naming it, with the right status, no
traceback and no file written."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from servicebot.domain.periods import Period
from tests.support.cli import servicebot
from tests.support.png import png_size

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
  - ref: ICT06
    description: Average time to fix incidents
    service_area: ICT
    unit: hours
    polarity: lower_is_better
    frequency: monthly
    target: 19
    floor: 24
    decimals: 1
    source: manual
    desk: ict
"""
# Twelve months of CS01 to December 2016, March and August not published; ICT06 from June 2016.
CS01 = {1: 96, 2: 95, 4: 94, 5: 97, 6: 96, 7: 95, 9: 93, 10: 94, 11: 92, 12: 89}
ICT06 = {6: 21.0, 7: 20.2, 8: 19.9, 9: 18.7, 10: 19.4, 11: 20.1, 12: 18.5}
VALUES = (
    "ref,period,value,ytd\n"
    + "".join(f"CS01,2016-{month:02d},{value},\n" for month, value in CS01.items())
    + "".join(f"ICT06,2016-{month:02d},{value},\n" for month, value in ICT06.items())
)


def one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chart")
    (folder / "kpis.yaml").write_text(DEFINITIONS, encoding="utf-8")
    (folder / "values.csv").write_text(VALUES, encoding="utf-8")
    result = servicebot(folder, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv")
    assert result.returncode == 0, result.stderr
    return folder


def test_a_chart_is_written_as_a_png_and_named(loaded: Path) -> None:
    result = servicebot(loaded, "chart", "CS01", "--period", "2016-12", "--out", "cs01.png")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == "Wrote the CS01 chart (2016-01 to 2016-12, PNG) to cs01.png.\n"
    data = (loaded / "cs01.png").read_bytes()
    assert png_size(data) == (800, 400)
    # The same figures make the same file, from another process too; a lower-case ref names the KPI.
    again = servicebot(loaded, "chart", "cs01", "--period", "2016-12", "--out", "again.png")
    assert again.returncode == 0, again.stderr
    assert (loaded / "again.png").read_bytes() == data


def test_a_lower_is_better_kpi_with_months_before_its_first_value(loaded: Path) -> None:
    out = loaded / "nested" / "ict06.png"
    out.parent.mkdir()
    result = servicebot(loaded, "chart", "ICT06", "--period", "2017-03", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote the ICT06 chart (2016-04 to 2017-03, PNG) to {out}.\n"
    assert png_size(out.read_bytes()) == (800, 400)


def test_without_a_period_the_chart_ends_last_month_in_london(loaded: Path) -> None:
    def last_month() -> Period:
        return Period.containing(datetime.now(ZoneInfo("Europe/London")), ZoneInfo("Europe/London")).previous

    before = last_month()
    result = servicebot(loaded, "chart", "CS01", "--out", "latest.png")
    after = last_month()
    assert result.returncode == 0, result.stderr
    # Either side of a month's turn while the command ran.
    assert any(result.stdout.endswith(f" to {p}, PNG) to latest.png.\n") for p in (before, after))
    assert png_size((loaded / "latest.png").read_bytes()) == (800, 400)


def test_an_unknown_kpi_is_named_with_the_known_ones(loaded: Path) -> None:
    line = one_line(servicebot(loaded, "chart", "ICT99", "--period", "2016-12", "--out", "x.png"), 1)
    assert line == "servicebot: no KPI 'ICT99'; known: CS01, ICT06 ('servicebot kpi list' shows them all)"
    assert not (loaded / "x.png").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--period", "2016-13", "--out", "x.png"], "argument --period: '2016-13' is not a period"),
        (["--period", "Dec 2016", "--out", "x.png"], "write the month as YYYY-MM"),
        (["--period", "2016-12"], "the following arguments are required: --out"),
        (["--period", "2016-12", "--out", ""], "argument --out: expected a path, got an empty one"),
        (["--period", "2016-12", "--out", "."], "--out: . is a folder; name a file in it"),
        (["--period", "2016-12", "--out", "missing/x.png"], "--out: missing/x.png: there is no folder"),
        (["--period", "2016-12", "--out", "values.csv/x.png"], "there is no folder"),
    ],
)
def test_bad_arguments_are_one_line_with_status_2(loaded: Path, args: list[str], says: str) -> None:
    line = one_line(servicebot(loaded, "chart", "CS01", *args), 2)
    assert line.startswith("servicebot") and says in line, line
    assert not (loaded / "x.png").exists() and not (loaded / "missing").exists()


def test_a_file_that_cannot_be_written_is_one_line(loaded: Path) -> None:
    # A link to a folder that is not there: the folder check passes, the write itself fails.
    link = loaded / "dangling.png"
    link.symlink_to(loaded / "gone" / "chart.png")
    line = one_line(servicebot(loaded, "chart", "CS01", "--period", "2016-12", "--out", str(link)), 2)
    assert line == f"servicebot: --out: {link}: cannot be written: No such file or directory"


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
def test_no_database_is_one_line_and_none_is_created(tmp_path: Path) -> None:
    line = one_line(servicebot(tmp_path, "chart", "CS01", "--period", "2016-12", "--out", "x.png"), 2)
    assert "no database at" in line and "servicebot db upgrade" in line
    assert not (tmp_path / "console.db").exists() and not (tmp_path / "x.png").exists()
