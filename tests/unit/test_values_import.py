"""`values` files: every row checked against its KPI; each refusal names the row, the field and why, and
the good rows are kept."""

from __future__ import annotations

import pytest

from servicebot.domain.periods import Period
from servicebot.imports.csvfile import ImportFileError
from servicebot.imports.values import ValueRow, parse_values
from servicebot.kpis.definitions import default_definitions, definitions_from

DEFINITIONS = {d.ref: d for d in default_definitions(("ict", "contact"))}
DEFINITIONS.update(
    {
        d.ref: d
        for d in definitions_from(
            [
                {
                    "ref": "HR11",
                    "description": "Staff survey",
                    "service_area": "HR",
                    "unit": "percent",
                    "polarity": "higher_is_better",
                    "frequency": "annual",
                    "target": 65,
                    "floor": 60,
                    "source": "manual",
                },
                {
                    "ref": "FP05b",
                    "description": "Debt",
                    "service_area": "Finance",
                    "kind": "activity",
                    "unit": "currency",
                    "frequency": "monthly",
                    "source": "manual",
                },
            ],
            "extra",
        )
    }
)
HEADER = "ref,period,value,ytd,numerator,denominator\n"


def parse(*lines: str, header: str = HEADER) -> tuple[list[ValueRow], list[str]]:
    parsed = parse_values(header + "\n".join(lines) + "\n", "values.csv", DEFINITIONS)
    return [record for _, record in parsed.records], [str(problem) for problem in parsed.problems]


def test_good_rows_are_read() -> None:
    rows, problems = parse(
        "CS01,2016-12,98,97.5,,",
        'CS08,2016-12,,"504,050",,',
        "CS07,2016-12,86,,43,50",
        "HR11,2016-03,74,,,",
        "FP05b,2016-12,-1.5,,,",
    )
    assert problems == []
    assert rows[0] == ValueRow("CS01", Period(2016, 12), 98.0, 97.5, None, None)
    assert rows[1].ytd == 504050.0 and rows[1].value is None
    assert rows[2].value == 86.0 and (rows[2].numerator, rows[2].denominator) == (43.0, 50.0)
    assert rows[4].value == -1.5  # money may be negative (a refund, a write-back)


def test_the_numerator_and_denominator_supply_a_missing_value() -> None:
    rows, problems = parse("CS06,2016-12,,,67,100")
    assert problems == [] and rows[0].value == 67.0


def test_a_percentage_printed_with_its_unit_is_accepted_for_a_percent_kpi() -> None:
    rows, problems = parse("CS01,2016-12,98%,97 %,,")
    assert problems == [] and (rows[0].value, rows[0].ytd) == (98.0, 97.0)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ICTO1,2016-12,70,,,", "row 2, ref: 'ICTO1' is not a defined KPI; did you mean ICT01?"),
        (
            "ZZ99,2016-12,70,,,",
            "row 2, ref: 'ZZ99' is not a defined KPI; load it with 'servicebot kpi load' first",
        ),
        (",2016-12,70,,,", "row 2, ref: is blank"),
        ("CS01,2016-13,70,,,", "row 2, period: '2016-13' is not a period: there is no month 13"),
        ("CS01,Dec 2016,70,,,", "row 2, period: 'Dec 2016' is not a period"),
        (
            "CS07,2016-11,70,,,",
            "row 2, period: CS07 is quarterly: file 2016-11 under its quarter's last month, 2016-12",
        ),
        (
            "CS07,2016-10,70,,,",
            "row 2, period: CS07 is quarterly: file 2016-10 under its quarter's last month, 2016-12",
        ),
        (
            "HR11,2016-12,74,,,",
            "row 2, period: HR11 is annual: file it under March, the last month of its financial year "
            "(2016/17: 2017-03)",
        ),
        ("CS01,2016-12,101,,,", "row 2, value: 101 is not a percentage (0 to 100) for CS01"),
        ("CS01,2016-12,,-1,,", "row 2, ytd: -1 is not a percentage (0 to 100) for CS01"),
        ("CS01,2016-12,abc,,,", "row 2, value: 'abc' is not a number"),
        ("CS01,2016-12,%,,,", "row 2, value: '%' is not a number"),
        ("CS08,2016-12,98%,,,", "row 2, value: '98%' is a percentage, but CS08 is in count"),
        ("CS08,2016-12,-5,,,", "row 2, value: -5 is negative; CS08 is in count"),
        (
            "CS01,2016-12,98,,49,",
            "row 2, denominator: is blank, but a numerator is given; give both or neither",
        ),
        (
            "CS01,2016-12,98,,,50",
            "row 2, numerator: is blank, but a denominator is given; give both or neither",
        ),
        ("CS01,2016-12,,,0,0", "row 2, denominator: 0 must be above zero (nothing to divide by)"),
        ("CS01,2016-12,,,-1,5", "row 2, numerator: -1 is negative"),
        ("CS01,2016-12,,,51,50", "row 2, numerator: 51 is more than the denominator 50 (over 100%)"),
        ("CS08,2016-12,100,,1,2", "row 2, numerator: CS08 is a count, which has no numerator/denominator"),
        (
            "CS01,2016-12,90,,49,50",
            "row 2, value: 90 does not agree with numerator/denominator "
            "(49/50 is 98 at CS01's published precision)",
        ),
        ("CS01,2016-12,,,,", "row 2, value: and ytd are both empty: the row publishes nothing"),
        ("CS01,2016-12,98", "row 2: 3 fields where the header names 6"),
    ],
)
def test_each_bad_row_is_named_by_row_field_and_reason(line: str, problem: str) -> None:
    rows, problems = parse("CS04,2016-12,99,,,", line, "CS05,2016-12,93,,,")
    assert [r.ref for r in rows] == ["CS04", "CS05"]  # the good rows are kept
    assert len(problems) == 1
    assert problems[0].startswith(problem.replace("row 2", "row 3")), problems[0]


def test_a_value_agreeing_with_its_counts_at_the_published_precision_is_accepted() -> None:
    rows, problems = parse("CS01,2016-12,98,,97.6,100")
    assert problems == [] and rows[0].value == 98.0


def test_a_month_given_twice_is_refused_on_both_rows() -> None:
    # Which of the two figures is right cannot be told from the file, so neither is written.
    rows, problems = parse("CS01,2016-12,98,,,", "CS04,2016-12,99,,,", "CS01,2016-12,97,,,")
    assert [r.ref for r in rows] == ["CS04"]
    assert problems == [
        "row 2, period: CS01 2016-12 is also on row 4",
        "row 4, period: CS01 2016-12 is also on row 2",
    ]


def test_the_counts_columns_are_optional_and_others_refused() -> None:
    rows, problems = parse("CS01,2016-12,98,", header="ref,period,value,ytd\n")
    assert problems == [] and rows[0].value == 98.0
    with pytest.raises(ImportFileError, match="missing column"):
        parse("CS01,2016-12,98", header="ref,period,value\n")
    with pytest.raises(ImportFileError, match="unknown column"):
        parse("CS01,2016-12,98,,x", header="ref,period,value,ytd,comment\n")


def test_a_hidden_character_in_the_header_is_written_out_in_the_message() -> None:
    # "ref\x00" prints as "ref" in a terminal: the message must show the NUL, or it reads "missing ref;
    # found: ref".
    with pytest.raises(ImportFileError) as refused:
        parse("CS01,2016-12,98,", header="ref\x00,period,value,ytd\n")
    assert "missing column(s) ref;" in str(refused.value)
    assert "found: 'ref\\x00', period, value, ytd" in str(refused.value)
