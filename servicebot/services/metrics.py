"""Named metrics: what a KPI's `source` means, computed per month as a `Measure` with its counts.

One definition per figure, reused by the dashboard, and later by stats, digests and breach alerts: a
source is `<metric>:<argument>` (a desk id, or a service id for availability). Rates keep their
numerator and denominator, so a year-to-date figure is the ratio of the sums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from servicebot.config import Settings
from servicebot.domain.availability import ServiceAvailability
from servicebot.domain.days import DayRange
from servicebot.domain.errors import InvalidInput
from servicebot.domain.kpis import Measure
from servicebot.domain.periods import Period
from servicebot.services.availability import AvailabilityMetric
from servicebot.storage import metrics as sql
from servicebot.storage.db import Database
from servicebot.storage.metrics import Calls, Sums

Series = dict[Period, Measure]
# (session, argument, span) -> the figure per month, for months that have one; or, for a span of days
# (`sql.Days`), the one figure under the span's label, if it has one.
_Compute = Callable[[Session, str, sql.Span], dict[str, Measure]]


def _percent(sums: dict[str, Sums]) -> dict[str, Measure]:
    return {
        m: Measure(100.0 * s.numerator / s.denominator, s.numerator, s.denominator)
        for m, s in sums.items()
        if s.denominator
    }


def _average(sums: dict[str, Sums], scale: float = 1.0) -> dict[str, Measure]:
    """An average in the metric's unit (hours from seconds: scale 3600); the numerator is in that unit too,
    so a year-to-date average is the sum of numerators over the sum of denominators."""
    return {
        m: Measure(s.numerator / s.denominator / scale, s.numerator / scale, s.denominator)
        for m, s in sums.items()
        if s.denominator
    }


def _count(sums: dict[str, Sums]) -> dict[str, Measure]:
    return {m: Measure(s.numerator) for m, s in sums.items()}


def _calls(pick: Callable[[Calls], tuple[float, float] | float], *, percent: bool = False) -> _Compute:
    """A telephony figure: `pick` gives (numerator, denominator) for a rate or average, or a count.
    Numerators and denominators stay raw counts (as in every Measure); a percentage's value is 100·n/d."""
    scale = 100.0 if percent else 1.0

    def compute(session: Session, desk: str, span: sql.Span) -> dict[str, Measure]:
        found: dict[str, Measure] = {}
        for month, calls in sql.calls(session, desk, span).items():
            picked = pick(calls)
            if isinstance(picked, tuple):
                numerator, denominator = picked
                if denominator:
                    found[month] = Measure(scale * numerator / denominator, numerator, denominator)
            else:
                found[month] = Measure(float(picked))
        return found

    return compute


