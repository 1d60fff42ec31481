"""Reporting periods: calendar months named `YYYY-MM`, and the council's financial year (April to March).

Every figure on the dashboard belongs to one month; a quarterly or annual value is filed under the last
month of its quarter or year. A month's instants are taken in the council's zone (Europe/London), so a
contact logged at 00:30 BST on 1 April belongs to April even though it is still 31 March in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from servicebot.domain.errors import InvalidInput

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
FINANCIAL_YEAR_STARTS = 4  # April
# The years a person may name. Narrower than the years a Period can hold (1900 to 9998), so the dashboard
# can look back two years and forward one month from any period named without leaving them.
FIRST_YEAR, LAST_YEAR = 1970, 2999


# English month names, as the council's dashboards print them (not the locale's).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, got {self.month}")
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"year must be 1900 to 9998, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """`YYYY-MM`, the one spelling every file and command uses; anything else is named back."""
        match = _PERIOD.match(text.strip())
        if match is None:
            raise InvalidInput(f"{text.strip()!r} is not a period; write the month as YYYY-MM, e.g. 2016-12")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput(f"{text.strip()!r} is not a period: there is no month {month}")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(
                f"{text.strip()!r} is not a period: the year must be {FIRST_YEAR} to {LAST_YEAR}"
            )
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, at: datetime, tz: ZoneInfo) -> Period:
        """The month an instant falls in, in the council's zone."""
        if at.tzinfo is None:
            raise ValueError("at must be time zone-aware")
        return cls.of(at.astimezone(tz).date())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Months since year 0: differences of periods are plain subtraction."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Period:
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    def shift(self, months: int) -> Period:
        return Period.from_index(self.index + months)

    @property
    def previous(self) -> Period:
        return self.shift(-1)

    @property
    def next(self) -> Period:
        return self.shift(1)

    @property
    def year_earlier(self) -> Period:
        return self.shift(-12)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC, from local midnights (23 or 25 hours long on a clock change)."""
        start = datetime.combine(self.first_day, time(0), tz).astimezone(UTC)
        end = datetime.combine(self.next.first_day, time(0), tz).astimezone(UTC)
        return start, end

    # -- the financial year ----------------------------------------------------------------------------
    @property
    def financial_year(self) -> int:
        """The calendar year the financial year starts in: 2016 for April 2016 to March 2017."""
        return self.year if self.month >= FINANCIAL_YEAR_STARTS else self.year - 1

    @property
    def financial_year_label(self) -> str:
        """As the council prints it: 2016/17."""
        start = self.financial_year
        return f"{start}/{(start + 1) % 100:02d}"

    @property
    def financial_year_start(self) -> Period:
        return Period(self.financial_year, FINANCIAL_YEAR_STARTS)

    def year_to_date(self) -> list[Period]:
        """April of this financial year up to and including this month."""
        return span(self.financial_year_start, self)

    @property
    def is_quarter_end(self) -> bool:
        return self.month % 3 == 0

    @property
    def is_financial_year_end(self) -> bool:
        return self.month == FINANCIAL_YEAR_STARTS - 1


def span(first: Period, last: Period) -> list[Period]:
    """Every month from `first` to `last`, both included (empty if `last` is before `first`)."""
    return [Period.from_index(i) for i in range(first.index, last.index + 1)]


def financial_year_label_valid(text: str) -> bool:
    """`2016/17`: the second year is the first plus one."""
    match = re.fullmatch(r"(\d{4})/(\d{2})", text)
    return match is not None and (int(match.group(1)) + 1) % 100 == int(match.group(2))
