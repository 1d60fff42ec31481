"""Spans of local days, as a manager asks for stats: today, yesterday, this week, this month to date, a
named month or a named day.

Days are the council's (Europe/London): "today" starts at local midnight, and a week runs Monday to
Sunday. The words are parsed once, without knowing the date (`parse_when`), and turned into days against
today (`days_of`), so a parse error is found before anything is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from servicebot.domain.errors import InvalidInput
from servicebot.domain.periods import FIRST_YEAR, LAST_YEAR, MONTH_NAMES, Period

Word = Literal["today", "yesterday", "week", "month"]
WORDS: tuple[Word, ...] = ("today", "yesterday", "week", "month")
When = Word | Period | date
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True, order=True)
class DayRange:
    """Local days `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a range of days cannot end ({self.last}) before it begins ({self.first})")

    @classmethod
    def of_month(cls, period: Period) -> DayRange:
        return cls(period.first_day, period.next.first_day - timedelta(days=1))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC from local midnights, as `Period.bounds` takes a month's."""
        start = datetime.combine(self.first, time(0), tz).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tz).astimezone(UTC)
        return start, end

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def month(self) -> Period:
        """The month the range ends in: whose KPIs a range's stats show."""
        return Period.of(self.last)

    @property
    def whole_month(self) -> Period | None:
        """The month this range is, if it is exactly one calendar month."""
        month = Period.of(self.first)
        return month if self == DayRange.of_month(month) else None

    def __str__(self) -> str:
        """Mon 30 Nov 2026; November 2026; 23–29 Nov 2026; 30 Nov – 6 Dec 2026 (the same in every locale)."""
        first, last = self.first, self.last
        if first == last:
            return f"{_WEEKDAYS[first.weekday()]} {_day(first)}"
        if self.whole_month is not None:
            return f"{_MONTHS[first.month - 1]} {first.year}"
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}–{_day(last)}"
        if first.year == last.year:
            return f"{first.day} {_MONTHS[first.month - 1][:3]} – {_day(last)}"
        return f"{_day(first)} – {_day(last)}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = MONTH_NAMES


def _day(when: date) -> str:
    return f"{when.day} {_MONTHS[when.month - 1][:3]} {when.year}"


def parse_when(text: str) -> When:
    """`today`, `yesterday`, `week`, `month`, `YYYY-MM` or `YYYY-MM-DD`; anything else is named back."""
    word = text.strip().lower()
    for known in WORDS:
        if word == known:
            return known
    if _MONTH.match(word):
        return Period.parse(word)
    match = _DAY.match(word)
    if match is None:
        raise InvalidInput(
            f"{text.strip()!r} is not a day or a span of days; say today, yesterday, week, month, "
            "a month (2016-12) or a day (2016-12-05)"
        )
    year, month, day = (int(g) for g in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"{word!r} is not a day: the year must be {FIRST_YEAR} to {LAST_YEAR}")
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{word!r} is not a day: {_why_not_a_day(year, month, day)}") from None


def _why_not_a_day(year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    return f"{_MONTHS[month - 1]} {year} has no day {day}"


def days_of(when: When, today: date) -> tuple[DayRange, bool]:
    """The days `when` means on `today`, and whether they were cut short at today ("to date"). A span that
    begins after today has no figures yet, so it is refused rather than shown as zeros."""
    if isinstance(when, str):
        if when == "today":
            return DayRange(today, today), False
        if when == "yesterday":
            yesterday = today - timedelta(days=1)
            return DayRange(yesterday, yesterday), False
        if when == "week":
            return DayRange(today - timedelta(days=today.weekday()), today), True
        return DayRange(today.replace(day=1), today), True
    wanted = DayRange.of_month(when) if isinstance(when, Period) else DayRange(when, when)
    if wanted.first > today:
        raise InvalidInput(
            f"{_spelled(when)} has not begun yet; stats cover days up to today ({_day(today)})"
        )
    if wanted.last > today:
        return DayRange(wanted.first, today), True
    return wanted, False


def _spelled(when: Period | date) -> str:
    return str(when) if isinstance(when, Period) else when.isoformat()
