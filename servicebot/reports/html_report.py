"""The committee dashboard as one self-contained HTML page: inline CSS and inline SVG, no script, no font,
image or style sheet fetched from anywhere, so it opens offline, attaches to an email or a Slack message
whole, and prints as a committee paper (A4 landscape, a page per service area).

The page is a Jinja2 template (`templates/dashboard.html.j2`) with autoescape on: every text that came from
a definition, a file or a person (descriptions, names, commentary) is escaped, so none of it can become
markup. This module only prepares what the template shows: the figures in words and the sparklines'
geometry, computed here as numbers so that no markup is ever built from strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from servicebot.domain.kpis import ActivityRow, Dashboard, KpiDefinition, KpiRow, Rag
from servicebot.domain.periods import Period
from servicebot.reports import figures
from servicebot.reports.figures import figure, short_month

# Background and text colours of the RAG cells, with a contrast ratio of at least 4.5:1 (WCAG AA): white on
# green 7.0:1 (the GOV.UK green), near-black on amber 10.9:1, white on red 7.4:1. The word is always printed
# in the cell too, so no one needs the colour to read the rating.
RAG_COLOURS = {
    Rag.GREEN: ("#00703c", "#ffffff"),
    Rag.AMBER: ("#ffbf47", "#0b0c0c"),
    Rag.RED: ("#b10e1e", "#ffffff"),
}
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 132, 30, 3


@dataclass(frozen=True)
class Sparkline:
    """A KPI's last months as an inline SVG: runs of consecutive published months as polylines (a month
    with no figure is a gap), lone months as dots, the target and floor as horizontal lines."""

    width: int
    height: int
    runs: tuple[str, ...]  # SVG polyline points, "x,y x,y …"
    dots: tuple[tuple[float, float], ...]
    last: tuple[float, float]  # the latest published month, marked
    target_y: float | None
    floor_y: float | None
    label: str


def sparkline(
    trend: tuple[tuple[Period, float | None], ...],
    definition: KpiDefinition,
    target: float | None = None,
    floor: float | None = None,
) -> Sparkline | None:
    published = [(index, value) for index, (_, value) in enumerate(trend) if value is not None]
    if not published:
        return None
    levels = [value for _, value in published] + [line for line in (target, floor) if line is not None]
    low, high = min(levels), max(levels)
    if high == low:  # a flat line sits in the middle rather than on an edge
        spread = abs(high) * 0.05 or 1.0
        low, high = low - spread, high + spread

    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_w / (len(trend) - 1) if len(trend) > 1 else 0.0

    def x(index: int) -> float:
        return round(SPARK_PAD + (index * step if len(trend) > 1 else inner_w / 2), 2)

    def y(value: float) -> float:
        return round(SPARK_PAD + (high - value) / (high - low) * inner_h, 2)

    runs: list[list[tuple[float, float]]] = [[]]
    for index, (_, value) in enumerate(trend):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((x(index), y(value)))
    last_index, last_value = published[-1]
    return Sparkline(
        width=SPARK_WIDTH,
        height=SPARK_HEIGHT,
        runs=tuple(" ".join(f"{px},{py}" for px, py in run) for run in runs if len(run) > 1),
        dots=tuple(run[0] for run in runs if len(run) == 1),
        last=(x(last_index), y(last_value)),
        target_y=None if target is None else y(target),
        floor_y=None if floor is None else y(floor),
        label=_spark_label(trend, definition, target, floor),
    )


def _spark_label(
    trend: tuple[tuple[Period, float | None], ...],
    definition: KpiDefinition,
    target: float | None,
    floor: float | None,
) -> str:
    """What the line shows, in words, for a screen reader and as the SVG's tooltip."""

    def said(value: float | None) -> str:
        return "no figure" if value is None else figure(value, definition.unit, definition.decimals)

    months = ", ".join(f"{short_month(period)} {said(value)}" for period, value in trend)
    lines = [
        f"{name} {figure(level, definition.unit, definition.decimals)}"
        for name, level in (("target", target), ("floor", floor))
        if level is not None
    ]
    return f"Trend: {months}" + (f"; {', '.join(lines)}" if lines else "")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("servicebot.reports", "templates"),
        autoescape=True,  # every value is escaped unless it is marked safe, and nothing here is marked safe
        undefined=StrictUndefined,  # a misspelt name in the template fails the render, not prints nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        figure=figure,
        rag_word=figures.rag_word,
        dot_word=figures.dot_word,
        range_word=figures.range_word,
        earlier_month=figures.earlier_month,
        worst=figures.worst,
        day=figures.day,
        rag_enum=Rag,
        dot_arrows=figures.DOT_ARROWS,
        not_published=figures.NOT_PUBLISHED,
        kpi_sparkline=_kpi_sparkline,
        activity_sparkline=_activity_sparkline,
        rag_colours={rag.value: colours for rag, colours in RAG_COLOURS.items()},
    )
    env.tests["needs_commentary"] = figures.needs_commentary
    return env


def _kpi_sparkline(row: KpiRow) -> Sparkline | None:
    return sparkline(row.trend, row.definition, row.target, row.floor)


def _activity_sparkline(row: ActivityRow) -> Sparkline | None:
    # An activity indicator's range applies to its year-to-date total, not to a month: no lines to draw.
    return sparkline(row.trend, row.definition)


def render(dashboard: Dashboard) -> str:
    template = _environment().get_template("dashboard.html.j2")
    return template.render(
        dashboard=dashboard,
        period_name=figures.month_name(dashboard.period),
        desk_name=figures.desk_name(dashboard.desk),
        generated=figures.local_time(dashboard.generated_at),
    )
