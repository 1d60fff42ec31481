"""`stats …` parsed: the spans of days a manager can name, and every way of getting it wrong answered with
the usage and what was wrong (never a ticket)."""

from __future__ import annotations

from datetime import date

import pytest

from servicebot.chat.commands import CommandUsage, StatsCommand, parse, usage
from servicebot.domain.days import DayRange, days_of, parse_when
from servicebot.domain.errors import InvalidInput
from servicebot.domain.message import say
from servicebot.domain.periods import Period

MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("stats", StatsCommand("today", "today", None)),
        ("Stats", StatsCommand("today", "today", None)),
        ("stats yesterday", StatsCommand("yesterday", "yesterday", None)),
        ("stats week ict", StatsCommand("week", "week", "ict")),
        ("stats contact month", StatsCommand("month", "month", "contact")),
        ("stats 2016-12", StatsCommand(Period(2016, 12), "2016-12", None)),
        ("stats 2016-12-05 contact", StatsCommand(date(2016, 12, 5), "2016-12-05", "contact")),
        ("/stats ICT", StatsCommand("today", "today", "ict")),
        ("stats hr", StatsCommand("today", "today", "hr")),  # a desk not configured: refused when run
    ],
)
def test_stats_commands(line: str, expected: StatsCommand) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    ("line", "wrong"),
    [
        ("stats 2025-13", "'2025-13' is not a period: there is no month 13"),
        ("stats 1899-01", "'1899-01' is not a period: the year must be 1970 to 2999"),
        ("stats 2016-02-30", "'2016-02-30' is not a day: February 2016 has no day 30"),
        ("stats 2016-13-01", "'2016-13-01' is not a day: there is no month 13"),
        ("stats 1969-12-31", "'1969-12-31' is not a day: the year must be 1970 to 2999"),
        ("stats 12", "'12' is not a day or a span of days"),
        ("stats yesterday ict extra", "extra is one word too many"),
        ("stats today week", "two spans of days (today and week); name one"),
        ("stats ict contact", "two desks (ict and contact); name one"),
        ("stats #ict", "#ict is neither a span of days nor a desk"),
    ],
)
def test_bad_arguments_get_the_usage_and_what_was_wrong(line: str, wrong: str) -> None:
    command = parse(line)
    assert isinstance(command, CommandUsage) and command.verb == "stats"
    said = str(say(*usage(command)))
    assert said.startswith(wrong)
    assert "Usage: stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]." in said


def test_a_typo_of_stats_is_answered_with_its_usage() -> None:
    assert parse("stat") == CommandUsage("stats", "stat", near_miss=True)
    assert parse("statz") == CommandUsage("stats", "statz", near_miss=True)


def test_today_yesterday_week_and_month_are_local_days_to_date() -> None:
    assert days_of("today", MONDAY) == (DayRange(MONDAY, MONDAY), False)
    assert days_of("yesterday", MONDAY) == (DayRange(date(2026, 11, 29), date(2026, 11, 29)), False)
    # This week is Monday to today: on a Monday, the one day.
    assert days_of("week", MONDAY) == (DayRange(MONDAY, MONDAY), True)
    assert days_of("week", date(2026, 12, 3)) == (DayRange(MONDAY, date(2026, 12, 3)), True)
    assert days_of("month", MONDAY) == (DayRange(date(2026, 11, 1), MONDAY), True)
    assert days_of("yesterday", date(2026, 1, 1))[0] == DayRange(date(2025, 12, 31), date(2025, 12, 31))


def test_a_named_month_is_all_its_days_cut_at_today_and_a_future_span_is_refused() -> None:
    assert days_of(Period(2016, 2), MONDAY) == (DayRange(date(2016, 2, 1), date(2016, 2, 29)), False)
    assert days_of(Period(2026, 11), MONDAY) == (DayRange(date(2026, 11, 1), MONDAY), False)
    friday = date(2026, 11, 20)
    assert days_of(Period(2026, 11), friday) == (DayRange(date(2026, 11, 1), friday), True)
    assert days_of(date(2016, 12, 5), MONDAY) == (DayRange(date(2016, 12, 5), date(2016, 12, 5)), False)
    with pytest.raises(InvalidInput, match=r"2026-12 has not begun yet; stats cover days up to today"):
        days_of(Period(2026, 12), MONDAY)
    with pytest.raises(InvalidInput, match=r"2026-12-01 has not begun yet"):
        days_of(date(2026, 12, 1), MONDAY)


def test_day_ranges_know_their_month_and_bounds_across_the_clock_change() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    october = DayRange.of_month(Period(2016, 10))
    assert october.whole_month == Period(2016, 10) and october.days == 31
    # The clocks went back on 30 October 2016: the month's bounds are the same instants as Period's.
    assert october.bounds(ZoneInfo("Europe/London")) == Period(2016, 10).bounds(ZoneInfo("Europe/London"))
    day = DayRange(date(2016, 7, 1), date(2016, 7, 1))
    assert day.bounds(ZoneInfo("Europe/London")) == (
        datetime(2016, 6, 30, 23, tzinfo=UTC),
        datetime(2016, 7, 1, 23, tzinfo=UTC),
    )
    assert day.whole_month is None and day.month == Period(2016, 7)
    with pytest.raises(ValueError):
        DayRange(date(2016, 7, 2), date(2016, 7, 1))


def test_day_ranges_read_the_same_in_every_locale() -> None:
    assert str(DayRange(MONDAY, MONDAY)) == "Mon 30 Nov 2026"
    assert str(DayRange(date(2026, 11, 23), MONDAY)) == "23–30 Nov 2026"
    assert str(DayRange(MONDAY, date(2026, 12, 3))) == "30 Nov – 3 Dec 2026"
    assert str(DayRange(date(2025, 12, 29), date(2026, 1, 2))) == "29 Dec 2025 – 2 Jan 2026"
    assert str(DayRange.of_month(Period(2016, 12))) == "December 2016"


def test_parse_when_names_what_is_not_a_span() -> None:
    assert parse_when(" WEEK ") == "week"
    with pytest.raises(InvalidInput, match="'fortnight' is not a day or a span of days"):
        parse_when("fortnight")


@pytest.mark.parametrize(
    "line",
    [
        "stats are wrong on the dashboard",
        "stats for the contact centre look odd to me",
        "Stats page is broken again",
    ],
)
def test_a_sentence_that_starts_with_stats_is_a_request(line: str) -> None:
    from servicebot.chat.commands import NewQuery

    assert isinstance(parse(line), NewQuery)
