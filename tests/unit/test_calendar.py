"""The working calendar against dates whose answers are known from gov.uk and from the clocks changing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicebot.domain.calendar import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
MON_FRI = range(5)
EVERY_DAY = range(7)


def calendar(weekdays: range = MON_FRI, closures: tuple[date, ...] = ()) -> WorkingCalendar:
    return WorkingCalendar(LONDON, time(8), time(18), weekdays, closures)


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[arg-type, misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


@pytest.mark.parametrize(
    ("holiday", "working_day_before"),
    [
        (date(2017, 4, 17), date(2017, 4, 13)),  # Easter Monday; Good Friday is a holiday too
        (date(2016, 5, 2), date(2016, 4, 29)),  # Early May
        (date(2022, 9, 19), date(2022, 9, 16)),  # State funeral of Queen Elizabeth II
        (date(2023, 5, 8), date(2023, 5, 5)),  # Coronation of Charles III
    ],
)
def test_a_bank_holiday_is_not_a_working_day_but_the_one_before_is(
    holiday: date, working_day_before: date
) -> None:
    cal = calendar()
    assert cal.is_bank_holiday(holiday)
    assert not cal.is_working_day(holiday)
    assert cal.is_working_day(working_day_before)
    assert not cal.is_bank_holiday(working_day_before)
    between = [working_day_before + timedelta(days=n) for n in range(1, (holiday - working_day_before).days)]
    assert not any(cal.is_working_day(day) for day in between)


def test_a_weekend_is_not_a_working_day() -> None:
    cal = calendar()
    assert cal.is_working_day(date(2017, 7, 7))  # Friday
    assert not cal.is_working_day(date(2017, 7, 8))
    assert not cal.is_working_day(date(2017, 7, 9))
    assert not cal.is_bank_holiday(date(2017, 7, 8))


def test_friday_late_afternoon_plus_two_working_hours_is_monday_morning() -> None:
    at = london(2017, 7, 7, 17)  # Friday, BST
    landed = calendar().add_working(at, 120)
    assert landed == london(2017, 7, 10, 9)
    assert landed == utc(2017, 7, 10, 8)
    assert landed.tzinfo is UTC


def test_bank_holidays_of_2016_match_gov_uk() -> None:
    assert calendar().bank_holidays(2016) == {
        date(2016, 1, 1),
        date(2016, 3, 25),
        date(2016, 3, 28),
        date(2016, 5, 2),
        date(2016, 5, 30),
        date(2016, 8, 29),
        date(2016, 12, 26),
        date(2016, 12, 27),  # substitute: Christmas Day fell on a Sunday
    }


def test_christmas_2016_on_a_sunday() -> None:
    cal = calendar()
    assert not cal.is_bank_holiday(date(2016, 12, 25))  # a weekend day, so gov.uk lists the substitute
    assert not cal.is_working_day(date(2016, 12, 25))
    assert cal.is_bank_holiday(date(2016, 12, 26))
    assert cal.is_bank_holiday(date(2016, 12, 27))
    assert cal.is_working_day(date(2016, 12, 28))


def test_christmas_2021_on_a_saturday() -> None:
    cal = calendar()
    assert not cal.is_bank_holiday(date(2021, 12, 25))
    assert not cal.is_bank_holiday(date(2021, 12, 26))
    assert cal.is_bank_holiday(date(2021, 12, 27))
    assert cal.is_bank_holiday(date(2021, 12, 28))
    assert cal.is_working_day(date(2021, 12, 29))


def test_christmas_2022_and_new_year_on_weekends() -> None:
    cal = calendar()
    assert not cal.is_bank_holiday(date(2022, 1, 1))  # Saturday
    assert cal.is_bank_holiday(date(2022, 1, 3))
    assert cal.is_working_day(date(2022, 1, 4))
    assert not cal.is_bank_holiday(date(2022, 12, 25))  # Sunday
    assert cal.bank_holidays(2022) >= {date(2022, 12, 26), date(2022, 12, 27)}
    assert cal.is_working_day(date(2022, 12, 28))


def test_bank_holidays_are_found_for_any_year() -> None:
    cal = calendar()
    assert cal.is_bank_holiday(date(2099, 12, 25))  # a Friday
    assert cal.is_bank_holiday(date(2020, 5, 8))  # Early May moved for VE Day
    assert all(day.year == 2030 and day.weekday() < 5 for day in cal.bank_holidays(2030))


def test_a_seven_day_week_still_closes_on_bank_holidays() -> None:
    cal = calendar(EVERY_DAY)
    assert cal.is_working_day(date(2017, 4, 16))  # Easter Sunday is no bank holiday
    assert not cal.is_working_day(date(2017, 4, 17))


@pytest.mark.parametrize("day", [date(2017, 3, 26), date(2017, 10, 29)])
def test_a_working_day_on_which_the_clocks_change_is_ten_hours(day: date) -> None:
    cal = calendar(EVERY_DAY)
    midnight = datetime.combine(day, time(0), LONDON)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), LONDON)
    assert next_midnight.astimezone(UTC) - midnight.astimezone(UTC) != timedelta(hours=24)
    assert cal.working_time(midnight, next_midnight) == timedelta(hours=10)


@pytest.mark.parametrize(("day", "hours"), [(date(2017, 3, 26), 11), (date(2017, 10, 29), 13)])
def test_working_time_counts_elapsed_time_when_hours_span_the_change(day: date, hours: int) -> None:
    # Hours that include 01:00 lose or gain the changed hour; wall-clock subtraction would say 12 both times.
    cal = WorkingCalendar(LONDON, time(0), time(12), EVERY_DAY)
    midnight = datetime.combine(day, time(0), LONDON)
    assert cal.working_time(midnight, midnight + timedelta(days=1)) == timedelta(hours=hours)


def test_working_hours_around_the_spring_change_are_exact() -> None:
    cal = calendar(EVERY_DAY)
    # Saturday in GMT to Sunday in BST: one hour each side, and the lost hour at 01:00 is not working time.
    assert cal.working_time(utc(2017, 3, 25, 17), utc(2017, 3, 26, 8)) == timedelta(hours=2)
    assert cal.add_working(utc(2017, 3, 25, 17), 120) == utc(2017, 3, 26, 8)


def test_add_working_over_the_spring_change_weekend() -> None:
    friday = london(2017, 3, 24, 17)  # GMT: 17:00 UTC
    assert friday == utc(2017, 3, 24, 17)
    assert calendar().add_working(friday, 120) == utc(2017, 3, 27, 8)  # Monday 09:00 BST


def test_add_working_over_the_autumn_change_weekend() -> None:
    friday = london(2017, 10, 27, 17)  # BST: 16:00 UTC
    assert friday == utc(2017, 10, 27, 16)
    assert calendar().add_working(friday, 120) == utc(2017, 10, 30, 9)  # Monday 09:00 GMT


def test_working_time_within_one_day() -> None:
    cal = calendar()
    assert cal.working_time(london(2017, 7, 3, 9, 15), london(2017, 7, 3, 11, 45)) == timedelta(minutes=150)
    assert cal.working_time(london(2017, 7, 3, 6), london(2017, 7, 3, 10)) == timedelta(hours=2)
    assert cal.working_time(london(2017, 7, 3, 19), london(2017, 7, 3, 23)) == timedelta(0)


def test_working_time_across_a_night() -> None:
    assert calendar().working_time(london(2017, 7, 3, 16), london(2017, 7, 4, 10)) == timedelta(hours=4)


def test_working_time_across_a_weekend() -> None:
    assert calendar().working_time(london(2017, 7, 7, 17), london(2017, 7, 10, 9)) == timedelta(hours=2)


def test_working_time_across_easter_weekend() -> None:
    # Thursday 17:00 to Tuesday 09:00, with Good Friday and Easter Monday closed.
    assert calendar().working_time(london(2017, 4, 13, 17), london(2017, 4, 18, 9)) == timedelta(hours=2)


def test_working_time_is_zero_when_end_is_not_after_start() -> None:
    cal = calendar()
    assert cal.working_time(london(2017, 7, 4, 10), london(2017, 7, 3, 10)) == timedelta(0)
    assert cal.working_time(london(2017, 7, 3, 10), london(2017, 7, 3, 10)) == timedelta(0)


def test_a_closure_from_config_counts_as_closed() -> None:
    start, end = london(2017, 12, 28, 17), london(2018, 1, 2, 9)
    assert calendar().working_time(start, end) == timedelta(hours=12)
    closed = calendar(closures=(date(2017, 12, 29),))
    assert not closed.is_working_day(date(2017, 12, 29))
    assert not closed.is_bank_holiday(date(2017, 12, 29))
    assert closed.working_hours_of(date(2017, 12, 29)) is None
    assert closed.working_time(start, end) == timedelta(hours=2)  # 1 Jan 2018 is a bank holiday too
    assert closed.add_working(start, 120) == london(2018, 1, 2, 9)


def test_working_hours_of_are_utc_instants() -> None:
    cal = calendar()
    assert cal.working_hours_of(date(2017, 7, 3)) == (utc(2017, 7, 3, 7), utc(2017, 7, 3, 17))
    assert cal.working_hours_of(date(2017, 1, 3)) == (utc(2017, 1, 3, 8), utc(2017, 1, 3, 18))
    hours = cal.working_hours_of(date(2017, 7, 3))
    assert hours is not None and all(instant.tzinfo is UTC for instant in hours)
    assert cal.working_hours_of(date(2017, 7, 8)) is None
    assert cal.working_hours_of(date(2017, 4, 17)) is None


def test_attributes_hold_the_configuration() -> None:
    cal = WorkingCalendar(LONDON, time(9), time(17), [0, 2, 2], [date(2020, 1, 6)])
    assert cal.tz is LONDON
    assert (cal.opens, cal.closes) == (time(9), time(17))
    assert cal.weekdays == frozenset({0, 2})
    assert cal.closures == frozenset({date(2020, 1, 6)})


@pytest.mark.parametrize(
    ("opens", "closes", "weekdays"),
    [
        (time(18), time(8), MON_FRI),
        (time(8), time(8), MON_FRI),
        (time(8), time(18), range(0)),
        (time(8), time(18), range(8)),
        (time(8), time(18), range(-1, 3)),
    ],
)
def test_bad_configuration_is_refused(opens: time, closes: time, weekdays: range) -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(LONDON, opens, closes, weekdays)


def test_naive_datetimes_are_refused() -> None:
    cal = calendar()
    naive = datetime(2017, 7, 3, 9)
    with pytest.raises(ValueError, match="time zone-aware"):
        cal.add_working(naive, 10)
    with pytest.raises(ValueError, match="time zone-aware"):
        cal.working_time(naive, utc(2017, 7, 4))
    with pytest.raises(ValueError, match="time zone-aware"):
        cal.working_time(utc(2017, 7, 2), naive)


@pytest.mark.parametrize(
    "start",
    [
        london(2017, 7, 3, 9, 30),  # an ordinary Monday
        london(2017, 7, 7, 16, 45),  # Friday, so crossing the weekend
        london(2017, 4, 13, 12),  # Thursday before Easter
        london(2016, 12, 23, 15),  # Friday before Christmas on a Sunday
        london(2017, 3, 24, 17, 30),  # Friday before the spring change
        london(2017, 10, 27, 2),  # Friday night before the autumn change
        utc(2022, 9, 16, 16, 59),  # Friday before the state funeral
    ],
)
@pytest.mark.parametrize("minutes", [0, 1, 59.5, 120, 600, 601, 3000])
def test_add_working_agrees_with_working_time(start: datetime, minutes: float) -> None:
    cal = calendar()
    assert cal.working_time(start, cal.add_working(start, minutes)) == timedelta(minutes=minutes)


def test_bank_holidays_of_england_and_wales_as_the_demo_had_them() -> None:
    """Moved from the demo, whose hand-kept list this calendar replaces."""
    calendar = WorkingCalendar(LONDON, time(8), time(18), range(5))
    assert calendar.bank_holidays(2016) == {
        date(2016, 1, 1),
        date(2016, 3, 25),
        date(2016, 3, 28),
        date(2016, 5, 2),
        date(2016, 5, 30),
        date(2016, 8, 29),
        date(2016, 12, 26),
        date(2016, 12, 27),  # Christmas Day fell on a Sunday
    }
    assert date(2020, 5, 8) in calendar.bank_holidays(2020)  # early May moved for VE Day
    assert {date(2021, 12, 27), date(2021, 12, 28)} <= calendar.bank_holidays(2021)
