"""Storage of KPI definitions (the whole validated set, replaced at once), KPI values published elsewhere
(one row per KPI and month, written on that natural key), and owners' commentary (appended, never changed).

A definition is stored as JSON of the validated `KpiDefinition` (desk and decimals already resolved), so
reading it back needs neither the YAML nor the configuration it was checked against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from servicebot.domain.kpis import (
    Commentary,
    Frequency,
    KpiDefinition,
    KpiKind,
    Measure,
    Polarity,
    Thresholds,
    Unit,
)
from servicebot.domain.periods import Period
from servicebot.storage.tables import kpi_comments, kpi_definitions, kpi_values


def _thresholds_json(t: Thresholds) -> dict[str, float | None]:
    return {"target": t.target, "floor": t.floor, "upper": t.upper, "lower": t.lower}


def _thresholds(data: dict[str, Any]) -> Thresholds:
    return Thresholds(data.get("target"), data.get("floor"), data.get("upper"), data.get("lower"))


def definition_json(d: KpiDefinition) -> dict[str, Any]:
    return {
        "ref": d.ref,
        "description": d.description,
        "service_area": d.service_area,
        "unit": d.unit.value,
        "polarity": d.polarity.value,
        "frequency": d.frequency.value,
        "kind": d.kind.value,
        "source": d.source,
        "thresholds": _thresholds_json(d.thresholds),
        "thresholds_by_year": {year: _thresholds_json(t) for year, t in d.thresholds_by_year.items()},
        "director": d.director,
        "cabinet_member": d.cabinet_member,
        "delivery_by": d.delivery_by,
        "owners": list(d.owners),
        "desk": d.desk,
        "suspended": d.suspended,
        "urgent": d.urgent,
        "decimals": d.decimals,
        "range_months": d.range_months,
    }


def definition_from_json(data: dict[str, Any]) -> KpiDefinition:
    return KpiDefinition(
        ref=data["ref"],
        description=data["description"],
        service_area=data["service_area"],
        unit=Unit(data["unit"]),
        polarity=Polarity(data["polarity"]),
        frequency=Frequency(data["frequency"]),
        kind=KpiKind(data["kind"]),
        source=data["source"],
        thresholds=_thresholds(data["thresholds"]),
        thresholds_by_year={year: _thresholds(t) for year, t in data.get("thresholds_by_year", {}).items()},
        director=data.get("director", ""),
        cabinet_member=data.get("cabinet_member", ""),
        delivery_by=data.get("delivery_by", ""),
        owners=tuple(data.get("owners", ())),
        desk=data.get("desk"),
        suspended=bool(data.get("suspended", False)),
        urgent=bool(data.get("urgent", False)),
        decimals=int(data.get("decimals", 0)),
        range_months=data.get("range_months"),
    )


def replace_definitions(
    session: Session, definitions: Sequence[KpiDefinition], at: datetime, by: str
) -> None:
    """The whole set, replaced: a KPI left out of the file is no longer defined (its values stay)."""
    session.execute(delete(kpi_definitions))
    if definitions:
        session.execute(
            insert(kpi_definitions),
            [
                {"ref": d.ref, "position": i, "body": definition_json(d), "loaded_at": at, "loaded_by": by}
                for i, d in enumerate(definitions)
            ],
        )


def read_definitions(session: Session) -> list[KpiDefinition]:
    """The loaded set in file order; empty if none was ever loaded."""
    rows = session.execute(select(kpi_definitions.c.body).order_by(kpi_definitions.c.position))
    return [definition_from_json(body) for (body,) in rows]


@dataclass(frozen=True)
class KpiValue:
    """One KPI's figures for one month as published elsewhere; None: not published."""

    ref: str
    period: Period
    value: float | None
    ytd: float | None = None
    numerator: float | None = None
    denominator: float | None = None

    def figures(self) -> tuple[float | None, float | None, float | None, float | None]:
        return (self.value, self.ytd, self.numerator, self.denominator)


