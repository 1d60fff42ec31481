"""Availability of a service in working hours, from its outages: the arithmetic behind ICT03, ICT04, ICT05.

Availability = (agreed service time − downtime) ÷ agreed service time, where the agreed service time is the
period's working time (the `WorkingCalendar`: opening hours in Europe/London, less weekends, England and
Wales bank holidays and closures) and downtime is the working time in which users were *impacted* by an
unplanned outage, not the time its incident was open.

The rules where the council's definition is silent, decided here once:
- Overlapping outages of one service count once: impact intervals are merged before they are measured.
- Planned maintenance agreed in advance is not downtime; its working time is reported beside the figure.
  Where a planned window and an unplanned impact overlap, the planned window wins: the service was agreed
  to be unavailable then, so the overlap is planned time, and only the part of the unplanned impact outside
  every planned window is downtime (an overrunning maintenance becomes downtime when its window ends).
  Downtime and planned time therefore never count the same second twice.
- An outage still open (no impact end) impacts the service up to `now`, or to the period's end.
- A period that has not finished is measured up to `now`: month to date, not against working hours that
  have not happened yet. A period with no working time (a closure month, one still to come) has no figure
  (value None) rather than a division by zero; its zero counts still add up in a year to date.
- An outage that spans two periods counts in each for its own part (each period clips the intervals).

Seconds are exact: intervals are UTC instants and the calendar converts each day's opening hours to UTC, so
the clock changes (a 23- or 25-hour Sunday) cost no second and add none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.kpis import Measure

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Outage:
    """A time a service was out. `started_at`/`ended_at` bound the incident; `impact_start`/`impact_end`
    are when users could not use the service, which is what availability counts. None for an end: open."""

    service: str
    started_at: datetime
    ended_at: datetime | None
    impact_start: datetime
    impact_end: datetime | None
    planned: bool = False
    ticket_id: int | None = None
    note: str = ""
    origin: str = "chat"  # chat | import
    opened_by: str = ""
    closed_by: str | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class ServiceAvailability:
    """One service over one period. `measure.numerator` is the working seconds the service was available,
    `measure.denominator` the working seconds of the period, so a year to date is sums of both."""

    measure: Measure
    downtime_seconds: float  # unplanned impact in working hours
    planned_seconds: float  # planned maintenance in working hours: not downtime, reported beside it

    @property
    def working_seconds(self) -> float:
        return self.measure.denominator or 0.0


def measure_availability(
    calendar: WorkingCalendar,
    start: datetime,
    end: datetime,
    outages: Iterable[Outage],
    now: datetime | None = None,
) -> ServiceAvailability:
    """Availability in [start, end) (aware datetimes) from one service's outages; see the module's rules."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if now is not None:
        end = min(end, _utc(now, "now"))
    planned: list[Interval] = []
    unplanned: list[Interval] = []
    for outage in outages:
        impact_end = outage.impact_end if outage.impact_end is not None else end
        begin, finish = (
            max(_utc(outage.impact_start, "impact_start"), start),
            min(_utc(impact_end, "impact_end"), end),
        )
        if begin < finish:
            (planned if outage.planned else unplanned).append((begin, finish))
    planned = merge(planned)
    downtime = subtract(merge(unplanned), planned)
    working = _seconds(calendar, [(start, end)] if start < end else [])
    down = _seconds(calendar, downtime)
    return ServiceAvailability(
        measure=Measure(
            value=100.0 * (working - down) / working if working > 0 else None,
            numerator=working - down,
            denominator=working,
        ),
        downtime_seconds=down,
        planned_seconds=_seconds(calendar, planned),
    )


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of half-open intervals, sorted and disjoint: overlapping outages count once."""
    merged: list[Interval] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            if finish > merged[-1][1]:
                merged[-1] = (merged[-1][0], finish)
        else:
            merged.append((begin, finish))
    return merged


def subtract(intervals: Sequence[Interval], removed: Sequence[Interval]) -> list[Interval]:
    """`intervals` less `removed`, both sorted and disjoint (as `merge` returns them)."""
    result: list[Interval] = []
    for begin, finish in intervals:
        at = begin
        for cut_begin, cut_finish in removed:
            if cut_finish <= at or cut_begin >= finish:
                continue
            if cut_begin > at:
                result.append((at, cut_begin))
            at = max(at, cut_finish)
            if at >= finish:
                break
        if at < finish:
            result.append((at, finish))
    return result


def _seconds(calendar: WorkingCalendar, intervals: Iterable[Interval]) -> float:
    return sum((calendar.working_time(b, f) for b, f in intervals), timedelta(0)).total_seconds()


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be time zone-aware (times are stored in UTC), got {value!r}")
    return value.astimezone(UTC)
