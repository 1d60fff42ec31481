"""Demo outages of the council's services (network, ICT services, email): planned and unplanned, placed
relative to the demo's last month so the story is always in the last year.

- Five months before the end, the ICT services month the committee remembers: eleven incidents to the
  children's social care system totalling about 17 hours, ICT04 RED.
- Last month, one afternoon's outage of ICT services: ICT04 AMBER.
- Each month, a short network blip or two (ICT03 moves between GREEN and AMBER), and Saturday-night
  planned maintenance of email that is reported beside the figure, never as downtime.
- An email outage from Friday evening into Monday in the autumn clock change's weekend, whose incident ran
  for the whole weekend but impacted users only in the working hours either side of it.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from servicebot.domain.availability import Outage
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.periods import Period, span


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz).astimezone(UTC)


def _working_days(period: Period, calendar: WorkingCalendar) -> list[date]:
    day, days = period.first_day, []
    while Period.of(day) == period:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _outage(service: str, start: datetime, end: datetime, note: str, planned: bool = False) -> Outage:
    return Outage(
        service=service,
        started_at=start,
        ended_at=end,
        impact_start=start,
        impact_end=end,
        planned=planned,
        note=note,
        origin="import",
        opened_by="demo",
        closed_by="demo",
    )


def _last_sunday_of_october(year: int) -> date:
    day = date(year, 10, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def outages(
    first: Period, last: Period, calendar: WorkingCalendar, seed: int, services: Collection[str]
) -> Iterator[Outage]:
    """Every outage from `first` to `last` (both included) of the configured `services`, oldest first."""
    tz = calendar.tz
    for period in span(first, last):
        rng = random.Random(f"{seed}:outages:{period}")
        days = _working_days(period, calendar)
        if not days:
            continue
        if "network" in services:
            for _ in range(rng.choice((1, 1, 2))):
                day = rng.choice(days)
                start = _at(day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)), tz)
                yield _outage(
                    "network", start, start + timedelta(minutes=rng.randint(10, 40)), "PSN link down"
                )
        if "email" in services:
            saturday = next((d + timedelta(days=1) for d in days if d.weekday() == 4), None)
            if saturday is not None and Period.of(saturday) == period:
                start = _at(saturday, 22, 0, tz)
                yield _outage("email", start, start + timedelta(hours=5), "Exchange patching", planned=True)
        if "ict" in services:
            if period == last.shift(-5):
                # Eleven incidents to the children's social care system, totalling about 17 hours.
                for n, day in enumerate(rng.sample(days, 11)):
                    start = _at(day, 9 + n % 6, 0, tz)
                    minutes = 50 + 45 * (n % 3) + (15 if n == 0 else 0)
                    yield _outage("ict", start, start + timedelta(minutes=minutes), "social care system")
            elif period == last.shift(-1):
                start = _at(days[len(days) // 2], 13, 30, tz)
                yield _outage("ict", start, start + timedelta(hours=3), "finance system unavailable")
        if "email" in services and period.month == 10:
            sunday = _last_sunday_of_october(period.year)
            friday = sunday - timedelta(days=2)
            started = _at(friday, 17, 0, tz)
            ended = _at(sunday + timedelta(days=1), 9, 30, tz)
            yield _outage("email", started, ended, "mail gateway failure over the clock-change weekend")
