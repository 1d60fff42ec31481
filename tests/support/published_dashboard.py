"""A published dashboard (the shape of `tests/data/example-dashboard-2016-12.json`) turned into what
ServiceBot loads: a `kpis.yaml` and a `values.csv`.

The definitions are taken as printed: ref, description, service area and its people, polarity, frequency,
target and floor, the expected range (put the right way round if printed swapped, a slip the loader
refuses), suspension. The published precision (`decimals`) is the number of decimal places
the figures and thresholds were printed with ("98.6%" -> 1, "98%" -> 0): the precision the council judged.

A dashboard prints each row's latest value, its YTD and the previous year's figure, but not the previous
period's value that its direction of travel was judged against. So the values file holds, per KPI:

- the latest value under its month: the dashboard's period, or for an annual KPI the last March up to it
  (an annual figure is filed under the last month of its financial year) and for a quarterly one the last
  quarter's end, with the published YTD;
- the previous year's figure a year before that month: as a published YTD for monthly and quarterly KPIs
  and activity indicators (a year-to-date figure then), as the value for a snapshot KPI (its position a year
  earlier) and for an annual KPI whose printed DoT agrees with it (the previous year *is* its previous
  period); an annual KPI printed with no DoT though it has a previous year's figure (HR11) gets that figure
  as a published YTD only, so no previous *period* value exists and no DoT can be judged;
- a previous period's value derived from the printed DoT, where it is not the previous year's figure:
  for "unchanged" a value equal at the published precision but not identical (0.4 of a printed unit away,
  so the test fails if DoT compared raw floats); for "improved" one printed unit *worse* and for "fell" one
  printed unit *better* by the KPI's polarity (so a lower-is-better KPI's "improved" is a fall from a
  higher value, and the test fails if DoT ignored polarity); for a printed null, nothing.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import yaml

from servicebot.domain.periods import Period

FLOW = ("monthly", "quarterly")


def printed_places(text: str | None) -> int:
    """Decimal places of a printed figure: "98.6%" -> 1, "504,050" -> 0, "£19.1m" -> 1."""
    if not text:
        return 0
    match = re.search(r"\d[\d,]*(?:\.(\d+))?", text)
    return len(match.group(1)) if match and match.group(1) else 0


def _places(kpi: dict[str, Any]) -> int:
    printed = kpi.get("as_printed") or {}
    texts = [*printed.values(), kpi.get("ytd_as_printed")]
    return max((printed_places(t) for t in texts if isinstance(t, str)), default=0)


def shown_month(frequency: str, period: Period) -> Period:
    """Where the latest figure on a dashboard for `period` is filed: the last March up to it for an annual
    figure, the last quarter's end for a quarterly one."""
    if frequency == "annual":
        return Period(period.year if period.month >= 3 else period.year - 1, 3)
    if frequency == "quarterly":
        return period.shift(-(period.month % 3))
    return period


def previous_period(frequency: str, shown: Period) -> Period:
    return shown.shift(-{"quarterly": 3, "annual": 12}.get(frequency, 1))


def _unit(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def previous_value(latest: float, dot: str, polarity: str, decimals: int, percent: bool) -> float:
    """A previous period's value that the printed DoT follows from (see the module docstring)."""
    step = _unit(decimals)
    value = Decimal(repr(latest))
    if dot == "unchanged":
        nudge = step * Decimal("0.4")
        before = value - nudge if value - nudge >= 0 else value + nudge
    else:
        better = step if polarity == "higher_is_better" else -step
        before = value - better if dot == "improved" else value + better
    if percent and not 0 <= before <= 100:
        raise ValueError(f"no previous percentage one unit from {latest} gives {dot}")
    return float(before)


def _agrees(latest: float, before: float, dot: str, polarity: str) -> bool:
    if latest == before:
        return dot == "unchanged"
    improved = latest > before if polarity == "higher_is_better" else latest < before
    return dot == ("improved" if improved else "fell")


def convert(dashboard: dict[str, Any]) -> tuple[str, str]:
    """(kpis.yaml, values.csv) for a published dashboard."""
    period = Period.parse(dashboard["period"])
    definitions: list[dict[str, Any]] = []
    rows: list[tuple[str, Period, float | None, float | None]] = []

    for kpi in dashboard["kpis"]:
        ref, frequency, polarity = kpi["ref"], kpi["frequency"], kpi["polarity"]
        printed_latest = (kpi.get("as_printed") or {}).get("latest") or ""
        percent = kpi.get("unit") == "%" or (not kpi.get("unit") and printed_latest.endswith("%"))
        decimals = _places(kpi)
        definitions.append(
            {
                "ref": ref,
                "description": kpi["description"],
                "service_area": kpi["service_area"],
                "director": kpi.get("director") or "",
                "cabinet_member": kpi.get("cabinet_member") or "",
                "delivery_by": kpi.get("delivery_by") or "",
                "unit": "percent" if percent else "count",
                "polarity": polarity,
                "frequency": frequency,
                "target": kpi["target"],
                "floor": kpi["floor"],
                "decimals": decimals,
                "source": "manual",
                "suspended": bool(kpi.get("suspended", False)),
            }
        )
        shown = shown_month(frequency, period)
        latest, last_year, dot = kpi["latest"], kpi["previous_year"], kpi["dot"]
        ytd = kpi["ytd"] if frequency in FLOW else None
        if latest is not None or ytd is not None:
            rows.append((ref, shown, latest, ytd))
        if latest is None:
            dot = None
        before = previous_period(frequency, shown)
        year_ago = shown.year_earlier
        if (
            frequency == "annual"
            and last_year is not None
            and dot is not None
            and _agrees(latest, last_year, dot, polarity)
        ):
            rows.append((ref, year_ago, last_year, None))
            continue
        if dot is not None:
            rows.append((ref, before, previous_value(latest, dot, polarity, decimals, percent), None))
        if last_year is not None:
            if frequency == "snapshot":
                rows.append((ref, year_ago, last_year, None))
            else:
                rows.append((ref, year_ago, None, last_year))

    for activity in dashboard["activity"]:
        ref = activity["ref"]
        printed = activity.get("ytd_as_printed") or ""
        upper, lower = activity.get("upper"), activity.get("lower")
        if upper is not None and lower is not None and upper < lower:
            # Printed swapped (a transcription slip the loader refuses); the alert was judged on the range.
            upper, lower = lower, upper
        spec: dict[str, Any] = {
            "ref": ref,
            "description": activity["description"],
            "service_area": activity["service_area"],
            "kind": "activity",
            "unit": "currency" if "£" in printed else "count",
            "frequency": "monthly",
            "decimals": printed_places(printed),
            "source": "manual",
        }
        if upper is not None:
            spec["upper"] = upper
        if lower is not None:
            spec["lower"] = lower
        definitions.append(spec)
        if activity.get("latest") is not None or activity.get("ytd") is not None:
            rows.append((ref, period, activity.get("latest"), activity.get("ytd")))
        if activity.get("previous") is not None:
            rows.append((ref, period.year_earlier, None, activity["previous"]))

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ref", "period", "value", "ytd"])
    for ref, month, value, ytd in rows:
        writer.writerow(
            [ref, str(month), "" if value is None else repr(value), "" if ytd is None else repr(ytd)]
        )
    return yaml.safe_dump({"kpis": definitions}, sort_keys=False, allow_unicode=True), out.getvalue()
