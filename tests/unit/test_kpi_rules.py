"""The council's rules for a KPI figure: RAG, DoT, year to date, expected range, previous year, and the
dashboard rows built from them. Pure functions, no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.domain import kpi_rules as rules
from servicebot.domain.kpis import (
    Dot,
    Frequency,
    InRange,
    KpiDefinition,
    KpiKind,
    Measure,
    Polarity,
    Rag,
    Thresholds,
    Unit,
)
from servicebot.domain.periods import Period

HIGHER, LOWER = Polarity.HIGHER_IS_BETTER, Polarity.LOWER_IS_BETTER
DEC = Period(2016, 12)


def kpi(**changes: object) -> KpiDefinition:
    base = KpiDefinition(
        ref="ICT01",
        description="FCR",
        service_area="ICT",
        unit=Unit.PERCENT,
        polarity=HIGHER,
        frequency=Frequency.MONTHLY,
        kind=KpiKind.KPI,
        source="manual",
        thresholds=Thresholds(target=70, floor=65),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def activity(**changes: object) -> KpiDefinition:
    return kpi(
        ref="CS08",
        kind=KpiKind.ACTIVITY,
        unit=Unit.COUNT,
        thresholds=Thresholds(upper=600, lower=500),
        **changes,
    )


# -- RAG ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [(75, Rag.GREEN), (70, Rag.GREEN), (69, Rag.AMBER), (65, Rag.AMBER), (64, Rag.RED), (0, Rag.RED)],
)
def test_rag_higher_is_better_on_target_is_green_on_floor_is_amber(value: float, expected: Rag) -> None:
    assert rules.rag(value, 70, 65, HIGHER) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, Rag.GREEN), (15, Rag.GREEN), (16, Rag.AMBER), (20, Rag.AMBER), (21, Rag.RED)],
)
def test_rag_lower_is_better_debt_over_six_months(value: float, expected: Rag) -> None:
    """Debt over 6 months old: target 15%, floor 20%: falling below the target beats it."""
    assert rules.rag(value, 15, 20, LOWER) is expected


def test_no_rag_without_a_value_or_thresholds() -> None:
    assert rules.rag(None, 70, 65, HIGHER) is None
    assert rules.rag(80, None, 65, HIGHER) is None
    assert rules.rag(80, 70, None, HIGHER) is None


def test_rag_is_judged_on_the_published_figure() -> None:
    """69.96% prints as 70%: GREEN, not an AMBER row showing a figure on its target. 69.4% prints 69%."""
    assert rules.rag(69.96, 70, 65, HIGHER, decimals=0) is Rag.GREEN
    assert rules.rag(69.4, 70, 65, HIGHER, decimals=0) is Rag.AMBER
    assert rules.rag(69.96, 70, 65, HIGHER, decimals=2) is Rag.AMBER
    # Division noise: an exact 99% of working hours computed as 98.99999999999999.
    assert rules.rag(9899.999999999999 / 100, 99.0, 98.0, HIGHER, decimals=1) is Rag.GREEN
    # A half is rounded away from zero, as printed: 64.5% is "65%", on the floor.
    assert rules.rag(64.5, 70, 65, HIGHER) is Rag.AMBER
    assert rules.rag(64.49, 70, 65, HIGHER) is Rag.RED


def test_published_rounds_halves_away_from_zero_despite_float_noise() -> None:
    assert str(rules.published(98.45, 1)) == "98.5"
    assert str(rules.published(98.44999999999999, 1)) == "98.5"  # 98.45 as division makes it
    assert str(rules.published(98.4449, 1)) == "98.4"
    assert str(rules.published(-2.5, 0)) == "-3"
    assert rules.published(1e300, 4) == Decimal("1e300")  # no figure is too large to round


# -- direction of travel ------------------------------------------------------------------------------------
def test_dot_compares_performance_not_the_raw_value() -> None:
    assert rules.direction(71, 70, HIGHER) is Dot.IMPROVED
    assert rules.direction(69, 70, HIGHER) is Dot.FELL
    assert rules.direction(10, 11, LOWER) is Dot.IMPROVED  # a lower-is-better figure falling
    assert rules.direction(12, 11, LOWER) is Dot.FELL


def test_dot_equal_at_the_published_precision_is_unchanged() -> None:
    assert rules.direction(98.0, 97.6, HIGHER, decimals=0) is Dot.UNCHANGED
    assert rules.direction(98.0, 97.6, HIGHER, decimals=1) is Dot.IMPROVED
    assert rules.direction(99.86, 99.9, HIGHER, decimals=1) is Dot.UNCHANGED


def test_no_dot_without_both_figures() -> None:
    assert rules.direction(None, 70, HIGHER) is None
    assert rules.direction(70, None, HIGHER) is None


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(value=finite, a=finite, b=finite, decimals=st.integers(0, 3))
def test_rag_of_a_lower_is_better_kpi_mirrors_higher_is_better(
    value: float, a: float, b: float, decimals: int
) -> None:
    target, floor = max(a, b), min(a, b)
    assert rules.rag(value, target, floor, HIGHER, decimals) is rules.rag(
        -value, -target, -floor, LOWER, decimals
    )


@given(now=finite, before=finite, decimals=st.integers(0, 3))
def test_dot_mirrors_under_polarity_and_reverses_with_time(now: float, before: float, decimals: int) -> None:
    forward = rules.direction(now, before, HIGHER, decimals)
    assert forward is rules.direction(-now, -before, LOWER, decimals)
    backward = rules.direction(before, now, HIGHER, decimals)
    flip = {Dot.IMPROVED: Dot.FELL, Dot.FELL: Dot.IMPROVED, Dot.UNCHANGED: Dot.UNCHANGED}
    assert backward is flip[forward]  # type: ignore[index]
    assert (forward is Dot.UNCHANGED) == (rules.published(now, decimals) == rules.published(before, decimals))


@given(value=finite, a=finite, b=finite)
def test_rag_never_improves_as_the_value_gets_worse(value: float, a: float, b: float) -> None:
    target, floor = max(a, b), min(a, b)
    order = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}
    here = rules.rag(value, target, floor, HIGHER)
    worse = rules.rag(value - 1, target, floor, HIGHER)
    assert here is not None and worse is not None
    assert order[worse] <= order[here]


# -- expected range -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("figure", "expected"),
    [(504050, InRange.BELOW), (530000, InRange.YES), (633350, InRange.YES), (633351, InRange.ABOVE)],
)
def test_expected_range(figure: float, expected: InRange) -> None:
    assert rules.expected_range(figure, 633350, 530000) is expected


def test_expected_range_with_one_threshold_or_none() -> None:
    assert rules.expected_range(10, None, 20) is InRange.BELOW
    assert rules.expected_range(30, 20, None) is InRange.ABOVE
    assert rules.expected_range(30, None, None) is None
    assert rules.expected_range(None, 20, 10) is None


# -- year to date -------------------------------------------------------------------------------------------
def test_ytd_is_from_the_counts_never_an_average_of_percentages() -> None:
    series = {
        Period(2016, 4): Measure(100.0, 1, 1),  # a quiet month: 1 of 1
        Period(2016, 5): Measure(50.0, 50, 100),
    }
    # 51/101, not (100 + 50) / 2.
    assert rules.year_to_date(kpi(), series, {}, Period(2016, 5)) == pytest.approx(100 * 51 / 101)


def test_ytd_covers_the_financial_year_only() -> None:
    series = {Period(2016, 3): Measure(0.0, 0, 100), Period(2016, 4): Measure(80.0, 80, 100)}
    assert rules.year_to_date(kpi(), series, {}, Period(2016, 4)) == pytest.approx(80.0)
    assert rules.year_to_date(kpi(), series, {}, Period(2016, 3)) == pytest.approx(0.0)


def test_a_published_ytd_is_used_as_given() -> None:
    series = {Period(2016, 4): Measure(80.0, 80, 100)}
    assert rules.year_to_date(kpi(), series, {Period(2016, 4): 77.0}, Period(2016, 4)) == 77.0


def test_a_month_known_only_as_a_rate_leaves_the_ytd_unknown() -> None:
    series = {Period(2016, 4): Measure(80.0, 80, 100), Period(2016, 5): Measure(90.0)}
    assert rules.year_to_date(kpi(), series, {}, Period(2016, 5)) is None


def test_averages_are_total_over_count_and_counts_sum() -> None:
    waits = kpi(unit=Unit.SECONDS, polarity=LOWER, thresholds=Thresholds(50, 60))
    series = {Period(2016, 4): Measure(40.0, 400, 10), Period(2016, 5): Measure(70.0, 2100, 30)}
    assert rules.year_to_date(waits, series, {}, Period(2016, 5)) == pytest.approx(2500 / 40)
    calls = {
        Period(2016, 4): Measure(1000.0),
        Period(2016, 5): Measure(1500.0),
        Period(2017, 4): Measure(9.0),
    }
    assert rules.year_to_date(activity(), calls, {}, Period(2016, 5)) == 2500.0


def test_snapshot_and_annual_kpis_have_no_ytd() -> None:
    series = {DEC: Measure(50.0, 50, 100)}
    for frequency in (Frequency.SNAPSHOT, Frequency.ANNUAL):
        assert rules.year_to_date(kpi(frequency=frequency), series, {DEC: 50.0}, DEC) is None


def test_quarterly_ytd_sums_the_quarters() -> None:
    quarterly = kpi(frequency=Frequency.QUARTERLY)
    series = {Period(2016, 6): Measure(80.0, 8, 10), Period(2016, 9): Measure(90.0, 27, 30)}
    assert rules.year_to_date(quarterly, series, {}, Period(2016, 9)) == pytest.approx(87.5)


# -- previous period and previous year ----------------------------------------------------------------------
def test_previous_period_by_frequency() -> None:
    assert rules.previous_period(kpi(), DEC) == Period(2016, 11)
    assert rules.previous_period(kpi(frequency=Frequency.SNAPSHOT), DEC) == Period(2016, 11)
    assert rules.previous_period(kpi(frequency=Frequency.QUARTERLY), DEC) == Period(2016, 9)
    assert rules.previous_period(kpi(frequency=Frequency.ANNUAL), Period(2016, 3)) == Period(2015, 3)


def test_previous_year_is_the_same_figure_a_year_before() -> None:
    series = {
        Period(2015, 4): Measure(60.0, 6, 10),
        Period(2015, 12): Measure(70.0, 7, 10),
        DEC: Measure(1.0, 1, 1),
    }
    assert rules.previous_year(kpi(), series, {}, DEC) == pytest.approx(65.0)  # 13/20 to Dec 2015
    snapshot = kpi(frequency=Frequency.SNAPSHOT)
    assert rules.previous_year(snapshot, series, {}, DEC) == 70.0
    annual = kpi(frequency=Frequency.ANNUAL)
    assert rules.previous_year(annual, {}, {Period(2015, 3): 64.0}, Period(2016, 3)) == 64.0


# -- rows ---------------------------------------------------------------------------------------------------
def test_a_kpi_row_shows_the_latest_value_up_to_the_period() -> None:
    series = {Period(2016, 10): Measure(72.0, 72, 100), Period(2016, 9): Measure(60.0, 60, 100)}
    row = rules.kpi_row(kpi(), series, {}, DEC)
    assert row.shown == Period(2016, 10)
    assert (row.value, row.rag, row.dot) == (72.0, Rag.GREEN, Dot.IMPROVED)
    assert row.ytd == pytest.approx(66.0) and row.ytd_rag is Rag.AMBER
    assert row.measure == Measure(72.0, 72, 100)
    assert [p for p, _ in row.trend] == [Period(2016, 1).shift(i) for i in range(12)]
    assert dict(row.trend)[Period(2016, 10)] == 72.0
    # Nothing from a later month is used, and nothing older than a year is "the latest".
    later = rules.kpi_row(kpi(), {Period(2017, 1): Measure(1.0)}, {}, DEC)
    assert later.shown is None and later.rag is None
    stale = rules.kpi_row(kpi(), {Period(2015, 12): Measure(99.0)}, {}, DEC)
    assert stale.shown is None and stale.value is None


def test_thresholds_follow_the_financial_year_of_the_figure() -> None:
    changed = kpi(thresholds_by_year={"2017/18": Thresholds(target=72, floor=66)})
    assert rules.kpi_row(changed, {Period(2017, 3): Measure(71.0)}, {}, Period(2017, 3)).rag is Rag.GREEN
    row = rules.kpi_row(changed, {Period(2017, 4): Measure(71.0)}, {}, Period(2017, 4))
    assert (row.rag, row.target, row.floor) == (Rag.AMBER, 72, 66)


def test_a_suspended_kpi_keeps_its_row_without_rag() -> None:
    row = rules.kpi_row(kpi(suspended=True), {DEC: Measure(10.0, 1, 10)}, {}, DEC)
    assert row.value == 10.0 and row.rag is None and row.ytd_rag is None
    assert not rules.needs_commentary(row)


def test_a_kpi_with_only_a_ytd_published_shows_it() -> None:
    row = rules.kpi_row(kpi(), {}, {DEC: 68.0}, DEC)
    assert (row.shown, row.value, row.rag, row.ytd, row.ytd_rag) == (DEC, None, None, 68.0, Rag.AMBER)
    assert rules.needs_commentary(row)


def test_activity_flow_is_tested_on_its_ytd_and_snapshot_on_its_value() -> None:
    series = {Period(2016, 11): Measure(300.0), DEC: Measure(250.0)}
    flow = rules.activity_row(activity(), series, {}, DEC)
    assert (flow.value, flow.ytd, flow.in_expected_range) == (250.0, 550.0, InRange.YES)
    snapshot = rules.activity_row(activity(frequency=Frequency.SNAPSHOT), series, {}, DEC)
    assert (snapshot.ytd, snapshot.in_expected_range) == (None, InRange.BELOW)
    assert rules.activity_row(activity(suspended=True), series, {}, DEC).in_expected_range is None


def test_months_needed_reach_the_previous_years_ytd() -> None:
    months = rules.months_needed(DEC)
    assert months[-1] == DEC
    # An annual figure shown as early as Jan 2015 has its previous year in Jan 2014; a monthly one shown
    # in Jan 2016 has its previous year's YTD from April 2014.
    assert months[0] == Period(2014, 1)


counts = st.tuples(st.integers(0, 10_000), st.integers(1, 10_000)).map(lambda nd: (min(nd), max(nd)))


@given(months=st.lists(counts, min_size=1, max_size=12))
def test_ytd_is_the_sum_of_numerators_over_the_sum_of_denominators(months: list[tuple[int, int]]) -> None:
    series = {Period(2016, 4).shift(i): Measure(100 * n / d, n, d) for i, (n, d) in enumerate(months)}
    last = Period(2016, 4).shift(len(months) - 1)
    expected = 100 * sum(n for n, _ in months) / sum(d for _, d in months)
    assert rules.year_to_date(kpi(), series, {}, last) == pytest.approx(expected)


def test_an_annual_figure_is_shown_until_the_next_one_is_due() -> None:
    """Filed under March, a year's figure stays the latest through the next March, when the new one may
    not be published yet."""
    annual = kpi(frequency=Frequency.ANNUAL)
    series = {Period(2015, 3): Measure(64.0), Period(2016, 3): Measure(74.0)}
    for period in (Period(2016, 3), Period(2016, 12), Period(2017, 3), Period(2017, 8)):
        row = rules.kpi_row(annual, series, {}, period)
        assert (row.shown, row.value, row.dot) == (Period(2016, 3), 74.0, Dot.IMPROVED), period
    assert rules.kpi_row(annual, series, {}, Period(2018, 3)).shown is None
    assert rules.months_needed(Period(2017, 3))[0] <= Period(2014, 4)


def test_a_range_for_nine_months_is_scaled_to_each_year_to_date() -> None:
    """CS08's published range is for April to December: June's year to date is tested against a third of
    it, and March's against four thirds, rather than reading Below all year."""
    from servicebot.domain.kpis import Frequency, KpiDefinition, KpiKind, Measure, Polarity, Thresholds, Unit
    from servicebot.domain.periods import Period, span

    cs08 = KpiDefinition(
        ref="CS08",
        description="calls answered",
        service_area="Customer Services",
        unit=Unit.COUNT,
        polarity=Polarity.HIGHER_IS_BETTER,
        frequency=Frequency.MONTHLY,
        kind=KpiKind.ACTIVITY,
        source="manual",
        thresholds=Thresholds(upper=633_350, lower=530_000),
        range_months=9,
    )
    series = {p: Measure(62_000.0) for p in span(Period(2016, 4), Period(2017, 3))}
    june = rules.activity_row(cs08, series, {}, Period(2016, 6))
    assert (june.ytd, june.lower, june.in_expected_range) == (186_000.0, 530_000 / 3, InRange.YES)
    december = rules.activity_row(cs08, series, {}, Period(2016, 12))
    assert (december.upper, december.lower) == (633_350, 530_000)
    march = rules.activity_row(cs08, series, {}, Period(2017, 3))
    assert march.in_expected_range is InRange.YES and march.upper == pytest.approx(633_350 * 12 / 9)
    unscaled = rules.activity_row(replace(cs08, range_months=None), series, {}, Period(2016, 6))
    assert unscaled.in_expected_range is InRange.BELOW
