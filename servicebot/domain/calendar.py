"""The council's working-hours calendar: when the desk is open, and how much working time lies between.

Kept free of I/O and of the rest of servicebot so SLA clocks, the demo generator and reports can all share
one definition of "working time". Bank holidays come from the maintained `holidays` package rather than a
hand-kept table, so proclaimed one-off days (state funerals, coronations) arrive with a package update.

Times cross this boundary as aware datetimes only: everything is stored in UTC, and a naive value would be
silently read as local wall time by `astimezone`, shifting SLA clocks by an hour in summer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

# The package's England subdivision covers England and Wales bank holidays (Wales has no extra days).
_COUNTRY, _SUBDIVISION = "GB", "ENG"


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be time zone-aware (times are stored in UTC), got {value!r}")


class WorkingCalendar:
    """Opening hours on working days in the council's zone, less bank holidays and configured closures."""

    def __init__(
        self,
        tz: ZoneInfo,
        opens: time,
        closes: time,
        weekdays: Iterable[int],
        closures: Iterable[date] = (),
    ) -> None:
        if closes <= opens:
            # An overnight shift would need working days that straddle midnight; nothing here supports that.
            raise ValueError(f"working hours must close after they open, got {opens}–{closes}")
        days = frozenset(weekdays)
        if not days:
            # With no working day at all, add_working would search forever.
            raise ValueError("at least one working weekday is needed")
        if not days <= frozenset(range(7)):
            raise ValueError(f"weekdays are Python weekday numbers 0 (Monday) to 6, got {sorted(days)}")
        self.tz: ZoneInfo = tz
        self.opens: time = opens
        self.closes: time = closes
        self.weekdays: frozenset[int] = days
        self.closures: frozenset[date] = frozenset(closures)
        # The package builds a year's holidays in Python on each lookup; the demo asks hundreds of thousands
        # of times, so each year is computed once.
        self._bank_holidays: dict[int, frozenset[date]] = {}
        # Each day's opening hours in UTC, once: availability measures a year of outages for each service
        # and period, and the zone conversion is the cost of every day it walks.
        self._hours: dict[date, tuple[datetime, datetime] | None] = {}
        # Running totals of working time per year, for working_time over long spans in constant time.
        self._prefix: dict[int, list[timedelta]] = {}

    def bank_holidays(self, year: int) -> frozenset[date]:
        """England and Wales bank holidays of `year`, as gov.uk lists them."""
        found = self._bank_holidays.get(year)
        if found is None:
            # The package lists the holiday itself as well as its substitute when it falls on a weekend
            # (25 Dec on a Sunday *and* 27 Dec); gov.uk lists only the weekday that is actually a day off.
            # Through `country_holidays` (which builds the same `UnitedKingdom` object) because the class's
            # constructor is untyped and `holidays.UnitedKingdom` is a lazy proxy `mypy --strict` rejects.
            listed = holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=year)
            found = frozenset(day for day in listed if day.weekday() < 5)
            self._bank_holidays[year] = found
        return found

    def is_bank_holiday(self, day: date) -> bool:
        return day in self.bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        # Cheapest tests first: most calls in the demo are weekends or ordinary weekdays.
        return day.weekday() in self.weekdays and day not in self.closures and not self.is_bank_holiday(day)

    def working_hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing instants in UTC, ready to compare with stored times."""
        if day in self._hours:
            return self._hours[day]
        hours = (
            (
                datetime.combine(day, self.opens, self.tz).astimezone(UTC),
                datetime.combine(day, self.closes, self.tz).astimezone(UTC),
            )
            if self.is_working_day(day)
            else None
        )
        self._hours[day] = hours
        return hours

    def add_working(self, at: datetime, minutes: float) -> datetime:
        """`minutes` of working time after `at`, skipping nights, weekends and bank holidays."""
        # Moved verbatim from the demo generator, whose seeded output must not change: keep the arithmetic
        # as it is (wall-clock within a local day, which is exact while opening hours avoid 01:00–02:00).
        _require_aware(at, "at")
        local = at.astimezone(self.tz)
        remaining = timedelta(seconds=round(minutes * 60))
        day = local.date()
        while True:
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, self.tz)
                closes = datetime.combine(day, self.closes, self.tz)
                begin = max(local, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end), for SLA clocks that pause outside opening hours."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return timedelta(0)
        # Work in UTC: subtracting two datetimes that share a ZoneInfo gives wall-clock time, which is an
        # hour out across a clock change.
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        total = self._part_of(day, start_utc, end_utc)
        if last > day:
            # The days strictly between are whole: their sum comes from the running totals, so a span of
            # months costs no more than a span of two days (`facts rebuild` asks once per ticket).
            total += self._whole_days(day + timedelta(days=1), last)
            total += self._part_of(last, start_utc, end_utc)
        return total

    def _part_of(self, day: date, start_utc: datetime, end_utc: datetime) -> timedelta:
        hours = self.working_hours_of(day)
        if hours is None:
            return timedelta(0)
        begin, finish = max(start_utc, hours[0]), min(end_utc, hours[1])
        return finish - begin if begin < finish else timedelta(0)

    def _whole_days(self, first: date, last: date) -> timedelta:
        """Working time of the days from `first` up to, not including, `last` (first <= last)."""
        if first.year == last.year:
            prefix = self._year_prefix(first.year)
            return prefix[_day_of_year(last)] - prefix[_day_of_year(first)]
        head = self._year_prefix(first.year)
        total = head[-1] - head[_day_of_year(first)]
        for year in range(first.year + 1, last.year):
            total += self._year_prefix(year)[-1]
        return total + self._year_prefix(last.year)[_day_of_year(last)]

    def _year_prefix(self, year: int) -> list[timedelta]:
        """Running totals of a year's working time: [i] is the working time of its first i days."""
        found = self._prefix.get(year)
        if found is None:
            found = [timedelta(0)]
            day = date(year, 1, 1)
            while day.year == year:
                # Not through working_hours_of: its per-day cache holds the days actually walked.
                length = (
                    datetime.combine(day, self.closes, self.tz).astimezone(UTC)
                    - datetime.combine(day, self.opens, self.tz).astimezone(UTC)
                    if self.is_working_day(day)
                    else timedelta(0)
                )
                found.append(found[-1] + length)
                day += timedelta(days=1)
            self._prefix[year] = found
        return found


def _day_of_year(day: date) -> int:
    """Days before `day` in its year (0 on 1 January)."""
    return day.toordinal() - date(day.year, 1, 1).toordinal()
