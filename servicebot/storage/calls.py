"""Imported telephony rows, written on their natural key (day, interval, desk, line): importing a file
twice changes nothing, and a corrected file updates the rows it corrects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from servicebot.domain.telephony import CallRow
from servicebot.storage.tables import call_stats

_FIGURES = (
    "offered",
    "answered",
    "answered_within_40s",
    "abandoned",
    "total_wait_seconds",
    "total_handle_seconds",
)


def upsert(session: Session, rows: Sequence[CallRow], batch: str) -> tuple[int, int, int]:
    """(new, updated, unchanged)."""
    if not rows:
        return 0, 0, 0
    c = call_stats.c
    days = sorted({r.day.isoformat() for r in rows})
    existing: dict[tuple[str, str, str, str], tuple[int, tuple[Any, ...]]] = {}
    query = select(c.id, c.day, c.interval_start, c.desk, c.line, *(c[f] for f in _FIGURES)).where(
        c.day >= days[0], c.day <= days[-1], c.desk.in_(sorted({r.desk for r in rows}))
    )
    for found in session.execute(query):
        existing[(found.day, found.interval_start, found.desk, found.line)] = (
            found.id,
            tuple(float(found._mapping[f]) for f in _FIGURES),
        )
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for row in rows:
        figures = {f: getattr(row, f) for f in _FIGURES}
        key = (row.day.isoformat(), row.interval_start, row.desk, row.line)
        before = existing.get(key)
        if before is None:
            new.append(
                {
                    "day": key[0],
                    "interval_start": row.interval_start,
                    "month": row.month,
                    "desk": row.desk,
                    "line": row.line,
                    "batch": batch,
                    **figures,
                }
            )
        elif before[1] == tuple(float(figures[f]) for f in _FIGURES):
            unchanged += 1
        else:
            changed.append({"row_id": before[0], "batch": batch, **figures})
    if new:
        session.execute(insert(call_stats), new)
    if changed:
        session.execute(
            update(call_stats)
            .where(c.id == bindparam("row_id"))
            .values(batch=bindparam("batch"), **{f: bindparam(f) for f in _FIGURES}),
            changed,
        )
    return len(new), len(changed), unchanged
