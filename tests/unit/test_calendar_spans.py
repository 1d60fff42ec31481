"""`working_time` over long spans takes the whole days between from running totals per year; it must give
exactly what walking the days one by one gives, across clock changes, bank holidays, closures, weekends
and New Year."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from servicebot.domain.calendar import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
ORIGIN = datetime(2015, 12, 20, tzinfo=UTC)
CLOSURES = (date(2016, 12, 28), date(2017, 12, 27), date(2018, 1, 2))


def walked(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The plain definition: each local day's opening hours clipped to [start, end), summed."""
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    while day <= end.astimezone(cal.tz).date():
        hours = cal.working_hours_of(day)
        if hours is not None:
            begin, finish = max(start, hours[0]), min(end, hours[1])
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return total


@given(
    start_minutes=st.integers(0, 3 * 366 * 24 * 60),
    length_minutes=st.integers(0, 2 * 366 * 24 * 60),
    weekdays=st.sampled_from([range(5), range(6), (0, 2, 4)]),
)
@settings(max_examples=300, deadline=None)
def test_a_span_of_any_length_is_the_sum_of_its_days(
    start_minutes: int, length_minutes: int, weekdays: range | tuple[int, ...]
) -> None:
    cal = WorkingCalendar(LONDON, time(8, 30), time(17, 15), weekdays, CLOSURES)
    start = ORIGIN + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=length_minutes)
    assert cal.working_time(start, end) == walked(cal, start, end)


def test_spans_asked_in_any_order_share_the_running_totals() -> None:
    cal = WorkingCalendar(LONDON, time(8), time(18), range(5), CLOSURES)
    late = (datetime(2018, 3, 1, tzinfo=UTC), datetime(2018, 11, 1, tzinfo=UTC))
    early = (datetime(2016, 2, 1, tzinfo=UTC), datetime(2018, 2, 1, tzinfo=UTC))
    assert cal.working_time(*late) == walked(cal, *late)
    assert cal.working_time(*early) == walked(cal, *early)
    assert cal.working_time(*late) == walked(cal, *late)
