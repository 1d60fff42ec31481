"""Outage rows: written from chat (`outage start|end`) and from imports (upserted on the natural key,
service and start), read for availability and for `status`. Every query runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import CursorResult, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from servicebot.domain.availability import Outage
from servicebot.storage.tables import outages

Change = Literal["new", "updated", "unchanged"]

# What an import may correct on an outage it has already written; who opened it and its note stay.
_MEASURED = ("ended_at", "impact_start", "impact_end", "planned", "ticket_id")


def insert_outage(session: Session, outage: Outage, batch: str | None = None) -> Outage:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        insert(outages).values(**_fields(outage), batch=batch)
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return replace(outage, id=int(pk[0]))


def upsert(session: Session, records: Sequence[Outage], batch: str) -> list[Change]:
    """Each record inserted, corrected or left as it is, keyed on (service, started_at); one change per
    record, in order. The rows already there are read in one query, not one per record."""
    if not records:
        return []
    existing = {
        (row.service, row.started_at): row
        for row in session.execute(
            select(outages).where(
                outages.c.service.in_(sorted({r.service for r in records})),
                outages.c.started_at >= min(r.started_at for r in records),
                outages.c.started_at <= max(r.started_at for r in records),
            )
        ).all()
    }
    changes: list[Change] = []
    fresh: list[dict[str, Any]] = []
    for record in records:
        found = existing.get((record.service, record.started_at))
        if found is None:
            fresh.append({**_fields(record), "batch": batch})
            changes.append("new")
            continue
        wanted = {name: getattr(record, name) for name in _MEASURED}
        if record.ended_at is None and found.ended_at is not None:
            # The file still says "open" but the outage has been ended since (in chat, or by a later file):
            # the file knew less, so the end it does not know about is kept rather than undone.
            for name in ("ended_at", "impact_end"):
                wanted[name] = getattr(found, name)
        if all(getattr(found, name) == value for name, value in wanted.items()):
            changes.append("unchanged")
            continue
        session.execute(update(outages).where(outages.c.id == found.id).values(**wanted, batch=batch))
        changes.append("updated")
    if fresh:
        session.execute(insert(outages), fresh)
    return changes


def open_outages(session: Session, service: str | None = None) -> list[Outage]:
    """Outages not yet ended, oldest first; of one service, or of all."""
    query = select(outages).where(outages.c.ended_at.is_(None)).order_by(outages.c.started_at, outages.c.id)
    if service is not None:
        query = query.where(outages.c.service == service)
    return [_outage(row) for row in session.execute(query).all()]


def close(session: Session, outage: Outage, at: datetime, by: str) -> Outage:
    """End an open outage at `at`; users were impacted until then unless an impact end is already known.
    Never before it started (an imported outage may start later than a chat command's clock)."""
    assert outage.id is not None
    ended = max(at, outage.started_at)
    impact_end = outage.impact_end if outage.impact_end is not None else max(ended, outage.impact_start)
    session.execute(
        update(outages)
        .where(outages.c.id == outage.id)
        .values(ended_at=ended, impact_end=impact_end, closed_by=by)
    )
    return replace(outage, ended_at=ended, impact_end=impact_end, closed_by=by)


def overlapping(session: Session, service: str, start: datetime, end: datetime) -> list[Outage]:
    """The service's outages whose impact overlaps [start, end), an open impact included, in one query."""
    query = (
        select(outages)
        .where(
            outages.c.service == service,
            outages.c.impact_start < end,
            or_(outages.c.impact_end.is_(None), outages.c.impact_end > start),
        )
        .order_by(outages.c.impact_start, outages.c.id)
    )
    return [_outage(row) for row in session.execute(query).all()]


def find(session: Session, service: str, started_at: datetime) -> Outage | None:
    row = session.execute(
        select(outages).where(and_(outages.c.service == service, outages.c.started_at == started_at))
    ).first()
    return _outage(row) if row is not None else None


def _fields(outage: Outage) -> dict[str, Any]:
    """The row's columns but its id and batch."""
    return {
        "service": outage.service,
        "started_at": outage.started_at,
        "ended_at": outage.ended_at,
        "impact_start": outage.impact_start,
        "impact_end": outage.impact_end,
        "planned": outage.planned,
        "ticket_id": outage.ticket_id,
        "note": outage.note,
        "origin": outage.origin,
        "opened_by": outage.opened_by,
        "closed_by": outage.closed_by,
    }


def _outage(row: Any) -> Outage:
    return Outage(
        service=row.service,
        started_at=row.started_at,
        ended_at=row.ended_at,
        impact_start=row.impact_start,
        impact_end=row.impact_end,
        planned=bool(row.planned),
        ticket_id=row.ticket_id,
        note=row.note,
        origin=row.origin,
        opened_by=row.opened_by,
        closed_by=row.closed_by,
        id=row.id,
    )
