"""Demo telephony: a year of the switch's daily totals for both desks, seeded like the tickets.

Volumes follow the published figures (the ICT desk's ~74,000 calls a year; the contact centre's lines in
thousands a quarter, busiest first). One month tells a story the committee has seen before: severe
weather three months before the end of the demo floods the lines, so calls answered falls to AMBER and
answered within 40 seconds to RED, and the ICT desk's wait goes over its 50 seconds.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from servicebot.demo.profiles import MONTH_VOLUME
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.periods import Period
from servicebot.domain.telephony import CallRow


@dataclass(frozen=True)
class Line:
    desk: str
    name: str
    calls_a_day: float  # offered on an ordinary working day
    handle_seconds: float  # average handle time
    every_day: bool = False  # out-of-hours lines take calls at weekends and on bank holidays too


# Contact-centre volumes: the lines' published thousands a quarter over ~63 working days, scaled so the
# centre answers ~56,000 calls a month (504,050 in nine months of 2016/17).
LINES = (
    Line("ict", "service desk", 310, 330),
    Line("contact", "main line", 460, 240),
    Line("contact", "highways and transport", 420, 260),
    Line("contact", "office switchboards", 360, 60),
    Line("contact", "libraries and archives", 420, 200),
    Line("contact", "registration services", 230, 300),
    Line("contact", "adult social services", 180, 420),
    Line("contact", "education line", 140, 330),
    Line("contact", "blue badges", 105, 280),
    Line("contact", "adult education", 75, 250),
    Line("contact", "childrens social services", 70, 450),
    Line("contact", "concessionary fares", 60, 220),
    Line("contact", "speed awareness courses", 50, 200),
    Line("contact", "waste and recycling centres", 40, 180),
    Line("contact", "out of hours", 60, 300, every_day=True),
)


def storm_month(last: Period) -> Period:
    """The month the weather floods the lines: three before the last, so it is always in the last year."""
    return last.shift(-3)


def _day_row(line: Line, day: date, rng: random.Random, storm: bool) -> CallRow | None:
    volume = line.calls_a_day * MONTH_VOLUME[day.month - 1] * rng.uniform(0.85, 1.15)
    if line.every_day and day.weekday() >= 5:
        volume *= 0.6
    # Normal days: staffed for the load. In the storm the load doubles on the same staff.
    load = 2.1 if storm else 1.0
    offered = max(0, round(volume * load))
    if offered == 0:
        return None
    answered_share = rng.uniform(0.84, 0.9) if storm else rng.uniform(0.955, 0.99)
    answered = min(offered, round(offered * answered_share))
    within_share = rng.uniform(0.55, 0.66) if storm else rng.uniform(0.8, 0.94)
    within = min(answered, round(answered * within_share))
    abandoned = round((offered - answered) * rng.uniform(0.85, 1.0))
    average_wait = rng.uniform(70, 110) if storm else rng.uniform(18, 42)
    return CallRow(
        day=day,
        interval_start="",
        desk=line.desk,
        line=line.name,
        offered=offered,
        answered=answered,
        answered_within_40s=within,
        abandoned=abandoned,
        total_wait_seconds=round(answered * average_wait, 1),
        total_handle_seconds=round(answered * line.handle_seconds * rng.uniform(0.92, 1.08), 1),
    )


def calls(
    first: date, last: date, calendar: WorkingCalendar, seed: int, desks: Collection[str]
) -> Iterator[CallRow]:
    """The lines of the configured `desks`: each one's totals for each day from `first` to `last`."""
    storm = storm_month(Period.of(last))
    lines = [line for line in LINES if line.desk in desks]
    day = first
    while day <= last:
        working = calendar.is_working_day(day)
        rng = random.Random(f"{seed}:calls:{day.isoformat()}")
        for line in lines:
            if working or line.every_day:
                row = _day_row(line, day, rng, Period.of(day) == storm)
                if row is not None:
                    yield row
        day += timedelta(days=1)
