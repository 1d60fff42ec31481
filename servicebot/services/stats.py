"""Stats on request: a desk's figures over a span of local days, for managers, with the desk's KPIs as the
dashboard rates them.

Every figure is the metric registry's own (`services.metrics.METRICS` and availability), computed over the
days instead of a month (`MetricsService.over`): one definition per figure, so a whole month asked for
as days gives the month's figures exactly. KPIs are rated monthly, so a range shows the KPIs of the month
it ends in, from the dashboard engine (`KpiService.dashboard`), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicebot.config import Settings
from servicebot.domain.clock import Clock
from servicebot.domain.days import DayRange, When, days_of
from servicebot.domain.kpis import KpiRow, Measure, Rag
from servicebot.domain.periods import Period
from servicebot.services.actors import Actor, Permission, require
from servicebot.services.kpis import KpiService
from servicebot.services.metrics import METRICS, Figure, MetricsService
from servicebot.storage.metrics import OpenTicket

OLDEST_SHOWN = 5


@dataclass(frozen=True)
class ServiceFigure:
    """A service's availability over the days, with its downtime and planned maintenance (not downtime)."""

    service: str
    title: str
    measure: Measure | None
    downtime_seconds: float = 0.0
    planned_seconds: float = 0.0


@dataclass(frozen=True)
class DeskStats:
    desk: str
    desk_title: str
    days: DayRange
    asked: str  # what was asked for, as typed: "today", "week", "2016-12"
    to_date: bool  # the span was cut short at today
    figures: tuple[Figure, ...]  # every metric of the registry over the days (None: nothing measured)
    availability: tuple[ServiceFigure, ...]
    backlog: int  # open at `backlog_at`: the end of the days, or now if they have not ended
    backlog_at: datetime
    ageing: tuple[tuple[str, int], ...]  # open now, by age
    oldest: tuple[OpenTicket, ...]  # open now, oldest first
    by_channel: tuple[tuple[str, int], ...]  # contacts logged over the days
    kpi_month: Period  # the month whose KPIs are shown: the one the days end in
    kpis: tuple[KpiRow, ...]
    headline: KpiRow | None  # the KPI the trend chart is of: the first RED, else AMBER, else the first
    generated_at: datetime

    def figure(self, name: str) -> Measure | None:
        for found in self.figures:
            if found.name == name:
                return found.measure
        raise KeyError(name)

    @property
    def kpis_are_the_days(self) -> bool:
        """True when the days are the KPIs' whole month; otherwise the answer says whose KPIs it shows."""
        return self.days.whole_month == self.kpi_month


@dataclass(frozen=True)
class Chart:
    ref: str
    period: Period
    filename: str
    title: str
    png: bytes


def headline(rows: tuple[KpiRow, ...]) -> KpiRow | None:
    """The KPI most in need of attention: the first RED, else the first AMBER, else the first KPI."""
    for rag in (Rag.RED, Rag.AMBER):
        for row in rows:
            if row.rag is rag:
                return row
    return rows[0] if rows else None


def why_headline(row: KpiRow) -> str:
    if row.rag is Rag.RED:
        return "the first KPI rated RED"
    if row.rag is Rag.AMBER:
        return "the first KPI rated AMBER; none is RED"
    return "the desk's first KPI; none is RED or AMBER"


class StatsService:
    def __init__(self, settings: Settings, clock: Clock, metrics: MetricsService, kpis: KpiService) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.kpis = kpis

    def desk_stats(self, actor: Actor, when: When, asked: str, desk: str | None = None) -> DeskStats:
        """The desk's stats over the days `when` means today (the default desk if none is named)."""
        require(actor, Permission.VIEW_STATS)
        known = self.settings.desk(desk) if desk else self.settings.default_desk
        now = self.clock()
        days, to_date = days_of(when, now.astimezone(self.settings.tz).date())
        return self.over(known.id, days, asked, to_date, now)

    def over(self, desk: str, days: DayRange, asked: str, to_date: bool, now: datetime) -> DeskStats:
        """The figures themselves, with no role check: for callers that have made it (a digest the
        configuration sends to a channel)."""
        known = self.settings.desk(desk)
        figures = tuple(
            Figure(m.name, m.description, self.metrics.over(f"{m.name}:{known.id}", days))
            for m in METRICS.values()
        )
        availability = []
        for service in self.settings.services:
            found = self.metrics.availability_over(service.id, days)
            availability.append(
                ServiceFigure(
                    service.id,
                    service.title,
                    None if found is None else found.measure,
                    0.0 if found is None else found.downtime_seconds,
                    0.0 if found is None else found.planned_seconds,
                )
            )
        _, end = days.bounds(self.settings.tz)
        backlog_at = min(end, now)
        dashboard = self.kpis.dashboard(days.month, known.id)
        rows = tuple(dashboard.kpis)
        return DeskStats(
            desk=known.id,
            desk_title=known.title,
            days=days,
            asked=asked,
            to_date=to_date,
            figures=figures,
            availability=tuple(availability),
            backlog=self.metrics.backlog_at(known.id, backlog_at),
            backlog_at=backlog_at,
            ageing=tuple(self.metrics.ageing(known.id, now)),
            oldest=tuple(self.metrics.oldest_open(known.id, OLDEST_SHOWN)),
            by_channel=tuple(self.metrics.volumes(known.id, days, "source")),
            kpi_month=days.month,
            kpis=rows,
            headline=headline(rows),
            generated_at=now,
        )

    def chart(self, stats: DeskStats) -> Chart | None:
        """The headline KPI's 12-month trend up to the KPIs' month, as `servicebot chart` draws it."""
        if stats.headline is None:
            return None
        # matplotlib takes a second to import: only when a chart is drawn.
        from servicebot.reports.chart import render_png, title

        ref = stats.headline.definition.ref
        row = self.kpis.row(ref, stats.kpi_month)
        return Chart(ref, stats.kpi_month, f"{ref}-{stats.kpi_month}.png", title(row), render_png(row))
