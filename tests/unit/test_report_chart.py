"""The KPI trend chart: a PNG of the row the dashboard computed, its months labelled as the council writes
them, gaps where nothing was published, thresholds stepping where a financial year changed them, and the
latest figure's RAG said in words as well as in colour."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from servicebot.domain.kpis import ActivityRow, Frequency, InRange, KpiRow, Rag, Thresholds
from servicebot.domain.periods import Period
from servicebot.reports.chart import (
    HEIGHT_PX,
    WIDTH_PX,
    build_figure,
    month_label,
    render_png,
    status,
    title,
)
from tests.support import dashboards as d
from tests.support.png import png_size

ICT01, ICT04, ICT06, ICT08 = (d.ICT_KPIS[i] for i in (0, 2, 3, 5))
ICT01B = d.ICT_ACTIVITY[0]


def lines(fig: Figure) -> dict[str, Line2D]:
    """The plotted lines by legend label."""
    return {str(line.get_label()): line for line in fig.axes[0].get_lines()}


def texts(fig: Figure) -> list[str]:
    ax = fig.axes[0]
    legend = ax.get_legend()
    found = [ax.get_title(loc="left"), *(t.get_text() for t in ax.texts)]
    found += [t.get_text() for t in legend.get_texts()] if legend else []
    return found + [t.get_text() for t in fig.texts]


def ydata(line: Line2D) -> list[float | None]:
    return [None if math.isnan(y) else y for y in np.asarray(line.get_ydata(), dtype=float).tolist()]


def xdata(line: Line2D) -> list[float]:
    return [float(x) for x in np.asarray(line.get_xdata(), dtype=float).tolist()]


def test_the_chart_is_a_png_of_the_agreed_size_and_the_same_bytes_every_time() -> None:
    data = render_png(ICT01)
    assert png_size(data) == (WIDTH_PX, HEIGHT_PX) == (800, 400)
    assert data == render_png(ICT01)
    assert b"matplotlib" not in data.lower()  # no software version written into it
    assert len(data) < 150_000
    assert render_png(ICT04) != data


def test_a_kpi_row_is_drawn_from_its_own_trend_against_target_and_floor() -> None:
    fig = build_figure(ICT01)
    drawn = lines(fig)
    assert ydata(drawn["Published value"]) == [v for _, v in ICT01.trend]
    assert set(ydata(drawn["Target 70%"])) == {70.0} and set(ydata(drawn["Floor 65%"])) == {65.0}
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert labels == [f"{month} 16" for month in months]
    assert fig.texts[0].get_text() == "ICT01 Calls to ICT Help Desk resolved at the first point of contact"
    assert "higher is better" in fig.axes[0].get_ylabel() and "%" in fig.axes[0].get_ylabel()


def test_the_latest_figures_rag_is_in_words_not_colour_alone() -> None:
    fig = build_figure(ICT04)
    found = texts(fig)
    assert "Latest, Dec 2016: 97.4%, RED" in found
    assert "97.4% RED" in found and "Dec 2016: RED" in found
    marker = lines(fig)["Dec 2016: RED"]
    assert xdata(marker) == [11] and ydata(marker) == [97.4]
    assert status(ICT01) == "Latest, Dec 2016: 69%, AMBER"


def test_a_month_with_no_value_is_a_gap_not_a_zero() -> None:
    fig = build_figure(ICT04)
    values = ydata(lines(fig)["Published value"])
    assert values[2] is None and values[9] is None and 0.0 not in values
    assert png_size(render_png(ICT04)) == (800, 400)


def test_a_lower_is_better_kpi_has_its_target_below_its_floor() -> None:
    fig = build_figure(ICT06)
    drawn = lines(fig)
    assert set(ydata(drawn["Target 19 h"])) == {19.0} and set(ydata(drawn["Floor 24 h"])) == {24.0}
    assert "lower is better" in fig.axes[0].get_ylabel() and "hours" in fig.axes[0].get_ylabel()
    assert status(ICT06) == "Latest, Dec 2016: 18.5 h, GREEN"
    assert png_size(render_png(ICT06))[0] == 800


def test_thresholds_step_where_a_new_financial_year_changed_them() -> None:
    definition = replace(d.ICT01, thresholds_by_year={"2016/17": Thresholds(target=75, floor=70)})
    row = replace(ICT01, definition=definition, target=75, floor=70, rag=Rag.RED)
    drawn = lines(build_figure(row))
    # Jan to Mar 2016 are 2015/16 (70/65), April on 2016/17 (75/70); one step per month's width.
    target = drawn["Target 70% (2015/16), 75% (2016/17)"]
    assert ydata(target) == [70.0] * 3 + [75.0] * 10
    assert xdata(target)[3] == 2.5
    assert set(ydata(drawn["Floor 65% (2015/16), 70% (2016/17)"])) == {65.0, 70.0}


def test_a_flow_activity_indicator_says_its_year_to_date_range_and_draws_no_range_lines() -> None:
    fig = build_figure(ICT01B)
    drawn = lines(fig)
    # The range is for the year to date (60,000 to 80,000), not for a month's ~6,000 calls.
    assert list(drawn) == ["Monthly value"]
    assert ydata(drawn["Monthly value"]) == [v for _, v in ICT01B.trend]
    assert status(ICT01B) == (
        "Latest, Dec 2016: year to date 51,051, below the expected range (60,000 to 80,000)"
    )
    assert png_size(render_png(ICT01B)) == (800, 400)


def test_a_snapshot_activity_indicator_is_drawn_against_its_range() -> None:
    definition = replace(d.FP05B, frequency=Frequency.SNAPSHOT, thresholds=Thresholds(upper=25, lower=15))
    row = ActivityRow(
        definition=definition,
        shown=d.PERIOD,
        value=19.1,
        ytd=None,
        in_expected_range=InRange.YES,
        upper=25,
        lower=15,
        previous_year=28.6,
        trend=d.trend(28.0, 26.5, None, 22.0, 19.1),
    )
    drawn = lines(build_figure(row))
    assert set(ydata(drawn["Upper £25"])) == {25.0} and set(ydata(drawn["Lower £15"])) == {15.0}
    assert status(row) == "Latest, Dec 2016: £19.1, within the expected range (£15.0 to £25.0)"
    assert png_size(render_png(row)) == (800, 400)


def test_nothing_published_still_makes_a_chart_that_says_so() -> None:
    fig = build_figure(ICT08)  # suspended, twelve empty months
    assert status(ICT08) == "No figure published (suspended)"
    assert "No figures published in these 12 months" in texts(fig)
    assert png_size(render_png(ICT08)) == (800, 400)
    no_months = d.FINANCE_KPIS[2]  # a hand-made row with no trend at all
    assert png_size(render_png(no_months)) == (800, 400)


def test_text_from_definitions_is_printed_as_written_and_wrapped() -> None:
    hostile = replace(
        ICT01.definition,
        ref="ICT$01$",
        description=r"Cost of $\frac{1}{0}$ \undefined " + "very long words " * 20,
    )
    row = replace(ICT01, definition=hostile)
    heading = title(row)
    assert heading.startswith(r"ICT$01$ Cost of $\frac{1}{0}$") and heading.count("\n") == 1
    assert heading.endswith("…")
    assert png_size(render_png(row)) == (800, 400)


@pytest.mark.parametrize(
    ("period", "label"),
    [(Period(2025, 4), "Apr 25"), (Period(2000, 12), "Dec 00"), (Period(2016, 1), "Jan 16")],
)
def test_months_are_labelled_as_the_council_abbreviates_them(period: Period, label: str) -> None:
    assert month_label(period) == label


def test_a_month_with_only_a_year_to_date_is_said_so() -> None:
    row: KpiRow = replace(ICT01, value=None, ytd=70.0, ytd_rag=Rag.GREEN)
    assert status(row) == "Dec 2016: year to date 70%, GREEN"
    assert png_size(render_png(row)) == (800, 400)


def test_a_kpi_without_thresholds_is_said_to_be_unrated_and_a_suspended_one_suspended() -> None:
    unrated = replace(ICT01, definition=replace(d.ICT01, thresholds=Thresholds()), rag=None, target=None)
    assert status(unrated) == "Latest, Dec 2016: 69%, not rated (no target set)"
    assert list(lines(build_figure(unrated))) == ["Published value"]
    suspended = replace(ICT01, definition=replace(d.ICT01, suspended=True), rag=None)
    assert status(suspended) == "Latest, Dec 2016: 69%, Suspended"
