"""Reporting months and the financial year: the arithmetic every figure on the dashboard is filed by."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from servicebot.domain.errors import InvalidInput
from servicebot.domain.periods import Period, financial_year_label_valid, span

LONDON = ZoneInfo("Europe/London")


def test_parse_and_print_round_trip() -> None:
    assert str(Period.parse("2016-12")) == "2016-12"
    assert Period.parse(" 2017-01 ") == Period(2017, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2016-13", "no month 13"),
        ("2016-00", "no month 0"),
        ("16-12", "YYYY-MM"),
        ("2016/12", "YYYY-MM"),
        ("", "YYYY-MM"),
        ("2016-1", "YYYY-MM"),
        ("0001-01", "1970 to 2999"),
        ("1900-01", "1970 to 2999"),
        ("9998-12", "1970 to 2999"),
    ],
)
def test_bad_periods_are_named(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        Period.parse(text)


def test_financial_year_runs_april_to_march() -> None:
    assert Period(2017, 3).financial_year_label == "2016/17"
    assert Period(2016, 4).financial_year_label == "2016/17"
    assert Period(2016, 3).financial_year_label == "2015/16"
    assert Period(1999, 12).financial_year_label == "1999/00"
    assert [str(p) for p in Period(2016, 6).year_to_date()] == ["2016-04", "2016-05", "2016-06"]
    assert len(Period(2017, 3).year_to_date()) == 12
    assert Period(2016, 4).year_to_date() == [Period(2016, 4)]


def test_shifting_crosses_years() -> None:
    assert Period(2016, 1).previous == Period(2015, 12)
    assert Period(2016, 12).next == Period(2017, 1)
    assert Period(2016, 12).year_earlier == Period(2015, 12)
    assert span(Period(2016, 11), Period(2017, 2)) == [
        Period(2016, 11),
        Period(2016, 12),
        Period(2017, 1),
        Period(2017, 2),
    ]
    assert span(Period(2017, 2), Period(2016, 11)) == []


def test_month_bounds_are_local_midnights() -> None:
    # March 2017 has the spring clock change: the month is an hour short; October gives the hour back.
    start, end = Period(2017, 3).bounds(LONDON)
    assert start == datetime(2017, 3, 1, 0, 0, tzinfo=UTC)
    assert end == datetime(2017, 3, 31, 23, 0, tzinfo=UTC)  # 00:00 BST on 1 April
    assert (end - start).total_seconds() == (31 * 24 - 1) * 3600
    start, end = Period(2017, 10).bounds(LONDON)
    assert (end - start).total_seconds() == (31 * 24 + 1) * 3600


def test_an_instant_belongs_to_its_local_month() -> None:
    # 23:30 UTC on 31 March 2017 is 00:30 BST on 1 April.
    assert Period.containing(datetime(2017, 3, 31, 23, 30, tzinfo=UTC), LONDON) == Period(2017, 4)
    with pytest.raises(ValueError, match="aware"):
        Period.containing(datetime(2017, 3, 31, 23, 30), LONDON)


def test_financial_year_labels() -> None:
    assert financial_year_label_valid("2016/17")
    assert financial_year_label_valid("1999/00")
    assert not financial_year_label_valid("2016/18")
    assert not financial_year_label_valid("2016-17")