@dataclass(frozen=True)
class Metric:
    name: str
    argument: str  # what follows the colon: "desk" or "service"
    description: str
    compute: _Compute


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "fcr",
            "desk",
            "% of contacts resolved at first contact, of contacts resolved in the month",
            lambda s, desk, span: _percent(sql.first_contact(s, desk, span)),
        ),
        Metric(
            "contacts",
            "desk",
            "contacts logged in the month",
            lambda s, desk, span: _count(sql.contacts(s, desk, span)),
        ),
        Metric(
            "positive_rating",
            "desk",
            "% of ratings received in the month that were positive",
            lambda s, desk, span: _percent(sql.ratings(s, desk, span)),
        ),
        Metric(
            "ratings",
            "desk",
            "ratings received in the month",
            lambda s, desk, span: {m: Measure(x.denominator) for m, x in sql.ratings(s, desk, span).items()},
        ),
        Metric(
            "time_to_fix_hours",
            "desk",
            "average elapsed hours from logging to final resolution, incidents fixed in the month",
            lambda s, desk, span: _average(sql.time_to_fix(s, desk, span, working=False), 3600.0),
        ),
        Metric(
            "time_to_fix_working_hours",
            "desk",
            "the same in working hours only",
            lambda s, desk, span: _average(sql.time_to_fix(s, desk, span, working=True), 3600.0),
        ),
        Metric(
            "first_response_minutes",
            "desk",
            "average elapsed minutes to the first response, contacts logged in the month",
            lambda s, desk, span: _average(sql.first_response(s, desk, span), 60.0),
        ),
        Metric(
            "escalation_rate",
            "desk",
            "% of contacts logged in the month escalated to a higher line",
            lambda s, desk, span: _percent(sql.moved(s, desk, span, escalated=True)),
        ),
        Metric(
            "transfer_rate",
            "desk",
            "% of contacts logged in the month transferred to another queue",
            lambda s, desk, span: _percent(sql.moved(s, desk, span, escalated=False)),
        ),
        Metric(
            "calls_offered",
            "desk",
            "calls offered",
            _calls(lambda c: c.offered),
        ),
        Metric(
            "calls_answered_count",
            "desk",
            "calls answered",
            _calls(lambda c: c.answered),
        ),
        Metric(
            "calls_answered",
            "desk",
            "% of calls offered that were answered",
            _calls(lambda c: (c.answered, c.offered), percent=True),
        ),
        Metric(
            "calls_within_40s",
            "desk",
            "% of calls answered that were answered within 40 seconds",
            _calls(lambda c: (c.within_40s, c.answered), percent=True),
        ),
        Metric(
            "abandonment_rate",
            "desk",
            "% of calls offered that were abandoned",
            _calls(lambda c: (c.abandoned, c.offered), percent=True),
        ),
        Metric(
            "average_wait_seconds",
            "desk",
            "average speed of answer: total wait of answered calls ÷ calls answered",
            _calls(lambda c: (c.wait_seconds, c.answered)),
        ),
        Metric(
            "average_handle_seconds",
            "desk",
            "average handle time: total handle time ÷ calls answered",
            _calls(lambda c: (c.handle_seconds, c.answered)),
        ),
    )
}
AVAILABILITY = "availability"
METRIC_NAMES: frozenset[str] = frozenset({*METRICS, AVAILABILITY})


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


def split_source(source: str) -> tuple[str, str]:
    name, _, argument = source.partition(":")
    return name.strip(), argument.strip()


