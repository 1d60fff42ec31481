"""KPIs as the council defines them, and the dashboard they make. Data only; the rules that rate a
figure (RAG, direction of travel, year to date, expected range) live in `domain/kpi_rules.py`.

A figure is a `Measure`: its value and, where it is a rate or an average, the counts behind it, so a
year-to-date figure is the sum of numerators over the sum of denominators, never an average of monthly
percentages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from servicebot.domain.periods import Period


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    SNAPSHOT = "snapshot"


class KpiKind(StrEnum):
    KPI = "kpi"
    ACTIVITY = "activity"


class Unit(StrEnum):
    PERCENT = "percent"  # in percent, as published: 72.3 means 72.3%
    COUNT = "count"
    SECONDS = "seconds"
    HOURS = "hours"
    CURRENCY = "currency"


class Rag(StrEnum):
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"


class Dot(StrEnum):
    IMPROVED = "improved"
    FELL = "fell"
    UNCHANGED = "unchanged"


class InRange(StrEnum):
    YES = "Yes"
    ABOVE = "Above"
    BELOW = "Below"


@dataclass(frozen=True)
class Measure:
    """One figure. `numerator`/`denominator` are set for rates and averages (value = 100·n/d for a
    percentage, n/d for an average); a count or a figure published elsewhere may carry the value alone."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """A KPI's target and floor (KPIs), or an activity indicator's expected range, for one financial year."""

    target: float | None = None
    floor: float | None = None
    upper: float | None = None
    lower: float | None = None


@dataclass(frozen=True)
class KpiDefinition:
    ref: str
    description: str
    service_area: str
    unit: Unit
    polarity: Polarity
    frequency: Frequency
    kind: KpiKind
    source: str  # a named metric (`fcr:ict`, `availability:email`, `calls_answered:contact`) or `manual`
    thresholds: Thresholds
    # Financial-year label (`2017/18`) -> thresholds that replace the default ones for that year.
    thresholds_by_year: dict[str, Thresholds] = field(default_factory=dict)
    director: str = ""
    cabinet_member: str = ""
    delivery_by: str = ""
    owners: tuple[str, ...] = ()  # Slack user ids pinged on a breach (the next issue)
    desk: str | None = None  # the desk a `--desk` dashboard shows it for; None: only on `--desk all`
    suspended: bool = False
    urgent: bool = False  # a breach alert is not held for working hours
    decimals: int = 0  # the published precision: DoT calls equal figures at this precision "unchanged"
    # A flow activity's expected range covers this many months of the financial year (the council prints
    # April to December's); a year to date of fewer or more months is tested against the range scaled to
    # its months. None: the range is tested as given.
    range_months: int | None = None

    def thresholds_for(self, period: Period) -> Thresholds:
        return self.thresholds_by_year.get(period.financial_year_label, self.thresholds)

    @property
    def is_activity(self) -> bool:
        return self.kind is KpiKind.ACTIVITY


@dataclass(frozen=True)
class Commentary:
    """The owner's explanation of an AMBER or RED figure, as the committee requires for every such row."""

    ref: str
    period: Period
    cause: str
    action: str
    recovery: date | None
    by: str
    at: datetime


@dataclass(frozen=True)
class KpiRow:
    """One KPI on the dashboard. `shown` is the month of the latest value up to the dashboard's period
    ("or the latest available month"); None when nothing was ever published."""

    definition: KpiDefinition
    shown: Period | None
    value: float | None
    rag: Rag | None
    dot: Dot | None
    ytd: float | None
    ytd_rag: Rag | None
    target: float | None
    floor: float | None
    previous_year: float | None
    measure: Measure | None = None
    trend: tuple[tuple[Period, float | None], ...] = ()  # the last 12 months, oldest first
    commentary: Commentary | None = None
    # What the committee reads beside the figure, e.g. an availability's downtime and the planned
    # maintenance that is not counted as downtime.
    note: str | None = None


@dataclass(frozen=True)
class ActivityRow:
    definition: KpiDefinition
    shown: Period | None
    value: float | None
    ytd: float | None
    in_expected_range: InRange | None
    upper: float | None
    lower: float | None
    previous_year: float | None
    trend: tuple[tuple[Period, float | None], ...] = ()


@dataclass(frozen=True)
class ServiceArea:
    name: str
    director: str
    cabinet_member: str
    delivery_by: str
    kpis: tuple[KpiRow, ...]
    activity: tuple[ActivityRow, ...]

    def rag_counts(self) -> dict[Rag | None, int]:
        """How many KPIs are GREEN, AMBER, RED, and without a RAG (suspended or unpublished)."""
        counts: dict[Rag | None, int] = {Rag.GREEN: 0, Rag.AMBER: 0, Rag.RED: 0, None: 0}
        for row in self.kpis:
            counts[row.rag] += 1
        return counts


@dataclass(frozen=True)
class Dashboard:
    title: str
    period: Period
    desk: str  # a desk id, or "all"
    generated_at: datetime
    areas: tuple[ServiceArea, ...]

    @property
    def kpis(self) -> list[KpiRow]:
        return [row for area in self.areas for row in area.kpis]

    def rag_counts(self) -> dict[Rag | None, int]:
        """The RAG summary's last line: every service area's KPIs together."""
        counts: dict[Rag | None, int] = {Rag.GREEN: 0, Rag.AMBER: 0, Rag.RED: 0, None: 0}
        for area in self.areas:
            for rag, n in area.rag_counts().items():
                counts[rag] += n
        return counts

    @property
    def activity(self) -> list[ActivityRow]:
        return [row for area in self.areas for row in area.activity]
