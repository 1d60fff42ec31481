"""One KPI's trend as a PNG: the last twelve months of its published value, oldest first, against its target
and floor (an activity indicator: its expected range), for `servicebot chart` and, later, the chart posted
into a Slack thread.

The chart draws the dashboard's own row (`KpiRow` or `ActivityRow`): its `trend`, its RAG and its figures,
never a second computation of them. The only thing read beside the row is the definition's thresholds for
each month shown, because targets and floors are set per financial year and a twelve-month window usually
spans two of them (the line then steps at April).

Drawn with matplotlib's Agg renderer on a `Figure` of its own (no pyplot, no display, no global figure
registry), inside matplotlib's default style so a `matplotlibrc` on the machine cannot change the picture;
the same row gives the same bytes (the PNG carries no software version or time).
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
import warnings
from collections.abc import Sequence

import matplotlib
from matplotlib import style as mpl_style
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from servicebot.domain.kpi_rules import is_flow
from servicebot.domain.kpis import ActivityRow, InRange, KpiRow, Polarity, Rag, Unit
from servicebot.domain.periods import Period
from servicebot.reports.figures import MONTHS, figure, rag_word, short_month

Row = KpiRow | ActivityRow

WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
TITLE_WIDTH = 88  # characters on a title line at 800 px before it wraps
MEDIA_TYPE = "image/png"

# RAG colours as the dashboard page prints them; the word is always beside the colour, for people who
# cannot tell red from green and for a chart printed in black and white.
RAG_COLOURS = {Rag.GREEN: "#2e7d32", Rag.AMBER: "#ef8f00", Rag.RED: "#c62828"}
VALUE_COLOUR = "#1f4e79"
TARGET_COLOUR = "#2e7d32"
FLOOR_COLOUR = "#c62828"
RANGE_COLOUR = "#6d6d6d"
IN_RANGE_WORDS = {InRange.YES: "within", InRange.ABOVE: "above", InRange.BELOW: "below"}
UNIT_LABELS = {
    Unit.PERCENT: "per cent (%)",
    Unit.COUNT: "count",
    Unit.SECONDS: "seconds",
    Unit.HOURS: "hours",
    Unit.CURRENCY: "pounds (£)",
}

# matplotlib's style settings are process-wide, and its figures are not meant to be drawn from two threads
# at once: a Slack worker rendering two charts together takes turns here.
_DRAWING = threading.Lock()


def month_label(period: Period) -> str:
    """Apr 25: the month as the council's papers abbreviate it, the same in every locale."""
    return f"{MONTHS[period.month - 1][:3]} {period.year % 100:02d}"


def title(row: Row) -> str:
    """REF description, wrapped to two lines at most."""
    lines = textwrap.wrap(f"{row.definition.ref} {row.definition.description}", TITLE_WIDTH)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), TITLE_WIDTH, placeholder=" …")]
    return "\n".join(lines)


def status(row: Row) -> str:
    """The latest figure and what it means, in words: its RAG (a KPI) or where it stands against the
    expected range (an activity indicator), so the chart says it without colour."""
    d = row.definition
    if row.shown is None:
        return "No figure published" + (" (suspended)" if d.suspended else "")
    if isinstance(row, KpiRow):
        value = figure(row.value, d.unit, d.decimals)
        # A KPI without a target and floor for the month has no RAG: said so, not shown as a dash.
        rated = rag_word(row.rag, d.suspended) if row.rag or d.suspended else "not rated (no target set)"
        if row.value is None:
            # Only a year to date was published for that month: its rating is the YTD one.
            ytd = figure(row.ytd, d.unit, d.decimals)
            return f"{short_month(row.shown)}: year to date {ytd}, {rag_word(row.ytd_rag, d.suspended)}"
        return f"Latest, {short_month(row.shown)}: {value}, {rated}"
    if is_flow(d):
        # A flow indicator's range is for the year to date, not for one month: said here, not drawn.
        shown = f"year to date {figure(row.ytd, d.unit, d.decimals)}"
    else:
        shown = figure(row.value, d.unit, d.decimals)
    return f"Latest, {short_month(row.shown)}: {shown}, {_range_words(row)}"


def _range_words(row: ActivityRow) -> str:
    d = row.definition
    if d.suspended:
        return "suspended"
    if row.upper is None and row.lower is None:
        return "no expected range"
    bounds = f"{figure(row.lower, d.unit, d.decimals)} to {figure(row.upper, d.unit, d.decimals)}"
    if row.in_expected_range is None:
        return f"expected range {bounds}"
    return f"{IN_RANGE_WORDS[row.in_expected_range]} the expected range ({bounds})"


