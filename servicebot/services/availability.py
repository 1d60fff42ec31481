"""The `availability:<service id>` metric: per period, the % of working hours a service was available.

One query per call reads every outage that touches any of the periods; the domain measures each period
from them (`servicebot.domain.availability`, where the rules are), so each period counts only its own part
of an outage that spans two.
"""

from __future__ import annotations

from servicebot.config import Settings
from servicebot.domain.availability import ServiceAvailability, measure_availability
from servicebot.domain.clock import Clock, utc_now
from servicebot.domain.kpis import Measure
from servicebot.domain.periods import Period
from servicebot.storage import metrics as metric_rows
from servicebot.storage import outages as outage_rows
from servicebot.storage.db import Database


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
        known = self.settings.service(service)
        if not periods:
            return {}
        tz = self.settings.tz
        bounds = {period: period.bounds(tz) for period in periods}
        first = min(start for start, _ in bounds.values())
        last = max(end for _, end in bounds.values())
        now = self.clock()
        with self.db.read() as session:
            outages = outage_rows.overlapping(session, known.id, first, last)
            begin = metric_rows.records_begin(session)
        if begin is None:
            return {}
        # A month that ended before the records begin has no figure (unknown), rather than 100%.
        bounds = {period: (start, end) for period, (start, end) in bounds.items() if end > begin}
        return {
            period: measure_availability(
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
            for period, (start, end) in bounds.items()
        }
