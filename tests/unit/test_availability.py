"""Availability in working hours from outages: each edge case the council's figures meet, to the second.

The calendar is the example config's: 08:00–18:00 Europe/London, Monday to Friday, England and Wales bank
holidays. Expected seconds are worked out by hand in each test's comment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebot.domain.availability import (
    Outage,
    ServiceAvailability,
    measure_availability,
    merge,
    subtract,
)
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.periods import Period

LONDON = ZoneInfo("Europe/London")
HOUR = 3600.0


def calendar(weekdays: range = range(5), closures: tuple[date, ...] = ()) -> WorkingCalendar:
    return WorkingCalendar(LONDON, time(8), time(18), weekdays, closures)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[arg-type, misc]


def outage(
    impact_start: datetime,
    impact_end: datetime | None,
    *,
    planned: bool = False,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> Outage:
    return Outage(
        service="email",
        started_at=started_at or impact_start,
        ended_at=ended_at if ended_at is not None else impact_end,
        impact_start=impact_start,
        impact_end=impact_end,
        planned=planned,
    )


def month(
    text: str, outages: list[Outage], cal: WorkingCalendar | None = None, now: datetime | None = None
) -> ServiceAvailability:
    start, end = Period.parse(text).bounds(LONDON)
    return measure_availability(cal or calendar(), start, end, outages, now)


# March 2017: 23 working days (no bank holiday); April 2017: 18 (Good Friday 14th, Easter Monday 17th).
MARCH_2017 = 23 * 10 * HOUR
APRIL_2017 = 18 * 10 * HOUR
OCTOBER_2017 = 22 * 10 * HOUR


def test_a_service_with_no_outage_was_available_100_percent() -> None:
    result = month("2017-03", [])
    assert result.measure.value == 100.0
    assert result.measure.numerator == result.measure.denominator == MARCH_2017
    assert result.downtime_seconds == 0 and result.planned_seconds == 0


def test_an_outage_within_one_working_day_counts_its_impact() -> None:
    # Tuesday 7 March 2017, 10:00–12:30 GMT: 2.5 hours.
    result = month("2017-03", [outage(london(2017, 3, 7, 10), london(2017, 3, 7, 12, 30))])
    assert result.downtime_seconds == 2.5 * HOUR
    assert result.measure.numerator == MARCH_2017 - 2.5 * HOUR
    assert result.measure.value == pytest.approx(100 * (1 - 2.5 / 230))
    assert result.measure.value != round(result.measure.value or 0, 3), "unrounded"


def test_an_outage_crossing_midnight_counts_only_working_hours_either_side() -> None:
    # Wednesday 8 March 17:00 to Thursday 9 March 09:30: 1 hour + 1.5 hours; the night is not working time.
    result = month("2017-03", [outage(london(2017, 3, 8, 17), london(2017, 3, 9, 9, 30))])
    assert result.downtime_seconds == 2.5 * HOUR


def test_an_outage_over_a_weekend_counts_friday_evening_and_monday_morning() -> None:
    # Friday 10 March 16:00 to Monday 13 March 08:45: 2 hours + 45 minutes.
    result = month("2017-03", [outage(london(2017, 3, 10, 16), london(2017, 3, 13, 8, 45))])
    assert result.downtime_seconds == 2 * HOUR + 45 * 60


def test_an_outage_wholly_in_a_weekend_is_no_downtime() -> None:
    result = month("2017-03", [outage(london(2017, 3, 11, 8), london(2017, 3, 12, 20))])
    assert result.downtime_seconds == 0 and result.measure.value == 100.0


def test_a_bank_holiday_is_not_working_time() -> None:
    # Thursday 13 April 2017 17:00 to Tuesday 18 April 09:00: Good Friday, the weekend and Easter Monday
    # are not working days, so 1 hour + 1 hour.
    result = month("2017-04", [outage(london(2017, 4, 13, 17), london(2017, 4, 18, 9))])
    assert result.downtime_seconds == 2 * HOUR
    assert result.measure.denominator == APRIL_2017


def test_a_closure_day_is_not_working_time_and_a_closed_month_has_no_figure() -> None:
    closed = calendar(closures=(date(2017, 3, 7),))
    result = month("2017-03", [outage(london(2017, 3, 7, 10), london(2017, 3, 7, 12))], closed)
    assert result.downtime_seconds == 0
    assert result.measure.denominator == MARCH_2017 - 10 * HOUR
    february = tuple(date(2017, 2, d) for d in range(1, 29))
    whole_month = month(
        "2017-02", [outage(london(2017, 2, 6, 9), london(2017, 2, 6, 10))], calendar(closures=february)
    )
    assert whole_month.measure.value is None, "no working time: no figure rather than a division by zero"
    assert whole_month.measure.numerator == whole_month.measure.denominator == 0


def test_the_spring_clock_change_is_exact_to_the_second() -> None:
    # The clocks went forward at 01:00 UTC on Sunday 26 March 2017. Friday 24 March 17:00 UTC is 17:00 GMT;
    # Monday 27 March 08:30 UTC is 09:30 BST. Downtime: Friday 17:00–18:00 GMT (1 h) and Monday
    # 08:00–09:30 BST, which is 07:00–08:30 UTC (1.5 h): 9,000 seconds.
    result = month("2017-03", [outage(utc(2017, 3, 24, 17), utc(2017, 3, 27, 8, 30))])
    assert result.downtime_seconds == 9000.0
    assert result.measure.denominator == MARCH_2017


def test_the_spring_clock_change_on_a_working_sunday() -> None:
    # A seven-day desk: on Sunday 26 March 2017 it opens at 08:00 BST, 07:00 UTC. An outage from 00:30 UTC
    # (00:30 GMT) to 07:30 UTC (08:30 BST) takes 30 minutes of it, not the 90 that local-time arithmetic on
    # a 23-hour day would give.
    every_day = calendar(range(7))
    result = month("2017-03", [outage(utc(2017, 3, 26, 0, 30), utc(2017, 3, 26, 7, 30))], every_day)
    assert result.downtime_seconds == 1800.0
    assert result.measure.denominator == 31 * 10 * HOUR


def test_the_autumn_clock_change_is_exact_to_the_second() -> None:
    # The clocks went back at 01:00 UTC on Sunday 29 October 2017. Friday 27 October 16:00 UTC is 17:00 BST;
    # Monday 30 October 08:30 UTC is 08:30 GMT. Downtime: Friday 17:00–18:00 BST (1 h) and Monday
    # 08:00–08:30 GMT (0.5 h): 5,400 seconds.
    result = month("2017-10", [outage(utc(2017, 10, 27, 16), utc(2017, 10, 30, 8, 30))])
    assert result.downtime_seconds == 5400.0
    assert result.measure.denominator == OCTOBER_2017


def test_the_autumn_clock_change_on_a_working_sunday() -> None:
    # Sunday 29 October 2017 opens at 08:00 GMT = 08:00 UTC; from 00:30 UTC (01:30 BST) to 09:00 UTC is one
    # hour of working time though 8.5 hours passed (9.5 on the wall clock).
    every_day = calendar(range(7))
    result = month("2017-10", [outage(utc(2017, 10, 29, 0, 30), utc(2017, 10, 29, 9))], every_day)
    assert result.downtime_seconds == HOUR


def test_overlapping_outages_count_once() -> None:
    # Two incidents on Tuesday 7 March: 09:00–11:00 and 10:00–12:00, and a third inside the first. 3 hours.
    outages = [
        outage(london(2017, 3, 7, 9), london(2017, 3, 7, 11)),
        outage(london(2017, 3, 7, 10), london(2017, 3, 7, 12)),
        outage(london(2017, 3, 7, 9, 30), london(2017, 3, 7, 10, 30)),
    ]
    assert month("2017-03", outages).downtime_seconds == 3 * HOUR


def test_downtime_is_the_impact_not_the_time_the_incident_was_open() -> None:
    # "users were impacted only for half a day, however the incident was open for just over 17 hours":
    # open Tuesday 7 March 08:00 to Wednesday 01:10 (17 h 10 min), users impacted 08:00–13:00.
    incident = outage(
        london(2017, 3, 7, 8),
        london(2017, 3, 7, 13),
        started_at=london(2017, 3, 7, 8),
        ended_at=london(2017, 3, 8, 1, 10),
    )
    result = month("2017-03", [incident])
    assert result.downtime_seconds == 5 * HOUR


def test_planned_maintenance_is_not_downtime_and_is_reported_beside_it() -> None:
    maintenance = outage(london(2017, 3, 9, 16), london(2017, 3, 9, 18), planned=True)
    result = month("2017-03", [maintenance])
    assert result.downtime_seconds == 0
    assert result.planned_seconds == 2 * HOUR
    assert result.measure.value == 100.0


def test_where_planned_and_unplanned_overlap_the_planned_window_wins() -> None:
    # Maintenance agreed for 16:00–18:00 overran into an unplanned outage from 17:00 to 09:00 next day:
    # 17:00–18:00 is planned, only Friday's 08:00–09:00 is downtime.
    outages = [
        outage(london(2017, 3, 9, 16), london(2017, 3, 9, 18), planned=True),
        outage(london(2017, 3, 9, 17), london(2017, 3, 10, 9)),
    ]
    result = month("2017-03", outages)
    assert result.planned_seconds == 2 * HOUR
    assert result.downtime_seconds == HOUR


def test_an_outage_spanning_two_months_counts_in_each_for_its_own_part() -> None:
    # Friday 31 March 2017 16:00 BST to Monday 3 April 10:00 BST: 2 hours in March, 2 hours in April.
    spanning = outage(london(2017, 3, 31, 16), london(2017, 4, 3, 10))
    march, april = month("2017-03", [spanning]), month("2017-04", [spanning])
    assert march.downtime_seconds == 2 * HOUR
    assert april.downtime_seconds == 2 * HOUR
    ytd = (march.measure.numerator or 0) + (april.measure.numerator or 0)
    assert ytd == MARCH_2017 + APRIL_2017 - 4 * HOUR


def test_an_open_outage_is_impacted_up_to_now_and_the_month_is_measured_to_date() -> None:
    # Still out since Monday 6 March 2017 17:00; now is Tuesday 7 March 10:00. March so far: 1 to 3 March
    # (30 h), 6 March (10 h) and 7 March until 10:00 (2 h) = 42 hours, of which 1 + 2 were down.
    still_out = outage(london(2017, 3, 6, 17), None)
    result = month("2017-03", [still_out], now=london(2017, 3, 7, 10))
    assert result.measure.denominator == 42 * HOUR
    assert result.downtime_seconds == 3 * HOUR
    assert result.measure.value == pytest.approx(100 * 39 / 42)


def test_an_open_outage_without_a_now_runs_to_the_end_of_the_period() -> None:
    still_out = outage(london(2017, 3, 31, 16), None)
    assert month("2017-03", [still_out]).downtime_seconds == 2 * HOUR


def test_a_month_still_to_come_has_no_figure() -> None:
    result = month("2017-05", [], now=london(2017, 4, 20, 9))
    assert result.measure.value is None and result.measure.denominator == 0


def test_outages_outside_the_period_do_not_count() -> None:
    result = month("2017-03", [outage(london(2017, 2, 27, 9), london(2017, 2, 28, 18))])
    assert result.downtime_seconds == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone-aware"):
        measure_availability(calendar(), datetime(2017, 3, 1), utc(2017, 4, 1), [])


def test_merge_and_subtract() -> None:
    a, b, c, d = (utc(2017, 1, 1, h) for h in (1, 2, 3, 4))
    assert merge([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert subtract([(a, d)], [(b, c)]) == [(a, b), (c, d)]
    assert subtract([(a, b)], [(a, d)]) == []
    assert subtract([(a, d)], []) == [(a, d)]


def test_a_year_of_500_outages_is_measured_per_day_not_per_minute() -> None:
    """No timing assertion: the count of days the calendar converts shows the work is per day."""
    cal = calendar()
    start = london(2017, 4, 3, 9)
    outages = [
        outage(start + timedelta(hours=17 * i), start + timedelta(hours=17 * i + 5), planned=i % 7 == 0)
        for i in range(500)
    ]
    results = [month(str(p), outages, cal) for p in Period(2018, 3).year_to_date()]
    assert len(cal._hours) <= 366
    total_down = sum(r.downtime_seconds for r in results)
    assert 0 < total_down < sum(r.working_seconds for r in results)


# -- against a brute force -------------------------------------------------------------------------------
WINDOW_START = utc(2017, 3, 24, 0)  # Friday before the spring clock change, to the Tuesday after
WINDOW_MINUTES = 5 * 24 * 60


def brute_force(cal: WorkingCalendar, outages: list[Outage]) -> tuple[float, float, float]:
    """Minute by minute: is it working time, is an agreed window on, is an unplanned impact on."""
    working = down = planned = 0.0
    for minute in range(WINDOW_MINUTES):
        at = WINDOW_START + timedelta(minutes=minute)
        hours = cal.working_hours_of(at.astimezone(LONDON).date())
        if hours is None or not hours[0] <= at < hours[1]:
            continue
        working += 60

        def on(o: Outage, at: datetime = at) -> bool:
            return o.impact_start <= at < (o.impact_end or WINDOW_START + timedelta(minutes=WINDOW_MINUTES))

        if any(on(o) for o in outages if o.planned):
            planned += 60
        elif any(on(o) for o in outages if not o.planned):
            down += 60
    return working, down, planned


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, WINDOW_MINUTES - 1),
            st.integers(1, 2 * 24 * 60),
            st.booleans(),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_the_arithmetic_agrees_with_counting_minutes(drawn: list[tuple[int, int, bool, bool]]) -> None:
    outages = [
        outage(
            WINDOW_START + timedelta(minutes=begin),
            None if still_open else WINDOW_START + timedelta(minutes=begin + length),
            planned=is_planned,
        )
        for begin, length, is_planned, still_open in drawn
    ]
    cal = calendar()
    result = measure_availability(
        cal, WINDOW_START, WINDOW_START + timedelta(minutes=WINDOW_MINUTES), outages
    )
    working, down, planned = brute_force(cal, outages)
    assert result.working_seconds == working
    assert result.downtime_seconds == down
    assert result.planned_seconds == planned
    assert result.measure.numerator == working - down
