"""Reading import files: a file that cannot be used is refused whole; otherwise every bad row is named by
row, field and reason, and every good row is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from servicebot.imports import calls, csvfile
from servicebot.imports.csvfile import FieldError, ImportFileError

LONDON = ZoneInfo("Europe/London")
HEADER = ",".join(calls.COLUMNS)
DESKS = frozenset({"ict", "contact"})


def read_calls(*rows: str) -> csvfile.Parsed[calls.CallRow]:
    return calls.parse("\n".join((HEADER, *rows)) + "\n", "calls.csv", DESKS, LONDON)


def problems(parsed: csvfile.Parsed[calls.CallRow]) -> list[str]:
    return [str(p) for p in parsed.problems]


def test_good_rows_are_kept_and_each_bad_row_is_named() -> None:
    parsed = read_calls(
        "2016-12-05,contact,Main line,2000,1900,1500,100,60000,400000",
        "2016-12-05,contact,Highways,2000,2100,1500,100,60000,400000",
        "2016-12-05T09:30,ict,service desk,30,29,25,1,900,10440",
        "2016-12-32,ict,service desk,30,29,25,1,900,10440",
        "2016-12-06,hr,service desk,30,29,25,1,900,10440",
        "2016-12-06,ict,service desk,30,29,30,1,900,10440",
        "2016-12-06,ict,service desk,30,29,25,2,900,10440",
        "2016-12-06,ict,service desk,-3,0,0,0,0,0",
        "2016-12-06,ict,service desk,30,29,25,1,nan,10440",
        "2016-12-06,ict,=cmd|' /C calc'!A0,30,29,25,1,900,10440",
        "2016-12-07,ict,service desk,0,0,0,0,0,60",
    )
    assert [(n, r.line, r.interval_start) for n, r in parsed.records] == [
        (2, "main line", ""),
        (4, "service desk", "09:30"),
    ]
    assert problems(parsed) == [
        "row 3, answered: 2,100 answered is more than the 2,000 offered",
        "row 5, date: '2016-12-32' is not a date in the calendar",
        "row 6, desk: 'hr' is not a desk; the desks are contact, ict",
        "row 7, answered_within_40s: 30 within 40 s is more than the 29 answered",
        "row 8, abandoned: 2 abandoned is more than the 1 offered but not answered",
        "row 9, offered: -3 is out of range (0 to 1,000,000)",
        "row 10, total_wait_seconds: 'nan' is not a finite number",
        "row 11, line: \"=cmd|' /C calc'!A0\" is not a line name (letters, digits, spaces and - _ . & / ( ))",
        "row 12, total_handle_seconds: is 60 with no call answered",
    ]
    assert parsed.rows == 11


def test_the_same_day_and_line_twice_keeps_neither() -> None:
    parsed = read_calls(
        "2016-12-05,contact,Main line,2000,1900,1500,100,60000,400000",
        "2016-12-05,contact,main line,2000,1800,1500,100,60000,400000",
        "2016-12-06,contact,main line,2000,1800,1500,100,60000,400000",
    )
    assert [n for n, _ in parsed.records] == [4]
    assert problems(parsed) == [
        "row 2, date: contact main line on 2016-12-05 is also on row 3",
        "row 3, date: contact main line on 2016-12-05 is also on row 2",
    ]


def test_ragged_rows_and_blank_lines() -> None:
    parsed = read_calls("", "2016-12-05,contact,Main line,2000", "", "2016-12-06,contact,x,1,1,1,0,1,1,extra")
    assert problems(parsed) == [
        "row 2: 4 fields where the header names 9",
        "row 3: 10 fields where the header names 9",
    ]
    assert parsed.rows == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "empty; the first line must name the columns"),
        ("date,desk\n2016-12-05,ict\n", "missing column(s) line, offered"),
        (HEADER + ",colour\n", "unknown column(s) colour"),
        (HEADER + ",desk\n", "column(s) named twice: desk"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_whole(content: str, says: str) -> None:
    with pytest.raises(ImportFileError, match=says.replace("(", r"\(").replace(")", r"\)")):
        calls.parse(content, "calls.csv", DESKS, LONDON)


def test_headers_are_forgiving_about_case_spaces_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(
        "\ufeff".encode()
        + (" DATE , Desk," + HEADER.split(",", 2)[2] + "\n2016-12-05,ict,sd,1,1,1,0,5,60\n").encode()
    )
    parsed = calls.parse(csvfile.read_text(path), "calls.csv", DESKS, LONDON)
    assert [r.day for _, r in parsed.records] == [date(2016, 12, 5)]


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        csvfile.read_text(tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match="is a folder"):
        csvfile.read_text(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"date\n2016-12-05 caf\xe9\n")
    with pytest.raises(ImportFileError, match=r"not UTF-8 \(line 2"):
        csvfile.read_text(latin)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017-03-26T00:30", datetime(2017, 3, 26, 0, 30, tzinfo=UTC)),  # GMT, before the change
        ("2017-03-26T02:30", datetime(2017, 3, 26, 1, 30, tzinfo=UTC)),  # BST, after it
        ("2017-10-29T00:30", datetime(2017, 10, 28, 23, 30, tzinfo=UTC)),
        ("2017-10-29T02:30", datetime(2017, 10, 29, 2, 30, tzinfo=UTC)),
        ("2017-10-29T01:30+01:00", datetime(2017, 10, 29, 0, 30, tzinfo=UTC)),  # first 01:30, by offset
        ("2017-10-29T01:30+00:00", datetime(2017, 10, 29, 1, 30, tzinfo=UTC)),  # the second
        ("2016-07-01T09:00Z", datetime(2016, 7, 1, 9, 0, tzinfo=UTC)),
        ("2016-07-01 09:00", datetime(2016, 7, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_instants_local_unless_an_offset_says_otherwise(raw: str, expected: datetime) -> None:
    assert csvfile.instant({"start": raw}, "start", LONDON) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("2017-03-26T01:30", "does not exist in Europe/London (the clocks went forward)"),
        ("2017-10-29T01:30", "happens twice in Europe/London (the clocks went back)"),
        ("2017-02-30T09:00", "is not a time"),
        ("yesterday", "is not a time"),
        ("2017-02-03", "is not a time"),
        ("", "is blank"),
    ],
)
def test_instants_that_cannot_be_placed_are_refused(raw: str, says: str) -> None:
    with pytest.raises(FieldError, match=says.replace("(", r"\(").replace(")", r"\)")) as caught:
        csvfile.instant({"start": raw}, "start", LONDON)
    assert caught.value.field == "start"


def test_numbers_and_flags() -> None:
    assert csvfile.whole({"n": "1,234"}, "n") == 1234
    with pytest.raises(FieldError, match="not a whole number"):
        csvfile.whole({"n": "12.5"}, "n")
    with pytest.raises(FieldError, match="not a whole number"):
        csvfile.whole({"n": "1,23"}, "n")
    assert csvfile.number({"n": ""}, "n", required=False) is None
    assert csvfile.boolean({"planned": " Yes "}, "planned", default=False) is True
    assert csvfile.boolean({"planned": ""}, "planned", default=False) is False
    with pytest.raises(FieldError, match="'maybe' is not true or false"):
        csvfile.boolean({"planned": "maybe"}, "planned", default=False)


def test_a_days_total_and_its_intervals_are_not_both_counted() -> None:
    parsed = read_calls(
        "2015-01-05,ict,service desk,100,100,100,0,1000,10000",
        "2015-01-05T09:00,ict,service desk,60,60,60,0,600,6000",
        "2015-01-05T09:30,ict,service desk,40,40,40,0,400,4000",
        "2015-01-06T09:00,ict,service desk,40,40,40,0,400,4000",
        "2017-03-26T01:30,ict,service desk,1,1,1,0,1,1",
    )
    assert [n for n, _ in parsed.records] == [5]
    says = "ict service desk on 2015-01-05 has both a day's total and intervals in this file"
    assert [str(p)[: len("row 2, date: ") + len(says)] for p in parsed.problems[:3]] == [
        f"row {n}, date: {says}" for n in (2, 3, 4)
    ]
    assert str(parsed.problems[3]) == (
        "row 6, date: 2017-03-26 01:30 does not exist in Europe/London (the clocks went forward)"
    )
