"""The committee dashboard as Markdown (GitHub-flavoured tables): for a wiki page, an email or a terminal.

The layout follows the published dashboard: a RAG summary by service area, then per service area its
header, the KPI table, the activity table and the commentary on every AMBER or RED row. Text from the
definitions and the commentary is escaped, so a description cannot break a table or become markup.
"""

from __future__ import annotations

import re

from servicebot.domain.kpis import ActivityRow, Dashboard, KpiRow, Rag, ServiceArea
from servicebot.reports.figures import (
    DOT_ARROWS,
    NOT_PUBLISHED,
    day,
    desk_name,
    dot_word,
    earlier_month,
    figure,
    local_time,
    month_name,
    needs_commentary,
    rag_word,
    range_word,
)

# Markdown punctuation that could start emphasis, code, a link, raw HTML or end a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
KPI_COLUMNS = (
    "Ref",
    "Indicator",
    "Latest",
    "RAG",
    "DoT",
    "YTD",
    "YTD RAG",
    "Target",
    "Floor",
    "Previous year",
)
ACTIVITY_COLUMNS = (
    "Ref",
    "Indicator",
    "Latest",
    "YTD",
    "In expected range",
    "Upper",
    "Lower",
    "Previous year",
)


def text(value: str) -> str:
    """Plain text safe in a paragraph or a table cell: one line, Markdown punctuation escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def render(dashboard: Dashboard) -> str:
    lines = [
        f"# {text(dashboard.title)}",
        "",
        f"{month_name(dashboard.period)}, {desk_name(dashboard.desk)}. "
        f"Generated {local_time(dashboard.generated_at)} (UK time).",
        "",
        "RAG: GREEN meets or beats the target; AMBER misses the target but meets or beats the floor; RED "
        "misses the floor. DoT compares performance with the previous period. A month in brackets after a "
        f"figure is the latest available before {month_name(dashboard.period)}.",
        "",
    ]
    if not dashboard.areas:
        return "\n".join([*lines, "No KPIs are defined for this dashboard.", ""])
    lines += _summary(dashboard)
    for area in dashboard.areas:
        lines += _area(area, dashboard)
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _summary(dashboard: Dashboard) -> list[str]:
    rows = []
    totals = [0, 0, 0, 0]
    for area in dashboard.areas:
        counts = area.rag_counts()
        figures = [counts[Rag.GREEN], counts[Rag.AMBER], counts[Rag.RED], counts[None]]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        rows.append([text(area.name), *map(str, figures)])
    if len(dashboard.areas) > 1:
        rows.append(["All service areas", *map(str, totals)])
    header = ("Service area", "GREEN", "AMBER", "RED", "No RAG")
    return ["## RAG summary", "", *_table(header, rows), ""]


def _area(area: ServiceArea, dashboard: Dashboard) -> list[str]:
    lines = [
        f"## {text(area.name)}",
        "",
        f"Director: {text(area.director) or NOT_PUBLISHED} · "
        f"Cabinet member: {text(area.cabinet_member) or NOT_PUBLISHED} · "
        f"Delivery by: {text(area.delivery_by) or NOT_PUBLISHED}",
        "",
    ]
    if area.kpis:
        rows = [_kpi(row, dashboard) for row in area.kpis]
        lines += ["### Key performance indicators", "", *_table(KPI_COLUMNS, rows), ""]
        if any(row.definition.suspended for row in area.kpis):
            lines += ["Suspended KPIs keep their row and have no RAG.", ""]
    if area.activity:
        rows = [_activity(row, dashboard) for row in area.activity]
        lines += ["### Activity indicators", "", *_table(ACTIVITY_COLUMNS, rows), ""]
    explained = [row for row in area.kpis if needs_commentary(row)]
    if explained:
        lines += ["### Commentary", ""]
        for row in explained:
            lines += _commentary(row)
        lines.append("")
    return lines


def _latest(value: str, shown: str | None, note: str | None = None) -> str:
    beside = [part for part in (shown, None if note is None else text(note)) if part]
    return value if not beside else f"{value} ({'; '.join(beside)})"


def _kpi(row: KpiRow, dashboard: Dashboard) -> list[str]:
    d = row.definition

    def show(value: float | None) -> str:
        return figure(value, d.unit, d.decimals)

    dot = NOT_PUBLISHED if row.dot is None else f"{DOT_ARROWS[row.dot]} {dot_word(row.dot)}"
    return [
        text(d.ref),
        text(d.description),
        _latest(show(row.value), earlier_month(row.shown, dashboard.period), row.note),
        rag_word(row.rag, d.suspended),
        dot,
        show(row.ytd),
        rag_word(row.ytd_rag, d.suspended),
        show(row.target),
        show(row.floor),
        show(row.previous_year),
    ]


def _activity(row: ActivityRow, dashboard: Dashboard) -> list[str]:
    d = row.definition

    def show(value: float | None) -> str:
        return figure(value, d.unit, d.decimals)

    return [
        text(d.ref),
        text(d.description),
        _latest(show(row.value), earlier_month(row.shown, dashboard.period)),
        show(row.ytd),
        range_word(row.in_expected_range),
        show(row.upper),
        show(row.lower),
        show(row.previous_year),
    ]


def _commentary(row: KpiRow) -> list[str]:
    d = row.definition
    rags = rag_word(row.rag, d.suspended)
    if row.ytd_rag is not None:
        rags += f", year to date {row.ytd_rag.value}"
    head = f"- **{text(d.ref)}** {text(d.description)} ({rags})"
    note = row.commentary
    if note is None:
        return [f"{head}: no commentary yet; the owner is asked for the cause and the action."]
    recovery = NOT_PUBLISHED if note.recovery is None else day(note.recovery)
    return [
        head,
        f"  - Cause: {text(note.cause)}",
        f"  - Action: {text(note.action)}",
        f"  - Expected recovery: {recovery}",
    ]
