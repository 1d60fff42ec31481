"""KPI values measured elsewhere (caller ratings, quality scorecards, complaints): `values` files.

Columns `ref,period,value,ytd`, optionally `numerator,denominator`. An empty cell means "not published" (an
activity indicator may have only a year-to-date figure); a row must publish something. Each row is checked
against the KPI it names, and refused by row, field and reason:

- `ref` must be a defined KPI (a close match is suggested: refs are damaged in transcription);
- `period` is `YYYY-MM`; a quarterly figure is filed under the last month of its quarter, an annual one
  under March, the last month of the financial year;
- a ref and period appear once in a file (two figures for one month: which is right?);
- percentages are 0 to 100, in percent (72.3). Printed with their unit ("98%") they are accepted for a
  percent KPI, as published dashboards print them, and refused for any other unit. Counts, seconds and
  hours are not negative. Thousands separators (504,050) are accepted;
- `numerator` and `denominator` come together, the denominator above zero, neither negative, and for a
  percentage the numerator no more than the denominator; a count or money figure has none. When a value is
  given with them it must agree with them at the KPI's published precision (a value that disagrees with
  its own counts is a transcription error, and the YTD is computed from the counts); a value left empty is
  taken from them (the counts are what was measured).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from servicebot.domain.kpi_rules import SUMMED_UNITS, published
from servicebot.domain.kpis import Frequency, KpiDefinition, Unit
from servicebot.domain.periods import Period
from servicebot.imports.csvfile import FieldError, Parsed, number, parse_csv, period, reject_repeats

COLUMNS = ("ref", "period", "value", "ytd")
OPTIONAL = ("numerator", "denominator")


@dataclass(frozen=True)
class ValueRow:
    ref: str
    period: Period
    value: float | None
    ytd: float | None
    numerator: float | None
    denominator: float | None


def _figure(row: dict[str, str], name: str, definition: KpiDefinition) -> float | None:
    raw = row.get(name, "").strip()
    if raw.endswith("%"):
        if definition.unit is not Unit.PERCENT:
            raise FieldError(
                name, f"{raw!r} is a percentage, but {definition.ref} is in {definition.unit.value}"
            )
        raw = raw[:-1].strip()
        if not raw:
            raise FieldError(name, "'%' is not a number")
    value = number({name: raw}, name, required=False)
    if value is None:
        return None
    if definition.unit is Unit.PERCENT and not 0 <= value <= 100:
        raise FieldError(name, f"{value:g} is not a percentage (0 to 100) for {definition.ref}")
    if definition.unit in (Unit.COUNT, Unit.SECONDS, Unit.HOURS) and value < 0:
        raise FieldError(name, f"{value:g} is negative; {definition.ref} is in {definition.unit.value}")
    return value


def _ref(row: dict[str, str], definitions: Mapping[str, KpiDefinition]) -> KpiDefinition:
    ref = row.get("ref", "").strip()
    if not ref:
        raise FieldError("ref", "is blank")
    definition = definitions.get(ref)
    if definition is None:
        close = difflib.get_close_matches(ref, list(definitions), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; load it with 'servicebot kpi load' first"
        raise FieldError("ref", f"{ref!r} is not a defined KPI{hint}")
    return definition


def _period(row: dict[str, str], definition: KpiDefinition) -> Period:
    when = period(row, "period")
    if definition.frequency is Frequency.QUARTERLY and not when.is_quarter_end:
        end = when.shift(2 - (when.month - 1) % 3)
        raise FieldError(
            "period", f"{definition.ref} is quarterly: file {when} under its quarter's last month, {end}"
        )
    if definition.frequency is Frequency.ANNUAL and not when.is_financial_year_end:
        raise FieldError(
            "period",
            f"{definition.ref} is annual: file it under March, the last month of its financial year "
            f"({when.financial_year_label}: {when.financial_year + 1}-03)",
        )
    return when


def _counts(row: dict[str, str], definition: KpiDefinition) -> tuple[float | None, float | None]:
    numerator = number(row, "numerator", required=False)
    denominator = number(row, "denominator", required=False)
    if numerator is None and denominator is None:
        return None, None
    if definition.unit in SUMMED_UNITS:
        raise FieldError(
            "numerator", f"{definition.ref} is a {definition.unit.value}, which has no numerator/denominator"
        )
    if denominator is None:
        raise FieldError("denominator", "is blank, but a numerator is given; give both or neither")
    if numerator is None:
        raise FieldError("numerator", "is blank, but a denominator is given; give both or neither")
    if numerator < 0:
        raise FieldError("numerator", f"{numerator:g} is negative")
    if denominator <= 0:
        raise FieldError("denominator", f"{denominator:g} must be above zero (nothing to divide by)")
    if definition.unit is Unit.PERCENT and numerator > denominator:
        raise FieldError(
            "numerator", f"{numerator:g} is more than the denominator {denominator:g} (over 100%)"
        )
    return numerator, denominator


def _record(row: dict[str, str], definitions: Mapping[str, KpiDefinition]) -> ValueRow:
    definition = _ref(row, definitions)
    when = _period(row, definition)
    value = _figure(row, "value", definition)
    ytd = _figure(row, "ytd", definition)
    numerator, denominator = _counts(row, definition)
    if numerator is not None and denominator is not None:
        ratio = numerator / denominator
        measured = 100.0 * ratio if definition.unit is Unit.PERCENT else ratio
        if value is None:
            value = measured
        elif published(value, definition.decimals) != published(measured, definition.decimals):
            raise FieldError(
                "value",
                f"{value:g} does not agree with numerator/denominator ({numerator:g}/{denominator:g} is "
                f"{published(measured, definition.decimals)} at {definition.ref}'s published precision)",
            )
    if value is None and ytd is None:
        raise FieldError("value", "and ytd are both empty: the row publishes nothing")
    return ValueRow(definition.ref, when, value, ytd, numerator, denominator)


def parse_values(content: str, name: str, definitions: Mapping[str, KpiDefinition]) -> Parsed[ValueRow]:
    """Every row checked against the definitions; rows for the same KPI and month are all refused."""
    parsed = parse_csv(
        content, name=name, required=COLUMNS, optional=OPTIONAL, record=lambda row: _record(row, definitions)
    )
    reject_repeats(
        parsed, lambda record: (record.ref, record.period), "period", lambda r: f"{r.ref} {r.period}"
    )
    return parsed
