"""How the dashboard's figures read to people, shared by the Markdown and HTML renderers so that a figure
looks the same in both: "69%", "99.9%", "504,050", "£19.1", "43 s", "5 min 40 s", "18.5 h".

A figure is rounded half up at the KPI's published precision (`decimals`), as a person rounds and as the
council prints; Python's own formatting rounds half to even (68.5 would print as "68%").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from servicebot.domain.kpi_rules import published
from servicebot.domain.kpis import Dot, InRange, KpiRow, Rag, Unit
from servicebot.domain.periods import MONTH_NAMES, Period

LONDON = ZoneInfo("Europe/London")
NOT_PUBLISHED = "–"
MONTHS = MONTH_NAMES
# Arrows point the way performance went, not the value: a lower-is-better KPI that fell has "improved" ↑.
DOT_ARROWS = {Dot.IMPROVED: "↑", Dot.FELL: "↓", Dot.UNCHANGED: "→"}
NEEDS_ACTION = (Rag.AMBER, Rag.RED)


def rounded(value: float, decimals: int) -> Decimal:
    """The figure as the rules judge it (`kpi_rules.published`), so a printed 98.5% is never rated as a
    98.4% (a division's 98.44999999999999 rounds the same way in both)."""
    return published(value, decimals) + 0  # -0 becomes 0: no "-0%"


def number(value: float, decimals: int = 0) -> str:
    """With thousands separators: 504,050; 99.9."""
    return f"{rounded(value, decimals):,.{decimals}f}"


def figure(value: float | None, unit: Unit, decimals: int = 0) -> str:
    """One figure in its unit, or an en dash when nothing was published."""
    if value is None:
        return NOT_PUBLISHED
    if unit is Unit.PERCENT:
        return f"{number(value, decimals)}%"
    if unit is Unit.CURRENCY:
        sign = "-" if rounded(value, decimals) < 0 else ""
        return f"{sign}£{number(abs(value), decimals)}"
    if unit is Unit.HOURS:
        return f"{number(value, decimals)} h"
    if unit is Unit.SECONDS:
        return _duration(value, decimals)
    return number(value, decimals)


def _duration(seconds: float, decimals: int) -> str:
    # Waits are published in seconds ("< 50 s") and handling times in minutes ("< 6 min").
    whole = rounded(seconds, decimals)
    if abs(whole) < 60:
        return f"{number(seconds, decimals)} s"
    sign = "-" if whole < 0 else ""
    minutes, rest = divmod(abs(whole), 60)
    text = f"{sign}{int(minutes):,} min"
    return text if rest == 0 else f"{text} {rest:.{decimals}f} s"


def rag_word(rag: Rag | None, suspended: bool = False) -> str:
    if rag is not None:
        return rag.value
    return "Suspended" if suspended else NOT_PUBLISHED


def dot_word(dot: Dot | None) -> str:
    return NOT_PUBLISHED if dot is None else dot.value


def range_word(in_range: InRange | None) -> str:
    return NOT_PUBLISHED if in_range is None else in_range.value


def month_name(period: Period) -> str:
    """December 2016."""
    return f"{MONTHS[period.month - 1]} {period.year}"


def short_month(period: Period) -> str:
    """Dec 2016."""
    return f"{MONTHS[period.month - 1][:3]} {period.year}"


def earlier_month(shown: Period | None, period: Period) -> str | None:
    """The month a figure is from when it is not the dashboard's own ("or the latest available month")."""
    return short_month(shown) if shown is not None and shown < period else None


def local_time(at: datetime) -> str:
    """An instant as the council reads it, 30 Nov 2026 14:05 in Europe/London; naive is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo("UTC"))
    local = at.astimezone(LONDON)
    return f"{local.day} {MONTHS[local.month - 1][:3]} {local.year} {local:%H:%M}"


def day(when: date) -> str:
    """7 Feb 2017, the same in every locale."""
    return f"{when.day} {MONTHS[when.month - 1][:3]} {when.year}"


def desk_name(desk: str) -> str:
    return "all desks" if desk == "all" else f"the {desk} desk"


def needs_commentary(row: KpiRow) -> bool:
    """Every AMBER or RED row, for the month or the year to date, carries the owner's cause and action; so
    does any row the owner has explained anyway."""
    return row.rag in NEEDS_ACTION or row.ytd_rag in NEEDS_ACTION or row.commentary is not None


def worst(row: KpiRow) -> Rag | None:
    """The worse of the month's and the year to date's rating, for marking a commentary."""
    for rag in (Rag.RED, Rag.AMBER, Rag.GREEN):
        if rag in (row.rag, row.ytd_rag):
            return rag
    return None
