"""Dashboards built by hand for the renderers' tests: figures from the council's published December 2016
dashboard (ICT and Finance), with every case a renderer must show: GREEN, AMBER and RED rows, a suspended
and an unpublished row, a lower-is-better KPI, a figure from an earlier month, trends with gaps, commentary
given and commentary missing, activity indicators in, above and below their range and without one, and
each unit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from servicebot.domain.kpis import (
    ActivityRow,
    Commentary,
    Dashboard,
    Dot,
    Frequency,
    InRange,
    KpiDefinition,
    KpiKind,
    KpiRow,
    Polarity,
    Rag,
    ServiceArea,
    Thresholds,
    Unit,
)
from servicebot.domain.periods import Period, span

PERIOD = Period(2016, 12)
GENERATED = datetime(2017, 1, 9, 9, 5, tzinfo=UTC)
ICT = ("ICT (Infrastructure)", "Rebecca Spore", "Peter Oakford", "Cantium Business Solutions")
FINANCE = ("Finance and Procurement", "Andy Wood", "John Simmonds", "Finance")


def definition(
    ref: str,
    description: str,
    area: tuple[str, str, str, str] = ICT,
    *,
    unit: Unit = Unit.PERCENT,
    polarity: Polarity = Polarity.HIGHER_IS_BETTER,
    frequency: Frequency = Frequency.MONTHLY,
    kind: KpiKind = KpiKind.KPI,
    decimals: int = 0,
    suspended: bool = False,
    target: float | None = None,
    floor: float | None = None,
    upper: float | None = None,
    lower: float | None = None,
) -> KpiDefinition:
    name, director, cabinet_member, delivery_by = area
    return KpiDefinition(
        ref=ref,
        description=description,
        service_area=name,
        unit=unit,
        polarity=polarity,
        frequency=frequency,
        kind=kind,
        source="manual",
        thresholds=Thresholds(target=target, floor=floor, upper=upper, lower=lower),
        director=director,
        cabinet_member=cabinet_member,
        delivery_by=delivery_by,
        desk="ict",
        suspended=suspended,
        decimals=decimals,
    )


def trend(*values: float | None, last: Period = PERIOD) -> tuple[tuple[Period, float | None], ...]:
    months = span(last.shift(1 - len(values)), last)
    return tuple(zip(months, values, strict=True))


def kpi(
    d: KpiDefinition,
    value: float | None,
    rag: Rag | None,
    dot: Dot | None,
    ytd: float | None,
    ytd_rag: Rag | None,
    previous_year: float | None,
    *,
    shown: Period | None = PERIOD,
    months: tuple[tuple[Period, float | None], ...] = (),
    commentary: Commentary | None = None,
) -> KpiRow:
    return KpiRow(
        definition=d,
        shown=shown if value is not None else None,
        value=value,
        rag=rag,
        dot=dot,
        ytd=ytd,
        ytd_rag=ytd_rag,
        target=d.thresholds.target,
        floor=d.thresholds.floor,
        previous_year=previous_year,
        trend=months,
        commentary=commentary,
    )


def activity(
    d: KpiDefinition,
    value: float | None,
    ytd: float | None,
    in_range: InRange | None,
    previous_year: float | None,
    *,
    months: tuple[tuple[Period, float | None], ...] = (),
) -> ActivityRow:
    return ActivityRow(
        definition=d,
        shown=PERIOD if value is not None else None,
        value=value,
        ytd=ytd,
        in_expected_range=in_range,
        upper=d.thresholds.upper,
        lower=d.thresholds.lower,
        previous_year=previous_year,
        trend=months,
    )


def comment(ref: str, cause: str, action: str, recovery: date | None) -> Commentary:
    return Commentary(
        ref=ref,
        period=PERIOD,
        cause=cause,
        action=action,
        recovery=recovery,
        by="U0MANAGER1",
        at=datetime(2017, 1, 6, 16, 0, tzinfo=UTC),
    )


ICT01 = definition(
    "ICT01", "Calls to ICT Help Desk resolved at the first point of contact", target=70, floor=65
)
ICT02 = definition("ICT02", "Positive feedback rating with the ICT help desk", target=95, floor=90)
ICT04 = definition(
    "ICT04",
    "Working hours where ICT Services are available to KCC staff",
    decimals=1,
    target=99.0,
    floor=98.0,
)
ICT06 = definition(
    "ICT06",
    "Average time to fix incidents",
    unit=Unit.HOURS,
    polarity=Polarity.LOWER_IS_BETTER,
    decimals=1,
    target=19,
    floor=24,
)
ICT07 = definition(
    "ICT07",
    "Average telephone wait time",
    unit=Unit.SECONDS,
    polarity=Polarity.LOWER_IS_BETTER,
    target=50,
    floor=90,
)
ICT08 = definition("ICT08", "Staff ICT audits completed", suspended=True, target=90, floor=80)
ICT01B = definition(
    "ICT01b", "Calls to ICT Help Desk", unit=Unit.COUNT, kind=KpiKind.ACTIVITY, upper=80_000, lower=60_000
)
ICT02B = definition(
    "ICT02b", "Feedback responses provided for ICT Help Desk", unit=Unit.COUNT, kind=KpiKind.ACTIVITY
)
FP05 = definition(
    "FP05",
    "Percentage of sundry debt due to KCC under 60 days old",
    FINANCE,
    frequency=Frequency.SNAPSHOT,
    target=75,
    floor=57,
)
PI01 = definition(
    "PI01",
    "Percentage of rent outstanding",
    FINANCE,
    polarity=Polarity.LOWER_IS_BETTER,
    frequency=Frequency.SNAPSHOT,
    target=5,
    floor=15,
)
HR11 = definition(
    "HR11", "Staff survey engagement score", FINANCE, frequency=Frequency.ANNUAL, target=65, floor=60
)
FP05B = definition(
    "FP05b", "Value of debt due to KCC (£m)", FINANCE, unit=Unit.CURRENCY, kind=KpiKind.ACTIVITY, decimals=1
)
CS08 = definition(
    "CS08",
    "Number of calls answered by Contact Point",
    FINANCE,
    unit=Unit.COUNT,
    kind=KpiKind.ACTIVITY,
    upper=633_350,
    lower=530_000,
)

ICT_KPIS = (
    kpi(
        ICT01,
        69,
        Rag.AMBER,
        Dot.FELL,
        70,
        Rag.GREEN,
        71,
        months=trend(72, 71, 70, 71, 72, 70, 69, 71, 70, 71, 70, 69),
        commentary=comment(
            "ICT01",
            "More complex profile and exchange issues required escalation to the 2nd line.",
            "Knowledge articles for the top five escalations; 1st line trained to fix them.",
            date(2017, 2, 28),
        ),
    ),
    kpi(ICT02, 99, Rag.GREEN, Dot.UNCHANGED, 99, Rag.GREEN, 98, months=trend(*[98, 99] * 6)),
    kpi(
        ICT04,
        97.4,
        Rag.RED,
        Dot.FELL,
        99.2,
        Rag.GREEN,
        99.1,
        months=trend(99.5, 99.8, None, 99.1, 99.6, 99.7, 99.9, 99.4, 99.3, None, 98.9, 97.4),
    ),
    kpi(
        ICT06,
        18.5,
        Rag.GREEN,
        Dot.IMPROVED,
        19.6,
        Rag.AMBER,
        20.4,
        months=trend(21.0, 20.2, 19.9, 20.5, 19.1, 18.7, 19.4, 20.1, 19.8, 19.0, 18.9, 18.5),
    ),
    kpi(ICT07, 43, Rag.GREEN, Dot.IMPROVED, 47, Rag.GREEN, 52, months=trend(55, 51, 48, 46, 44, 43)),
    kpi(ICT08, None, None, None, None, None, 88, months=trend(*[None] * 12)),
)
ICT_ACTIVITY = (
    activity(ICT01B, 5_321, 51_051, InRange.BELOW, 43_283, months=trend(*[5_800, 6_100, 5_400] * 4)),
    activity(ICT02B, 804, 7_245, None, 4_908),
)
FINANCE_KPIS = (
    kpi(FP05, 69, Rag.AMBER, Dot.FELL, None, None, 78, months=trend(78, 74, 72, 69)),
    kpi(
        PI01,
        48,
        Rag.RED,
        Dot.IMPROVED,
        None,
        None,
        3,
        months=trend(60, 55, None, 52, 48),
        commentary=comment(
            "PI01",
            "Two tenants in dispute over service charges.",
            "Legal action started; payment plan offered.",
            None,
        ),
    ),
    kpi(HR11, 74, Rag.GREEN, None, None, None, 64, shown=Period(2016, 3), months=()),
)
FINANCE_ACTIVITY = (
    activity(FP05B, 19.1, None, None, 28.6),
    activity(CS08, 52_100, 504_050, InRange.BELOW, 561_800),
)


def area(
    details: tuple[str, str, str, str], kpis: tuple[KpiRow, ...], acts: tuple[ActivityRow, ...]
) -> ServiceArea:
    name, director, cabinet_member, delivery_by = details
    return ServiceArea(name, director, cabinet_member, delivery_by, kpis, acts)


def sample_dashboard() -> Dashboard:
    return Dashboard(
        title="Strategic and Corporate Services Performance Dashboard",
        period=PERIOD,
        desk="all",
        generated_at=GENERATED,
        areas=(area(ICT, ICT_KPIS, ICT_ACTIVITY), area(FINANCE, FINANCE_KPIS, FINANCE_ACTIVITY)),
    )


HOSTILE = "<script>alert('owned')</script>"


def hostile_dashboard() -> Dashboard:
    """Text from definitions and people that tries to become markup or a spreadsheet formula."""
    bad = replace(ICT01, ref="ICT<b>01</b>", description=f'{HOSTILE} =HYPERLINK("http://x") | **bold**')
    row = replace(
        ICT_KPIS[0],
        definition=bad,
        commentary=comment("ICT01", f'"><img src=x onerror=alert(1)>{HOSTILE}', "=1+1", None),
    )
    hostile_area = ServiceArea(
        "ICT & <Infrastructure>", "Rebecca <i>Spore</i>", "@Peter", "-Cantium", (row,), ()
    )
    return replace(sample_dashboard(), title=f"Dashboard {HOSTILE}", areas=(hostile_area,))
