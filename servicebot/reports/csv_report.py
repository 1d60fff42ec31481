"""The committee dashboard as CSV, for a spreadsheet or another program: one row per KPI and per activity
indicator, told apart by `kind`, with the numbers unrounded and unformatted (98.6, not "98.6%"; 504050, not
"504,050") and the period of each figure as YYYY-MM.

Text cells are made safe to open in a spreadsheet: a description or commentary that starts with = + - @
(or a tab or carriage return) would be run as a formula, so it is prefixed with an apostrophe, the
spreadsheets' own mark for "this is text" (OWASP's advice on CSV injection). Numbers are never prefixed:
-5 is a number, not a formula.
"""

from __future__ import annotations

import csv
import io

from servicebot.domain.kpis import ActivityRow, Dashboard, KpiDefinition, KpiRow, ServiceArea

COLUMNS = (
    "period",
    "kind",
    "service_area",
    "ref",
    "description",
    "unit",
    "polarity",
    "frequency",
    "suspended",
    "shown",
    "value",
    "rag",
    "dot",
    "ytd",
    "ytd_rag",
    "target",
    "floor",
    "in_expected_range",
    "upper",
    "lower",
    "previous_year",
    "director",
    "cabinet_member",
    "delivery_by",
    "commentary_cause",
    "commentary_action",
    "commentary_recovery",
    "note",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text, never evaluate."""
    if value.startswith(_FORMULA_STARTS) or value.lstrip().startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def machine_number(value: float | None) -> str:
    """Unrounded, without separators or units; a whole number without ".0"; empty when not published."""
    if value is None:
        return ""
    number = float(value)  # an int is a float to the type checker, but has no is_integer() before 3.12
    if number.is_integer():
        return str(int(number))
    return repr(number)


def render(dashboard: Dashboard) -> str:
    buffer = io.StringIO()
    # "\n" rather than the Excel dialect's "\r\n": the text goes to a terminal, a pipe or a file, and every
    # spreadsheet and CSV reader takes either.
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for area in dashboard.areas:
        for kpi in area.kpis:
            writer.writerow(_kpi(kpi, str(dashboard.period), area))
        for activity in area.activity:
            writer.writerow(_activity(activity, str(dashboard.period), area))
    return buffer.getvalue()


def _common(d: KpiDefinition, period: str, area: ServiceArea) -> dict[str, str]:
    # The owners as the dashboard shows them: the service area's, as in its header.
    return {
        "period": period,
        "kind": d.kind.value,
        "service_area": safe_text(area.name),
        "ref": safe_text(d.ref),
        "description": safe_text(d.description),
        "unit": d.unit.value,
        "polarity": d.polarity.value,
        "frequency": d.frequency.value,
        "suspended": "true" if d.suspended else "false",
        "director": safe_text(area.director),
        "cabinet_member": safe_text(area.cabinet_member),
        "delivery_by": safe_text(area.delivery_by),
    }


def _kpi(row: KpiRow, period: str, area: ServiceArea) -> dict[str, str]:
    note = row.commentary
    return {
        **_common(row.definition, period, area),
        "shown": "" if row.shown is None else str(row.shown),
        "value": machine_number(row.value),
        "rag": "" if row.rag is None else row.rag.value,
        "dot": "" if row.dot is None else row.dot.value,
        "ytd": machine_number(row.ytd),
        "ytd_rag": "" if row.ytd_rag is None else row.ytd_rag.value,
        "target": machine_number(row.target),
        "floor": machine_number(row.floor),
        "previous_year": machine_number(row.previous_year),
        "commentary_cause": "" if note is None else safe_text(note.cause),
        "commentary_action": "" if note is None else safe_text(note.action),
        "commentary_recovery": "" if note is None or note.recovery is None else note.recovery.isoformat(),
        "note": safe_text(row.note or ""),
    }


def _activity(row: ActivityRow, period: str, area: ServiceArea) -> dict[str, str]:
    return {
        **_common(row.definition, period, area),
        "shown": "" if row.shown is None else str(row.shown),
        "value": machine_number(row.value),
        "ytd": machine_number(row.ytd),
        "in_expected_range": "" if row.in_expected_range is None else row.in_expected_range.value,
        "upper": machine_number(row.upper),
        "lower": machine_number(row.lower),
        "previous_year": machine_number(row.previous_year),
    }
