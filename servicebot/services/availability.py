"""The `availability:<service id>` metric: per period, the % of working hours a service was available.

One query per call reads every outage that touches any of the periods; the domain measures each period
from them (`servicebot.domain.availability`, where the rules are), so each period counts only its own part
of an outage that spans two.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from servicebot.config import Settings
from servicebot.domain.availability import ServiceAvailability, measure_availability
from servicebot.domain.clock import Clock, utc_now
from servicebot.domain.days import DayRange
from servicebot.domain.kpis import Measure
from servicebot.domain.periods import Period
from servicebot.storage import metrics as metric_rows
from servicebot.storage import outages as outage_rows
from servicebot.storage.db import Database

# What a span is known by: a month, or a range of days.
_K = TypeVar("_K", Period, DayRange)


class AvailabilityMetric:
    def __init__(self, db: Database, settings: Settings, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.calendar = settings.calendar()

    def availability(self, service: str, periods: list[Period]) -> dict[Period, Measure]:
        """value: % available (unrounded; None without working time); numerator: available working
        seconds; denominator: working seconds, so a year to date is the sum of each."""
        return {period: found.measure for period, found in self.detail(service, periods).items()}

    def detail(self, service: str, periods: list[Period]) -> dict[Period, ServiceAvailability]:
        """The figure with its unplanned downtime and the planned maintenance reported beside it."""
        tz = self.settings.tz
        return self._measured(service, {period: period.bounds(tz) for period in periods})

    def over(self, service: str, days: DayRange) -> ServiceAvailability | None:
        """The same figure over a span of local days (stats on request): the same rules, measured over the
        days' bounds instead of a month's. None before the records begin."""
        return self._measured(service, {days: days.bounds(self.settings.tz)}).get(days)

    def _measured(
        self, service: str, bounds: dict[_K, tuple[datetime, datetime]]
    ) -> dict[_K, ServiceAvailability]:
        known = self.settings.service(service)
        if not bounds:
            return {}
        first = min(start for start, _ in bounds.values())
        last = max(end for _, end in bounds.values())
        now = self.clock()
        with self.db.read() as session:
            outages = outage_rows.overlapping(session, known.id, first, last)
            begin = metric_rows.records_begin(session)
        if begin is None:
            return {}
        # A month that ended before the records begin has no figure (unknown), rather than 100%.
        bounds = {key: (start, end) for key, (start, end) in bounds.items() if end > begin}
        return {
            key: measure_availability(
                self.calendar,
                start,
                end,
                [
                    o
                    for o in outages
                    if o.impact_start < end and (o.impact_end is None or o.impact_end > start)
                ],
                now,
            )
            for key, (start, end) in bounds.items()
        }
