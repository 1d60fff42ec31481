"""The dashboard as JSON, the machine form: values unrounded (the published precision is given beside them
as `decimals`), RAG as GREEN|AMBER|RED|null, DoT as improved|fell|unchanged|null, the expected range as
Yes|Above|Below|null."""

from __future__ import annotations

import json
from typing import Any

from servicebot.domain.kpis import ActivityRow, Commentary, Dashboard, KpiDefinition, KpiRow
from servicebot.domain.periods import Period


def _period(period: Period | None) -> str | None:
    return None if period is None else str(period)


def _definition(d: KpiDefinition) -> dict[str, Any]:
    return {
        "ref": d.ref,
        "description": d.description,
        "service_area": d.service_area,
        "unit": d.unit.value,
        "polarity": d.polarity.value,
        "frequency": d.frequency.value,
        "decimals": d.decimals,
        "desk": d.desk,
        "source": d.source,
        "suspended": d.suspended,
    }


def _commentary(c: Commentary | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "period": str(c.period),
        "cause": c.cause,
        "action": c.action,
        "recovery": c.recovery.isoformat() if c.recovery else None,
        "by": c.by,
        "at": c.at.isoformat(),
    }


def _trend(trend: tuple[tuple[Period, float | None], ...]) -> list[dict[str, Any]]:
    return [{"period": str(p), "value": v} for p, v in trend]


def _kpi(row: KpiRow) -> dict[str, Any]:
    measure = row.measure
    return {
        **_definition(row.definition),
        "shown": _period(row.shown),
        "value": row.value,
        "rag": row.rag.value if row.rag else None,
        "dot": row.dot.value if row.dot else None,
        "ytd": row.ytd,
        "ytd_rag": row.ytd_rag.value if row.ytd_rag else None,
        "target": row.target,
        "floor": row.floor,
        "previous_year": row.previous_year,
        "note": row.note,
        "numerator": measure.numerator if measure else None,
        "denominator": measure.denominator if measure else None,
        "trend": _trend(row.trend),
        "commentary": _commentary(row.commentary),
    }


def _activity(row: ActivityRow) -> dict[str, Any]:
    return {
        **_definition(row.definition),
        "shown": _period(row.shown),
        "value": row.value,
        "ytd": row.ytd,
        "in_expected_range": row.in_expected_range.value if row.in_expected_range else None,
        "upper": row.upper,
        "lower": row.lower,
        "previous_year": row.previous_year,
        "trend": _trend(row.trend),
    }


def render(dashboard: Dashboard) -> str:
    data = {
        "title": dashboard.title,
        "period": str(dashboard.period),
        "desk": dashboard.desk,
        "generated_at": dashboard.generated_at.isoformat(),
        "areas": [
            {
                "name": area.name,
                "director": area.director,
                "cabinet_member": area.cabinet_member,
                "delivery_by": area.delivery_by,
                "rag": {(rag.value if rag else "none"): n for rag, n in area.rag_counts().items()},
            }
            for area in dashboard.areas
        ],
        "kpis": [_kpi(row) for row in dashboard.kpis],
        "activity": [_activity(row) for row in dashboard.activity],
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"