def render_png(row: Row) -> bytes:
    """The chart as PNG bytes, WIDTH_PX × HEIGHT_PX."""
    with _DRAWING, matplotlib.rc_context(), warnings.catch_warnings():
        mpl_style.use("default")
        # A description like "Cost ($m)" must print as written, not as TeX.
        matplotlib.rcParams["text.parse_math"] = False
        # A glyph the bundled font lacks (an emoji in a description) draws as a box: not worth a warning
        # on the terminal of the person who asked for the chart.
        warnings.simplefilter("ignore", UserWarning)
        fig = build_figure(row)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def build_figure(row: Row) -> Figure:
    """The chart as a matplotlib figure (render_png draws it; tests read its lines and texts)."""
    d = row.definition
    months = [p for p, _ in row.trend]
    values = [math.nan if v is None else v for _, v in row.trend]
    positions = list(range(len(months)))

    heading = title(row)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    # Room at the top for a title of one or two lines and the status line under it.
    fig.subplots_adjust(left=0.1, right=0.97, top=0.83 if "\n" not in heading else 0.78, bottom=0.24)
    ax = fig.add_subplot()
    fig.suptitle(heading, x=0.1, ha="left", y=0.97, fontsize=11, fontweight="bold")
    ax.set_title(status(row), loc="left", fontsize=10)

    if isinstance(row, KpiRow):
        lines = [("Target", "target", TARGET_COLOUR, "--"), ("Floor", "floor", FLOOR_COLOUR, ":")]
    elif not is_flow(d):
        lines = [("Upper", "upper", RANGE_COLOUR, "--"), ("Lower", "lower", RANGE_COLOUR, ":")]
    else:
        lines = []
    for name, field, colour, style in lines:
        levels = [getattr(d.thresholds_for(p), field) for p in months]
        _thresholds(ax, months, name, levels, d.unit, colour, style)

    published = [v for v in values if not math.isnan(v)]
    ax.plot(
        positions,
        values,
        color=VALUE_COLOUR,
        marker="o",
        markersize=4,
        linewidth=2,
        label="Published value" if isinstance(row, KpiRow) else "Monthly value",
        zorder=3,
    )
    _latest_point(ax, row, months)
    if not published:
        ax.text(
            0.5,
            0.5,
            "No figures published in these 12 months",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#555555",
        )

    ax.set_xlim(-0.5, max(len(months), 1) - 0.5)
    ax.set_xticks(positions, [month_label(p) for p in months], fontsize=9)
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.tick_params(axis="y", labelsize=9)
    better = "lower is better" if d.polarity is Polarity.LOWER_IS_BETTER else "higher is better"
    ax.set_ylabel(f"{UNIT_LABELS[d.unit]}" + ("" if isinstance(row, ActivityRow) else f"\n{better}"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    labels = ax.get_legend_handles_labels()[1]
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(0.0, -0.1),
        # Thresholds that changed with the financial year make long labels: two to a row then.
        ncol=2 if max((len(label) for label in labels), default=0) > 30 else 4,
        frameon=False,
        fontsize=9,
    )
    return fig


def _thresholds(
    ax: Axes,
    months: Sequence[Period],
    name: str,
    levels: Sequence[float | None],
    unit: Unit,
    colour: str,
    style: str,
) -> None:
    """A threshold across the window: flat, or stepping where a new financial year changed it; drawn as
    steps over each month's whole width so the line meets the value's points squarely."""
    if not months or all(level is None for level in levels):
        return
    edges = [i - 0.5 for i in range(len(months) + 1)]
    heights = [math.nan if level is None else level for level in levels]
    ax.plot(
        edges,
        [*heights, heights[-1]],
        drawstyle="steps-post",
        color=colour,
        linestyle=style,
        linewidth=1.5,
        label=_threshold_label(name, months, levels, unit),
        zorder=2,
    )


def _threshold_label(name: str, months: Sequence[Period], levels: Sequence[float | None], unit: Unit) -> str:
    by_year: dict[str, float] = {}
    for period, level in zip(months, levels, strict=True):
        if level is not None:
            by_year.setdefault(period.financial_year_label, level)
    if len(set(by_year.values())) == 1:
        return f"{name} {_level(next(iter(by_year.values())), unit)}"
    return f"{name} " + ", ".join(f"{_level(level, unit)} ({year})" for year, level in by_year.items())


def _latest_point(ax: Axes, row: Row, months: Sequence[Period]) -> None:
    """Marks the latest figure in its RAG colour with the RAG beside it in words (a KPI with a rating)."""
    if not isinstance(row, KpiRow) or row.rag is None or row.value is None:
        return
    shown = row.shown
    if shown is None or shown not in months:
        return
    d = row.definition
    x = list(months).index(shown)
    ax.plot(
        [x],
        [row.value],
        linestyle="none",
        marker="o",
        markersize=9,
        markerfacecolor=RAG_COLOURS[row.rag],
        markeredgecolor="black",
        label=f"{short_month(shown)}: {row.rag.value}",
        zorder=4,
    )
    ax.annotate(
        f"{figure(row.value, d.unit, d.decimals)} {row.rag.value}",
        (x, row.value),
        xytext=(-8 if x > len(months) / 2 else 8, 10),
        textcoords="offset points",
        ha="right" if x > len(months) / 2 else "left",
        fontsize=9,
        fontweight="bold",
        color="black",
        # Readable where it crosses a threshold line.
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    )


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _level(value: float, unit: Unit) -> str:
    """A threshold as set (99.8%, 19 h), not rounded to the figure's published precision."""
    text = _plain(abs(value))
    sign = "-" if value < 0 else ""
    return {
        Unit.PERCENT: f"{sign}{text}%",
        Unit.HOURS: f"{sign}{text} h",
        Unit.SECONDS: f"{sign}{text} s",
        Unit.CURRENCY: f"{sign}£{text}",
    }.get(unit, f"{sign}{text}")


def _tick(value: float, _position: float | None) -> str:
    return _plain(value)
