"""Stats over a span of days: the metric registry's own figures with the month filter given way to days.

The honesty check: asked for as days, a whole month's figures are the month's, for every metric of
both desks and every service, from demo data (tickets, ratings, telephony, outages). Days in parts add up
to the month. A span with no records has no figures. Only managers get them, whatever the front end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from servicebot.bootstrap import Services, build_services
from servicebot.config import load_settings
from servicebot.demo import load_demo
from servicebot.domain.days import DayRange
from servicebot.domain.errors import InvalidInput, NotAllowed
from servicebot.domain.kpis import Measure, Rag
from servicebot.domain.periods import Period
from servicebot.services.actors import Actor, Role
from servicebot.services.metrics import AVAILABILITY, METRICS
from servicebot.services.stats import headline
from tests.conftest import EXAMPLE_CONFIG, Clock

LONDON_END = datetime(2016, 10, 31, 23, tzinfo=UTC)  # midnight at the start of 1 Nov 2016 in London
SEPTEMBER, OCTOBER = Period(2016, 9), Period(2016, 10)
MANAGER = Actor("UMANAGER", Role.MANAGER)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, Clock]]:
    clock = Clock(datetime(2016, 11, 7, 12, 0, tzinfo=UTC))
    settings = load_settings(
        {
            "SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG),
            "SERVICEBOT_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('stats') / 'demo.db'}",
            "SERVICEBOT_MANAGERS": MANAGER.id,
        }
    )
    services = build_services(settings, clock=clock, background_training=False)
    load_demo(services, months=2, seed=2016, end=LONDON_END)
    yield services, clock
    services.close()


def _sources(services: Services) -> list[str]:
    desks = [f"{name}:{desk}" for name in METRICS for desk in services.settings.desks]
    return desks + [f"{AVAILABILITY}:{s.id}" for s in services.settings.services]


def _same(over: Measure | None, month: Measure | None) -> None:
    if month is None:
        assert over is None
        return
    assert over is not None
    # The same rows summed, perhaps in another order: equal to the last bits of a float.
    for mine, theirs in ((over.value, month.value), (over.numerator, month.numerator)):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-9)
    assert over.denominator == month.denominator


@pytest.mark.parametrize("period", [SEPTEMBER, OCTOBER])
def test_a_whole_month_as_days_gives_the_months_own_figures(
    demo: tuple[Services, Clock], period: Period
) -> None:
    services, _ = demo
    days = DayRange.of_month(period)
    compared = 0
    for source in _sources(services):
        month = services.metrics.series(source, [period]).get(period)
        _same(services.metrics.over(source, days), month)
        compared += month is not None
    # Not a vacuous check: the demo measures nearly everything (both desks' tickets and calls, outages).
    assert compared >= 2 * 12 + 3
    for desk in services.settings.desks:
        by_channel = services.metrics.volumes(desk, period, "source")
        assert services.metrics.volumes(desk, days, "source") == by_channel


def test_days_in_parts_add_up_to_the_month(demo: tuple[Services, Clock]) -> None:
    services, _ = demo
    october = DayRange.of_month(OCTOBER)
    weeks = [DayRange(date(2016, 10, 1), date(2016, 10, 9))]
    while weeks[-1].last < october.last:
        first = weeks[-1].last + timedelta(days=1)
        weeks.append(DayRange(first, min(first + timedelta(days=6), october.last)))
    added = ("contacts:ict", "fcr:ict", "positive_rating:ict", "calls_answered:contact", "ratings:contact")
    for source in added:
        month = services.metrics.over(source, october)
        parts = [services.metrics.over(source, week) for week in weeks]
        assert month is not None
        found = [p for p in parts if p is not None]
        assert sum((p.numerator if p.denominator else p.value) or 0 for p in found) == pytest.approx(
            month.numerator if month.denominator else month.value
        )
        if month.denominator:
            assert sum(p.denominator or 0 for p in found) == month.denominator


def test_a_span_with_no_records_has_no_figures(demo: tuple[Services, Clock]) -> None:
    services, _ = demo
    before = DayRange(date(2015, 3, 2), date(2015, 3, 8))
    for source in _sources(services):
        assert services.metrics.over(source, before) is None, source
    assert services.metrics.volumes("ict", before, "source") == []


def test_a_manager_gets_the_desk_stats_with_the_kpis_of_the_month_the_days_end_in(
    demo: tuple[Services, Clock],
) -> None:
    services, clock = demo
    clock.now = datetime(2016, 11, 7, 12, 0, tzinfo=UTC)
    stats = services.stats.desk_stats(MANAGER, OCTOBER, "2016-10", "contact")
    assert (stats.desk, stats.days, stats.to_date, stats.kpi_month) == (
        "contact",
        DayRange.of_month(OCTOBER),
        False,
        OCTOBER,
    )
    assert stats.kpis_are_the_days
    answered = services.metrics.series("calls_answered:contact", [OCTOBER])[OCTOBER]
    assert stats.figure("calls_answered") == answered
    dashboard = services.kpis.dashboard(OCTOBER, "contact")
    assert [r.definition.ref for r in stats.kpis] == [r.definition.ref for r in dashboard.kpis]
    assert [r.rag for r in stats.kpis] == [r.rag for r in dashboard.kpis]
    assert stats.backlog == services.metrics.backlog("contact", [OCTOBER])[OCTOBER]

    week = services.stats.desk_stats(MANAGER, "week", "week")  # no desk named: the default desk
    assert week.desk == "ict" and week.days == DayRange(date(2016, 11, 7), date(2016, 11, 7))
    assert week.kpi_month == Period(2016, 11) and not week.kpis_are_the_days
    assert week.figure("contacts") is None  # the demo ends with October


def test_the_headline_kpi_is_the_first_red_else_amber_else_the_first(demo: tuple[Services, Clock]) -> None:
    services, _ = demo
    rows = tuple(services.kpis.dashboard(OCTOBER, "ict").kpis)
    chosen = headline(rows)
    reds = [r for r in rows if r.rag is Rag.RED]
    ambers = [r for r in rows if r.rag is Rag.AMBER]
    assert chosen is (reds or ambers or list(rows))[0]
    green = tuple(r for r in rows if r.rag is Rag.GREEN)
    assert headline(green) is (green[0] if green else None)
    assert headline(()) is None


def test_only_managers_get_desk_wide_stats(demo: tuple[Services, Clock]) -> None:
    services, _ = demo
    for role in (Role.REQUESTER, Role.AGENT):
        with pytest.raises(NotAllowed, match="Desk-wide stats are for managers") as refused:
            services.stats.desk_stats(Actor("USOMEONE", role), "today", "today")
        assert "mine" in str(refused.value)
    with pytest.raises(InvalidInput, match="Unknown desk 'hr'"):
        services.stats.desk_stats(MANAGER, "today", "today", "hr")


def test_the_chart_is_the_chart_commands_png(demo: tuple[Services, Clock], tmp_path: Path) -> None:
    from servicebot.reports.chart import render_png

    services, _ = demo
    stats = services.stats.desk_stats(MANAGER, OCTOBER, "2016-10", "ict")
    chart = services.stats.chart(stats)
    assert chart is not None and stats.headline is not None
    assert chart.ref == stats.headline.definition.ref and chart.period == OCTOBER
    assert chart.png == render_png(services.kpis.row(chart.ref, OCTOBER))
    assert chart.png.startswith(b"\x89PNG")


def test_the_stats_as_one_message_for_a_notice_say_what_the_console_does(
    demo: tuple[Services, Clock],
) -> None:
    from servicebot.chat.stats import as_message, sections, title
    from servicebot.domain.message import from_data, to_data

    services, _ = demo
    stats = services.stats.over("ict", DayRange.of_month(OCTOBER), "2016-10", False, services.stats.clock())
    message = as_message(stats)
    assert from_data(to_data(message)) == message, "stored in the outbox as JSON and read back unchanged"
    text = str(message)
    assert text.startswith(title(stats) + "\n")
    for part in sections(stats):
        assert part.title in text
        for line in part.lines:
            assert f"\n• {line}" in text
