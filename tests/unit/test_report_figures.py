"""How a figure reads on the dashboard: per unit, at the KPI's published precision, rounded half up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from servicebot.domain.kpis import Rag, Unit
from servicebot.domain.periods import Period
from servicebot.reports.figures import (
    day,
    earlier_month,
    figure,
    local_time,
    month_name,
    needs_commentary,
    rag_word,
    worst,
)
from tests.support.dashboards import ICT_KPIS


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (69.0, Unit.PERCENT, 0, "69%"),
        (99.9, Unit.PERCENT, 1, "99.9%"),
        (99.0, Unit.PERCENT, 1, "99.0%"),
        (68.5, Unit.PERCENT, 0, "69%"),  # half up, as the council rounds (Python alone gives 68)
        (0.125, Unit.PERCENT, 2, "0.13%"),
        (-0.4, Unit.PERCENT, 0, "0%"),  # never "-0%"
        (504050.0, Unit.COUNT, 0, "504,050"),
        (1234567.891, Unit.COUNT, 2, "1,234,567.89"),
        (19.1, Unit.CURRENCY, 1, "£19.1"),
        (1250000.0, Unit.CURRENCY, 0, "£1,250,000"),
        (-42.5, Unit.CURRENCY, 2, "-£42.50"),
        (18.46, Unit.HOURS, 1, "18.5 h"),
        (1234.0, Unit.HOURS, 0, "1,234 h"),
        (43.0, Unit.SECONDS, 0, "43 s"),
        (59.6, Unit.SECONDS, 0, "1 min"),  # rounds up into a whole minute
        (340.0, Unit.SECONDS, 0, "5 min 40 s"),
        (360.0, Unit.SECONDS, 0, "6 min"),
        (90.25, Unit.SECONDS, 1, "1 min 30.3 s"),
        (3725.0, Unit.SECONDS, 0, "62 min 5 s"),
    ],
)
def test_a_figure_in_its_unit(value: float, unit: Unit, decimals: int, expected: str) -> None:
    assert figure(value, unit, decimals) == expected


def test_nothing_published_is_a_dash_in_every_unit() -> None:
    assert {figure(None, unit, 1) for unit in Unit} == {"–"}


def test_rag_words() -> None:
    assert rag_word(Rag.AMBER) == "AMBER"
    assert rag_word(None) == "–"
    assert rag_word(None, suspended=True) == "Suspended"
    assert rag_word(Rag.RED, suspended=True) == "RED"  # the engine decides; the renderer does not hide it


def test_months_and_the_latest_available_month() -> None:
    december = Period(2016, 12)
    assert month_name(december) == "December 2016"
    assert earlier_month(Period(2016, 9), december) == "Sep 2016"
    assert earlier_month(december, december) is None
    assert earlier_month(None, december) is None


def test_times_are_shown_in_london() -> None:
    assert local_time(datetime(2016, 7, 1, 8, 30, tzinfo=UTC)) == "1 Jul 2016 09:30"  # BST
    assert local_time(datetime(2016, 12, 1, 8, 30, tzinfo=UTC)) == "1 Dec 2016 08:30"  # GMT
    assert day(date(2017, 2, 7)) == "7 Feb 2017"


def test_which_rows_need_commentary() -> None:
    amber, green, red = ICT_KPIS[0], ICT_KPIS[1], ICT_KPIS[2]
    assert needs_commentary(amber) and needs_commentary(red)
    assert not needs_commentary(green)
    assert needs_commentary(replace(green, ytd_rag=Rag.AMBER)), "a year to date off target needs it too"
    assert needs_commentary(replace(green, commentary=amber.commentary)), "an owner's note is never hidden"
    assert worst(replace(green, rag=Rag.AMBER, ytd_rag=Rag.RED)) is Rag.RED
    assert worst(replace(green, rag=None, ytd_rag=None)) is None


def test_printed_as_the_rules_judge_it() -> None:
    # A division's float noise (98.44999999999999 for 98.45) must print as the rules judge it, 98.5, so
    # the page never shows a figure other than the one its RAG and DoT were decided on.
    from servicebot.domain.kpi_rules import published

    noisy = 98.44999999999999
    assert figure(noisy, Unit.PERCENT, 1) == f"{published(noisy, 1)}%" == "98.5%"
