"""The council's rules for rating a KPI figure, as pure functions: RAG, year to date, direction of travel,
an activity indicator's expected range, the previous year's figure, and a dashboard row built from them.

Every comparison is made on the **published figure**: the value rounded to the KPI's published precision
(`KpiDefinition.decimals`, half away from zero), because that is what the committee reads and checks. A
value of 69.96% printed as "70%" against a target of 70% is GREEN, not an AMBER row showing a figure that
meets its target; an availability of 98.99999999% that division made of an exact 99% is 99.0%. Thresholds
are compared at the same precision (the definitions loader refuses a threshold finer than it).

Which figure is which:
- *shown*: the latest month up to and including the dashboard's period with a published figure (a value,
  or a year-to-date figure alone), no further back than 12 months, 24 for an annual figure (the year's
  figure stays the latest until the next is published): "or the latest available month".
- *year to date*: the financial year (April to March) up to the shown month. A published YTD figure is used
  as given; otherwise rates and averages are the sum of numerators over the sum of denominators (never an
  average of monthly percentages: a month without its counts makes the YTD unknown), counts and money are
  summed. Snapshot and annual measures have no YTD.
- *previous period*: the month before (monthly, snapshot), the quarter before (quarterly), the year before
  (annual). DoT compares the shown value with the value published for exactly that period; none, no DoT.
- *previous year*: the same figure a year before the shown month: its YTD for flow measures (monthly,
  quarterly); for snapshot and annual measures, which have no YTD, a year-to-date figure published for that
  month if there is one (a year's figure published on its own), else its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal

from servicebot.domain.kpis import (
    ActivityRow,
    Commentary,
    Dot,
    Frequency,
    InRange,
    KpiDefinition,
    KpiRow,
    Measure,
    Polarity,
    Rag,
    Unit,
)
from servicebot.domain.periods import Period, span

Series = Mapping[Period, Measure]
# How far back "the latest available month" may reach: a figure older than a year is not this year's news.
LOOKBACK_MONTHS = 12
# An annual figure is filed under March and stays the latest until the next year's is published, which
# can be months after that year ends: the last two Marches are within reach.
ANNUAL_LOOKBACK_MONTHS = 24
TREND_MONTHS = 12
# Units whose year to date is the sum of the months; the others are rates or averages (n/d).
SUMMED_UNITS = frozenset({Unit.COUNT, Unit.CURRENCY})
# Enough digits for any finite float at any published precision (the default 28 would refuse 1e30 at 4
# places rather than round it).
_EXACT = Context(prec=400)


def published(value: float, decimals: int) -> Decimal:
    """The figure as printed at `decimals` places, half away from zero. Rounded to 9 places first so that
    float noise from division (98.44999999999999 for 98.45) cannot tip a half the wrong way."""
    exact = Decimal(repr(round(value, 9)))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_EXACT)


def _beats_or_meets(value: Decimal, bar: Decimal, polarity: Polarity) -> bool:
    return value >= bar if polarity is Polarity.HIGHER_IS_BETTER else value <= bar


def rag(
    value: float | None, target: float | None, floor: float | None, polarity: Polarity, decimals: int = 0
) -> Rag | None:
    """GREEN meets or beats the target, AMBER misses it but meets or beats the floor, RED misses the floor;
    exactly on target is GREEN, exactly on the floor AMBER. None without a value or thresholds."""
    if value is None or target is None or floor is None:
        return None
    shown = published(value, decimals)
    if _beats_or_meets(shown, published(target, decimals), polarity):
        return Rag.GREEN
    if _beats_or_meets(shown, published(floor, decimals), polarity):
        return Rag.AMBER
    return Rag.RED


def direction(
    current: float | None, previous: float | None, polarity: Polarity, decimals: int = 0
) -> Dot | None:
    """Performance against the previous period: a lower-is-better figure that falls has improved; figures
    equal at the published precision are unchanged. None unless both are known."""
    if current is None or previous is None:
        return None
    now, before = published(current, decimals), published(previous, decimals)
    if now == before:
        return Dot.UNCHANGED
    better = now > before if polarity is Polarity.HIGHER_IS_BETTER else now < before
    return Dot.IMPROVED if better else Dot.FELL


def expected_range(
    figure: float | None, upper: float | None, lower: float | None, decimals: int = 0
) -> InRange | None:
    """Above the upper threshold, below the lower, or Yes (on a threshold is inside). None without a figure
    or without any threshold: such an indicator is shown against the previous year only."""
    if figure is None or (upper is None and lower is None):
        return None
    shown = published(figure, decimals)
    if upper is not None and shown > published(upper, decimals):
        return InRange.ABOVE
    if lower is not None and shown < published(lower, decimals):
        return InRange.BELOW
    return InRange.YES


def is_flow(definition: KpiDefinition) -> bool:
    """Monthly and quarterly figures accumulate over the year; snapshot and annual ones do not."""
    return definition.frequency in (Frequency.MONTHLY, Frequency.QUARTERLY)


def previous_period(definition: KpiDefinition, period: Period) -> Period:
    """The period DoT compares with: a quarterly figure with the quarter before, an annual one with the year
    before, monthly and snapshot figures with the month before."""
    months = {Frequency.QUARTERLY: 3, Frequency.ANNUAL: 12}.get(definition.frequency, 1)
    return period.shift(-months)


def value_at(series: Series, period: Period) -> float | None:
    measure = series.get(period)
    return None if measure is None else measure.value


def year_to_date(
    definition: KpiDefinition, series: Series, published_ytd: Mapping[Period, float], at: Period
) -> float | None:
    """The financial year to date up to `at` (see the module's docstring); None for snapshot and annual
    measures, and where it cannot be told honestly."""
    if not is_flow(definition):
        return None
    if at in published_ytd:
        return published_ytd[at]
    months = [series[p] for p in at.year_to_date() if p in series]
    if definition.unit in SUMMED_UNITS:
        values = [m.value for m in months if m.value is not None]
        return float(sum(values)) if values else None
    numerator = denominator = 0.0
    counted = False
    for measure in months:
        if measure.numerator is None or measure.denominator is None:
            if measure.value is not None:
                return None  # a month known only as a rate cannot be weighted; averaging would mislead
            continue
        numerator += measure.numerator
        denominator += measure.denominator
        counted = True
    if not counted or denominator == 0:
        return None
    ratio = numerator / denominator
    return 100.0 * ratio if definition.unit is Unit.PERCENT else ratio


def previous_year(
    definition: KpiDefinition, series: Series, published_ytd: Mapping[Period, float], shown: Period
) -> float | None:
    """The same figure a year before the shown month (see the module's docstring)."""
    then = shown.year_earlier
    if is_flow(definition):
        return year_to_date(definition, series, published_ytd, then)
    if then in published_ytd:
        return published_ytd[then]
    return value_at(series, then)


def lookback(definition: KpiDefinition) -> int:
    return ANNUAL_LOOKBACK_MONTHS if definition.frequency is Frequency.ANNUAL else LOOKBACK_MONTHS


def latest_published(
    series: Series, published_ytd: Mapping[Period, float], period: Period, months: int = LOOKBACK_MONTHS
) -> Period | None:
    """The latest month up to and including `period`, within `months`, with a value or a YTD figure."""
    for candidate in reversed(span(period.shift(-(months - 1)), period)):
        if value_at(series, candidate) is not None or candidate in published_ytd:
            return candidate
    return None


def trend(series: Series, period: Period) -> tuple[tuple[Period, float | None], ...]:
    """The last 12 months' values up to `period`, oldest first (None where nothing was published)."""
    return tuple((p, value_at(series, p)) for p in span(period.shift(-(TREND_MONTHS - 1)), period))


def months_needed(period: Period) -> list[Period]:
    """Every month a row for `period` can look at: the lookback, then a year before that for the previous
    year's figure (and, for flow measures, the financial year to date behind it)."""
    flow = period.shift(-(LOOKBACK_MONTHS - 1)).year_earlier.financial_year_start
    annual = period.shift(-(ANNUAL_LOOKBACK_MONTHS - 1)).year_earlier
    return span(min(flow, annual), period)


def kpi_row(
    definition: KpiDefinition,
    series: Series,
    published_ytd: Mapping[Period, float],
    period: Period,
    commentary: Commentary | None = None,
) -> KpiRow:
    """One KPI on the dashboard for `period`. A suspended KPI keeps its figures but gets no RAG."""
    shown = latest_published(series, published_ytd, period, lookback(definition))
    thresholds = definition.thresholds_for(shown or period)
    polarity, decimals = definition.polarity, definition.decimals
    if shown is None:
        value = ytd = before = last_year = None
        measure = None
    else:
        value = value_at(series, shown)
        measure = series.get(shown)
        ytd = year_to_date(definition, series, published_ytd, shown)
        before = value_at(series, previous_period(definition, shown))
        last_year = previous_year(definition, series, published_ytd, shown)
    rated = not definition.suspended
    return KpiRow(
        definition=definition,
        shown=shown,
        value=value,
        rag=rag(value, thresholds.target, thresholds.floor, polarity, decimals) if rated else None,
        dot=direction(value, before, polarity, decimals),
        ytd=ytd,
        ytd_rag=rag(ytd, thresholds.target, thresholds.floor, polarity, decimals) if rated else None,
        target=thresholds.target,
        floor=thresholds.floor,
        previous_year=last_year,
        measure=measure,
        trend=trend(series, period),
        commentary=commentary,
    )


def needs_commentary(row: KpiRow) -> bool:
    """The committee wants the owner's cause and action on every AMBER or RED figure, month or YTD."""
    return row.rag in (Rag.AMBER, Rag.RED) or row.ytd_rag in (Rag.AMBER, Rag.RED)


def activity_row(
    definition: KpiDefinition, series: Series, published_ytd: Mapping[Period, float], period: Period
) -> ActivityRow:
    """One activity indicator: its expected range is tested against the year-to-date total for flow
    measures and against the period's own value for snapshot (and annual) ones. Suspended: no alert."""
    shown = latest_published(series, published_ytd, period, lookback(definition))
    thresholds = definition.thresholds_for(shown or period)
    if shown is None:
        value = ytd = last_year = None
    else:
        value = value_at(series, shown)
        ytd = year_to_date(definition, series, published_ytd, shown)
        last_year = previous_year(definition, series, published_ytd, shown)
    figure = ytd if is_flow(definition) else value
    upper, lower = thresholds.upper, thresholds.lower
    if definition.range_months and is_flow(definition) and shown is not None:
        # The range is for `range_months` of the year: scaled to the months this year to date covers.
        share = len(shown.year_to_date()) / definition.range_months
        upper = None if upper is None else upper * share
        lower = None if lower is None else lower * share
    in_range = None if definition.suspended else expected_range(figure, upper, lower, definition.decimals)
    return ActivityRow(
        definition=definition,
        shown=shown,
        value=value,
        ytd=ytd,
        in_expected_range=in_range,
        upper=upper,
        lower=lower,
        previous_year=last_year,
        trend=trend(series, period),
    )