class MetricsService:
    """`series(source, periods)`: the figure for each period that has one, from one query per source."""

    def __init__(
        self, db: Database, settings: Settings, availability: AvailabilityMetric | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self._availability = availability

    def check(self, source: str) -> None:
        """Refuse a source that names no metric, or a desk or service that is not configured."""
        name, argument = split_source(source)
        if name == AVAILABILITY:
            services = [s.id for s in self.settings.services]
            if argument not in services:
                raise InvalidInput(
                    f"source {source!r}: no service {argument!r}; the services are {', '.join(services)}"
                )
            return
        metric = METRICS.get(name)
        if metric is None:
            raise InvalidInput(
                f"source {source!r}: no metric {name!r}; the metrics are "
                f"{', '.join(sorted(METRIC_NAMES))}, or manual"
            )
        if argument not in self.settings.desks:
            raise InvalidInput(
                f"source {source!r}: {metric.name} needs a desk after the colon "
                f"({', '.join(f'{metric.name}:{d}' for d in self.settings.desks)})"
            )

    def series(self, source: str, periods: Sequence[Period]) -> Series:
        self.check(source)
        name, argument = split_source(source)
        wanted = list(periods)
        if name == AVAILABILITY:
            return {} if self._availability is None else self._availability.availability(argument, wanted)
        months = [str(p) for p in wanted]
        with self.db.read() as session:
            found = METRICS[name].compute(session, argument, months)
        return {Period.parse(m): measure for m, measure in found.items()}

    def over(self, source: str, days: DayRange) -> Measure | None:
        """The same figure over a span of local days, for stats on request: each metric's one definition
        with its month filter given way to the days (`storage.metrics.Days`). None: nothing measured."""
        self.check(source)
        name, argument = split_source(source)
        if name == AVAILABILITY:
            found = self.availability_over(argument, days)
            return None if found is None else found.measure
        span = self.days(days)
        with self.db.read() as session:
            return METRICS[name].compute(session, argument, span).get(span.label)

    def availability_over(self, service: str, days: DayRange) -> ServiceAvailability | None:
        """A service's availability over the days, with its downtime and planned maintenance."""
        return None if self._availability is None else self._availability.over(service, days)

    def days(self, days: DayRange) -> sql.Days:
        start, end = days.bounds(self.settings.tz)
        return sql.Days(days.first.isoformat(), days.last.isoformat(), start, end)

    def note(self, source: str, period: Period) -> str | None:
        """Beside an availability figure: its downtime, and planned maintenance (agreed in advance, so not
        downtime) when there was some. Nothing for other sources."""
        name, argument = split_source(source)
        if name != AVAILABILITY or self._availability is None:
            return None
        found = self._availability.detail(argument, [period]).get(period)
        if found is None or found.measure.value is None:
            return None
        parts = []
        if found.downtime_seconds:
            parts.append(f"downtime {_hours(found.downtime_seconds)}")
        if found.planned_seconds:
            parts.append(f"planned maintenance {_hours(found.planned_seconds)}, not counted")
        return "; ".join(parts) or None

    # -- figures that are not KPI sources: the desk's own view --------------------------------------
    def volumes(self, desk: str, period: Period | DayRange, by: str) -> list[tuple[str, int]]:
        span = self.days(period) if isinstance(period, DayRange) else str(period)
        with self.db.read() as session:
            return sql.volumes(session, desk, span, by)

    def backlog(self, desk: str, periods: Sequence[Period]) -> dict[Period, int]:
        """Tickets open at the end of each period."""
        tz = self.settings.tz
        ends = [p.bounds(tz)[1] for p in periods]
        with self.db.read() as session:
            counts = sql.backlog_at(session, desk, ends)
        return dict(zip(periods, counts, strict=True))

    def ageing(self, desk: str, now: datetime) -> list[tuple[str, int]]:
        with self.db.read() as session:
            return sql.ageing(session, desk, now)

    def backlog_at(self, desk: str, at: datetime) -> int:
        """Tickets open at one instant, as `backlog` counts them at a month's end."""
        with self.db.read() as session:
            return sql.backlog_at(session, desk, [at])[0]

    def oldest_open(self, desk: str, limit: int = 5) -> list[sql.OpenTicket]:
        with self.db.read() as session:
            return sql.oldest_open(session, desk, limit)

    def calls_by_line(self, desk: str, period: Period) -> list[tuple[str, int, int]]:
        with self.db.read() as session:
            return sql.calls_by_line(session, desk, str(period))


@dataclass(frozen=True)
class Figure:
    name: str
    description: str
    measure: Measure | None


@dataclass(frozen=True)
class DeskFigures:
    """Every figure of one desk for one month, with the counts behind each rate (its denominator stated),
    and the desk's work in hand: what `servicebot metrics` prints and the stats of the next issue show."""

    desk: str
    period: Period
    figures: tuple[Figure, ...]
    backlog_at_end: int
    ageing_now: tuple[tuple[str, int], ...]
    by_intent: tuple[tuple[str, int], ...]
    by_queue: tuple[tuple[str, int], ...]
    by_channel: tuple[tuple[str, int], ...]
    calls_by_line: tuple[tuple[str, int, int], ...]


def desk_figures(metrics: MetricsService, desk: str, period: Period, now: datetime) -> DeskFigures:
    figures = tuple(
        Figure(m.name, m.description, metrics.series(f"{m.name}:{desk}", [period]).get(period))
        for m in METRICS.values()
    )
    return DeskFigures(
        desk=desk,
        period=period,
        figures=figures,
        backlog_at_end=metrics.backlog(desk, [period])[period],
        ageing_now=tuple(metrics.ageing(desk, now)),
        by_intent=tuple(metrics.volumes(desk, period, "intent")),
        by_queue=tuple(metrics.volumes(desk, period, "queue")),
        by_channel=tuple(metrics.volumes(desk, period, "source")),
        calls_by_line=tuple(metrics.calls_by_line(desk, period)),
    )
