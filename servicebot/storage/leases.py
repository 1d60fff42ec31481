"""Leases: one holder of a name at a time, until the lease expires unrenewed (`leases` table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from servicebot.storage.tables import leases


def take(session: Session, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take the lease (it is free, lapsed, or already `holder`'s) or renew it; False if another holds it.

    One conditional UPDATE, then an INSERT that does nothing on a conflict: whichever of two takers
    writes first wins, the other's UPDATE matches no row and its INSERT meets the row the first wrote."""
    c = leases.c
    renewed = session.connection().execute(
        update(leases)
        .where(c.name == name, or_(c.holder == holder, c.expires_at <= now))
        .values(
            holder=holder,
            expires_at=until,
            acquired_at=case((c.holder == holder, c.acquired_at), else_=now),
        )
    )
    if renewed.rowcount == 1:
        return True
    row = {"name": name, "holder": holder, "acquired_at": now, "expires_at": until}
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(leases).values(**row)
    # RETURNING says whether the row went in: psycopg reports no row count for a Core INSERT here.
    inserted = session.execute(statement.on_conflict_do_nothing(index_elements=["name"]).returning(c.name))
    return inserted.first() is not None


def give_up(session: Session, name: str, holder: str) -> None:
    """Let the lease go at once (a clean stop), if `holder` has it."""
    session.execute(delete(leases).where(and_(leases.c.name == name, leases.c.holder == holder)))


def holder_of(session: Session, name: str, now: datetime) -> str | None:
    """Who holds the lease now, if anyone."""
    query = select(leases.c.holder).where(leases.c.name == name, leases.c.expires_at > now)
    row = session.execute(query).first()
    return None if row is None else str(row.holder)