def upsert_values(
    session: Session, values: Sequence[KpiValue], batch: str | None, at: datetime
) -> tuple[int, int, int]:
    """Write on (ref, period): (new, updated, unchanged). Importing the same figures again changes nothing."""
    if not values:
        return 0, 0, 0
    refs = sorted({v.ref for v in values})
    existing: dict[tuple[str, str], tuple[Any, ...]] = {
        (ref, period): (value, ytd, numerator, denominator)
        for ref, period, value, ytd, numerator, denominator in session.execute(
            select(
                kpi_values.c.ref,
                kpi_values.c.period,
                kpi_values.c.value,
                kpi_values.c.ytd,
                kpi_values.c.numerator,
                kpi_values.c.denominator,
            ).where(kpi_values.c.ref.in_(refs))
        )
    }
    new: list[dict[str, Any]] = []
    updated = unchanged = 0
    for v in values:
        key = (v.ref, str(v.period))
        row = {"value": v.value, "ytd": v.ytd, "numerator": v.numerator, "denominator": v.denominator}
        if key not in existing:
            new.append({"ref": v.ref, "period": str(v.period), **row, "batch": batch, "imported_at": at})
        elif existing[key] == v.figures():
            unchanged += 1
        else:
            session.execute(
                update(kpi_values)
                .where(kpi_values.c.ref == v.ref, kpi_values.c.period == str(v.period))
                .values(**row, batch=batch, imported_at=at)
            )
            updated += 1
        existing[key] = v.figures()
    if new:
        session.execute(insert(kpi_values), new)
    return len(new), updated, unchanged


def read_values(
    session: Session, refs: Iterable[str], first: Period, last: Period
) -> tuple[dict[str, dict[Period, Measure]], dict[str, dict[Period, float]]]:
    """Per ref, the published values as measures and the published year-to-date figures, first..last."""
    wanted = sorted(set(refs))
    series: dict[str, dict[Period, Measure]] = {ref: {} for ref in wanted}
    ytds: dict[str, dict[Period, float]] = {ref: {} for ref in wanted}
    if not wanted:
        return series, ytds
    rows = session.execute(
        select(
            kpi_values.c.ref,
            kpi_values.c.period,
            kpi_values.c.value,
            kpi_values.c.ytd,
            kpi_values.c.numerator,
            kpi_values.c.denominator,
        ).where(
            kpi_values.c.ref.in_(wanted),
            kpi_values.c.period >= str(first),  # YYYY-MM sorts as text in time order
            kpi_values.c.period <= str(last),
        )
    )
    for ref, period_text, value, ytd, numerator, denominator in rows:
        period = Period.parse(period_text)
        if value is not None or numerator is not None:
            series[ref][period] = Measure(value, numerator, denominator)
        if ytd is not None:
            ytds[ref][period] = ytd
    return series, ytds


def add_comment(session: Session, comment: Commentary) -> None:
    session.execute(
        insert(kpi_comments).values(
            ref=comment.ref,
            period=str(comment.period),
            cause=comment.cause,
            action=comment.action,
            recovery=comment.recovery.isoformat() if comment.recovery else None,
            author=comment.by,
            at=comment.at,
        )
    )


def latest_comments(
    session: Session, refs: Iterable[str], periods: Iterable[Period]
) -> dict[tuple[str, Period], Commentary]:
    """The latest commentary per (ref, period) among these refs and periods (the last written wins; ids
    break a tie of equal timestamps)."""
    wanted_refs, wanted_periods = sorted(set(refs)), sorted({str(p) for p in periods})
    if not wanted_refs or not wanted_periods:
        return {}
    rows = session.execute(
        select(kpi_comments)
        .where(kpi_comments.c.ref.in_(wanted_refs), kpi_comments.c.period.in_(wanted_periods))
        .order_by(kpi_comments.c.at, kpi_comments.c.id)
    )
    latest: dict[tuple[str, Period], Commentary] = {}
    for row in rows.mappings():
        period = Period.parse(row["period"])
        latest[(row["ref"], period)] = Commentary(
            ref=row["ref"],
            period=period,
            cause=row["cause"],
            action=row["action"],
            recovery=date.fromisoformat(row["recovery"]) if row["recovery"] else None,
            by=row["author"],
            at=row["at"],
        )
    return latest
